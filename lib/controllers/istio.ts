// Istio (1.19+), Istio API: a Gateway (networking.istio.io/v1) whose HTTPS server has tls.mode MUTUAL and a
// credentialName, one Secret holding tls.crt, tls.key, ca.crt and ca.crl, and a VirtualService routing the hosts
// to the backend. Istio reads the CRL from the key that matches the CA's key style (cacert → crl,
// ca.crt → ca.crl): mixing them drops the CRL without a word, so the construct writes only the ca.* style and
// `check --manifests` refuses a mix. The credential Secret must be in the namespace of the gateway's pods.
import type { Construct } from 'constructs';
import type * as IstioApi from '../../imports/networking.istio.io';
import { KubeSecret } from '../../imports/k8s';
import type { DeployedMtls, EmittedObjects, ManifestObject, MtlsIntent, ReadContext, SecretShapes } from './controller';
import { settingFields } from './controller';
import { base64Values, objectMeta, secretValuesFor } from './emit';
import { EnvoyTarget } from './envoy';
import { isKind, whereOf } from './read';

/** Options of the Istio target. */
export interface IstioOptions {
  /**
   * The namespace of the ingress gateway's pods: Istio looks the credentialName Secret up there, so the one
   * Secret (server key pair, CA, CRL) is emitted there. @default "istio-system"
   */
  readonly gatewayNamespace?: string;
  /** Name of the Gateway. @default - "<route name>-gateway" */
  readonly gatewayName?: string;
}

const API_GROUP = 'networking.istio.io';

const SECRETS: SecretShapes = {
  serverTls: { type: 'kubernetes.io/tls', typeRequired: false, certificateKey: 'tls.crt', privateKeyKey: 'tls.key' },
  clientTrust: { type: 'kubernetes.io/tls', typeRequired: false, caKey: 'ca.crt', crlKey: 'ca.crl', forbiddenKeys: [], inServerSecret: true },
};

