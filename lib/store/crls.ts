import { buildCrl, CertificateAuthority, CertificateFacts, CrlFacts, inspectCertificate, isCrlSignedBy, readCrls, RevokedEntry, UserInputError } from '../pki';
import { PUBLIC_FILE_MODE, readFileIfExists, writeInStore } from './atomic-write';
import { absolute, CaId, layout } from './layout';
import { RevocationRecord, StoreState } from './state';

// CRL freshness: a CA's CRL file is replaced only when its revoked set changed, when its remaining validity
// fell below the refresh threshold, or when forced. Then the CRL number goes up by one (never reused, even
// when the file was lost: store.json keeps the high-water mark) and nextUpdate never goes backwards. The
// current CRL is read back from its file, so the file is the truth about what was published; the decision
// needs no other state, and a process killed between writing the CRL and store.json loses nothing.

const DAY_MS = 86_400_000;

export interface CrlStatus {
  readonly ca: CaId;
  readonly file: string;
  readonly number: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: number;
  /** Whether this run wrote a new CRL, and why. */
  readonly changed: boolean;
  readonly reason?: 'new' | 'revocations changed' | 'due for refresh' | 'forced' | 'damaged file replaced';
}

export interface CrlContext {
  readonly dir: string;
  readonly state: StoreState;
  readonly now: Date;
  readonly loadCa: (ca: CaId) => Promise<CertificateAuthority>;
  readonly warn: (message: string) => void;
}

/** The CAs that publish a CRL: every CA of the client chain, and the server CA once it has revoked anything. */
export function crlIssuers(state: StoreState): CaId[] {
  const ids: CaId[] = [];
  if (state.cas['client-ca']) ids.push('client-ca');
  if (state.cas['client-intermediate-ca']) ids.push('client-intermediate-ca');
  if (state.cas['server-ca'] && (state.crls['server-ca'] || state.revocations.some((r) => r.issuer === 'server-ca'))) ids.push('server-ca');
  return ids;
}

const seconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
const entryKey = (e: RevokedEntry) => `${e.serialHex}|${seconds(e.revokedAt).toISOString()}|${e.reason && e.reason !== 'unspecified' ? e.reason : ''}`;

export function entriesOf(state: StoreState, ca: CaId): RevokedEntry[] {
  return state.revocations
    .filter((r) => r.issuer === ca)
    .map((r) => ({ serialHex: r.serialHex, revokedAt: new Date(r.revokedAt), ...(r.reason ? { reason: r.reason } : {}) }))
    .sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime() || a.serialHex.localeCompare(b.serialHex));
}

/** The CRL in the CA's file, if it is readable, signed by the CA and names it as issuer. */
export function readCurrentCrl(dir: string, ca: CertificateFacts, caId: CaId): { facts?: CrlFacts; damaged: boolean } {
  const bytes = readFileIfExists(absolute(dir, layout.crl(caId)));
  if (!bytes) return { damaged: false };
  try {
    const [facts] = readCrls(bytes.toString('utf8'), layout.crl(caId));
    if (facts.issuerKey !== ca.subjectKey || !isCrlSignedBy(facts, ca)) return { damaged: true };
    return { facts, damaged: false };
  } catch {
    return { damaged: true };
  }
}

function caCertificateFacts(dir: string, caId: CaId): CertificateFacts {
  const path = layout.caCert(caId);
  const pem = readFileIfExists(absolute(dir, path));
  if (!pem) throw new UserInputError(path, `is missing from the store in "${dir}"; restore it from a backup (store.json still names this CA).`);
  return inspectCertificate(pem.toString('utf8'), path);
}

function maxBigint(...values: (bigint | undefined)[]): bigint {
  return values.reduce<bigint>((m, v) => (v !== undefined && v > m ? v : m), 0n);
}

function maxDate(...values: (Date | undefined)[]): Date {
  return new Date(Math.max(...values.filter((d): d is Date => d !== undefined).map((d) => d.getTime())));
}

async function maintainOne(ctx: CrlContext, caId: CaId, force: boolean): Promise<CrlStatus> {
  const { state, now } = ctx;
  const file = layout.crl(caId);
  // Only the CA certificate is needed to judge the current CRL; the key is imported only to sign a new one,
  // which keeps a warm synth (nothing to sign) from paying for a WebCrypto key import per CA.
  const caFacts = caCertificateFacts(ctx.dir, caId);
  const current = readCurrentCrl(ctx.dir, caFacts, caId);
  const wanted = entriesOf(state, caId);
  const record = state.crls[caId];

  let reason: CrlStatus['reason'];
  if (current.damaged) reason = 'damaged file replaced';
  else if (!current.facts) reason = 'new';
  else if (wanted.map(entryKey).sort().join('\n') !== current.facts.entries.map(entryKey).sort().join('\n')) reason = 'revocations changed';
  else if (!current.facts.nextUpdate || current.facts.nextUpdate.getTime() - now.getTime() < state.settings.crlRefreshBeforeDays * DAY_MS) reason = 'due for refresh';
  else if (force) reason = 'forced';

  if (!reason && current.facts) {
    return { ca: caId, file, number: current.facts.crlNumber ?? 0n, thisUpdate: current.facts.thisUpdate, nextUpdate: current.facts.nextUpdate!, entries: current.facts.entries.length, changed: false };
  }
  if (current.damaged) ctx.warn(`${file} was not a CRL signed by ${caFacts.subject}; replacing it.`);
  const ca = await ctx.loadCa(caId);

  const number = maxBigint(record ? BigInt(record.number) : undefined, current.facts?.crlNumber) + 1n;
  const thisUpdate = seconds(now);
  const nextUpdate = maxDate(
    new Date(thisUpdate.getTime() + state.settings.crlValidityDays * DAY_MS),
    record ? new Date(record.nextUpdate) : undefined,
    current.facts?.nextUpdate,
  );
  const built = await buildCrl({ issuer: ca, entries: wanted, crlNumber: number, thisUpdate, nextUpdate });
  writeInStore(ctx.dir, file, built.pem, PUBLIC_FILE_MODE);

  state.crls[caId] = { number: number.toString(), nextUpdate: nextUpdate.toISOString() };
  state.revocations = state.revocations.map((r): RevocationRecord => (r.issuer === caId && !r.listedAfterExpiryOnCrl && r.notAfter && Date.parse(r.notAfter) < thisUpdate.getTime()
    ? { ...r, listedAfterExpiryOnCrl: number.toString() }
    : r));
  return { ca: caId, file, number, thisUpdate, nextUpdate, entries: wanted.length, changed: true, reason };
}

/** Brings every issuer's CRL up to date (see the file comment). Mutates `ctx.state`; the caller saves it. */
export async function maintainCrls(ctx: CrlContext, force = false): Promise<CrlStatus[]> {
  const out: CrlStatus[] = [];
  for (const ca of crlIssuers(ctx.state)) out.push(await maintainOne(ctx, ca, force));
  return out;
}

/**
 * Removes revocations that RFC 5280 §3.3 lets go: the certificate has expired and the entry appeared on a
 * CRL issued after that. Only ever called explicitly (`mtls-pki crl --prune`, `PkiStore.prune()`).
 */
export function pruneRevocations(state: StoreState): RevocationRecord[] {
  const pruned = state.revocations.filter((r) => r.listedAfterExpiryOnCrl !== undefined);
  state.revocations = state.revocations.filter((r) => r.listedAfterExpiryOnCrl === undefined);
  return pruned;
}
