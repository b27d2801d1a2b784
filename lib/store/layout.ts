import { join } from 'node:path';

// Where each file of the store lives, in one place. lib/store/README.md documents the same tree; paths in
// store.json are relative to the store directory, so a store can be moved or copied as a whole.

/** The CAs a store can hold. The client chain is client-ca, then client-intermediate-ca when there is one. */
export type CaId = 'server-ca' | 'client-ca' | 'client-intermediate-ca';
export const CA_IDS: readonly CaId[] = ['server-ca', 'client-ca', 'client-intermediate-ca'];

export const STATE_FILE = 'store.json';
export const TRUST_DIR = 'client-trust';

export const layout = {
  state: STATE_FILE,
  caCert: (ca: CaId) => join(ca, 'cert.pem'),
  caKey: (ca: CaId) => join(ca, 'key.pem'),
  crl: (ca: CaId) => join(ca, 'crl.pem'),
  serverCert: (name: string, serialHex: string) => join('servers', `${safeName(name)}-${serialHex}.cert.pem`),
  serverKey: (name: string, serialHex: string) => join('servers', `${safeName(name)}-${serialHex}.key.pem`),
  /** Leaf + server CA (what an openssl setup calls server-cert-chain.pem): the `tls.crt` of the server Secret. */
  serverChain: (name: string, serialHex: string) => join('servers', `${safeName(name)}-${serialHex}.chain.pem`),
  clientCert: (commonName: string, serialHex: string) => join('clients', `${safeName(commonName)}-${serialHex}.cert.pem`),
  clientKey: (commonName: string, serialHex: string) => join('clients', `${safeName(commonName)}-${serialHex}.key.pem`),
  /** The client CA certificates (root, then intermediate): the `ca.crt` of the auth-tls Secret. */
  trustCa: join(TRUST_DIR, 'ca.crt'),
  /** One CRL per CA of the client chain, concatenated PEM: the `ca.crl` of the auth-tls Secret. */
  trustCrl: join(TRUST_DIR, 'ca.crl'),
  /** Directories the store creates (0700). */
  dirs: ['server-ca', 'client-ca', 'client-intermediate-ca', 'servers', 'clients', TRUST_DIR] as const,
};

/** A file-name-safe form of a CN or server name: anything but letters, digits, `.`, `_` and `-` becomes `_`. */
export function safeName(name: string): string {
  const safe = name.replace(/^\*\./, 'wildcard.').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return safe.slice(0, 80) || '_';
}

export function absolute(dir: string, relative: string): string {
  return join(dir, relative);
}
