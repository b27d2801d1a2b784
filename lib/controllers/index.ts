import { UserInputError } from '../pki';
import { CONTROLLER_NAMES, ControllerName, ControllerTarget } from './controller';
import { F5NginxOptions, F5NginxTarget } from './f5-nginx';
import { HaproxyIngressOptions, HaproxyIngressTarget } from './haproxy-ingress';
import { IngressNginxTarget } from './ingress-nginx';

export { CONTROLLER_NAMES, ControllerName, ControllerTarget, MtlsBackend, ServerTlsMaterial } from './controller';
export { F5NginxOptions } from './f5-nginx';
export { HaproxyIngressOptions } from './haproxy-ingress';
export { authTlsAnnotations, NGINX_ANNOTATION_PREFIX } from './ingress-nginx';

/**
 * The ingress controller `MtlsIngress` emits for: `controller: IngressController.haproxyIngress()`. Every target
 * gets the same checks on the same PEM material; each emits the objects its controller reads.
 */
export class IngressController {
  /** ingress-nginx: an Opaque CA Secret and an Ingress with the `nginx.ingress.kubernetes.io/auth-tls-*` annotations. The default. */
  public static ingressNginx(): ControllerTarget {
    return new IngressNginxTarget();
  }

  /** F5 NGINX Ingress Controller: an `nginx.org/ca` Secret, a Policy with `ingressMTLS`, and an Ingress or a VirtualServer. */
  public static f5Nginx(options: F5NginxOptions = {}): ControllerTarget {
    return new F5NginxTarget(options);
  }

  /** HAProxy Ingress (jcmoraisjr): an Opaque CA Secret and an Ingress with the `haproxy-ingress.github.io/auth-tls-*` annotations. */
  public static haproxyIngress(options: HaproxyIngressOptions = {}): ControllerTarget {
    return new HaproxyIngressTarget(options);
  }

  /** The target for a name of `CONTROLLER_NAMES` (`ingress-nginx`, `f5-nginx`, `haproxy-ingress`), with default options. */
  public static named(name: string): ControllerTarget {
    const factories: Record<ControllerName, () => ControllerTarget> = {
      'ingress-nginx': IngressController.ingressNginx, 'f5-nginx': IngressController.f5Nginx, 'haproxy-ingress': IngressController.haproxyIngress,
    };
    if (!(CONTROLLER_NAMES as readonly string[]).includes(name)) {
      throw new UserInputError('controller', `"${name}" is not a known controller; the known ones are ${CONTROLLER_NAMES.join(', ')}.`);
    }
    return factories[name as ControllerName]();
  }

  /** One target of each kind: what `mtls-pki check --manifests` reads a folder with. */
  public static all(): ControllerTarget[] {
    return CONTROLLER_NAMES.map((name) => IngressController.named(name));
  }

  private constructor() {}
}
