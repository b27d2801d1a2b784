import { Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { KubeIngress, KubeNamespace, KubeSecret } from '../../imports/k8s';
import {
  checkClientTrust, checkIngressSettings, checkSecretSize, checkServerTls, ClientTrustFacts, DEFAULT_CRL_MIN_VALIDITY_DAYS,
  DEFAULT_SERVER_MIN_VALIDITY_DAYS, Finding, Findings, formatFinding, VerifyClient,
} from '../checks';
import { anchorMatchCn } from '../checks/match-cn';

/** The annotation prefix ingress-nginx reads (its `--annotations-prefix` default). */
export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';
/** Annotation on the CA Secret with the earliest CRL nextUpdate, for monitoring to alert on. */
export const CRL_NEXT_UPDATE_ANNOTATION = 'cdk8s-mtls-ingress/crl-next-update';

/** The server certificate chain and key: what `kubectl create secret tls --cert --key` takes. */
export interface ServerTlsMaterial {
  /** The server certificate first, then each issuer up to and including the CA (PEM). */
  readonly certificateChainPem: string;
  /** The server certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1). */
  readonly privateKeyPem: string;
}

/** The Service that receives the verified traffic. */
export interface MtlsBackend {
  /** Name of the Service in the Ingress namespace. */
  readonly serviceName: string;
  /** Port number or port name of the Service. */
  readonly port: number | string;
}

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
  /** IngressClass of the ingress-nginx controller. @default "nginx" */
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
  /** Name of the Ingress. @default - the construct id */
  readonly ingressName?: string;
  /** Name of the `kubernetes.io/tls` Secret. @default - "<id>-server-tls" */
  readonly serverSecretName?: string;
  /** Name of the Opaque Secret holding ca.crt and ca.crl. @default - "<id>-client-ca" */
  readonly clientCaSecretName?: string;
  /** Namespace of the three objects. @default - the chart's namespace (one is required) */
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
  /** Extra Ingress annotations (not auth-tls-*, which come from the props above). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Labels for all three objects. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** The time the checks judge validity against. @default - the time of synth */
  readonly now?: Date;
}

/**
 * An ingress-nginx Ingress with mutual TLS: a `kubernetes.io/tls` Secret for the server, an Opaque Secret
 * with `ca.crt` and `ca.crl` for client verification, and the Ingress with the auth-tls annotations.
 *
 * The PEM inputs are checked at construction; every problem is reported through `node.addValidation`, so
 * `app.synth()` fails with all of them at once and writes nothing.
 */
export class MtlsIngress extends Construct {
  public readonly ingress: KubeIngress;
  public readonly serverSecret: KubeSecret;
  public readonly clientCaSecret: KubeSecret;
  /** Everything the checks found, warnings included. */
  public readonly findings: readonly Finding[];

