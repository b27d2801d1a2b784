import { inferSubjectAltName } from '../pki/names';
import { DAY_MS } from '../pki/time';
import { sanText } from './issue';
import { revocationOf } from './revoke';
import { CertificateRecord, RevocationRecord, StoreState } from './state';

// Whether the store hands out a certificate it has or issues a new one: decided here, once, for `ensure(spec)`,
// `PkiStore.issueServer/issueClient` and the CLI (which asks before it prompts for a PKCS#12 password). The
// same decision says why a new one is needed, which is what `onChange` prints.

/**
 * A certificate is renewed when fewer days than this remain (the construct warns about a server certificate
 * at 30 too), unless it already ends with its CA: a new one would be clamped to the same date.
 */
export const RENEW_BEFORE_DAYS = 30;

/** Reuse `record`, or issue a new certificate (`verb`, and why: for the change line). */
export type LeafDecision =
  | { readonly reuse: CertificateRecord }
  | {
    readonly reuse?: undefined;
    readonly verb: 'issued' | 're-issued' | 'renewed';
    /** Why the current certificate is not reused, e.g. `serial 3F… was revoked`. Absent for the first one. */
    readonly why?: string;
    /** Set when the newest certificate with this name is revoked: a spec must say it wants a new one. */
    readonly revoked?: { readonly certificate: CertificateRecord; readonly revocation: RevocationRecord };
  };

/** Whether a certificate can still be handed out: not revoked, not expired. */
export function isUsable(state: StoreState, c: CertificateRecord, now: Date): boolean {
  return !revocationOf(state, c.issuer, c.serialHex) && Date.parse(c.notAfter) > now.getTime();
}

/** Newest first, by notBefore (records adopted from openssl have only notAfter). */
export function newestFirst(a: CertificateRecord, b: CertificateRecord): number {
  return Date.parse(b.notBefore ?? b.notAfter) - Date.parse(a.notBefore ?? a.notAfter);
}

/** The server certificate `name` the store hands out: the newest one not replaced by one with other names. */
export function currentServer(state: StoreState, name: string): CertificateRecord | undefined {
  return state.certificates.filter((c) => c.kind === 'server' && c.name === name && !c.replacedBy && c.files).sort(newestFirst)[0];
}

/** The client certificate `commonName` the store hands out: the newest usable one with its key, else the newest with its key. */
export function currentClient(state: StoreState, commonName: string, now: Date): CertificateRecord | undefined {
  const all = state.certificates.filter((c) => c.kind === 'client' && c.commonName === commonName && c.files?.key).sort(newestFirst);
  return all.find((c) => isUsable(state, c, now)) ?? all[0];
}

const daysLeft = (c: CertificateRecord, now: Date) => Math.floor((Date.parse(c.notAfter) - now.getTime()) / DAY_MS);

/** Usable, and either more than RENEW_BEFORE_DAYS left or already ending with its CA. */
function fresh(state: StoreState, c: CertificateRecord, now: Date): boolean {
  if (!isUsable(state, c, now)) return false;
  const caNotAfter = Date.parse(state.cas[c.issuer]?.notAfter ?? '');
  return Date.parse(c.notAfter) - now.getTime() > RENEW_BEFORE_DAYS * DAY_MS || Date.parse(c.notAfter) >= caNotAfter;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
const sansOf = (names: readonly string[], field: string) => names.map((n, i) => sanText(inferSubjectAltName(n, `${field}[${i}]`)));

/** Why `previous` is not handed out any more (it is not fresh); `names` when its SANs are not the wanted ones. */
function staleness(state: StoreState, previous: CertificateRecord, now: Date, sameNames: boolean): Exclude<LeafDecision, { reuse: CertificateRecord }> {
  const revocation = revocationOf(state, previous.issuer, previous.serialHex);
  const serial = `serial ${previous.serialHex}`;
  if (revocation) return { verb: 're-issued', why: `${serial} was revoked${revocation.reason ? ` (${revocation.reason})` : ''}`, revoked: { certificate: previous, revocation } };
  if (!sameNames) return { verb: 're-issued', why: `the names changed (${serial} has ${previous.subjectAltNames.join(', ') || 'none'})` };
  const expired = Date.parse(previous.notAfter) <= now.getTime();
  return { verb: 'renewed', why: expired ? `${serial} expired on ${previous.notAfter.slice(0, 10)}` : `${serial} expires in ${daysLeft(previous, now)} day(s)` };
}

/** The current server certificate `name` when it has exactly these names and is fresh; else why a new one is due. */
export function decideServer(state: StoreState, now: Date, name: string, names: readonly string[]): LeafDecision {
  const current = currentServer(state, name);
  if (!current) return { verb: 'issued' };
  const sameNames = sameSet(current.subjectAltNames, sansOf(names, 'names'));
  if (sameNames && fresh(state, current, now)) return { reuse: current };
  return staleness(state, current, now, sameNames);
}

/** The newest fresh client certificate with this CN and exactly these names; else why a new one is due. */
export function decideClient(state: StoreState, now: Date, commonName: string, altNames: readonly string[]): LeafDecision {
  const wanted = sansOf(altNames, 'altNames');
  const all = state.certificates.filter((c) => c.kind === 'client' && c.commonName === commonName).sort(newestFirst);
  const same = all.filter((c) => sameSet(c.subjectAltNames, wanted));
  const reusable = same.find((c) => fresh(state, c, now));
  if (reusable) return { reuse: reusable };
  if (all.length === 0) return { verb: 'issued' };
  // Renewing the one with these names says more than "names changed" about an older one with others.
  const expiring = same.find((c) => isUsable(state, c, now));
  if (expiring) return staleness(state, expiring, now, true);
  return staleness(state, all[0], now, same.includes(all[0]));
}
