import { Chart, JsonPatch } from 'cdk8s';
import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { KubeNamespace } from '../../imports/k8s';
import type { KubeIngress, KubeSecret } from '../../imports/k8s';
import { ClientTrustFacts, DEFAULT_CRL_MIN_VALIDITY_DAYS, DEFAULT_SERVER_MIN_VALIDITY_DAYS, Finding, Findings, formatFinding, VerifyClient } from '../checks';
import { ControllerTarget, IngressController, MtlsBackend, ServerTlsMaterial } from '../controllers';
import type { MtlsIntent } from '../controllers/controller';
import { settingFields } from '../controllers/controller';
import { checkSetup, refuseUnsupported } from '../controllers/check-setup';

export { authTlsAnnotations, MtlsBackend, NGINX_ANNOTATION_PREFIX, ServerTlsMaterial } from '../controllers';
/** Annotation on the CA Secret with the earliest CRL nextUpdate, for monitoring to alert on. */
export const CRL_NEXT_UPDATE_ANNOTATION = 'cdk8s-mtls-ingress/crl-next-update';

export interface MtlsIngressProps {
  /** The host clients connect to; its certificate must name it in a SAN. Give `host` or `hosts`. @default - none */
  readonly host?: string;
  /** Several hosts served with the same certificate and client CA. @default - [host] */
  readonly hosts?: readonly string[];
  /** Where verified requests go. */
  readonly backend: MtlsBackend;
  /** Ingress path. @default "/" */
  readonly path?: string;
  /** Ingress pathType. @default "ImplementationSpecific" */
  readonly pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  /**
   * The ingress controller to emit for: `IngressController.ingressNginx()`, `.f5Nginx()`, `.haproxyIngress()`,
   * `.envoyGateway()`, `.contour()` or `.istio()` (`.traefik()` is refused: it cannot check a CRL).
   * The checks on the PEM material are the same for all; each target refuses the settings it cannot express.
   * @default IngressController.ingressNginx()
   */
  readonly controller?: ControllerTarget;
  /** IngressClass (or the VirtualServer's class). @default - the target's: "nginx" (ingress-nginx, F5), "haproxy" (HAProxy Ingress) */
  readonly ingressClassName?: string;
  /** Server certificate chain and key, stored as the `kubernetes.io/tls` Secret. */
  readonly serverTls: ServerTlsMaterial;
  /** Trusted client CA certificate(s), PEM, with any intermediates and their root: becomes `ca.crt`. */
  readonly clientCaPem: string;
  /** CRL(s), PEM, one per CA in `clientCaPem`, concatenated: becomes `ca.crl`. @default - no revocation checking */
  readonly crlPem?: string;
  /** auth-tls-verify-client. @default "on" */
  readonly verifyClient?: VerifyClient;
  /**
   * auth-tls-verify-depth: how many intermediate CAs may stand between a client and the root (nginx counts
   * neither the client nor the root). 1 covers clients issued by the root or by one intermediate.
   * @default 1
   */
  readonly verifyDepth?: number;
  /** auth-tls-error-page: where refused clients are sent. @default - nginx answers 400 */
  readonly errorPage?: string;
  /** auth-tls-pass-certificate-to-upstream: send the URL-encoded client certificate as `ssl-client-cert`. @default false */
  readonly passCertificateToUpstream?: boolean;
  /**
   * auth-tls-match-cn: `CN=` followed by a regular expression that must match the client's whole CN, e.g.
   * `CN=Client00[0-9]`. ingress-nginx searches the annotation anywhere in the subject DN, so the construct
   * anchors it (`CN=[^\s\S]|^CN=(?:Client00[0-9])(?:,|\+|$)`): `Client002-evil` and a CN holding
   * `x,CN=Client002` do not pass. The CN must be the first RDN nginx prints (RFC 2253 order, the last in the
   * certificate, where openssl and our PKI put it); nginx escapes `,` `+` `"` `\` `<` `>` `;` in it with `\`.
   * @default - any CN
   */
  readonly matchCn?: string;
  /** Name of the Ingress (or of the F5 VirtualServer). @default - the construct id */
  readonly ingressName?: string;
  /** Name of the `kubernetes.io/tls` Secret. @default - "<id>-server-tls" */
  readonly serverSecretName?: string;
  /**
   * Name of the Secret holding ca.crt and ca.crl (Opaque; `nginx.org/ca` for F5; ca.crt and crl.pem for Contour;
   * Envoy Gateway adds one Secret `<name>-crl-<n>` per CRL; unused for Istio, whose one Secret is serverSecretName).
   * @default - "<id>-client-ca"
   */
  readonly clientCaSecretName?: string;
  /** Namespace of the objects. @default - the chart's namespace (one is required) */
  readonly namespace?: string;
  /**
   * Also emit that Namespace, ahead of every other object of the chart, so that `kubectl apply -f dist/` works
   * on a cluster where it does not exist yet (otherwise: `namespaces "…" not found`). Leave it off when something
   * else owns the namespace (another chart or MtlsIngress, a platform team, Argo CD's `CreateNamespace=true`).
   * @default false
   */
  readonly createNamespace?: boolean;
  /**
   * A CRL whose nextUpdate is closer than this many days fails synth: once it passes, nginx rejects every
   * client. 0 only refuses CRLs that have already expired.
   * @default 7
   */
  readonly crlMinValidityDays?: number;
  /** Warn when the server certificate expires within this many days. @default 30 */
  readonly serverCertificateMinValidityDays?: number;
  /** Extra annotations on the Ingress or VirtualServer (not the target's auth-tls-*, which come from the props above). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Labels for all the objects. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** The time the checks judge validity against. @default - the time of synth */
  readonly now?: Date;
  /**
   * Receives each warning finding once, at synth (error findings fail synth instead). A snapshot test that
   * expects a warning can collect it here, or read `findings`, and keep its output clean.
   * @default one line on stderr per warning: `warning: [<construct path>] MTLSnnn warning …`
   */
  readonly onWarning?: (line: string) => void;
}

