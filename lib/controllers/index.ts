import { UserInputError } from '../pki';
import { CONTROLLER_NAMES, ControllerName, ControllerTarget } from './controller';
import { ContourOptions, ContourTarget } from './contour';
import { EnvoyGatewayOptions, EnvoyGatewayTarget } from './envoy-gateway';
import { F5NginxOptions, F5NginxTarget } from './f5-nginx';
import { HaproxyIngressOptions, HaproxyIngressTarget } from './haproxy-ingress';
import { IngressNginxTarget } from './ingress-nginx';
import { IstioOptions, IstioTarget } from './istio';
import { TraefikOptions, TraefikTarget } from './traefik';

export { CONTROLLER_NAMES, ControllerName, ControllerTarget, MtlsBackend, ServerTlsMaterial } from './controller';
export { F5NginxOptions } from './f5-nginx';
export { HaproxyIngressOptions } from './haproxy-ingress';
export { ContourOptions } from './contour';
export { EnvoyGatewayOptions, SharedGatewayListener } from './envoy-gateway';
export { IstioOptions } from './istio';
export { ACCEPT_NO_REVOCATION_ANNOTATION, TraefikOptions } from './traefik';
export { authTlsAnnotations, NGINX_ANNOTATION_PREFIX } from './ingress-nginx';

/**
 * The ingress controller `MtlsIngress` emits for: `controller: IngressController.haproxyIngress()`. Every target
 * gets the same checks on the same PEM material; each emits the objects its controller reads.
 */
export class IngressController {
  /** ingress-nginx: an Opaque CA Secret and an Ingress with the `nginx.ingress.kubernetes.io/auth-tls-*` annotations. The default. */
  public static ingressNginx(): ControllerTarget { return new IngressNginxTarget(); }

  /** F5 NGINX Ingress Controller: an `nginx.org/ca` Secret, a Policy with `ingressMTLS`, and an Ingress or a VirtualServer. */
  public static f5Nginx(options: F5NginxOptions = {}): ControllerTarget { return new F5NginxTarget(options); }

  /** HAProxy Ingress (jcmoraisjr): an Opaque CA Secret and an Ingress with the `haproxy-ingress.github.io/auth-tls-*` annotations. */
  public static haproxyIngress(options: HaproxyIngressOptions = {}): ControllerTarget { return new HaproxyIngressTarget(options); }

  /**
   * Envoy Gateway, v1.6.2 or later (CRL references are watched from v1.6.2): a Gateway with an HTTPS listener
   * (or your shared one: `{ gateway: { name, namespace, listener } }`), an HTTPRoute, a ClientTrafficPolicy
   * (`gateway.envoyproxy.io/v1alpha1`) with `tls.clientValidation.caCertificateRefs` and `crl.refs`, the CA Secret
   * (`ca.crt`) and one Secret per CRL (`ca.crl`): Envoy Gateway checks only the first PEM block of each reference.
   * verifyClient "optional" writes `mode: VerifyIfGiven`, which needs v1.8.0.
   */
  public static envoyGateway(options: EnvoyGatewayOptions = {}): ControllerTarget { return new EnvoyGatewayTarget(options); }

  /**
   * Contour, v1.22.0 or later (crlSecret): an HTTPProxy whose `virtualhost.tls.clientValidation` names one Opaque
   * Secret as `caSecret` (key `ca.crt`) and `crlSecret` (key `crl.pem`, not ca.crl). verifyClient "optional"
   * writes `optionalClientCertificate`, which needs v1.24.0.
   */
  public static contour(options: ContourOptions = {}): ControllerTarget { return new ContourTarget(options); }

  /**
   * Istio, 1.19.0 or later (CRL in the credential Secret): a Gateway (`networking.istio.io/v1`, tls.mode MUTUAL,
   * credentialName), one Secret in the gateway pods' namespace with `tls.crt`, `tls.key`, `ca.crt` and `ca.crl`,
   * and a VirtualService.
   */
  public static istio(options: IstioOptions = {}): ControllerTarget { return new IstioTarget(options); }

  /**
   * Traefik cannot check a CRL, so this target is refused at synth (MTLS100) unless you accept that revoked
   * clients get in: `IngressController.traefik({ acceptNoRevocation: true })`, which then warns on every synth
   * (MTLS101) and emits a TLSOption (clientAuth) and an IngressRoute (`traefik.io/v1alpha1`, read at v3.7.9).
   */
  public static traefik(options: TraefikOptions = {}): ControllerTarget { return new TraefikTarget(options); }

  /** The target for a name of `CONTROLLER_NAMES` (`ingress-nginx`, `f5-nginx`, `haproxy-ingress`, `envoy-gateway`, `contour`, `istio`, `traefik`), with default options. */
  public static named(name: string): ControllerTarget {
    const factories: Record<ControllerName, () => ControllerTarget> = {
      'ingress-nginx': IngressController.ingressNginx, 'f5-nginx': IngressController.f5Nginx, 'haproxy-ingress': IngressController.haproxyIngress,
      'envoy-gateway': IngressController.envoyGateway, 'contour': IngressController.contour, 'istio': IngressController.istio, 'traefik': IngressController.traefik,
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
