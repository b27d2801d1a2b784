import { join } from 'node:path';
import { KeyAlgorithm, REVOCATION_REASONS, RevocationReason, UserInputError } from '../pki';
import { PUBLIC_FILE_MODE } from '../files/atomic-write';
import { CA_IDS, CaId, STATE_FILE } from './layout';
import { readInStore, writeInStore } from './store-files';

// store.json: the store's source of truth for everything that is not a certificate, key or CRL file:
// which CAs exist, every certificate issued or adopted, every revocation, and the CRL number and nextUpdate
// high-water marks. It holds no secrets. It is rewritten atomically, and only when its content changes.

export const STATE_FORMAT = 'mtls-pki-store';
export const STATE_VERSION = 1;

export interface CaRecord {
  readonly id: CaId;
  readonly subject: string;
  readonly commonName: string;
  readonly serialHex: string;
  readonly keyAlgorithm: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** The CA that signed this one; null for a self-signed root. */
  readonly issuer: CaId | null;
  readonly fingerprintSha256: string;
  /** Where the CA's private key lives when it is not `key.pem`: a `pkcs11:` URI naming its object in a token. */
  readonly keyUri?: string;
  /** Set when the CA came from `import-openssl`. */
  readonly importedFrom?: string;
}

export interface CertificateRecord {
  readonly kind: 'server' | 'client';
  /** The server's file stem, or the client's CN. */
  readonly name: string;
  readonly commonName: string;
  readonly subject: string;
  /** Uppercase hex without leading zero bytes, as openssl's index.txt. */
  readonly serialHex: string;
  readonly issuer: CaId;
  readonly notBefore?: string;
  readonly notAfter: string;
  /** `DNS:x`, `IP:y`, `email:z`, `URI:u`. */
  readonly subjectAltNames: readonly string[];
  readonly keyAlgorithm?: string;
  /** Relative paths; absent for certificates adopted from an openssl index without their files. */
  readonly files?: { readonly cert: string; readonly key?: string; readonly chain?: string };
  readonly source: 'issued' | 'imported';
  /** For a server certificate re-issued with other names: the serial of its successor. */
  readonly replacedBy?: string;
}

export interface RevocationRecord {
  readonly issuer: CaId;
  readonly serialHex: string;
  readonly commonName?: string;
  /** ISO time, whole seconds. */
  readonly revokedAt: string;
  /** Omitted for unspecified (RFC 5280: leave the extension out rather than write 0). */
  readonly reason?: RevocationReason;
  /** The revoked certificate's notAfter, when known: the entry becomes prunable after it. */
  readonly notAfter?: string;
  /**
   * Written by earlier releases: the number of a CRL issued after notAfter that listed this entry. No longer
   * trusted (a run with a clock far ahead set it for certificates that had not expired); pruning checks the
   * published CRL and the real time instead (crls.ts).
   */
  readonly listedAfterExpiryOnCrl?: string;
}

/**
 * A revocation that left store.json, or came back into it from a published CRL: what happened, when, and
 * which published CRL listed it then. A CRL may drop a serial the store no longer has only when an entry
 * here says it was pruned or forgotten (see the monotonic guard in crls.ts).
 */
export interface AuditEntry {
  /** ISO time of the action. */
  readonly at: string;
  readonly action: 'pruned-expired' | 'forgot-revocation' | 'adopted-from-crl';
  readonly issuer: CaId;
  readonly serialHex: string;
  readonly commonName?: string;
  /** When the certificate was revoked, as the record or the CRL said. */
  readonly revokedAt: string;
  readonly reason?: RevocationReason;
  /** The number of the published CRL that listed the serial at the time (decimal). */
  readonly crlNumber: string;
  /** The operator's reason, for forgot-revocation (`mtls-pki crl --forget SERIAL --why TEXT`). */
  readonly note?: string;
}

/**
 * A CA whose files a run is about to write, recorded (under the lock) before the first byte: the next run
 * adopts files left by an interruption only when they are exactly these (see issue.ts).
 */
export interface PendingCa {
  readonly certificatePem: string;
  readonly issuer: CaId | null;
  readonly importedFrom?: string;
}

export interface CrlRecord {
  /** The last CRL number used, decimal (a bigint). */
  readonly number: string;
  /** The latest nextUpdate ever published: a new CRL never promises less. */
  readonly nextUpdate: string;
}

export interface StoreSettings {
  readonly crlValidityDays: number;
  readonly crlRefreshBeforeDays: number;
  /** The default key algorithm for new certificates, from `init --key` or PkiSpec.keyAlgorithm. */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** How new CA keys are kept (PkiSpec.caKeys): absent for plain `key.pem` files. */
  readonly caKeys?: CaKeyCustody;
}

/**
 * `encrypted`: `key.pem` holds an ENCRYPTED PRIVATE KEY (PBES2), read with the store's passphrase.
 * A `pkcs11:` URI naming a token (module and PIN source as query attributes): the CA keys are generated in it,
 * never leave it, and are found by label (server-ca, client-ca; an `object=` in the URI is their prefix).
 */
export type CaKeyCustody = 'encrypted' | `pkcs11:${string}`;

export interface StoreState {
  readonly format: typeof STATE_FORMAT;
  readonly version: number;
  settings: StoreSettings;
  cas: Partial<Record<CaId, CaRecord>>;
  certificates: CertificateRecord[];
  revocations: RevocationRecord[];
  crls: Partial<Record<CaId, CrlRecord>>;
  /** Optional (absent until the first entry), so version 1 stores written before it still read and write. */
  audit?: AuditEntry[];
  /** Optional, and present only while a CA is being created. */
  pendingCas?: Partial<Record<CaId, PendingCa>>;
}

