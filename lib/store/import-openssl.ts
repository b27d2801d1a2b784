import { CertificateAuthority, loadCertificateAuthority, UserInputError } from '../pki';
import { OpensslIndexEntry, parseOpensslIndex } from '../pki/openssl-index';
import { CrlStatus, maintainCrls } from './crls';
import { adoptCa, IssueContext } from './issue';
import { CaId } from './layout';
import { recordRevocation, revocationOf } from './revoke';
import { CertificateRecord } from './state';

// Adopting an openssl CA directory (an `openssl ca` set-up): the CA certificate and key are copied
// into the store, every index.txt line becomes a certificate record (without files: openssl keeps no keys),
// R lines become revocations with their own dates and reasons, and the crlnumber file's value becomes the
// number of the store's first CRL for that CA. Importing the same directory again adds nothing.

export interface ImportOpensslOptions {
  readonly indexText: string;
  /** Names index.txt in messages. @default index.txt */
  readonly indexSource?: string;
  readonly caCertificatePem: string;
  readonly caPrivateKeyPem: string;
  /** Names the CA files in messages. @default CA */
  readonly caSource?: string;
  /** The crlnumber file's value: the number the next CRL gets. */
  readonly nextCrlNumber?: bigint;
  /** Which CA of the store this becomes. @default client */
  readonly as?: 'client' | 'server';
  readonly now?: Date;
}

export interface ImportResult {
  readonly ca: CaId;
  /** True when the CA was new to the store, false when it was already there (a repeated import). */
  readonly adoptedCa: boolean;
  readonly certificatesAdded: number;
  readonly revocationsAdded: number;
  /** Serials the store has revoked but index.txt still shows as valid: they stay revoked. */
  readonly keptRevoked: readonly string[];
  readonly crls: readonly CrlStatus[];
}

/** `/C=CN/O=Acme/CN=Client001` → `Client001` (openssl's index subject form). */
export function commonNameOfIndexSubject(subject: string): string | undefined {
  const m = /(?:^|\/)CN=((?:[^/\\]|\\.)*)/.exec(subject);
  return m ? m[1].replace(/\\(.)/g, '$1') : undefined;
}

/** Parses index.txt and refuses duplicate serials: the checks that need no store, run before it is touched. */
export function readIndex(options: Pick<ImportOpensslOptions, 'indexText' | 'indexSource'>): OpensslIndexEntry[] {
  const field = options.indexSource ?? 'index.txt';
  const entries = parseOpensslIndex(options.indexText, field);
  const seen = new Map<string, number>();
  for (const e of entries) {
    const earlier = seen.get(e.serialHex);
    if (earlier !== undefined) throw new UserInputError(field, `lines ${earlier} and ${e.line} both have serial ${e.serialHex}; two certificates with one serial cannot be revoked separately. Remove the stale line; nothing was imported.`);
    seen.set(e.serialHex, e.line);
  }
  return entries;
}

/** Loads the CA to adopt and refuses one that is not a root; needs no store, so it runs before the store is touched. */
export async function loadImportedCa(options: ImportOpensslOptions): Promise<CertificateAuthority> {
  const id: CaId = options.as === 'server' ? 'server-ca' : 'client-ca';
  const source = options.caSource ?? 'CA';
  const ca = await loadCertificateAuthority(options.caCertificatePem, options.caPrivateKeyPem, source);
  if (!ca.facts.selfIssued) {
    throw new UserInputError(`${source} certificate`, `"${ca.facts.subject}" is an intermediate CA (issued by "${ca.facts.issuer}"); only a root CA can be adopted as the store's ${id}.`);
  }
  return ca;
}

export async function importOpensslInto(ctx: IssueContext & { commit(): void }, options: ImportOpensslOptions): Promise<ImportResult> {
  const { state, now } = ctx;
  const id: CaId = options.as === 'server' ? 'server-ca' : 'client-ca';
  const source = options.caSource ?? 'CA';
  const entries = readIndex(options);
  const ca = await loadImportedCa(options);
  const existing = state.cas[id];
  if (existing && existing.fingerprintSha256 !== ca.facts.fingerprintSha256) {
    throw new UserInputError(`${source} certificate`, `the store already has a different ${id} ("${existing.subject}", serial ${existing.serialHex}). Import into a new store instead: --dir pki-imported.`);
  }
  // Validate every line before anything is written: a refused import leaves the store as it was.
  const indexField = options.indexSource ?? 'index.txt';
  for (const e of entries) {
    const cn = commonNameOfIndexSubject(e.subject) ?? e.subject;
    const known = state.certificates.find((c) => c.issuer === id && c.serialHex === e.serialHex);
    if (known && known.commonName !== cn) {
      throw new UserInputError(indexField, `line ${e.line}: serial ${e.serialHex} is "${cn}" here, but the store already has serial ${e.serialHex} as "${known.commonName}" under ${id}; serials must be unique per CA. Nothing was imported.`);
    }
  }
  if (!existing) await adoptCa(ctx, id, options.caCertificatePem, options.caPrivateKeyPem, indexField);

  let certificatesAdded = 0;
  let revocationsAdded = 0;
  const keptRevoked: string[] = [];
  for (const e of entries) {
    const cn = commonNameOfIndexSubject(e.subject) ?? e.subject;
    let record = state.certificates.find((c) => c.issuer === id && c.serialHex === e.serialHex);
    if (!record) {
      const adopted: CertificateRecord = {
        kind: id === 'server-ca' ? 'server' : 'client',
        name: cn,
        commonName: cn,
        subject: e.subject,
        serialHex: e.serialHex,
        issuer: id,
        notAfter: e.expiresAt.toISOString(),
        subjectAltNames: [],
        source: 'imported',
      };
      state.certificates.push(adopted);
      record = adopted;
      certificatesAdded++;
    }
    if (e.status === 'R') {
      if (recordRevocation(state, record, e.reason, e.revokedAt!).created) revocationsAdded++;
    } else if (revocationOf(state, id, e.serialHex)) {
      keptRevoked.push(e.serialHex);
    }
  }

  if (options.nextCrlNumber !== undefined && options.nextCrlNumber > 0n) {
    const last = options.nextCrlNumber - 1n;
    const crl = state.crls[id];
    if (!crl || BigInt(crl.number) < last) state.crls[id] = { number: last.toString(), nextUpdate: crl?.nextUpdate ?? now.toISOString() };
  }
  ctx.commit();
  const crls = await maintainCrls(ctx);
  return { ca: id, adoptedCa: !existing, certificatesAdded, revocationsAdded, keptRevoked, crls };
}
