import { join } from 'node:path';
import { buildCrl, CertificateAuthority, CrlFacts, isCrlSignedBy, RevokedEntry, UserInputError } from '../pki';
import { readCrlsWithoutPkijs } from '../pki/crl';
import type { CertificateIdentity } from '../pki/certificate-identity';
import { DAY_MS, wholeSeconds } from '../pki/time';
import { PUBLIC_FILE_MODE } from '../files/atomic-write';
import { readCaCertificate } from './ca-files';
import { CaKeyAbsent } from './ca-keys';
import { CA_IDS, CaId, layout } from './layout';
import { AuditEntry, RevocationRecord, StoreState } from './state';
import { nextCrlNumber } from './crl-number';
import { readInStore, writeInStore } from './store-files';

// CRL freshness: a CA's CRL file is replaced only when its revoked set changed, when its remaining validity
// fell below the refresh threshold, or when forced. Then the CRL number goes up by one (never reused, even
// when the file was lost: store.json keeps the high-water mark) and nextUpdate never goes backwards. The
// current CRL is read back from its file, so the file is the truth about what was published; the decision
// needs no other state, and a process killed between writing the CRL and store.json loses nothing.
//
// Revocation is monotonic: before anything is published, every CA's published CRL (its file in the store,
// signed by the CA) is compared with store.json. A serial the CRL lists and store.json lacks, without an audit
// entry saying it was pruned or forgotten while that CRL was the published one, stops the run before anything
// is written: a store.json restored from an older backup must never quietly un-revoke a certificate.

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
  /** The store directory as the user gave it, for the commands that messages suggest. */
  readonly displayDir: string;
  readonly state: StoreState;
  readonly now: Date;
  readonly loadCa: (ca: CaId) => Promise<CertificateAuthority>;
  readonly warn: (message: string) => void;
  /** Hears each change to the PKI (a CA created, a certificate issued, a CRL signed): one line, with why. */
  readonly change: (message: string) => void;
  /** Each CA's published CRL as read in this run (read once: the guard and the freshness decision share it). */
  readonly published: Map<CaId, PublishedCrl>;
}

/** What reading the published CRLs needs (listing uses it without a lock or a CA key). */
export type PublishedView = Pick<CrlContext, 'dir' | 'state' | 'published'>;

/** The CAs that publish a CRL: every CA of the client chain, and the server CA once it has revoked anything. */
export function crlIssuers(state: StoreState): CaId[] {
  const ids: CaId[] = [];
  if (state.cas['client-ca']) ids.push('client-ca');
  if (state.cas['client-intermediate-ca']) ids.push('client-intermediate-ca');
  if (state.cas['server-ca'] && (state.crls['server-ca'] || state.revocations.some((r) => r.issuer === 'server-ca'))) ids.push('server-ca');
  return ids;
}

const entryKey = (e: RevokedEntry) => `${e.serialHex}|${wholeSeconds(e.revokedAt).toISOString()}|${e.reason && e.reason !== 'unspecified' ? e.reason : ''}`;

export function entriesOf(state: StoreState, ca: CaId): RevokedEntry[] {
  return state.revocations
    .filter((r) => r.issuer === ca)
    .map((r) => ({ serialHex: r.serialHex, revokedAt: new Date(r.revokedAt), ...(r.reason ? { reason: r.reason } : {}) }))
    .sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime() || a.serialHex.localeCompare(b.serialHex));
}

export interface PublishedCrl {
  readonly facts?: CrlFacts;
  /** The file exists but is not a CRL signed by the CA (it is replaced, with a warning, on the next publication). */
  readonly damaged: boolean;
}

/** The CRL in the CA's file, if it is readable, signed by the CA and names it as issuer. */
export function readCurrentCrl(dir: string, ca: CertificateIdentity, caId: CaId): PublishedCrl {
  const bytes = readInStore(dir, layout.crl(caId));
  if (!bytes) return { damaged: false };
  try {
    const [facts] = readCrlsWithoutPkijs(bytes.toString('utf8'), layout.crl(caId));
    if (facts.issuerKey !== ca.subjectKey || !isCrlSignedBy(facts, ca)) return { damaged: true };
    return { facts, damaged: false };
  } catch {
    return { damaged: true };
  }
}

