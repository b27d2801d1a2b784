import { readInputFile } from '../files/input';
import { UserInputError } from '../pki';
import { checkMtls, DEFAULT_CRL_MIN_VALIDITY_DAYS, DEFAULT_SERVER_MIN_VALIDITY_DAYS } from './check-mtls';
import { Finding, Findings } from './finding';

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
  if (chain !== undefined && key === undefined && options.serverKey === undefined) {
    throw new UserInputError('--server-key', 'is required with --server-chain, to check that the key matches the certificate.');
  }
  const ca = read(options.clientCa, 'client-ca');
  const crl = read(options.crl, 'crl');
  if (ca === undefined && crl !== undefined) throw new UserInputError('--crl', 'needs --client-ca too: a CRL is checked against the CA that issued it.');
  checkMtls(findings, {
    servers: chain !== undefined && key !== undefined ? [{
      hosts: options.hosts ?? [], certificateChainPem: chain, privateKeyPem: key, chainField: options.serverChain!, keyField: options.serverKey!,
      secret: { field: options.serverChain!, name: 'the server TLS Secret' },
    }] : [],
    // These two files become the auth-tls Secret, so the Secret size limit applies to them together.
    ...(ca !== undefined ? {
      clientTrust: { clientCaPem: ca, crlPem: crl, caField: options.clientCa!, crlField: options.crl ?? 'crl', secret: { field: options.crl ?? options.clientCa!, name: 'the auth-tls Secret' } },
    } : {}),
  }, { now, crlMinValidityDays: options.crlMinValidityDays ?? DEFAULT_CRL_MIN_VALIDITY_DAYS, serverMinValidityDays: options.serverMinValidityDays ?? DEFAULT_SERVER_MIN_VALIDITY_DAYS });
  return [...findings.all];
}
