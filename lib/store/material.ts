import { join } from 'node:path';
import { UserInputError } from '../pki';
import { readCaCertificate } from './ca-files';
import { didYouMean } from '../util/did-you-mean';
import { CaId, layout } from './layout';
import { currentClient, currentServer } from './reuse';
import { revocationOf } from './revoke';
import { CertificateRecord, StoreState } from './state';
import { readInStore } from './store-files';

// What the construct and the example app take out of the store: PEM strings, read from the store's files.

export interface ServerTls {
  /** Leaf + server CA (what an openssl setup calls server-cert-chain.pem): the `tls.crt` of the server Secret. */
  readonly certificateChainPem: string;
  readonly privateKeyPem: string;
}

export interface ClientTrust {
  /** The client CA certificates (root, then intermediate when there is one): the auth-tls Secret's `ca.crt`. */
  readonly clientCaPem: string;
  /** One CRL per CA of the client chain, concatenated PEM: the auth-tls Secret's `ca.crl`. */
  readonly crlPem: string;
}

export interface ClientCredentials {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly serialHex: string;
  readonly revoked: boolean;
}

export interface PkiMaterial {
  readonly serverCaPem: string;
  serverTls(name: string): ServerTls;
  clientTrust(): ClientTrust;
  /**
   * The newest certificate with this CN that is neither revoked nor expired; when there is none, the newest
   * one (so that a test can present a revoked client and expect a 400).
   */
  client(commonName: string): ClientCredentials;
}

/** The client chain, root first. */
export function clientChain(state: StoreState): CaId[] {
  return (['client-ca', 'client-intermediate-ca'] as const).filter((id) => state.cas[id]);
}

function read(dir: string, relative: string): string {
  const bytes = readInStore(dir, relative);
  if (!bytes) throw new UserInputError(join(dir, relative), 'is missing, but store.json lists it. Restore it from a backup, or re-issue the certificate.');
  return bytes.toString('utf8');
}

export function trustBundle(dir: string, state: StoreState): ClientTrust | undefined {
  const chain = clientChain(state);
  if (chain.length === 0) return undefined;
  return {
    clientCaPem: chain.map((id) => readCaCertificate(dir, state, id).pem).join(''),
    crlPem: chain.map((id) => readInStore(dir, layout.crl(id))?.toString('utf8') ?? '').join(''),
  };
}

/** An issued certificate with its key, as the store holds them: what `--out` writes and PKCS#12 bundles. */
export interface IssuedCredentials {
  readonly record: CertificateRecord;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** The CAs that issued it, issuer first, up to the root: a PKCS#12 bundle's chain. */
  readonly caCertificatesPem: string;
  /** For a server: leaf + server CA, the Secret's `tls.crt`; for a client: the certificate alone. */
  readonly servedChainPem: string;
}

/** The CA that issued `issuer`'s certificates, then its issuers up to the root. */
function issuingChain(state: StoreState, issuer: CaId): CaId[] {
  const chain: CaId[] = [];
  for (let id: CaId | null = issuer; id && !chain.includes(id); id = state.cas[id]?.issuer ?? null) chain.push(id);
  return chain;
}

/** The files of the certificate `issuer`/`serialHex`; refused, naming it, when the store has no key for it. */
export function credentialsOf(dir: string, state: StoreState, cert: Pick<CertificateRecord, 'issuer' | 'serialHex'>): IssuedCredentials {
  const record = state.certificates.find((c) => c.issuer === cert.issuer && c.serialHex === cert.serialHex);
  if (!record) throw new UserInputError('certificate', `serial ${cert.serialHex} of ${cert.issuer} is not in the store; \`mtls-pki list\` shows what there is.`);
  if (!record.files?.key) {
    throw new UserInputError(`${record.kind} certificate "${record.name}"`, `(serial ${record.serialHex}) was adopted from an openssl index without its key, so the store cannot hand it out. Issue a new certificate (mtls-pki ${record.kind} ${record.kind === 'client' ? `${record.name} --new` : `… --force`}), and revoke the old one when it is no longer used.`);
  }
  const certificatePem = read(dir, record.files.cert);
  return {
    record,
    certificatePem,
    privateKeyPem: read(dir, record.files.key),
    caCertificatesPem: issuingChain(state, record.issuer).map((id) => readCaCertificate(dir, state, id).pem).join(''),
    servedChainPem: record.files.chain ? read(dir, record.files.chain) : certificatePem,
  };
}

export function materialOf(dir: string, state: StoreState, now: Date): PkiMaterial {
  return {
    get serverCaPem() {
      if (!state.cas['server-ca']) throw new UserInputError('serverCa', 'the store has no server CA; add serverCa to the spec or run `mtls-pki init`.');
      return readCaCertificate(dir, state, 'server-ca').pem;
    },
    serverTls(name) {
      const cert = currentServer(state, name);
      if (!cert?.files?.key || !cert.files.chain) {
        const names = [...new Set(state.certificates.filter((c) => c.kind === 'server').map((c) => c.name))];
        throw new UserInputError('server name', `"${name}" is not a server certificate of this store${didYouMean(name, names)}${names.length ? ` (it has: ${names.join(', ')})` : ''}; add it to PkiSpec.servers or run \`mtls-pki server ${name}\`.`);
      }
      return { certificateChainPem: read(dir, cert.files.chain), privateKeyPem: read(dir, cert.files.key) };
    },
    clientTrust() {
      const bundle = trustBundle(dir, state);
      if (!bundle) throw new UserInputError('clientCa', 'the store has no client CA; add clientCa to the spec or run `mtls-pki init`.');
      return bundle;
    },
    client(commonName) {
      const cert = currentClient(state, commonName, now);
      if (!cert) throw new UserInputError('client common name', `no client certificate with CN "${commonName}" (with its key) in the store${didYouMean(commonName, state.certificates.filter((c) => c.kind === 'client').map((c) => c.commonName))}; add it to PkiSpec.clients or run \`mtls-pki client ${commonName}\`.`);
      return {
        certificatePem: read(dir, cert.files!.cert),
        privateKeyPem: read(dir, cert.files!.key!),
        serialHex: cert.serialHex,
        revoked: revocationOf(state, cert.issuer, cert.serialHex) !== undefined,
      };
    },
  };
}
