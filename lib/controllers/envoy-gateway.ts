// Envoy Gateway (envoyproxy/gateway, v1.6.2+): a Gateway API Gateway with an HTTPS listener, an HTTPRoute, and a
// ClientTrafficPolicy (gateway.envoyproxy.io/v1alpha1) on that listener whose tls.clientValidation names the CA
// (`ca.crt`) and the CRLs (`crl.refs`, key `ca.crl`). The controller validates only the first PEM block of each
// CRL reference, so each CRL gets a Secret of its own. An expired CRL turns every route of the listener into a
// 500. The generated classes are loaded only when this target emits.
import type { Construct } from 'constructs';
import type * as EnvoyGatewayApi from '../../imports/gateway.envoyproxy.io';
import type * as GatewayApi from '../../imports/gateway.networking.k8s.io';
import { KubeSecret } from '../../imports/k8s';
import { splitPem } from '../pki/pem';
import type { DeployedMtls, EmittedObjects, ManifestObject, MtlsIntent, ReadContext, SecretShapes } from './controller';
import { settingFields } from './controller';
import { base64Values, emitSecrets, objectMeta } from './emit';
import { EnvoyTarget } from './envoy';
import { GATEWAY_API_GROUP, gatewayHostsAndRoute, pathMatchOf, readRefValues, refCrls } from './gateway-api';
import { serverTlsOfSecret, whereOf, isKind } from './read';
import { warnLeafOnlyCrl } from './target-checks';

/** An existing Gateway listener to attach to, instead of emitting a Gateway. */
export interface SharedGatewayListener {
  /** Name of the Gateway. */
  readonly name: string;
  /** Its namespace; the ClientTrafficPolicy and the Secrets go there (a policy targets only its own namespace). @default - the MtlsIngress namespace */
  readonly namespace?: string;
  /** The HTTPS listener (its `name`, the policy's `sectionName`). Client verification applies to every route of it. */
  readonly listener: string;
}

/** Options of the Envoy Gateway target. */
export interface EnvoyGatewayOptions {
  /**
   * Attach to this Gateway's listener: only the HTTPRoute, the ClientTrafficPolicy and the Secrets are emitted.
   * Name the emitted server TLS Secret in the listener's certificateRefs (or serve the host with your own).
   * @default - a Gateway "<route>-gateway" with one HTTPS listener "https" is emitted
   */
  readonly gateway?: SharedGatewayListener;
  /**
   * crl.onlyVerifyLeafCertificate: check only the client certificate against the CRL, not the CAs above it
   * (warned about: MTLS103). @default false
   */
  readonly leafOnlyCrl?: boolean;
  /** Name of the ClientTrafficPolicy. @default - "<route name>-mtls" */
  readonly policyName?: string;
  /** The Envoy Gateway version you run, e.g. "v1.9.0": fields newer than it are refused (MTLS105). @default - not known: newer fields are warned about */
  readonly version?: string;
}

const API_GROUP = 'gateway.envoyproxy.io';
const LISTENER = 'https';
/** `mode` (v1.8.0) is written only for verifyClient "optional": "on" is its default, RequireAndVerify. */
const MODE_SINCE = 'v1.8.0';

const SECRETS: SecretShapes = {
  serverTls: { type: 'kubernetes.io/tls', typeRequired: false, certificateKey: 'tls.crt', privateKeyKey: 'tls.key' },
  clientTrust: { type: 'Opaque', typeRequired: false, caKey: 'ca.crt', crlKey: 'ca.crl', forbiddenKeys: [], secretPerCrl: true },
};


const MODES: Readonly<Record<string, string>> = { RequireAndVerify: 'on', VerifyIfGiven: 'optional', Request: 'optional_no_ca', RequireAny: 'optional_no_ca' };

