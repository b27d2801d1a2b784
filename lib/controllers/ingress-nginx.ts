// ingress-nginx (kubernetes/ingress-nginx, retired in March 2026): the default target. An Opaque Secret with
// ca.crt and ca.crl, and an Ingress with the six auth-tls annotations.
import type { Construct } from 'constructs';
import { NGINX_DATA_PLANE } from '../checks/data-plane';
import type { Findings } from '../checks/finding';
import { INGRESS_NGINX_WORDING } from '../checks/ingress-settings';
import { anchorMatchCn, checkMatchCn } from '../checks/match-cn';
import type {
  DeployedMtls, EmittedObjects, ManifestObject, MtlsIntent, ReadContext, SecretShapes, TargetCheckInput,
} from './controller';
import { DeclaredTarget, settingFields } from './controller';
import { emitIngress, emitSecrets } from './emit';
import { FieldTable, parseGoBool, same, splitSecretRef } from './field-table';
import { firstBackend, ingressHosts, serverTlsOfIngress } from './read';

/** The annotation prefix ingress-nginx reads (its `--annotations-prefix` default). */
export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

export interface AuthTls {
  readonly secret: string;
  readonly verifyClient: string;
  readonly verifyDepth: number;
  readonly errorPage: string | undefined;
  readonly passCertificateToUpstream: boolean | undefined;
  readonly matchCn: string | undefined;
}

/** The six auth-tls annotations: written by the construct, read back by `check --manifests` and `migrate`. */
export const AUTH_TLS = new FieldTable<AuthTls>(NGINX_ANNOTATION_PREFIX, {
  secret: { key: 'auth-tls-secret', write: same, read: same },
  verifyClient: { key: 'auth-tls-verify-client', write: same, read: same },
  verifyDepth: { key: 'auth-tls-verify-depth', write: String, read: Number },
  errorPage: { key: 'auth-tls-error-page', write: same, read: same },
  passCertificateToUpstream: { key: 'auth-tls-pass-certificate-to-upstream', write: (v) => String(v ?? false), read: parseGoBool },
  // ingress-nginx searches the pattern anywhere in the subject DN: the construct anchors it (match-cn.ts)
  matchCn: { key: 'auth-tls-match-cn', write: (v) => (v === undefined ? undefined : anchorMatchCn(v)), read: same },
});

/**
 * The controller's pattern for auth-tls-error-page: a named location, or an optional http(s)://host[:port]
 * followed by an optional path of [A-Za-z0-9-_.] segments. Anything else makes it reject the whole Ingress.
 */
const ERROR_PAGE = /^(@[A-Za-z0-9_-]+|(https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)?(\/[A-Za-z0-9._-]*)*)$/;

/** The six auth-tls annotations, values as strings (Kubernetes annotations are strings only); match-cn anchored. */
export function authTlsAnnotations(s: {
  readonly secret: string; readonly verifyClient: string; readonly verifyDepth: number; readonly errorPage?: string;
  readonly passCertificateToUpstream: boolean; readonly matchCn?: string;
}): Record<string, string> {
  return AUTH_TLS.write({ ...s, errorPage: s.errorPage, matchCn: s.matchCn });
}

const SECRETS: SecretShapes = {
  serverTls: { type: 'kubernetes.io/tls', typeRequired: false, certificateKey: 'tls.crt', privateKeyKey: 'tls.key' },
  // A CA Secret that also holds tls.crt/tls.key still works in ingress-nginx (the CA is appended to the key pair's
  // file), so nothing is forbidden here; the construct keeps them apart anyway.
  clientTrust: { type: 'Opaque', typeRequired: false, caKey: 'ca.crt', crlKey: 'ca.crl', forbiddenKeys: [] },
};


