// HAProxy Ingress (jcmoraisjr/haproxy-ingress, v0.16): an Opaque Secret with ca.crt and ca.crl and no key pair,
// and an Ingress with the haproxy-ingress.github.io/auth-tls-* annotations. The controller renders every mTLS host
// with `verify optional` and answers refused clients itself: 496 without a certificate, 495 with a bad one.
import type { Construct } from 'constructs';
import type { Findings } from '../checks/finding';
import type {
  DeployedMtls, EmittedObjects, ManifestObject, MtlsIntent, ReadContext, SecretShapes, TargetCheckInput,
} from './controller';
import { DeclaredTarget, settingFields } from './controller';
import { emitIngress, emitSecrets } from './emit';
import { FieldTable, parseGoBool, same, splitSecretRef } from './field-table';
import { firstBackend, ingressHosts, serverTlsOfIngress } from './read';
import { checkSecretShape } from './secret-shape';
import { checkDepthUnenforced } from './target-checks';

export const HAPROXY_INGRESS_ANNOTATION_PREFIX = 'haproxy-ingress.github.io/';

/** Options of the HAProxy Ingress target. */
export interface HaproxyIngressOptions {
  /**
   * auth-tls-cert-header: also send the client certificate to the backend, as `X-SSL-Client-Cert` holding the
   * base64 of its DER (not ingress-nginx's URL-encoded PEM in `ssl-client-cert`). `X-SSL-Client-CN`, `-DN` and
   * `-SHA1` are always sent.
   * @default false
   */
  readonly certificateHeader?: boolean;
}

interface AuthTls {
  readonly secret: string;
  readonly verifyClient: string;
  readonly strict: boolean | undefined;
  readonly errorPage: string | undefined;
  readonly certHeader: boolean | undefined;
}

/** The auth-tls annotations: written by the construct, read back by `check --manifests`. */
const AUTH_TLS = new FieldTable<AuthTls>(HAPROXY_INGRESS_ANNOTATION_PREFIX, {
  secret: { key: 'auth-tls-secret', write: same, read: same },
  verifyClient: { key: 'auth-tls-verify-client', write: same, read: same },
  strict: { key: 'auth-tls-strict', write: (v) => (v === undefined ? undefined : String(v)), read: parseGoBool },
  errorPage: { key: 'auth-tls-error-page', write: same, read: same },
  certHeader: { key: 'auth-tls-cert-header', write: (v) => (v ? 'true' : undefined), read: parseGoBool },
});

const SECRETS: SecretShapes = {
  serverTls: { type: 'kubernetes.io/tls', typeRequired: false, certificateKey: 'tls.crt', privateKeyKey: 'tls.key' },
  // With tls.crt and tls.key, the controller takes the Secret for a server certificate: ca.crl is then ignored.
  clientTrust: { type: 'Opaque', typeRequired: false, caKey: 'ca.crt', crlKey: 'ca.crl', forbiddenKeys: ['tls.crt', 'tls.key'] },
};


export class HaproxyIngressTarget extends DeclaredTarget {
  constructor(private readonly options: HaproxyIngressOptions = {}) {
    super({
      name: 'haproxy-ingress', displayName: 'HAProxy Ingress', minimumVersion: 'v0.16.0', defaultIngressClassName: 'haproxy', secrets: SECRETS,
      ownedAnnotationPrefixes: [`${HAPROXY_INGRESS_ANNOTATION_PREFIX}auth-tls-`, 'ingress.kubernetes.io/auth-tls-'],
      unsupported: {
        matchCn: 'HAProxy Ingress has no annotation that matches the client CN, so every client the CA vouches for would be admitted. Remove matchCn and check the CN in the backend (it gets X-SSL-Client-CN), or issue the allowed clients from a CA of their own.',
        passCertificateToUpstream: 'HAProxy Ingress cannot send ingress-nginx\'s ssl-client-cert header (the URL-encoded PEM). Use IngressController.haproxyIngress({ certificateHeader: true }), which sends X-SSL-Client-Cert with the base64 of the DER, and decode that in the backend.',
      },
      dataPlane: { server: 'haproxy', refusal: '495', crlSetting: 'crl-file' },
      wording: {
        controller: 'HAProxy Ingress', invalidVerifyClient: 'HAProxy Ingress would use "on"', invalidVerifyDepth: 'HAProxy Ingress has no depth setting at all',
        unverifiedClient: 'with X-SSL-Client-CN, -DN and -SHA1 empty; the backend must refuse requests where they are empty', backendCheck: 'X-SSL-Client-CN',
      },
    });
  }

