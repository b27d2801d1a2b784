// Traefik (v3): refused, because it cannot check a CRL (traefik/traefik issue #3433 is open), and its
// ingress-nginx compatibility provider reads auth-tls-secret but drops ca.crl without a word, so revoked clients
// get in. With `acceptNoRevocation: true` the user takes that on knowingly: every synth then warns, and the
// target emits Traefik's own CRDs (traefik.io/v1alpha1): a TLSOption with clientAuth naming the CA Secret
// (`ca.crt`, no CRL key: nothing would read it) and an IngressRoute that uses it. The generated classes are
// loaded only when this target emits.
import type { Construct } from 'constructs';
import type * as TraefikApi from '../../imports/traefik.io';
import type { Findings } from '../checks/finding';
import type { DeployedMtls, EmittedObjects, MtlsIntent, ReadContext, SecretShapes, TargetCheckInput } from './controller';
import { CONTROLLER_NAMES, DeclaredTarget } from './controller';
import { emitSecrets, objectMeta } from './emit';
import { isKind, whereOf } from './read';
import { checkDepthUnenforced } from './target-checks';

/** Options of the Traefik target. */
export interface TraefikOptions {
  /**
   * Deploy client verification without revocation, knowingly: a revoked client certificate is admitted (200)
   * until it expires. Without this the target is refused (MTLS100); with it, every synth warns (MTLS101).
   * @default false
   */
  readonly acceptNoRevocation?: boolean;
  /** The IngressRoute's entry points. @default ["websecure"] */
  readonly entryPoints?: readonly string[];
}

const API_GROUP = 'traefik.io';
/** On the TLSOption: the opt-out, so that `check --manifests` warns rather than refuses. */
export const ACCEPT_NO_REVOCATION_ANNOTATION = 'cdk8s-mtls-ingress/accept-no-revocation';

const SECRETS: SecretShapes = {
  serverTls: { type: 'kubernetes.io/tls', typeRequired: false, certificateKey: 'tls.crt', privateKeyKey: 'tls.key' },
  // ca.crl is the key ingress-nginx users have; Traefik never reads it, so it is never written.
  clientTrust: { type: 'Opaque', typeRequired: false, caKey: 'ca.crt', crlKey: 'ca.crl', forbiddenKeys: [], crlNotRead: true },
};

const CLIENT_AUTH: Readonly<Record<string, TraefikApi.TlsOptionSpecClientAuthClientAuthType>> = {
  on: 'RequireAndVerifyClientCert' as TraefikApi.TlsOptionSpecClientAuthClientAuthType,
  optional: 'VerifyClientCertIfGiven' as TraefikApi.TlsOptionSpecClientAuthClientAuthType,
  optional_no_ca: 'RequestClientCert' as TraefikApi.TlsOptionSpecClientAuthClientAuthType,
  off: 'NoClientCert' as TraefikApi.TlsOptionSpecClientAuthClientAuthType,
};

/** The targets whose controllers check a CRL: every one but Traefik. */
const REVOKING = CONTROLLER_NAMES.filter((n) => n !== 'traefik');

const NO_CRL = `Traefik cannot check a CRL (traefik/traefik#3433 is open), so a revoked client certificate is admitted (200) until it expires; its ingress-nginx compatibility provider even reads auth-tls-secret and drops ca.crl without a word`;

export class TraefikTarget extends DeclaredTarget {
  constructor(private readonly options: TraefikOptions = {}) {
    super({
      name: 'traefik', displayName: 'Traefik', minimumVersion: 'v3.7.9', defaultIngressClassName: 'traefik', secrets: SECRETS, ownedAnnotationPrefixes: [],
      dataPlane: { server: 'Traefik (Go crypto/tls)', refusal: 'a failed TLS handshake', crlSetting: 'CRL (it has none)' },
      unsupported: {
        errorPage: 'Traefik has no page for refused clients: Go\'s TLS stack ends the handshake before any HTTP exchange. Remove errorPage.',
        matchCn: 'a Traefik TLSOption cannot match the client CN, so every client the CA vouches for would be admitted. Remove matchCn.',
        passCertificateToUpstream: 'this target does not write Traefik\'s PassTLSClientCert middleware, and Traefik cannot send ingress-nginx\'s ssl-client-cert header. Remove passCertificateToUpstream.',
      },
      wording: {
        controller: 'Traefik', invalidVerifyClient: 'Traefik has no such clientAuthType', invalidVerifyDepth: 'Traefik has no depth setting at all',
        unverifiedClient: 'and nothing tells the backend whether a certificate was verified', backendCheck: 'the client certificate (which these objects do not send)',
      },
    });
  }