export class IngressNginxTarget extends DeclaredTarget {
  constructor() {
    super({
      name: 'ingress-nginx', displayName: 'ingress-nginx', minimumVersion: 'v1.0.0', defaultIngressClassName: 'nginx', secrets: SECRETS,
      ownedAnnotationPrefixes: [`${NGINX_ANNOTATION_PREFIX}auth-tls-`], unsupported: {}, dataPlane: NGINX_DATA_PLANE, wording: INGRESS_NGINX_WORDING,
    });
  }

  check(findings: Findings, input: TargetCheckInput): void {
    const { errorPage, matchCn } = input.settings;
    if (errorPage !== undefined && (errorPage === '' || !ERROR_PAGE.test(errorPage))) {
      findings.error('MTLS052', input.fieldOf('errorPage'), `"${errorPage}" does not match what ingress-nginx accepts (an @named_location, or http(s)://host[:port] with an optional path of letters, digits, "-", "_" and "."; no query string), and the controller would reject the whole Ingress. Example: "https://errors.example.com/mtls-denied".`);
    }
    if (matchCn !== undefined) checkMatchCn(findings, input.fieldOf('matchCn'), matchCn, input.asDeployed);
  }

  emit(scope: Construct, intent: MtlsIntent, clientCaAnnotations: Readonly<Record<string, string>> | undefined): EmittedObjects {
    const { serverSecret, clientCaSecret } = emitSecrets(scope, intent, SECRETS, clientCaAnnotations);
    const ingress = emitIngress(scope, intent, this.defaultIngressClassName, authTlsAnnotations({
      secret: `${intent.namespace}/${intent.names.clientCaSecret}`, verifyClient: intent.verifyClient, verifyDepth: intent.verifyDepth ?? 1,
      errorPage: intent.errorPage, passCertificateToUpstream: intent.passCertificateToUpstream ?? false, matchCn: intent.matchCn,
    }));
    return { serverSecret, clientCaSecret, ingress, objects: [serverSecret, clientCaSecret, ingress] };
  }

  read(context: ReadContext): DeployedMtls[] {
    return context.objects.filter((o) => o.kind === 'Ingress' && o.metadata?.annotations?.[AUTH_TLS.keyOf('secret')] !== undefined).map((ingress) => this.readIngress(context, ingress));
  }

  private readIngress(context: ReadContext, ingress: ManifestObject): DeployedMtls {
    const namespace = ingress.metadata?.namespace;
    const where = `Ingress ${namespace}/${ingress.metadata?.name ?? '(unnamed)'}`;
    const a = AUTH_TLS.read(ingress.metadata?.annotations);
    const ref = splitSecretRef(a.secret ?? '', namespace);
    const deployed = {
      where, route: ingress, namespace, hosts: ingressHosts(ingress), ...firstBackend(ingress),
      settings: { verifyClient: a.verifyClient ?? 'on', verifyDepth: a.verifyDepth ?? 1, errorPage: a.errorPage, matchCn: a.matchCn, passCertificateToUpstream: a.passCertificateToUpstream },
      clientCaSecretNamespace: ref.namespace,
      fieldOf: settingFields(),
      serverTls: serverTlsOfIngress(context, ingress, SECRETS),
    };
    const secret = context.secret(ref.namespace, ref.name);
    const field = `Secret ${ref.namespace}/${ref.name}`;
    if (!secret) {
      context.findings.warn('MTLS070', `${where} auth-tls-secret`, `names Secret "${ref.namespace}/${ref.name}", which is not in "${context.source}"; it cannot be checked here. If it is missing in the cluster, ingress-nginx answers 403 for the host.`);
      return deployed;
    }
    const values = context.secretValues(secret, field);
    if (values['ca.crt'] === undefined) {
      context.findings.error('MTLS070', field, 'has no ca.crt. ingress-nginx then logs "mutual authentication disabled" and admits every client (fail-open). Add the client CA as ca.crt.');
      return deployed;
    }
    return { ...deployed, clientTrust: { field, secretName: ref.name, caPem: values['ca.crt'], crlPem: values['ca.crl'] } };
  }
}