  check(findings: Findings, input: TargetCheckInput): void {
    const { errorPage } = input.settings;
    if (errorPage !== undefined && !/^https?:\/\/[^\s]+$/.test(errorPage)) {
      findings.error('MTLS052', input.fieldOf('errorPage'), `"${errorPage}" is not an http(s) URL. HAProxy Ingress redirects refused clients there (303 Location: <value>), so it must be an absolute URL without spaces, e.g. "https://errors.example.com/mtls-denied".`);
    }
    checkDepthUnenforced(findings, input, this.displayName, this.dataPlane.server);
  }

  emit(scope: Construct, intent: MtlsIntent, clientCaAnnotations: Readonly<Record<string, string>> | undefined): EmittedObjects {
    const { serverSecret, clientCaSecret } = emitSecrets(scope, intent, SECRETS, clientCaAnnotations);
    const ingress = emitIngress(scope, intent, this.defaultIngressClassName, AUTH_TLS.write({
      secret: `${intent.namespace}/${intent.names.clientCaSecret}`, verifyClient: intent.verifyClient,
      // true is the default since v0.14, written anyway: with it, a missing or broken CA Secret refuses every
      // client (495/496) instead of turning client verification off.
      strict: true, errorPage: intent.errorPage, certHeader: this.options.certificateHeader,
    }));
    return { serverSecret, clientCaSecret, ingress, objects: [serverSecret, clientCaSecret, ingress] };
  }

  read(context: ReadContext): DeployedMtls[] {
    return context.objects.filter((o) => o.kind === 'Ingress' && o.metadata?.annotations?.[AUTH_TLS.keyOf('secret')] !== undefined).map((ingress) => this.readIngress(context, ingress));
  }

  private readIngress(context: ReadContext, ingress: ManifestObject): DeployedMtls {
    const { findings } = context;
    const namespace = ingress.metadata?.namespace;
    const where = `Ingress ${namespace}/${ingress.metadata?.name ?? '(unnamed)'}`;
    const a = AUTH_TLS.read(ingress.metadata?.annotations);
    const ref = splitSecretRef(a.secret ?? '', namespace);
    const fieldOf = settingFields({ verifyClient: `${where} ${AUTH_TLS.keyOf('verifyClient')}`, errorPage: `${where} ${AUTH_TLS.keyOf('errorPage')}` });
    const deployed = {
      where, namespace, hosts: ingressHosts(ingress), ...firstBackend(ingress), fieldOf,
      settings: { verifyClient: a.verifyClient ?? 'on', errorPage: a.errorPage },
      clientCaSecretNamespace: ref.namespace,
      serverTls: serverTlsOfIngress(context, ingress, SECRETS),
    };
    const strict = a.strict ?? true;
    if (!strict) {
      findings.error('MTLS084', `${where} ${AUTH_TLS.keyOf('strict')}`, 'is "false": if the CA Secret is ever missing or unusable, HAProxy Ingress turns client verification off for the host and admits every client. Remove the annotation (true is the default since v0.14) or set it to "true", so that such a host answers 495/496 instead.');
    }
    const consequence = strict ? 'HAProxy Ingress then refuses every client of the host (496 without a certificate, 495 with one)' : 'with auth-tls-strict "false", HAProxy Ingress then admits every client (fail-open)';
    const secret = context.secret(ref.namespace, ref.name);
    const field = `Secret ${ref.namespace}/${ref.name}`;
    if (!secret) {
      findings.warn('MTLS082', `${where} ${AUTH_TLS.keyOf('secret')}`, `names Secret "${ref.namespace}/${ref.name}", which is not in "${context.source}"; it cannot be checked here. If it is missing in the cluster, ${consequence}.`);
      return deployed;
    }
    const values = context.secretValues(secret, field);
    if (!checkSecretShape(findings, field, secret, values, SECRETS.clientTrust, this.displayName, 'takes it for a server certificate: when ca.crt also issued tls.crt, ca.crl is ignored and revoked clients get 200; otherwise the Secret is refused ("failed to verify certificate chain") and every client gets 495/496')) return deployed;
    if (!values['ca.crt']) {
      findings.error('MTLS082', field, `has no ca.crt: ${consequence}. Add the client CA as ca.crt.`);
      return deployed;
    }
    return { ...deployed, clientTrust: { field, secretName: ref.name, caPem: values['ca.crt'], crlPem: values['ca.crl'] } };
  }
}
