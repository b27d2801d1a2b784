import { checkClientTrust, ClientTrustFacts } from './client-trust';
import { DataPlaneBehaviour } from './data-plane';
import { Findings } from './finding';
import { checkSecretSize } from './secret-size';
import { checkServerTls } from './server-tls';

/** Defaults shared by the construct, `mtls-pki check`, and the manifest check. */
export const DEFAULT_CRL_MIN_VALIDITY_DAYS = 7;
export const DEFAULT_SERVER_MIN_VALIDITY_DAYS = 30;

/** The PEM material of one mTLS setup, wherever it comes from (props, files, Secrets in manifests). */
export interface MtlsCheckInput {
  /** Each server certificate chain and key (one per TLS Secret), with the hosts it must cover. */
  readonly servers?: readonly {
    readonly hosts: readonly string[];
    readonly certificateChainPem: string;
    readonly privateKeyPem: string;
    /** How the chain and the key are named in findings: a prop, a file, or `Secret ns/name tls.crt`. */
    readonly chainField: string;
    readonly keyField: string;
    /** The Secret they become, for the size limit. */
    readonly secret: { readonly field: string; readonly name: string };
  }[];
  readonly clientTrust?: {
    readonly clientCaPem: string;
    readonly crlPem?: string;
    readonly caField: string;
    readonly crlField: string;
    /** The Secret they go into; `alsoHolds`: what else it holds (Istio keeps the server key pair there too). */
    readonly secret: { readonly field: string; readonly name: string; readonly alsoHolds?: Readonly<Record<string, string>> };
    /** Where the CRL in effect comes from when it is not in this material (F5's crlFileName). */
    readonly crlElsewhere?: string;
  };
}

export interface MtlsCheckOptions {
  readonly now: Date;
  readonly crlMinValidityDays: number;
  readonly serverMinValidityDays: number;
  /** Who refuses clients and with what status, named in the messages. @default nginx, 400 */
  readonly dataPlane?: DataPlaneBehaviour;
}

export interface MtlsFacts {
  readonly trust?: ClientTrustFacts;
}

/**
 * The PEM checks, once, whatever the controller: the server chain and key (SAN, order, signatures, validity),
 * the client CA bundle and its CRLs (one per CA, fresh, signed), and the 1 MiB Secret limit. The construct,
 * `mtls-pki check` on files and `mtls-pki check --manifests` all call this.
 */
export function checkMtls(findings: Findings, input: MtlsCheckInput, options: MtlsCheckOptions): MtlsFacts {
  const { servers = [], clientTrust } = input;
  for (const server of servers) {
    checkServerTls(findings, server, {
      hosts: server.hosts, now: options.now, minValidityDays: options.serverMinValidityDays, chainField: server.chainField, keyField: server.keyField,
    });
    checkSecretSize(findings, server.secret.field, server.secret.name, { 'tls.crt': server.certificateChainPem ?? '', 'tls.key': server.privateKeyPem ?? '' });
  }
  let trust: ClientTrustFacts | undefined;
  if (clientTrust) {
    trust = checkClientTrust(findings, { clientCaPem: clientTrust.clientCaPem, crlPem: clientTrust.crlPem }, {
      now: options.now, crlMinValidityDays: options.crlMinValidityDays, caField: clientTrust.caField, crlField: clientTrust.crlField,
      dataPlane: options.dataPlane, crlElsewhere: clientTrust.crlElsewhere,
    });
    // ca.crt and ca.crl go into one Secret, so the size limit applies to them together.
    checkSecretSize(findings, clientTrust.secret.field, clientTrust.secret.name, {
      ...clientTrust.secret.alsoHolds, 'ca.crt': clientTrust.clientCaPem ?? '', ...(clientTrust.crlPem !== undefined ? { 'ca.crl': clientTrust.crlPem } : {}),
    }, trust?.crls.reduce((n, c) => n + c.entries.length, 0));
  }
  return { trust };
}
