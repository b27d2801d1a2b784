// Contour (projectcontour/contour, v1.22+): an HTTPProxy (projectcontour.io/v1) whose virtualhost.tls names the
// server Secret, and whose clientValidation names the CA (`caSecret`, key `ca.crt`) and the CRLs (`crlSecret`,
// key `crl.pem`, not ca.crl). One Opaque Secret holds both keys and is named by both fields: Contour's CA and CRL
// validators each read their own key. The generated classes are loaded only when this target emits.
import type { Construct } from 'constructs';
import type * as ContourApi from '../../imports/projectcontour.io';
import type { Findings } from '../checks/finding';
import type { DeployedMtls, EmittedObjects, ManifestObject, MtlsIntent, ReadContext, SecretShapes, TargetCheckInput } from './controller';
import { settingFields } from './controller';
import { emitSecrets, objectMeta } from './emit';
import { EnvoyTarget } from './envoy';
import { splitSecretRef } from './field-table';
import { isKind, serverTlsOfSecret, whereOf } from './read';
import { checkSecretShape } from './secret-shape';
import { warnLeafOnlyCrl } from './target-checks';

/** Options of the Contour target. */
export interface ContourOptions {
  /** clientValidation.crlOnlyVerifyLeafCert: check only the client certificate against the CRL (warned about: MTLS103). @default false */
  readonly leafOnlyCrl?: boolean;
  /** The Contour version you run, e.g. "v1.33.6": fields newer than it are refused (MTLS105). @default - not known: newer fields are warned about */
  readonly version?: string;
}

const API_GROUP = 'projectcontour.io';
/** optionalClientCertificate, written for verifyClient "optional", exists from v1.24.0. */
const OPTIONAL_SINCE = 'v1.24.0';

const SECRETS: SecretShapes = {
  serverTls: { type: 'kubernetes.io/tls', typeRequired: true, certificateKey: 'tls.crt', privateKeyKey: 'tls.key' },
  clientTrust: { type: 'Opaque', typeRequired: false, caKey: 'ca.crt', crlKey: 'crl.pem', forbiddenKeys: [] },
};


const REFUSED = 'Contour then marks the HTTPProxy invalid (ClientValidationInvalid) and stops serving its virtual host';

export class ContourTarget extends EnvoyTarget {
  constructor(private readonly options: ContourOptions = {}) {
    super({
      name: 'contour', displayName: 'Contour', minimumVersion: 'v1.22.0', defaultIngressClassName: 'contour', secrets: SECRETS,
      modeWord: 'setting', leafOnlyCrl: options.leafOnlyCrl, oneHost: 'an HTTPProxy virtual host', portNumber: 'an HTTPProxy service',
      optionalField: { object: 'the HTTPProxy field clientValidation.optionalClientCertificate', since: OPTIONAL_SINCE, inUse: options.version, optionName: 'IngressController.contour({ version })' },
      unsupported: {
        matchCn: 'Contour cannot match the client CN, so every client the CA vouches for would be admitted. Remove matchCn and issue the allowed clients from a CA of their own.',
        passCertificateToUpstream: 'Contour cannot send ingress-nginx\'s ssl-client-cert header; its clientValidation.forwardClientCertificate (v1.24+) sends x-forwarded-client-cert instead, which this construct does not write. Remove passCertificateToUpstream.',
      },
    });
  }

  check(findings: Findings, input: TargetCheckInput): void {
    super.check(findings, input);
    // The exact condition exists in the v1.33 CRD, but the release that added it was not established: not written.
    if (!input.asDeployed && input.pathType === 'Exact') {
      findings.error('MTLS080', 'pathType', 'is "Exact", but this target writes only prefix conditions for Contour (the release that added HTTPProxy\'s exact condition was not established). Use "Prefix".');
    }
  }

  emit(scope: Construct, intent: MtlsIntent, clientCaAnnotations: Readonly<Record<string, string>> | undefined): EmittedObjects {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const contour = require('../../imports/projectcontour.io') as typeof ContourApi;
    const { serverSecret, clientCaSecret } = emitSecrets(scope, intent, SECRETS, clientCaAnnotations);
    const { backend, path } = intent;
    const proxy = new contour.HttpProxy(scope, 'HTTPProxy', {
      metadata: objectMeta(intent, intent.names.route, intent.annotations),
      spec: {
        ingressClassName: intent.ingressClassName ?? this.defaultIngressClassName,
        virtualhost: {
          fqdn: intent.hosts[0],
          tls: {
            secretName: intent.names.serverSecret,
            clientValidation: {
              caSecret: intent.names.clientCaSecret,
              ...(intent.crlPem !== undefined ? { crlSecret: intent.names.clientCaSecret, ...(this.options.leafOnlyCrl ? { crlOnlyVerifyLeafCert: true } : {}) } : {}),
              ...(intent.verifyClient === 'optional' ? { optionalClientCertificate: true } : {}),
            },
          },
        },
        routes: [{
          conditions: [{ prefix: path }],
          services: [{ name: backend.serviceName, port: backend.port as number }],
        }],
      },
    });
    return { serverSecret, clientCaSecret, objects: [serverSecret, clientCaSecret, proxy] };
  }