  check(findings: Findings, input: TargetCheckInput): void {
    if (!input.asDeployed) this.refuseOrWarn(findings, 'controller', this.options.acceptNoRevocation === true);
    checkDepthUnenforced(findings, input, this.displayName, 'Go\'s crypto/tls');
  }

  emit(scope: Construct, intent: MtlsIntent): EmittedObjects {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const traefik = require('../../imports/traefik.io') as typeof TraefikApi;
    const { serverSecret, clientCaSecret } = emitSecrets(scope, { ...intent, crlPem: undefined }, SECRETS);
    const optionName = `${intent.names.route}-mtls`;
    const tlsOption = new traefik.TlsOption(scope, 'TLSOption', {
      metadata: objectMeta(intent, optionName, this.options.acceptNoRevocation ? { [ACCEPT_NO_REVOCATION_ANNOTATION]: 'true' } : undefined),
      spec: { clientAuth: { secretNames: [intent.names.clientCaSecret], clientAuthType: CLIENT_AUTH[intent.verifyClient] ?? CLIENT_AUTH.on } },
    });
    const { backend, path, pathType, hosts } = intent;
    const host = hosts.map((h) => `Host(\`${h}\`)`).join(' || ');
    const matchPath = pathType === 'Exact' ? `Path(\`${path}\`)` : `PathPrefix(\`${path}\`)`;
    const route = new traefik.IngressRoute(scope, 'IngressRoute', {
      metadata: objectMeta(intent, intent.names.route, { ...intent.annotations, ...(intent.ingressClassName ? { 'kubernetes.io/ingress.class': intent.ingressClassName } : {}) }),
      spec: {
        entryPoints: [...(this.options.entryPoints ?? ['websecure'])],
        routes: [{
          match: `(${host}) && ${matchPath}`, kind: traefik.IngressRouteSpecRoutesKind.RULE,
          services: [{ name: backend.serviceName, port: typeof backend.port === 'number' ? traefik.IngressRouteSpecRoutesServicesPort.fromNumber(backend.port) : traefik.IngressRouteSpecRoutesServicesPort.fromString(backend.port) }],
        }],
        tls: { secretName: intent.names.serverSecret, options: { name: optionName, namespace: intent.namespace } },
      },
    });
    return { serverSecret, clientCaSecret, objects: [serverSecret, clientCaSecret, tlsOption, route] };
  }

  /** A TLSOption with clientAuth is client verification without revocation: refused, or warned about when marked as accepted. */
  read(context: ReadContext): DeployedMtls[] {
    for (const option of context.objects.filter((o) => isKind(o, API_GROUP, 'TLSOption') && o.spec?.clientAuth)) {
      this.refuseOrWarn(context.findings, `${whereOf(option)} spec.clientAuth`, option.metadata?.annotations?.[ACCEPT_NO_REVOCATION_ANNOTATION] === 'true');
    }
    return [];
  }

  private refuseOrWarn(findings: Findings, field: string, accepted: boolean): void {
    if (accepted) {
      findings.warn('MTLS101', field, `revocation checking is off, as chosen (acceptNoRevocation): ${NO_CRL}. Revoking a client means replacing the client CA and reissuing every other client. To check CRLs, use one of: ${REVOKING.join(', ')}.`);
    } else {
      findings.error('MTLS100', field, `is Traefik: ${NO_CRL}. Use a controller that checks CRLs (${REVOKING.join(', ')}), or accept no revocation explicitly with IngressController.traefik({ acceptNoRevocation: true }).`);
    }
  }
}