export class EnvoyGatewayTarget extends EnvoyTarget {
  constructor(private readonly options: EnvoyGatewayOptions = {}) {
    super({
      name: 'envoy-gateway', displayName: 'Envoy Gateway', minimumVersion: 'v1.6.2', defaultIngressClassName: 'eg', secrets: SECRETS,
      // What sets Envoy Gateway apart: an expired CRL takes down the whole listener.
      crlExpiry: 'Envoy Gateway then rejects the ClientTrafficPolicy (Accepted=False, "CRL is expired") and answers 500 on every route of the listener, for every client, whatever its certificate',
      modeWord: 'clientValidation mode', leafOnlyCrl: options.leafOnlyCrl, oneHost: 'a Gateway listener (and the ClientTrafficPolicy on it)', portNumber: 'an HTTPRoute backendRef',
      optionalField: { object: 'the ClientTrafficPolicy field tls.clientValidation.mode (VerifyIfGiven)', since: MODE_SINCE, inUse: options.version, optionName: 'IngressController.envoyGateway({ version })' },
      unsupported: {
        matchCn: 'Envoy Gateway cannot match the client CN (its clientValidation matches subjectAltNames, SPKI or certificate hashes), so every client the CA vouches for would be admitted. Remove matchCn and issue the allowed clients from a CA of their own.',
        passCertificateToUpstream: 'Envoy Gateway cannot send ingress-nginx\'s ssl-client-cert header; Envoy sends the client certificate in x-forwarded-client-cert when a ClientTrafficPolicy sets headers.xForwardedClientCert, which this construct does not write. Remove passCertificateToUpstream.',
      },
    });
  }