/** CA `caId`'s published CRL, read (and checked against the CA store.json pins) once per run. */
export function publishedCrl(ctx: PublishedView, caId: CaId): PublishedCrl {
  let crl = ctx.published.get(caId);
  if (!crl) {
    crl = readCurrentCrl(ctx.dir, readCaCertificate(ctx.dir, ctx.state, caId).identity, caId);
    ctx.published.set(caId, crl);
  }
  return crl;
}

/** The date a revoked certificate expires: from its revocation record, else its certificate record. */
export function expiryOf(state: StoreState, issuer: CaId, serialHex: string, recorded?: string): number {
  return Date.parse(recorded ?? state.certificates.find((c) => c.issuer === issuer && c.serialHex === serialHex)?.notAfter ?? '');
}

/**
 * The entries of CA `caId`'s published CRL that store.json has no revocation for, and no audit entry drops
 * (pruned or forgotten while that CRL, or a later one, was published): what a new CRL would un-revoke.
 */
export function lostRevocations(ctx: PublishedView, caId: CaId): RevokedEntry[] {
  const { facts } = publishedCrl(ctx, caId);
  if (!facts) return [];
  const number = facts.crlNumber ?? 0n;
  const kept = new Set(ctx.state.revocations.filter((r) => r.issuer === caId).map((r) => r.serialHex));
  const dropped = new Set((ctx.state.audit ?? [])
    .filter((a) => a.issuer === caId && a.action !== 'adopted-from-crl' && BigInt(a.crlNumber) >= number)
    .map((a) => a.serialHex));
  return facts.entries.filter((e) => !kept.has(e.serialHex) && !dropped.has(e.serialHex));
}

/** Every CA of the store with the revocations its published CRL lists and store.json lost. */
export function allLostRevocations(ctx: PublishedView): { ca: CaId; crl: CrlFacts; entries: RevokedEntry[] }[] {
  return CA_IDS.filter((id) => ctx.state.cas[id])
    .map((ca) => ({ ca, crl: publishedCrl(ctx, ca).facts!, entries: lostRevocations(ctx, ca) }))
    .filter((l) => l.entries.length > 0);
}

const minute = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;

/** The monotonic guard: refuses, before anything is written, a run that would publish a CRL without a lost revocation. */
export function refuseLostRevocations(ctx: CrlContext): void {
  const lost = allLostRevocations(ctx);
  if (lost.length === 0) return;
  const described = lost.flatMap(({ ca, entries }) => entries.map((e) => {
    const cert = ctx.state.certificates.find((c) => c.issuer === ca && c.serialHex === e.serialHex);
    return `serial ${e.serialHex} (${cert ? `"${cert.commonName}", ` : ''}${ca}, revoked ${minute(e.revokedAt)}${e.reason && e.reason !== 'unspecified' ? `, ${e.reason}` : ''})`;
  }));
  const crls = lost.map(({ ca, crl }) => `${join(ctx.displayDir, layout.crl(ca))} (CRL #${crl.crlNumber ?? '?'})`).join(' and ');
  const dir = ctx.displayDir === 'pki' ? '' : ` --dir ${ctx.displayDir}`;
  const one = described.length === 1;
  throw new UserInputError(crls, `lists ${one ? 'a revocation' : `${described.length} revocations`} that store.json does not have: ${described.join('; ')}. `
    + `Publishing a new CRL now would un-revoke ${one ? 'it, and nginx would accept that certificate' : 'them, and nginx would accept those certificates'} again. Was store.json restored from an older backup? `
    + `To keep the revocations (what a restore needs): mtls-pki crl${dir} --adopt-published. To un-revoke a certificate on purpose: mtls-pki crl${dir} --forget ${lost[0].entries[0].serialHex} --why "…" (recorded in store.json). Nothing was written.`);
}

/** Appends to store.json's audit what happened to revocation `r` while `crl` was the published CRL. */
export function recordAudit(ctx: CrlContext, action: AuditEntry['action'], r: RevocationRecord, crl: CrlFacts, note?: string): AuditEntry {
  const entry: AuditEntry = {
    at: wholeSeconds(ctx.now).toISOString(), action, issuer: r.issuer, serialHex: r.serialHex, ...(r.commonName ? { commonName: r.commonName } : {}),
    revokedAt: r.revokedAt, ...(r.reason ? { reason: r.reason } : {}), crlNumber: String(crl.crlNumber ?? 0n), ...(note ? { note } : {}),
  };
  (ctx.state.audit ??= []).push(entry);
  return entry;
}

