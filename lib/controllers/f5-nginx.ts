// F5 NGINX Ingress Controller (nginx/kubernetes-ingress, v5.5+): a Secret of type nginx.org/ca with ca.crt and
// ca.crl, a Policy (k8s.nginx.org/v1) with spec.ingressMTLS, and either an Ingress annotated nginx.org/policies
// (v5.5.0+) or a VirtualServer that lists the Policy (v3.1.0+). The generated Policy and VirtualServer classes
// are loaded only when this target emits (imports/k8s.nginx.org is large; see BENCHMARKS.md).
import type { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type * as NginxOrg from '../../imports/k8s.nginx.org';
import { NGINX_DATA_PLANE } from '../checks/data-plane';
import type { Findings } from '../checks/finding';
import type {
  DeployedMtls, EmittedObjects, ManifestObject, MtlsIntent, ReadContext, SecretShapes, TargetCheckInput, TargetDeclaration,
} from './controller';
import { DeclaredTarget, settingFields } from './controller';
import { emitIngress, emitSecrets, objectMeta } from './emit';
import { FieldTable, same } from './field-table';
import { firstBackend, ingressHosts, serverTlsOfIngress } from './read';
import { checkSecretShape } from './secret-shape';
import { requireOneHost, requirePortNumber } from './target-checks';

/** Options of the F5 NGINX Ingress Controller target. */
export interface F5NginxOptions {
  /**
   * `ingress`: an Ingress annotated `nginx.org/policies` (needs v5.5.0). `virtualServer`: F5's VirtualServer
   * (v3.1.0), which can also send the client's identity to the backend, as ingress-nginx does.
   * @default "ingress"
   */
  readonly resource?: 'ingress' | 'virtualServer';
  /** Name of the Policy. @default - "<route name>-mtls" */
  readonly policyName?: string;
}

const POLICY_API_VERSION = 'k8s.nginx.org/v1';
interface IngressMtls {
  readonly clientCertSecret: string;
  readonly verifyClient: string;
  readonly verifyDepth: number | undefined;
  /** Never written (ca.crl in the Secret carries the CRL); read, because it silently replaces ca.crl. */
  readonly crlFileName: string | undefined;
}

/** The fields of a Policy's spec.ingressMTLS: written by the construct, read back by `check --manifests`. */
const INGRESS_MTLS = new FieldTable<IngressMtls, string | number>('', {
  clientCertSecret: { key: 'clientCertSecret', write: same, read: String },
  verifyClient: { key: 'verifyClient', write: same, read: String },
  verifyDepth: { key: 'verifyDepth', write: same, read: Number },
  crlFileName: { key: 'crlFileName', write: () => undefined, read: String },
});

/** The annotation that attaches Policies to an Ingress: a comma-separated list of `[namespace/]name`. */
const POLICIES = new FieldTable<{ readonly policies: readonly string[] }>('nginx.org/', {
  policies: { key: 'policies', write: (list) => list.join(','), read: (v) => v.split(',').map((p) => p.trim()).filter(Boolean) },
});

/** What the VirtualServer form sends the backend: ingress-nginx's header names, so backends need no change. */
const IDENTITY_HEADERS = [
  { name: 'ssl-client-verify', value: '${ssl_client_verify}' },
  { name: 'ssl-client-subject-dn', value: '${ssl_client_s_dn}' },
  { name: 'ssl-client-issuer-dn', value: '${ssl_client_i_dn}' },
];
const CERTIFICATE_HEADER = { name: 'ssl-client-cert', value: '${ssl_client_escaped_cert}' };
const UPSTREAM = 'backend';

const SECRETS: SecretShapes = {
  serverTls: { type: 'kubernetes.io/tls', typeRequired: true, certificateKey: 'tls.crt', privateKeyKey: 'tls.key' },
  clientTrust: { type: 'nginx.org/ca', typeRequired: true, caKey: 'ca.crt', crlKey: 'ca.crl', forbiddenKeys: [] },
};


const REFUSED_500 = 'F5 NGINX Ingress Controller then rejects the Policy and answers 500 to every request of the route';

/** The declaration for an F5 Ingress or a VirtualServer: what each can send the backend differs. */
function declaration(resource: 'ingress' | 'virtualServer'): TargetDeclaration {
  const headers = resource === 'virtualServer';
  return {
    name: 'f5-nginx', displayName: 'F5 NGINX Ingress Controller', minimumVersion: headers ? 'v3.1.0' : 'v5.5.0', defaultIngressClassName: 'nginx', secrets: SECRETS,
    ownedAnnotationPrefixes: [], // nginx.org/policies is merged with the user's own list, not owned
    dataPlane: NGINX_DATA_PLANE,
    wording: {
      controller: 'F5 NGINX Ingress Controller',
      invalidVerifyClient: 'F5 NGINX Ingress Controller would reject the Policy and answer 500 to every request',
      invalidVerifyDepth: 'F5 NGINX Ingress Controller would reject a negative depth (500 for every request) and pass 0 to nginx, admitting only clients the root issued itself',
      unverifiedClient: headers
        ? 'with ssl-client-verify: NONE; the backend must check it (and refuse anything but SUCCESS)'
        : 'and an F5 Ingress sends the backend no client identity, so it cannot tell them from verified clients; use IngressController.f5Nginx({ resource: \'virtualServer\' }), which sends ssl-client-verify',
      backendCheck: headers ? 'ssl-client-verify' : 'the client certificate (which an F5 Ingress does not send)',
    },
    unsupported: {
      errorPage: 'F5 NGINX Ingress Controller has no setting for the page refused clients see: nginx answers 400 itself ("No required SSL certificate was sent", "The SSL certificate error"), before any route\'s errorPages apply. Remove errorPage.',
      matchCn: `F5 NGINX Ingress Controller cannot match the client CN, so every client the CA vouches for would be admitted. Remove matchCn and check the CN in the backend${headers ? ' (it gets ssl-client-subject-dn)' : ''}, or issue the allowed clients from a CA of their own.`,
      ...(headers ? {} : {
        passCertificateToUpstream: 'an F5 Ingress cannot send the client certificate to the backend (nginx.org/proxy-set-headers refuses NGINX variables). Use IngressController.f5Nginx({ resource: \'virtualServer\' }), whose VirtualServer sends ssl-client-cert as ingress-nginx does.',
      }),
    },
  };
}

export class F5NginxTarget extends DeclaredTarget {
  private readonly resource: 'ingress' | 'virtualServer';

  constructor(private readonly options: F5NginxOptions = {}) {
    super(declaration(options.resource ?? 'ingress'));
    this.resource = options.resource ?? 'ingress';
  }

  check(findings: Findings, input: TargetCheckInput): void {
    if (this.resource !== 'virtualServer') return;
    requireOneHost(findings, input, 'a VirtualServer', ', or IngressController.f5Nginx({ resource: \'ingress\' })');
    requirePortNumber(findings, input, 'a VirtualServer upstream');
  }

  emit(scope: Construct, intent: MtlsIntent, clientCaAnnotations: Readonly<Record<string, string>> | undefined): EmittedObjects {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nginx = require('../../imports/k8s.nginx.org') as typeof NginxOrg;
    const { serverSecret, clientCaSecret } = emitSecrets(scope, intent, SECRETS, clientCaAnnotations);
    const policyName = this.options.policyName ?? `${intent.names.route}-mtls`;
    const policy = new nginx.Policy(scope, 'Policy', {
      metadata: objectMeta(intent, policyName),
      spec: { ingressMtls: INGRESS_MTLS.write({ clientCertSecret: intent.names.clientCaSecret, verifyClient: intent.verifyClient, verifyDepth: intent.verifyDepth ?? 1, crlFileName: undefined }) },
    });
    let route: ApiObject;
    if (this.resource === 'ingress') {
      const own = POLICIES.read(intent.annotations).policies ?? [];
      route = emitIngress(scope, intent, this.defaultIngressClassName, POLICIES.write({ policies: [policyName, ...own.filter((p) => p !== policyName)] }));
      return { serverSecret, clientCaSecret, ingress: route as EmittedObjects['ingress'], objects: [serverSecret, clientCaSecret, policy, route] };
    }
    const { backend, path, pathType } = intent;
    route = new nginx.VirtualServer(scope, 'VirtualServer', {
      metadata: objectMeta(intent, intent.names.route, intent.annotations),
      spec: {
        ingressClassName: intent.ingressClassName ?? this.defaultIngressClassName,
        host: intent.hosts[0],
        tls: { secret: intent.names.serverSecret },
        policies: [{ name: policyName }],
        upstreams: [{ name: UPSTREAM, service: backend.serviceName, port: backend.port as number }],
        routes: [{
          path: pathType === 'Exact' ? `=${path}` : path,
          action: { proxy: { upstream: UPSTREAM, requestHeaders: { set: [...IDENTITY_HEADERS, ...(intent.passCertificateToUpstream ? [CERTIFICATE_HEADER] : [])] } } },
        }],
      },
    });
    return { serverSecret, clientCaSecret, objects: [serverSecret, clientCaSecret, policy, route] };
  }

  read(context: ReadContext): DeployedMtls[] {
    const routes = context.objects.filter((o) => (o.kind === 'Ingress' && o.metadata?.annotations?.[POLICIES.keyOf('policies')] !== undefined)
      || (o.kind === 'VirtualServer' && o.apiVersion === POLICY_API_VERSION && Array.isArray(o.spec?.policies)));
    return routes.flatMap((route) => this.readRoute(context, route));
  }

  private readRoute(context: ReadContext, route: ManifestObject): DeployedMtls[] {
    const { findings } = context;
    const namespace = route.metadata?.namespace ?? '';
    const where = `${route.kind} ${namespace}/${route.metadata?.name ?? '(unnamed)'}`;
    const isIngress = route.kind === 'Ingress';
    const refs = (isIngress ? POLICIES.read(route.metadata?.annotations).policies ?? [] : (route.spec.policies as { name?: string; namespace?: string }[]).map((p) => `${p.namespace ?? namespace}/${p.name ?? ''}`))
      .map((ref) => (ref.includes('/') ? ref : `${namespace}/${ref}`));
    const found = refs.map((ref) => ({ ref, policy: context.objects.find((o) => o.kind === 'Policy' && o.apiVersion === POLICY_API_VERSION && `${o.metadata?.namespace ?? ''}/${o.metadata?.name}` === ref) }));
    const mtls = found.filter((f) => f.policy?.spec?.ingressMTLS);
    if (mtls.length === 0) {
      const missing = found.filter((f) => !f.policy).map((f) => f.ref);
      if (missing.length) findings.warn('MTLS082', where, `names Policy ${missing.map((m) => `"${m}"`).join(', ')}, not in "${context.source}", so its client verification cannot be checked here. If a Policy is missing in the cluster, F5 NGINX Ingress Controller answers 500 to every request of the route.`);
      return [];
    }
    if (mtls.length > 1) {
      findings.warn('MTLS086', where, `names ${mtls.length} Policies with ingressMTLS (${mtls.map((m) => `"${m.ref}"`).join(', ')}); F5 NGINX Ingress Controller applies the first and ignores the rest ("Multiple ingressMTLS policies are not allowed"). Keep one.`);
    }
    const { ref, policy } = mtls[0];
    const policyField = `Policy ${ref} spec.ingressMTLS`;
    const m = INGRESS_MTLS.read(policy!.spec.ingressMTLS);
    const hosts = isIngress ? ingressHosts(route) : [route.spec?.host].filter((h): h is string => typeof h === 'string');
    const fieldOf = settingFields({ verifyClient: `${policyField}.verifyClient`, verifyDepth: `${policyField}.verifyDepth` });
    const upstream = (route.spec?.upstreams ?? [])[0] ?? {};
    const firstRoute = (route.spec?.routes ?? [])[0] ?? {};
    const deployed: DeployedMtls = {
      where, namespace, hosts, fieldOf,
      ...(isIngress ? firstBackend(route) : {
        backend: { serviceName: upstream.service ?? '', port: upstream.port ?? 0 },
        path: String(firstRoute.path ?? '/').replace(/^=/, ''), pathType: String(firstRoute.path ?? '').startsWith('=') ? 'Exact' : 'Prefix',
      }),
      settings: { verifyClient: m.verifyClient ?? 'on', verifyDepth: m.verifyDepth ?? 1 },
      // the Secret is looked up in the Policy's namespace, wherever the route is: no cross-namespace reference here
      clientCaSecretNamespace: undefined,
      serverTls: this.serverTlsOf(context, route, hosts),
    };
    if (isIngress) {
      const tlsHosts = new Set((route.spec?.tls ?? []).flatMap((t: { hosts?: string[] }) => t.hosts ?? []));
      for (const host of hosts.filter((h) => !tlsHosts.has(h))) {
        findings.error('MTLS086', `${where} spec.tls`, `does not cover host "${host}": F5 NGINX Ingress Controller then ignores the IngressMTLS policy for it ("TLS is not enabled for that host") and serves it without client verification. Add the host to spec.tls with its certificate Secret.`);
      }
    }
    if (m.crlFileName !== undefined) {
      findings.warn('MTLS083', `${policyField}.crlFileName`, `makes nginx read the CRL from /etc/nginx/secrets/${m.crlFileName}, a file outside the manifests, and ignore ca.crl in the Secret, so the CRL in effect cannot be checked here. Remove crlFileName and keep the CRL(s) in the Secret's ca.crl.`);
    }
    const secretName = String(m.clientCertSecret ?? '');
    const secretNamespace = ref.split('/')[0];
    const secret = context.secret(secretNamespace, secretName);
    const field = `Secret ${secretNamespace}/${secretName}`;
    if (!secret) {
      findings.warn('MTLS082', `${policyField}.clientCertSecret`, `names Secret "${secretNamespace}/${secretName}", which is not in "${context.source}"; it cannot be checked here. If it is missing in the cluster, ${REFUSED_500}.`);
      return [deployed];
    }
    const values = context.secretValues(secret, field);
    if (!checkSecretShape(findings, field, secret, values, SECRETS.clientTrust, this.displayName, `ignores it: ${REFUSED_500.replace(/^F5 NGINX Ingress Controller then /, '')}`)) return [deployed];
    if (!values['ca.crt']) {
      findings.error('MTLS082', field, `has no ca.crt: ${REFUSED_500}. Add the client CA as ca.crt.`);
      return [deployed];
    }
    return [{ ...deployed, clientTrust: { field, secretName, caPem: values['ca.crt'], crlPem: m.crlFileName !== undefined ? undefined : values['ca.crl'], ...(m.crlFileName !== undefined ? { crlElsewhere: m.crlFileName } : {}) } }];
  }

  private serverTlsOf(context: ReadContext, route: ManifestObject, hosts: readonly string[]): DeployedMtls['serverTls'] {
    const namespace = route.metadata?.namespace ?? '';
    const tls = route.kind === 'Ingress'
      ? serverTlsOfIngress(context, route, SECRETS).map((t) => ({ ...t, secret: context.secret(namespace, t.secretName)! }))
      : [route.spec?.tls?.secret].filter((n): n is string => typeof n === 'string').flatMap((secretName) => {
        const secret = context.secret(namespace, secretName);
        if (!secret) return [];
        const field = `Secret ${namespace}/${secretName}`;
        const values = context.secretValues(secret, field);
        return [{ field, secretName, hosts, chainPem: values['tls.crt'] ?? '', keyPem: values['tls.key'] ?? '', secret }];
      });
    return tls.filter((t) => checkSecretShape(context.findings, t.field, t.secret, {}, SECRETS.serverTls, this.displayName, 'does not serve the host with it'))
      .map(({ secret: _secret, ...rest }) => rest);
  }
}