  emit(scope: Construct, intent: MtlsIntent, clientCaAnnotations: Readonly<Record<string, string>> | undefined): EmittedObjects {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const eg = require('../../imports/gateway.envoyproxy.io') as typeof EnvoyGatewayApi;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const gwapi = require('../../imports/gateway.networking.k8s.io') as typeof GatewayApi;
    const shared = this.options.gateway;
    const gatewayNamespace = shared?.namespace ?? intent.namespace;
    const gatewayName = shared?.name ?? `${intent.names.route}-gateway`;
    const listener = shared?.listener ?? LISTENER;
    // A policy targets a Gateway of its own namespace, and names Secrets there: all of them live with the Gateway.
    const inGatewayNamespace = { ...intent, namespace: gatewayNamespace };
    const { serverSecret, clientCaSecret } = emitSecrets(scope, { ...inGatewayNamespace, crlPem: undefined }, SECRETS, clientCaAnnotations);
    const crlSecrets = crlBlocks(intent.crlPem).map((pem, i) => new KubeSecret(scope, `CrlSecret${i + 1}`, {
      metadata: objectMeta(inGatewayNamespace, `${intent.names.clientCaSecret}-crl-${i + 1}`), type: 'Opaque', data: base64Values({ [SECRETS.clientTrust.crlKey]: pem }),
    }));
    const gateway = shared ? [] : [new gwapi.Gateway(scope, 'Gateway', {
      metadata: objectMeta(intent, gatewayName),
      spec: {
        gatewayClassName: intent.ingressClassName ?? this.defaultIngressClassName,
        listeners: [{
          name: listener, protocol: 'HTTPS', port: 443, hostname: intent.hosts[0],
          tls: { mode: gwapi.GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [secretRef(intent.names.serverSecret)] },
        }],
      },
    })];
    const route = new gwapi.HttpRoute(scope, 'HTTPRoute', {
      metadata: objectMeta(intent, intent.names.route, intent.annotations),
      spec: {
        parentRefs: [{ name: gatewayName, sectionName: listener, ...(gatewayNamespace !== intent.namespace ? { namespace: gatewayNamespace } : {}) }],
        hostnames: [...intent.hosts],
        rules: [{ matches: [{ path: pathMatchOf(intent) as GatewayApi.HttpRouteSpecRulesMatchesPath }], backendRefs: [{ name: intent.backend.serviceName, port: intent.backend.port as number }] }],
      },
    });
    const policy = new eg.ClientTrafficPolicy(scope, 'ClientTrafficPolicy', {
      metadata: objectMeta(inGatewayNamespace, this.options.policyName ?? `${intent.names.route}-mtls`),
      spec: {
        targetRefs: [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: gatewayName, sectionName: listener }],
        tls: {
          clientValidation: {
            ...(intent.verifyClient === 'optional' ? { mode: eg.ClientTrafficPolicySpecTlsClientValidationMode.VERIFY_IF_GIVEN } : {}),
            caCertificateRefs: [secretRef(intent.names.clientCaSecret)],
            ...(crlSecrets.length ? { crl: { refs: crlSecrets.map((s) => secretRef(s.name)), ...(this.options.leafOnlyCrl ? { onlyVerifyLeafCertificate: true } : {}) } } : {}),
          },
        },
      },
    });
    return { serverSecret, clientCaSecret, objects: [serverSecret, clientCaSecret, ...crlSecrets, ...gateway, route, policy] };
  }

  read(context: ReadContext): DeployedMtls[] {
    return context.objects.filter((o) => isKind(o, API_GROUP, 'ClientTrafficPolicy') && o.spec?.tls?.clientValidation).map((policy) => this.readPolicy(context, policy));
  }

  private readPolicy(context: ReadContext, policy: ManifestObject): DeployedMtls {
    const { findings } = context;
    const namespace = policy.metadata?.namespace ?? '';
    const where = whereOf(policy);
    const validation = policy.spec.tls.clientValidation;
    const field = `${where} spec.tls.clientValidation`;
    const target = ((policy.spec.targetRefs ?? (policy.spec.targetRef ? [policy.spec.targetRef] : [])) as { kind?: string; name?: string; sectionName?: string }[]).find((r) => r.kind === 'Gateway');
    const attached = gatewayHostsAndRoute(context, where, namespace, target?.name ?? '', target?.sectionName);
    const leafOnly = validation.crl?.onlyVerifyLeafCertificate === true;
    if (leafOnly) warnLeafOnlyCrl(findings, `${field}.crl.onlyVerifyLeafCertificate`, this.displayName);
    const fieldOf = settingFields({ verifyClient: `${field}.mode` });
    const verifyClient = validation.mode !== undefined ? MODES[String(validation.mode)] ?? String(validation.mode) : validation.optional === true ? 'optional' : 'on';
    const deployed: DeployedMtls = {
      where, namespace, hosts: attached.hosts, backend: attached.backend, path: attached.path, pathType: attached.pathType, fieldOf,
      settings: { verifyClient }, ...(leafOnly ? { dataPlane: { ...this.dataPlane, leafOnlyCrl: true } } : {}),
      serverTls: attached.certificateRefs.flatMap((ref) => serverTlsOfSecret(context, ref.namespace, ref.name, attached.hosts, SECRETS, this.displayName)),
    };
    const caRefs = (validation.caCertificateRefs ?? []) as { kind?: string; name?: string; namespace?: string }[];
    const ca = caRefs.length ? readRefValues(context, `${field}.caCertificateRefs[0]`, caRefs[0], namespace) : undefined;
    const consequence = `${this.displayName} then rejects the ClientTrafficPolicy and answers 500 on every route of the listener`;
    if (!ca) return deployed;
    const caPem = ca.values[SECRETS.clientTrust.caKey] ?? (Object.keys(ca.values).length === 1 ? Object.values(ca.values)[0] : undefined);
    if (!caPem) {
      findings.error('MTLS082', ca.field, `has no ca.crt: ${consequence}. Add the client CA as ca.crt.`);
      return deployed;
    }
    const crlRefs = (validation.crl?.refs ?? []) as { kind?: string; name?: string; namespace?: string }[];
    if (!crlRefs.length && ca.values[SECRETS.clientTrust.crlKey] !== undefined) {
      findings.error('MTLS104', `${ca.field} ca.crl`, `is not read: Envoy Gateway takes CRLs only from the objects named in ${field}.crl.refs, so revocation is off and a revoked client gets 200. Add crl: { refs: [...] } naming one Secret per CRL, each with its CRL under ca.crl.`);
    }
    const crls = refCrls(context, `${field}.crl.refs`, crlRefs, namespace, SECRETS.clientTrust.crlKey, {
      controller: this.displayName,
      missingKey: `${consequence} ("no ca.crl")`,
      oneBlockOnly: 'Envoy Gateway checks only the first PEM block of each reference (expiry, format), so a broken or expired CRL after it is not caught until Envoy refuses every client of that CA. Put each CRL in a Secret of its own and list each in crl.refs',
    });
    return { ...deployed, clientTrust: { field: ca.field, secretName: ca.name, caPem, ...crls } };
  }
}

/** The Secret reference form Gateway API and Envoy Gateway take. */
function secretRef(name: string) {
  return { kind: 'Secret', group: '', name };
}

/** Each CRL of the PEM text, one per Secret; unreadable PEM stays whole (its finding fails synth anyway). */
function crlBlocks(crlPem: string | undefined): string[] {
  if (crlPem === undefined) return [];
  try {
    const blocks = splitPem(crlPem, 'crlPem');
    return blocks.length ? blocks : [crlPem];
  } catch {
    return [crlPem];
  }
}