/** Istio's two key styles (pilot/pkg/credentials/kube/secrets.go): the CRL is read only from the key of the CA's style. */
const KEY_STYLES = [
  { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt', crl: 'ca.crl' },
  { cert: 'cert', key: 'key', ca: 'cacert', crl: 'crl' },
] as const;


export class IstioTarget extends EnvoyTarget {
  constructor(private readonly options: IstioOptions = {}) {
    super({
      // defaultIngressClassName: the value of the gateway pods' `istio` label the Gateway selects.
      name: 'istio', displayName: 'Istio', minimumVersion: '1.19.0', defaultIngressClassName: 'ingressgateway', secrets: SECRETS,
      modeWord: 'TLS mode', portNumber: 'a VirtualService destination',
      unsupported: {
        matchCn: 'an Istio Gateway cannot match the client CN (tls.subjectAltNames matches SANs), so every client the CA vouches for would be admitted. Remove matchCn and issue the allowed clients from a CA of their own.',
        passCertificateToUpstream: 'an Istio Gateway and VirtualService cannot send ingress-nginx\'s ssl-client-cert header (Envoy\'s x-forwarded-client-cert is set up on the gateway deployment, outside these objects). Remove passCertificateToUpstream.',
      },
    });
  }

  emit(scope: Construct, intent: MtlsIntent, clientCaAnnotations: Readonly<Record<string, string>> | undefined): EmittedObjects {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const istio = require('../../imports/networking.istio.io') as typeof IstioApi;
    const credentialNamespace = this.options.gatewayNamespace ?? 'istio-system';
    // One Secret with the server key pair, the CA and the CRL, all in the ca.* style.
    const values = secretValuesFor(intent, SECRETS);
    const credential = new KubeSecret(scope, 'CredentialSecret', {
      metadata: objectMeta({ ...intent, namespace: credentialNamespace }, intent.names.serverSecret, clientCaAnnotations),
      type: SECRETS.serverTls.type, data: base64Values({ ...values.server, ...values.clientTrust }),
    });
    const gatewayName = this.options.gatewayName ?? `${intent.names.route}-gateway`;
    const gateway = new istio.Gateway(scope, 'Gateway', {
      metadata: objectMeta(intent, gatewayName),
      spec: {
        selector: { istio: intent.ingressClassName ?? this.defaultIngressClassName },
        servers: [{
          port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: [...intent.hosts],
          tls: { mode: intent.verifyClient === 'optional' ? istio.GatewaySpecServersTlsMode.OPTIONAL_UNDERSCORE_MUTUAL : istio.GatewaySpecServersTlsMode.MUTUAL, credentialName: intent.names.serverSecret },
        }],
      },
    });
    const { backend, path, pathType, namespace } = intent;
    const virtualService = new istio.VirtualService(scope, 'VirtualService', {
      metadata: objectMeta(intent, intent.names.route, intent.annotations),
      spec: {
        hosts: [...intent.hosts],
        gateways: [`${namespace}/${gatewayName}`],
        http: [{
          match: [{ uri: pathType === 'Exact' ? { exact: path } : { prefix: path } }],
          route: [{ destination: { host: `${backend.serviceName}.${namespace}.svc.cluster.local`, port: { number: backend.port as number } } }],
        }],
      },
    });
    return { serverSecret: credential, clientCaSecret: credential, objects: [credential, gateway, virtualService] };
  }

  read(context: ReadContext): DeployedMtls[] {
    const gateways = context.objects.filter((o) => isKind(o, API_GROUP, 'Gateway'));
    return gateways.flatMap((gateway) => ((gateway.spec?.servers ?? []) as IstioServer[])
      .filter((s) => ['MUTUAL', 'OPTIONAL_MUTUAL'].includes(String(s.tls?.mode)) && s.tls?.credentialName)
      .map((server, i) => this.readServer(context, gateway, server, i)));
  }

  private readServer(context: ReadContext, gateway: ManifestObject, server: IstioServer, index: number): DeployedMtls {
    const { findings } = context;
    const namespace = gateway.metadata?.namespace ?? '';
    const where = whereOf(gateway);
    const field = `${where} spec.servers[${index}].tls`;
    // hosts may be written "namespace/host"
    const hosts = (server.hosts ?? []).map((h) => h.replace(/^[^/]*\//, ''));
    const route = context.objects.find((o) => isKind(o, API_GROUP, 'VirtualService') && ((o.spec?.gateways ?? []) as string[])
      .some((g) => g === `${namespace}/${gateway.metadata?.name}` || (g === gateway.metadata?.name && o.metadata?.namespace === namespace)));
    const http = route?.spec?.http?.[0];
    const destination = http?.route?.[0]?.destination;
    const uri = http?.match?.[0]?.uri ?? {};
    const fieldOf = settingFields({ verifyClient: `${field}.mode` });
    const deployed: DeployedMtls = {
      where, namespace, hosts, fieldOf,
      backend: { serviceName: String(destination?.host ?? '').split('.')[0], port: destination?.port?.number ?? 0 },
      path: uri.exact ?? uri.prefix ?? '/', pathType: uri.exact !== undefined ? 'Exact' : 'Prefix',
      settings: { verifyClient: server.tls?.mode === 'OPTIONAL_MUTUAL' ? 'optional' : 'on' },
      serverTls: [],
    };
    const name = String(server.tls?.credentialName).replace(/^kubernetes:\/\//, '');
    const secrets = (n: string) => context.objects.filter((o) => o.kind === 'Secret' && o.metadata?.name === n);
    // The credential lives in the gateway pods' namespace, which the manifests do not name: any namespace will do.
    const credential = secrets(name)[0];
    const caSecret = secrets(`${name}-cacert`)[0] ?? credential;
    if (!credential) {
      findings.warn('MTLS082', `${field}.credentialName`, `names Secret "${name}", which is not in "${context.source}" (in any namespace); it cannot be checked here. If it is missing in the gateway's namespace, Istio serves no certificate for these hosts and every handshake fails.`);
      return deployed;
    }
    const credentialField = `Secret ${credential.metadata?.namespace ?? ''}/${name}`;
    const values = context.secretValues(credential, credentialField);
    const style = KEY_STYLES.find((s) => values[s.cert] !== undefined) ?? KEY_STYLES[0];
    const withServer = { ...deployed, serverTls: [{ field: credentialField, secretName: name, hosts, chainPem: values[style.cert] ?? '', keyPem: values[style.key] ?? '' }] };
    const caField = `Secret ${caSecret.metadata?.namespace ?? ''}/${caSecret.metadata?.name}`;
    const caValues = caSecret === credential ? values : context.secretValues(caSecret, caField);
    const caStyle = KEY_STYLES.find((s) => caValues[s.ca] !== undefined);
    if (!caStyle) {
      findings.error('MTLS082', caField, `has neither ca.crt nor cacert: Istio then has no client CA for ${field} and refuses every handshake. Add the client CA as ca.crt.`);
      return withServer;
    }
    const other = KEY_STYLES.find((s) => s !== caStyle)!;
    if (caValues[caStyle.crl] === undefined && caValues[other.crl] !== undefined) {
      findings.error('MTLS104', `${caField} ${other.crl}`, `is not read: with the CA under ${caStyle.ca}, Istio takes the CRL from ${caStyle.crl} only, so revocation is off and a revoked client gets 200. Rename ${other.crl} to ${caStyle.crl} (or keep one key style: ca.crt with ca.crl, or cacert with crl).`);
    }
    return { ...withServer, clientTrust: { field: caField, secretName: String(caSecret.metadata?.name), caPem: caValues[caStyle.ca], crlPem: caValues[caStyle.crl], caField: `${caField} ${caStyle.ca}`, crlField: `${caField} ${caStyle.crl}`,
      ...(caSecret === credential ? { alsoHolds: { [style.cert]: values[style.cert] ?? '', [style.key]: values[style.key] ?? '' } } : {}) } };
  }
}

interface IstioServer {
  readonly hosts?: string[];
  readonly tls?: { readonly mode?: string; readonly credentialName?: string };
}
