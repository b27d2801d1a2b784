import { join } from 'node:path';
import { RevocationReason, UserInputError } from '../pki';
import { DAY_MS } from '../pki/time';
import { allLostRevocations, crlIssuers, PublishedView, publishedCrl } from './crls';
import { CA_IDS, CaId, layout } from './layout';
import { revocationOf } from './revoke';
import { readState, StoreState } from './state';

const daysLeft = (until: Date | string, now: Date) => Math.floor((new Date(until).getTime() - now.getTime()) / DAY_MS);

export interface CaListing {
  readonly id: CaId;
  readonly subject: string;
  readonly commonName: string;
  readonly serialHex: string;
  readonly keyAlgorithm: string;
  readonly issuer: CaId | null;
  readonly notAfter: string;
  readonly daysLeft: number;
}

export interface CertificateListing {
  readonly kind: 'server' | 'client';
  readonly name: string;
  readonly commonName: string;
  readonly serialHex: string;
  readonly issuer: CaId;
  readonly subjectAltNames: readonly string[];
  readonly notAfter: string;
  readonly daysLeft: number;
  /** `replaced`: a server certificate superseded by one with other names (still valid until it expires). */
  readonly status: 'valid' | 'revoked' | 'expired' | 'replaced';
  readonly revokedAt?: string;
  readonly reason?: RevocationReason;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface CrlListing {
  readonly ca: CaId;
  readonly file: string;
  /** Absent when the CA has no readable CRL yet (run `mtls-pki crl`). */
  readonly number?: string;
  readonly thisUpdate?: string;
  readonly nextUpdate?: string;
  readonly daysLeft?: number;
  readonly entries: number;
  /** Whether the next ensure/crl/revoke will write a new CRL (revocations changed, or refresh threshold reached). */
  readonly refreshDue: boolean;
}

export interface StoreListing {
  readonly dir: string;
  readonly now: string;
  readonly cas: readonly CaListing[];
  readonly certificates: readonly CertificateListing[];
  readonly crls: readonly CrlListing[];
  readonly settings: { readonly crlValidityDays: number; readonly crlRefreshBeforeDays: number };
}

/**
 * The store as `list` and `check` show it. `warn` hears what is wrong but does not stop the listing: a CA file
 * that is not the one store.json pins, a certificate that outlives its issuer, a revocation the published CRL
 * lists but store.json lost.
 */
export function listingOf(dir: string, state: StoreState, now: Date, warn: (message: string) => void = () => undefined): StoreListing {
  const cas = CA_IDS.flatMap((id): CaListing[] => {
    const ca = state.cas[id];
    return ca ? [{ id, subject: ca.subject, commonName: ca.commonName, serialHex: ca.serialHex, keyAlgorithm: ca.keyAlgorithm, issuer: ca.issuer, notAfter: ca.notAfter, daysLeft: daysLeft(ca.notAfter, now) }] : [];
  });
  const certificates = state.certificates.map((c): CertificateListing => {
    const r = revocationOf(state, c.issuer, c.serialHex);
    const status = r ? 'revoked' : Date.parse(c.notAfter) <= now.getTime() ? 'expired' : c.replacedBy ? 'replaced' : 'valid';
    return {
      kind: c.kind, name: c.name, commonName: c.commonName, serialHex: c.serialHex, issuer: c.issuer,
      subjectAltNames: c.subjectAltNames, notAfter: c.notAfter, daysLeft: daysLeft(c.notAfter, now), status,
      ...(r ? { revokedAt: r.revokedAt, ...(r.reason ? { reason: r.reason } : {}) } : {}),
      ...(c.files ? { certFile: c.files.chain ?? c.files.cert, keyFile: c.files.key } : {}),
    };
  });
  const view: PublishedView = { dir, state, published: new Map() };
  const readable = (id: CaId) => {
    try {
      return publishedCrl(view, id);
    } catch (e) {
      if (!(e instanceof UserInputError)) throw e;
      warn(e.message);
      view.published.set(id, { damaged: true });
      return { facts: undefined };
    }
  };
  const crls = crlIssuers(state).map((id): CrlListing => {
    const { facts } = readable(id);
    const wanted = state.revocations.filter((r) => r.issuer === id).map((r) => r.serialHex).sort().join();
    const listed = facts ? facts.entries.map((e) => e.serialHex).sort().join() : undefined;
    const refreshDue = !facts?.nextUpdate || listed !== wanted
      || facts.nextUpdate.getTime() - now.getTime() < state.settings.crlRefreshBeforeDays * DAY_MS;
    return {
      ca: id,
      file: layout.crl(id),
      ...(facts ? {
        number: String(facts.crlNumber ?? ''),
        thisUpdate: facts.thisUpdate.toISOString(),
        ...(facts.nextUpdate ? { nextUpdate: facts.nextUpdate.toISOString(), daysLeft: daysLeft(facts.nextUpdate, now) } : {}),
      } : {}),
      entries: facts?.entries.length ?? 0,
      refreshDue,
    };
  });
  CA_IDS.filter((id) => state.cas[id]).forEach(readable);
  warnOutlivingIssuers(state, now, warn);
  // Listing takes no lock: a revoke may have saved store.json and published its CRL since `state` was read.
  // Writers save store.json before the CRL, so store.json read again now covers every CRL read above.
  const lost = allLostRevocations(view).length ? allLostRevocations({ ...view, state: readState(dir) ?? state }) : [];
  for (const { ca, entries } of lost) {
    const crl = `mtls-pki crl${dir === 'pki' ? '' : ` --dir ${dir}`}`;
    warn(`${join(dir, layout.crl(ca))} lists ${entries.map((e) => `serial ${e.serialHex}`).join(', ')}, but store.json has no such revocation (was it restored from an older backup?). The next crl, revoke or synth refuses to publish until you run \`${crl} --adopt-published\` (keeps them revoked) or forget one on purpose with \`${crl} --forget SERIAL --why TEXT\`.`);
  }
  return {
    dir, now: now.toISOString(), cas, certificates, crls,
    settings: { crlValidityDays: state.settings.crlValidityDays, crlRefreshBeforeDays: state.settings.crlRefreshBeforeDays },
  };
}

const day = (iso: string) => iso.slice(0, 10);

/**
 * Warns about each certificate (or intermediate CA) still in use whose notAfter is after its issuing CA's:
 * a chain is rejected once any certificate in it has expired, so it stops working when the CA does, whatever
 * its own date says. The store no longer issues these (issue.ts clamps); they come from earlier releases or
 * from `openssl ca`, which does not clamp.
 */
function warnOutlivingIssuers(state: StoreState, now: Date, warn: (message: string) => void): void {
  const symptom = { server: 'clients refuse the server (curl: (60) certificate has expired)', client: 'nginx answers 400 to that client' };
  const inUse = [
    ...state.certificates.filter((c) => !revocationOf(state, c.issuer, c.serialHex))
      .map((c) => ({ what: `${c.kind} certificate "${c.name}"`, serialHex: c.serialHex, issuer: c.issuer, notAfter: c.notAfter, symptom: symptom[c.kind] })),
    ...CA_IDS.flatMap((id) => {
      const ca = state.cas[id];
      return ca?.issuer ? [{ what: id, serialHex: ca.serialHex, issuer: ca.issuer, notAfter: ca.notAfter, symptom: 'nginx answers 400 to every client it issued' }] : [];
    }),
  ];
  for (const c of inUse) {
    const issuer = state.cas[c.issuer];
    if (!issuer || Date.parse(c.notAfter) <= now.getTime() || Date.parse(c.notAfter) <= Date.parse(issuer.notAfter)) continue;
    warn(`${c.what} (serial ${c.serialHex}) expires ${day(c.notAfter)}, after its issuer ${c.issuer} "${issuer.commonName}" (${day(issuer.notAfter)}). From ${day(issuer.notAfter)} on it is rejected as if expired (openssl verify: "certificate has expired" at depth 1; ${c.symptom}), whatever its own date says. Plan ${c.issuer}'s replacement before then and re-issue what it signed.`);
  }
}