function maxDate(...values: (Date | undefined)[]): Date {
  return new Date(Math.max(...values.filter((d): d is Date => d !== undefined).map((d) => d.getTime())));
}

/**
 * Why CA `caId` must publish a new CRL now, or undefined when the published one stands: the one decision that
 * publishing (`maintainCrls`) and `list`'s `refreshDue` share. The revoked set is compared entry by entry
 * (serial, date, reason), as the CRL would list it.
 */
export function crlRefreshReason(state: StoreState, caId: CaId, current: PublishedCrl, now: Date, force = false): CrlStatus['reason'] {
  if (current.damaged) return 'damaged file replaced';
  if (!current.facts) return 'new';
  if (entriesOf(state, caId).map(entryKey).sort().join('\n') !== current.facts.entries.map(entryKey).sort().join('\n')) return 'revocations changed';
  if (!current.facts.nextUpdate || current.facts.nextUpdate.getTime() - now.getTime() < state.settings.crlRefreshBeforeDays * DAY_MS) return 'due for refresh';
  return force ? 'forced' : undefined;
}

/** The change line's why for a CRL `reason`. */
function whyPublished(state: StoreState, reason: NonNullable<CrlStatus['reason']>, current: PublishedCrl, now: Date): string {
  switch (reason) {
    case 'new': return 'the CA had none yet';
    case 'revocations changed': return 'the revoked set changed';
    case 'damaged file replaced': return 'the file was not a CRL signed by the CA';
    case 'forced': return 'forced';
    default: {
      const next = current.facts?.nextUpdate;
      const left = next ? `has ${Math.floor((next.getTime() - now.getTime()) / DAY_MS)} day(s) left` : 'has no nextUpdate';
      return `the published one (#${current.facts?.crlNumber ?? '?'}) ${left}, fewer than the ${state.settings.crlRefreshBeforeDays}-day refresh threshold`;
    }
  }
}

/**
 * Loads the CA of every CRL this run must sign, before the caller saves anything: when a key is not on this
 * machine (a keyless store: synth in CI), the run stops here with the command to run where the keys are,
 * and nothing is written.
 */
export async function requireCrlSigners(ctx: CrlContext, force = false): Promise<void> {
  for (const caId of crlIssuers(ctx.state)) {
    const reason = crlRefreshReason(ctx.state, caId, publishedCrl(ctx, caId), ctx.now, force);
    if (!reason) continue;
    try {
      await ctx.loadCa(caId);
    } catch (e) {
      if (!(e instanceof CaKeyAbsent)) throw e;
      const dir = ctx.displayDir === 'pki' ? '' : ` --dir ${ctx.displayDir}`;
      const added = reason === 'revocations changed' ? newlyRevoked(ctx, caId) : [];
      const names = added.map((r) => `"${r.commonName ?? r.serialHex}"`).join(', ');
      const revokeFirst = added.length ? ` (after revoking ${names} there too, e.g. mtls-pki revoke ${added[0].commonName ?? `--serial ${added[0].serialHex}`}${dir}, or by running this app there)` : '';
      throw new CaKeyAbsent(join(ctx.displayDir, layout.crl(caId)), `must be signed anew (${reason}), but ${e.message.slice(e.field.length + 2).replace(/ The store works without[\s\S]*$/, '').replace(/\.$/, '')}. A store without its CA keys synthesizes from the CRL last published, and this run needs a new one: where the CA keys are (the operator's machine or the HSM host), run mtls-pki crl${dir}${revokeFirst}, then commit or ship the store's files (store.json, */cert.pem, */crl.pem, client-trust/) here and run this again. Nothing was written.`, caId);
    }
  }
}

/** Revocations store.json has for `caId` that its published CRL does not list yet. */
function newlyRevoked(ctx: CrlContext, caId: CaId): RevocationRecord[] {
  const listed = new Set(publishedCrl(ctx, caId).facts?.entries.map((e) => e.serialHex) ?? []);
  return ctx.state.revocations.filter((r) => r.issuer === caId && !listed.has(r.serialHex));
}