/**
 * Mutual TLS for one host (or several with one certificate) on the ingress controller of your choice
 * (`controller`, ingress-nginx by default): the server's `kubernetes.io/tls` Secret, the client CA Secret with
 * `ca.crt` and `ca.crl`, and what the controller routes with (an Ingress with its annotations, or F5's Policy
 * and VirtualServer).
 *
 * The PEM inputs are checked at construction; every problem is reported through `node.addValidation`, so
 * `app.synth()` fails with all of them at once and writes nothing.
 */
export class MtlsIngress extends Construct {
  /** The Ingress; undefined for a target that routes with its own resource (F5's VirtualServer form). */
  public readonly ingress?: KubeIngress;
  public readonly serverSecret: KubeSecret;
  public readonly clientCaSecret: KubeSecret;
  /** Every object emitted, in order. */
  public readonly objects: readonly ApiObject[];
  /** The target the objects are for. */
  public readonly controller: ControllerTarget;
  /** Everything the checks found, warnings included. */
  public readonly findings: readonly Finding[];

  constructor(scope: Construct, id: string, props: MtlsIngressProps) {
    super(scope, id);
    const target = this.controller = props.controller ?? IngressController.ingressNginx();
    const intent: MtlsIntent = {
      namespace: props.namespace ?? Chart.of(this).namespace,
      hosts: [...(props.hosts ?? []), ...(props.host !== undefined ? [props.host] : [])],
      backend: props.backend, path: props.path ?? '/', pathType: props.pathType ?? 'ImplementationSpecific', ingressClassName: props.ingressClassName,
      names: { route: props.ingressName ?? id, serverSecret: props.serverSecretName ?? `${id}-server-tls`, clientCaSecret: props.clientCaSecretName ?? `${id}-client-ca` },
      serverTls: props.serverTls, clientCaPem: props.clientCaPem, crlPem: props.crlPem,
      verifyClient: props.verifyClient ?? 'on', verifyDepth: props.verifyDepth, errorPage: props.errorPage,
      passCertificateToUpstream: props.passCertificateToUpstream, matchCn: props.matchCn,
      annotations: props.annotations ?? {}, labels: props.labels,
    };
    const now = props.now ?? new Date();
    const fieldOf = settingFields();
    const { names } = intent;

    const findings = new Findings();
    const settings = refuseUnsupported(findings, target, intent, fieldOf);
    if (names.serverSecret === names.clientCaSecret && !target.secrets.clientTrust.inServerSecret) {
      findings.error('MTLS081', 'clientCaSecretName', `"${names.clientCaSecret}" is also the server TLS Secret's name, so one Secret would hold the key pair and the client CA, and ${target.displayName} would misread it (HAProxy Ingress ignores ca.crl in such a Secret). Give the two Secrets different names.`);
    }
    const { trust } = checkSetup(findings, target, {
      hosts: intent.hosts, namespace: intent.namespace, clientCaSecretNamespace: intent.namespace, allowCrossNamespace: false,
      names: { ingressName: names.route, serverSecretName: names.serverSecret, clientCaSecretName: names.clientCaSecret },
      settings,
      backend: intent.backend, path: intent.path, pathType: intent.pathType, extraAnnotations: intent.annotations, asDeployed: false, fieldOf,
      material: {
        servers: [{
          hosts: intent.hosts, ...props.serverTls, chainField: 'serverTls.certificateChainPem', keyField: 'serverTls.privateKeyPem', secret: { field: 'serverTls', name: names.serverSecret },
        }],
        clientTrust: {
          clientCaPem: props.clientCaPem, caField: 'clientCaPem', crlField: 'crlPem',
          secret: target.secrets.clientTrust.inServerSecret
            ? { field: 'crlPem', name: names.serverSecret, alsoHolds: { 'tls.crt': props.serverTls.certificateChainPem ?? '', 'tls.key': props.serverTls.privateKeyPem ?? '' } }
            : { field: 'crlPem', name: names.clientCaSecret },
          // A controller that reads no CRL gets none: its target says so (Traefik, MTLS100/MTLS101), not the CRL checks.
          ...(target.secrets.clientTrust.crlNotRead ? { crlElsewhere: 'nowhere' } : { crlPem: props.crlPem }),
        },
      },
    }, {
      now, crlMinValidityDays: props.crlMinValidityDays ?? DEFAULT_CRL_MIN_VALIDITY_DAYS, serverMinValidityDays: props.serverCertificateMinValidityDays ?? DEFAULT_SERVER_MIN_VALIDITY_DAYS,
    });
    this.findings = findings.all;

    if (props.createNamespace && intent.namespace !== undefined) {
      const chart = Chart.of(this);
      const namespaceObject = new KubeNamespace(this, 'Namespace', { metadata: { name: intent.namespace, ...(props.labels ? { labels: { ...props.labels } } : {}) } });
      // cdk8s gives every object the chart's namespace, this cluster-scoped one too.
      if (chart.namespace !== undefined) namespaceObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
      // A chart that depends on one of its objects synthesizes that object before all the others.
      chart.addDependency(namespaceObject);
    }
    const emitted = target.emit(this, intent, crlAnnotations(trust));
    this.serverSecret = emitted.serverSecret;
    this.clientCaSecret = emitted.clientCaSecret;
    this.ingress = emitted.ingress;
    this.objects = emitted.objects;

    let warned = false;
    this.node.addValidation({
      validate: () => {
        if (!warned) {
          warned = true;
          const report = props.onWarning ?? ((line: string) => void process.stderr.write(`${line}\n`));
          for (const w of this.findings.filter((f) => f.severity === 'warning')) report(`warning: [${this.node.path}] ${formatFinding(w)}`);
        }
        return this.findings.filter((f) => f.severity === 'error').map(formatFinding);
      },
    });
  }
}

function crlAnnotations(trust: ClientTrustFacts | undefined): Record<string, string> | undefined {
  const next = trust?.crls.map((c) => c.nextUpdate).filter((d): d is Date => d !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
  return next ? { [CRL_NEXT_UPDATE_ANNOTATION]: next.toISOString() } : undefined;
}