  read(context: ReadContext): DeployedMtls[] {
    return context.objects.filter((o) => isKind(o, API_GROUP, 'HTTPProxy') && o.spec?.virtualhost?.tls?.clientValidation).map((proxy) => this.readProxy(context, proxy));
  }

  private readProxy(context: ReadContext, proxy: ManifestObject): DeployedMtls {
    const { findings } = context;
    const namespace = proxy.metadata?.namespace ?? '';
    const where = whereOf(proxy);
    const tls = proxy.spec.virtualhost.tls;
    const validation = tls.clientValidation;
    const field = `${where} spec.virtualhost.tls.clientValidation`;
    const hosts = [proxy.spec.virtualhost.fqdn].filter((h): h is string => typeof h === 'string');
    const route = proxy.spec.routes?.[0];
    const service = route?.services?.[0];
    const condition = (route?.conditions ?? []).find((c: { prefix?: string; exact?: string }) => c.prefix !== undefined || c.exact !== undefined);
    const leafOnly = validation.crlOnlyVerifyLeafCert === true;
    if (leafOnly) warnLeafOnlyCrl(findings, `${field}.crlOnlyVerifyLeafCert`, this.displayName);
    const fieldOf = settingFields({ verifyClient: `${field}.optionalClientCertificate` });
    const server = splitSecretRef(String(tls.secretName ?? ''), namespace);
    const deployed: DeployedMtls = {
      where, namespace, hosts, fieldOf,
      backend: { serviceName: service?.name ?? '', port: service?.port ?? 0 },
      path: condition?.exact ?? condition?.prefix ?? '/', pathType: condition?.exact !== undefined ? 'Exact' : 'Prefix',
      settings: { verifyClient: validation.skipClientCertValidation === true ? 'optional_no_ca' : validation.optionalClientCertificate === true ? 'optional' : 'on' },
      ...(leafOnly ? { dataPlane: { ...this.dataPlane, leafOnlyCrl: true } } : {}),
      serverTls: tls.secretName ? serverTlsOfSecret(context, server.namespace, server.name, hosts, SECRETS, this.displayName) : [],
    };
    const ca = this.secretOf(context, `${field}.caSecret`, validation.caSecret, namespace);
    if (!ca) return deployed;
    if (!ca.values['ca.crt']) {
      findings.error('MTLS082', ca.field, `has no ca.crt: ${REFUSED}. Add the client CA as ca.crt.`);
      return deployed;
    }
    if (validation.crlSecret === undefined) {
      const stray = ['ca.crl', 'crl.pem'].filter((k) => ca.values[k] !== undefined);
      if (stray.length) findings.error('MTLS104', `${ca.field} ${stray[0]}`, `is not read: Contour takes CRLs only from the Secret named by clientValidation.crlSecret, so revocation is off and a revoked client gets 200. Set crlSecret: ${ca.name}${stray[0] === 'ca.crl' ? ' and rename the key ca.crl to crl.pem' : ''}.`);
      return { ...deployed, clientTrust: { field: ca.field, secretName: ca.name, caPem: ca.values['ca.crt'], caField: `${ca.field} ca.crt`, crlField: `${field}.crlSecret` } };
    }
    const crl = this.secretOf(context, `${field}.crlSecret`, validation.crlSecret, namespace);
    if (!crl) return { ...deployed, clientTrust: { field: ca.field, secretName: ca.name, caPem: ca.values['ca.crt'], crlElsewhere: `Secret ${validation.crlSecret}` } };
    const crlPem = crl.values['crl.pem'];
    if (!crlPem) {
      findings.error('MTLS104', crl.field, `has no crl.pem${crl.values['ca.crl'] !== undefined ? ' (it has ca.crl, the key ingress-nginx reads; Contour reads crl.pem)' : ''}: ${REFUSED}. Put the CRL(s) under the key crl.pem.`);
      return deployed;
    }
    return { ...deployed, clientTrust: { field: ca.field, secretName: ca.name, caPem: ca.values['ca.crt'], crlPem, caField: `${ca.field} ca.crt`, crlField: `${crl.field} crl.pem` } };
  }

  /** The Secret a clientValidation field names (`name` or `namespace/name`), usable as Contour reads it. */
  private secretOf(context: ReadContext, field: string, ref: unknown, namespace: string) {
    const { namespace: ns, name } = splitSecretRef(String(ref ?? ''), namespace);
    const secret = context.secret(ns, name);
    const secretField = `Secret ${ns}/${name}`;
    if (!secret) {
      context.findings.warn('MTLS082', field, `names Secret "${ns}/${name}", which is not in "${context.source}"; it cannot be checked here. If it is missing in the cluster, ${REFUSED}.`);
      return undefined;
    }
    const values = context.secretValues(secret, secretField);
    // Contour reads a CA or CRL Secret of type Opaque or kubernetes.io/tls only.
    const shape = { type: 'Opaque', typeRequired: !['Opaque', 'kubernetes.io/tls'].includes(secret.type ?? 'Opaque') };
    if (!checkSecretShape(context.findings, secretField, secret, values, shape, this.displayName, REFUSED.replace(/^Contour then /, ''))) return undefined;
    return { field: secretField, name, values };
  }
}