  constructor(scope: Construct, id: string, props: MtlsIngressProps) {
    super(scope, id);
    const namespace = props.namespace ?? Chart.of(this).namespace;
    const hosts = [...(props.hosts ?? []), ...(props.host !== undefined ? [props.host] : [])];
    const ingressName = props.ingressName ?? id;
    const serverSecretName = props.serverSecretName ?? `${id}-server-tls`;
    const clientCaSecretName = props.clientCaSecretName ?? `${id}-client-ca`;
    const verifyClient = props.verifyClient ?? 'on';
    const verifyDepth = props.verifyDepth ?? 1;
    const path = props.path ?? '/';
    const pathType = props.pathType ?? 'ImplementationSpecific';
    const now = props.now ?? new Date();

    const findings = new Findings();
    checkIngressSettings(findings, {
      hosts, namespace, clientCaSecretNamespace: namespace, allowCrossNamespace: false,
      names: { ingressName, serverSecretName, clientCaSecretName },
      verifyClient, verifyDepth, errorPage: props.errorPage, matchCn: props.matchCn,
      backend: props.backend, path, pathType, extraAnnotations: props.annotations ?? {}, annotationPrefix: NGINX_ANNOTATION_PREFIX,
    });
    checkServerTls(findings, props.serverTls, {
      hosts, now, minValidityDays: props.serverCertificateMinValidityDays ?? DEFAULT_SERVER_MIN_VALIDITY_DAYS,
      chainField: 'serverTls.certificateChainPem', keyField: 'serverTls.privateKeyPem',
    });
    const trust = checkClientTrust(findings, { clientCaPem: props.clientCaPem, crlPem: props.crlPem }, {
      now, crlMinValidityDays: props.crlMinValidityDays ?? DEFAULT_CRL_MIN_VALIDITY_DAYS, caField: 'clientCaPem', crlField: 'crlPem',
    });

    const serverData = { 'tls.crt': props.serverTls.certificateChainPem ?? '', 'tls.key': props.serverTls.privateKeyPem ?? '' };
    const caData: Record<string, string> = { 'ca.crt': props.clientCaPem ?? '', ...(props.crlPem !== undefined ? { 'ca.crl': props.crlPem } : {}) };
    checkSecretSize(findings, 'serverTls', serverSecretName, serverData);
    checkSecretSize(findings, 'crlPem', clientCaSecretName, caData, trust?.crls.reduce((n, c) => n + c.entries.length, 0));
    this.findings = findings.all;

    const metadata = (name: string, annotations?: Record<string, string>) => ({
      name, namespace, ...(props.labels ? { labels: { ...props.labels } } : {}), ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
    });
    if (props.createNamespace && namespace !== undefined) {
      const chart = Chart.of(this);
      const namespaceObject = new KubeNamespace(this, 'Namespace', { metadata: { name: namespace, ...(props.labels ? { labels: { ...props.labels } } : {}) } });
      // cdk8s gives every object the chart's namespace, this cluster-scoped one too.
      if (chart.namespace !== undefined) namespaceObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
      // A chart that depends on one of its objects synthesizes that object before all the others.
      chart.addDependency(namespaceObject);
    }
    this.serverSecret = new KubeSecret(this, 'ServerSecret', { metadata: metadata(serverSecretName), type: 'kubernetes.io/tls', data: base64Values(serverData) });
    this.clientCaSecret = new KubeSecret(this, 'ClientCaSecret', { metadata: metadata(clientCaSecretName, crlAnnotations(trust)), type: 'Opaque', data: base64Values(caData) });
    this.ingress = new KubeIngress(this, 'Ingress', {
      metadata: metadata(ingressName, {
        ...props.annotations,
        ...authTlsAnnotations({ secret: `${namespace}/${clientCaSecretName}`, verifyClient, verifyDepth, errorPage: props.errorPage, passCertificateToUpstream: props.passCertificateToUpstream ?? false, matchCn: props.matchCn }),
      }),
      spec: {
        ingressClassName: props.ingressClassName ?? 'nginx',
        rules: hosts.map((host) => ({
          host,
          http: { paths: [{ path, pathType, backend: { service: { name: props.backend.serviceName, port: typeof props.backend.port === 'number' ? { number: props.backend.port } : { name: props.backend.port } } } }] },
        })),
        tls: [{ hosts, secretName: serverSecretName }],
      },
    });

    let warned = false;
    this.node.addValidation({
      validate: () => {
        if (!warned) {
          warned = true;
          for (const w of this.findings.filter((f) => f.severity === 'warning')) process.stderr.write(`warning: [${this.node.path}] ${formatFinding(w)}\n`);
        }
        return this.findings.filter((f) => f.severity === 'error').map(formatFinding);
      },
    });
  }
}

/** Secret `data` as kubectl writes it: base64 of the exact bytes, never `stringData` (GitOps diffs). */
function base64Values(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
}

function crlAnnotations(trust: ClientTrustFacts | undefined): Record<string, string> | undefined {
  const next = trust?.crls.map((c) => c.nextUpdate).filter((d): d is Date => d !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
  return next ? { [CRL_NEXT_UPDATE_ANNOTATION]: next.toISOString() } : undefined;
}

interface AuthTlsSettings {
  readonly secret: string;
  readonly verifyClient: string;
  readonly verifyDepth: number;
  readonly errorPage?: string;
  readonly passCertificateToUpstream: boolean;
  readonly matchCn?: string;
}

/** The six auth-tls annotations, values as strings (Kubernetes annotations are strings only); match-cn anchored. */
export function authTlsAnnotations(s: AuthTlsSettings): Record<string, string> {
  const p = NGINX_ANNOTATION_PREFIX;
  return {
    [`${p}auth-tls-secret`]: s.secret,
    [`${p}auth-tls-verify-client`]: s.verifyClient,
    [`${p}auth-tls-verify-depth`]: String(s.verifyDepth),
    ...(s.errorPage !== undefined ? { [`${p}auth-tls-error-page`]: s.errorPage } : {}),
    [`${p}auth-tls-pass-certificate-to-upstream`]: String(s.passCertificateToUpstream),
    ...(s.matchCn !== undefined ? { [`${p}auth-tls-match-cn`]: anchorMatchCn(s.matchCn) } : {}),
  };
}
