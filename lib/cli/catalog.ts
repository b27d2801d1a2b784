import type { Command } from './command';

// The commands, in the order `mtls-pki --help` lists them, each with its line in that listing and a loader.
// A command's module, and what it needs (the store, lib/pki, pkijs), is required only when that command runs or
// shows its own help: `mtls-pki --help`, `--version`, a mistyped command and did-you-mean load none of them.

export interface CommandEntry {
  readonly name: string;
  /** The line in `mtls-pki --help`. */
  readonly brief: string;
  load(): Command;
}

/* eslint-disable @typescript-eslint/no-require-imports -- loading on demand is the point of this table */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'init', brief: 'Create the PKI store with a server CA and a client CA', load: () => (require('./commands/init') as typeof import('./commands/init')).init },
  { name: 'server', brief: 'Issue a TLS server certificate from the server CA', load: () => (require('./commands/issue') as typeof import('./commands/issue')).server },
  { name: 'client', brief: 'Issue a TLS client certificate from the client CA', load: () => (require('./commands/issue') as typeof import('./commands/issue')).client },
  { name: 'revoke', brief: 'Revoke a certificate, permanently, and publish the new CRL(s) of the client chain at once', load: () => (require('./commands/revoke') as typeof import('./commands/revoke')).revoke },
  { name: 'crl', brief: 'Print the current CRL(s) of the client chain as PEM', load: () => (require('./commands/crl') as typeof import('./commands/crl')).crl },
  { name: 'keys', brief: 'Encrypt the CA key files with a passphrase', load: () => (require('./commands/keys') as typeof import('./commands/keys')).keys },
  { name: 'list', brief: 'List the CAs, certificates (valid, revoked, expired) and CRLs with their days left', load: () => (require('./commands/list') as typeof import('./commands/list')).list },
  { name: 'gencrl', brief: 'Make a CRL from an existing openssl CA database', load: () => (require('./commands/gencrl') as typeof import('./commands/gencrl')).gencrl },
  { name: 'import-openssl', brief: 'Adopt an openssl CA and its index.txt revocations into the PKI store', load: () => (require('./commands/import-openssl') as typeof import('./commands/import-openssl')).importOpenssl },
  { name: 'check', brief: 'Run the synth-time checks on PEM files, synthesized manifests, or the PKI store', load: () => (require('./commands/check') as typeof import('./commands/check')).check },
  { name: 'migrate', brief: 'Move ingress-nginx mTLS manifests to another controller, keeping the CRL', load: () => (require('./commands/migrate') as typeof import('./commands/migrate')).migrate },
];
/* eslint-enable @typescript-eslint/no-require-imports */