async function maintainOne(ctx: CrlContext, caId: CaId, force: boolean): Promise<CrlStatus> {
  const { state, now } = ctx;
  const file = layout.crl(caId);
  // Only the CA certificate is needed to judge the current CRL; the key is imported only to sign a new one,
  // which keeps a warm synth (nothing to sign) from paying for a WebCrypto key import per CA, and lets a store
  // without its CA keys synthesize.
  const current = publishedCrl(ctx, caId);
  const wanted = entriesOf(state, caId);
  const record = state.crls[caId];
  const reason = crlRefreshReason(state, caId, current, now, force);
  if (!reason && current.facts) {
    return { ca: caId, file, number: current.facts.crlNumber ?? 0n, thisUpdate: current.facts.thisUpdate, nextUpdate: current.facts.nextUpdate!, entries: current.facts.entries.length, changed: false };
  }
  if (current.damaged) ctx.warn(`${file} was not a CRL signed by ${state.cas[caId]!.subject}; replacing it.`);
  const ca = await ctx.loadCa(caId);

  const number = nextCrlNumber(record ? BigInt(record.number) : undefined, current.facts?.crlNumber);
  const thisUpdate = wholeSeconds(now);
  const nextUpdate = maxDate(
    new Date(thisUpdate.getTime() + state.settings.crlValidityDays * DAY_MS),
    record ? new Date(record.nextUpdate) : undefined,
    current.facts?.nextUpdate,
  );
  const built = await buildCrl({ issuer: ca, entries: wanted, crlNumber: number, thisUpdate, nextUpdate });
  writeInStore(ctx.dir, file, built.pem, PUBLIC_FILE_MODE);
  ctx.published.delete(caId);

  state.crls[caId] = { number: number.toString(), nextUpdate: nextUpdate.toISOString() };
  ctx.change(`${reason === 'new' ? 'published' : 're-signed'} the ${caId} CRL #${number} (${wanted.length} revoked, next update ${minute(nextUpdate)}): ${whyPublished(state, reason!, current, now)}`);
  return { ca: caId, file, number, thisUpdate, nextUpdate, entries: wanted.length, changed: true, reason };
}

/**
 * Brings every issuer's CRL up to date (see the file comment), after the monotonic guard has checked every
 * CA, so that a refusal writes nothing. Mutates `ctx.state`; the caller saves it.
 */
export async function maintainCrls(ctx: CrlContext, force = false): Promise<CrlStatus[]> {
  refuseLostRevocations(ctx);
  await requireCrlSigners(ctx, force);
  const out: CrlStatus[] = [];
  for (const ca of crlIssuers(ctx.state)) out.push(await maintainOne(ctx, ca, force));
  return out;
}

/**
 * Removes revocations that RFC 5280 §3.3 lets go: the certificate has expired and the entry appeared on a CRL
 * issued after that. Both are judged at this run's time against the CRL as published (its thisUpdate after the
 * expiry, and not in the future), never from a flag an earlier run recorded: a run whose clock ran years ahead
 * must not make a valid certificate prunable. Each pruned entry gets an audit entry, which is what lets the
 * next CRL leave it out. Only ever called explicitly (`mtls-pki crl --prune-expired`, `PkiStore.prune()`).
 */
export function pruneRevocations(ctx: CrlContext): RevocationRecord[] {
  const { state, now } = ctx;
  const pruned: RevocationRecord[] = [];
  for (const ca of crlIssuers(state)) {
    const crl = publishedCrl(ctx, ca).facts;
    if (!crl || crl.thisUpdate.getTime() > now.getTime()) continue;
    const listed = new Set(crl.entries.map((e) => e.serialHex));
    for (const r of state.revocations.filter((x) => x.issuer === ca && listed.has(x.serialHex))) {
      const expiry = expiryOf(state, ca, r.serialHex, r.notAfter);
      if (!(expiry < now.getTime() && expiry < crl.thisUpdate.getTime())) continue;
      pruned.push(r);
      recordAudit(ctx, 'pruned-expired', r, crl);
    }
  }
  state.revocations = state.revocations.filter((r) => !pruned.includes(r));
  return pruned;
}
