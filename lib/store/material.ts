import { join } from 'node:path';
import { UserInputError } from '../pki';
import { readCaCertificate } from './ca-files';
import { CaId, layout } from './layout';
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

function newestFirst(a: CertificateRecord, b: CertificateRecord): number {
  return Date.parse(b.notBefore ?? b.notAfter) - Date.parse(a.notBefore ?? a.notAfter);
}

export function currentServer(state: StoreState, name: string): CertificateRecord | undefined {
  return state.certificates.filter((c) => c.kind === 'server' && c.name === name && !c.replacedBy && c.files).sort(newestFirst)[0];
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
        throw new UserInputError('server name', `"${name}" is not a server certificate of this store${names.length ? ` (it has: ${names.join(', ')})` : ''}; add it to PkiSpec.servers or run \`mtls-pki server ${name}\`.`);
      }
      return { certificateChainPem: read(dir, cert.files.chain), privateKeyPem: read(dir, cert.files.key) };
    },
    clientTrust() {
      const bundle = trustBundle(dir, state);
      if (!bundle) throw new UserInputError('clientCa', 'the store has no client CA; add clientCa to the spec or run `mtls-pki init`.');
      return bundle;
    },
    client(commonName) {
      const all = state.certificates.filter((c) => c.kind === 'client' && c.commonName === commonName && c.files?.key).sort(newestFirst);
      const usable = (c: CertificateRecord) => !revocationOf(state, c.issuer, c.serialHex) && Date.parse(c.notAfter) > now.getTime();
      const cert = all.find(usable) ?? all[0];
      if (!cert) throw new UserInputError('client common name', `no client certificate with CN "${commonName}" (with its key) in the store; add it to PkiSpec.clients or run \`mtls-pki client ${commonName}\`.`);
      return {
        certificatePem: read(dir, cert.files!.cert),
        privateKeyPem: read(dir, cert.files!.key!),
        serialHex: cert.serialHex,
        revoked: revocationOf(state, cert.issuer, cert.serialHex) !== undefined,
      };
    },
  };
}