/** CRL validity 90 days, refreshed when fewer than 30 remain: longer than the construct's 7-day warning. */
export const DEFAULT_CRL_VALIDITY_DAYS = 90;
export const DEFAULT_CRL_REFRESH_BEFORE_DAYS = 30;

export function emptyState(): StoreState {
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    settings: { crlValidityDays: DEFAULT_CRL_VALIDITY_DAYS, crlRefreshBeforeDays: DEFAULT_CRL_REFRESH_BEFORE_DAYS },
    cas: {},
    certificates: [],
    revocations: [],
    crls: {},
  };
}

/** The canonical text of a state: fixed key order as built, two-space indent, trailing newline. */
export function serializeState(state: StoreState): string {
  // An empty pendingCas is left out, so that creating a CA leaves store.json as if it had never been pending.
  const { pendingCas, ...rest } = state;
  const pending = pendingCas && Object.keys(pendingCas).length ? { pendingCas } : {};
  return `${JSON.stringify({ ...rest, ...pending }, null, 2)}\n`;
}

function damaged(path: string, what: string): UserInputError {
  return new UserInputError(path, `${what}. This file is the store's record of its CAs, certificates and revocations; nothing was changed. Restore it from a backup (or from version control), or move the store away and start a new one with \`mtls-pki init\` (revocations recorded only in this file would be lost).`);
}

function check(condition: unknown, path: string, what: string): asserts condition {
  if (!condition) throw damaged(path, what);
}

const isIso = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isSerial = (v: unknown) => typeof v === 'string' && /^[0-9A-F]+$/.test(v);
const isCaId = (v: unknown) => (CA_IDS as readonly unknown[]).includes(v);

/** Parses and validates store.json; every defect is a UserInputError naming the file and the remedy. */
export function parseState(text: string, path: string): StoreState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw damaged(path, `is not valid JSON (${(e as Error).message})`);
  }
  const s = raw as StoreState;
  check(s && typeof s === 'object' && s.format === STATE_FORMAT, path, `is not an mtls-pki store file (its "format" is not "${STATE_FORMAT}")`);
  check(s.version === STATE_VERSION, path, `has version ${String(s.version)}, but this mtls-pki reads version ${STATE_VERSION}; use the mtls-pki release that wrote it`);
  check(s.settings && Number.isInteger(s.settings.crlValidityDays) && Number.isInteger(s.settings.crlRefreshBeforeDays), path, 'has no valid "settings"');
  check(s.settings.caKeys === undefined || s.settings.caKeys === 'encrypted' || String(s.settings.caKeys).startsWith('pkcs11:'), path, 'has a "settings.caKeys" that is neither "encrypted" nor a pkcs11: URI');
  check(s.cas && typeof s.cas === 'object', path, 'has no "cas" object');
  for (const [id, ca] of Object.entries(s.cas)) {
    check(isCaId(id) && ca && ca.id === id && isSerial(ca.serialHex) && isIso(ca.notAfter) && /^[0-9a-f]{64}$/.test(ca.fingerprintSha256)
      && (ca.keyUri === undefined || String(ca.keyUri).startsWith('pkcs11:')), path, `has a damaged CA record "${id}"`);
  }
  check(Array.isArray(s.certificates), path, 'has no "certificates" list');
  s.certificates.forEach((c, i) => check(c && (c.kind === 'server' || c.kind === 'client') && isSerial(c.serialHex) && isCaId(c.issuer) && isIso(c.notAfter) && typeof c.name === 'string',
    path, `has a damaged certificate record (certificates[${i}])`));
  check(Array.isArray(s.revocations), path, 'has no "revocations" list');
  s.revocations.forEach((r, i) => check(r && isSerial(r.serialHex) && isCaId(r.issuer) && isIso(r.revokedAt) && (r.reason === undefined || r.reason in REVOCATION_REASONS),
    path, `has a damaged revocation record (revocations[${i}])`));
  check(s.crls && typeof s.crls === 'object', path, 'has no "crls" object');
  for (const [id, crl] of Object.entries(s.crls)) {
    check(isCaId(id) && crl && /^\d+$/.test(crl.number) && isIso(crl.nextUpdate), path, `has a damaged CRL record "${id}"`);
  }
  check(s.audit === undefined || Array.isArray(s.audit), path, 'has an "audit" that is not a list');
  (s.audit ?? []).forEach((a, i) => check(a && isSerial(a.serialHex) && isCaId(a.issuer) && isIso(a.at) && /^\d+$/.test(a.crlNumber),
    path, `has a damaged audit entry (audit[${i}])`));
  for (const [id, p] of Object.entries(s.pendingCas ?? {})) {
    check(isCaId(id) && p && typeof p.certificatePem === 'string', path, `has a damaged pending CA "${id}"`);
  }
  return s;
}

/** Reads `<dir>/store.json`; undefined when there is none. */
export function readState(dir: string): StoreState | undefined {
  const bytes = readInStore(dir, STATE_FILE);
  return bytes === undefined ? undefined : parseState(bytes.toString('utf8'), join(dir, STATE_FILE));
}

/** Writes the state atomically when it differs from what is on disk; returns whether it wrote. */
export function writeState(dir: string, state: StoreState): boolean {
  return writeInStore(dir, STATE_FILE, serializeState(state), PUBLIC_FILE_MODE);
}
