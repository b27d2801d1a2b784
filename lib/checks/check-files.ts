import { readInputFile } from '../files/input';
import { UserInputError } from '../pki';
import { checkClientTrust } from './client-trust';
import { Finding, Findings } from './finding';
import { checkSecretSize } from './secret-size';
import { checkServerTls } from './server-tls';

/** Defaults shared by the construct, `mtls-pki check`, and the manifest check. */
export const DEFAULT_CRL_MIN_VALIDITY_DAYS = 7;
export const DEFAULT_SERVER_MIN_VALIDITY_DAYS = 30;

// Part of the package API since the first release; the one reader of the files a user names lives in lib/files.
export { readInputFile };

export interface CheckFilesOptions {
  /** Server certificate chain (leaf first), PEM. */
  readonly serverChain?: string;
  readonly serverKey?: string;
  /** Client CA certificate(s), PEM. */
  readonly clientCa?: string;
  /** CRL(s), PEM. */
  readonly crl?: string;
  /** Hosts the server certificate must cover. */
  readonly hosts?: readonly string[];
  readonly now?: Date;
  readonly crlMinValidityDays?: number;
  readonly serverMinValidityDays?: number;
}

/** The checks of `mtls-pki check` on PEM files; the same checks the construct runs at synth time. */
export function checkFiles(options: CheckFilesOptions): Finding[] {
  const findings = new Findings();
  const now = options.now ?? new Date();
  const read = (path: string | undefined, field: string) => (path === undefined ? undefined : findings.read(field === 'crl' ? 'MTLS031' : field.startsWith('server') ? 'MTLS010' : 'MTLS020', field, () => readInputFile(path, field)));
  const chain = read(options.serverChain, 'server-chain');
  const key = read(options.serverKey, 'server-key');
  if (chain !== undefined) {
    if (key === undefined && options.serverKey === undefined) throw new UserInputError('--server-key', 'is required with --server-chain, to check that the key matches the certificate.');
    if (key !== undefined) {
      checkServerTls(findings, { certificateChainPem: chain, privateKeyPem: key }, {
        hosts: options.hosts ?? [], now, minValidityDays: options.serverMinValidityDays ?? DEFAULT_SERVER_MIN_VALIDITY_DAYS,
        chainField: options.serverChain!, keyField: options.serverKey!,
      });
    }
  }
  const ca = read(options.clientCa, 'client-ca');
  const crl = read(options.crl, 'crl');
  if (ca !== undefined) {
    const trust = checkClientTrust(findings, { clientCaPem: ca, crlPem: crl }, {
      now, crlMinValidityDays: options.crlMinValidityDays ?? DEFAULT_CRL_MIN_VALIDITY_DAYS, caField: options.clientCa!, crlField: options.crl ?? 'crl',
    });
    // These two files become the auth-tls Secret, so the Secret size limit applies to them together.
    checkSecretSize(findings, options.crl ?? options.clientCa!, 'the auth-tls Secret', { 'ca.crt': ca, ...(crl !== undefined ? { 'ca.crl': crl } : {}) }, trust?.crls.reduce((n, c) => n + c.entries.length, 0));
  } else if (crl !== undefined) {
    throw new UserInputError('--crl', 'needs --client-ca too: a CRL is checked against the CA that issued it.');
  }
  return [...findings.all];
}
