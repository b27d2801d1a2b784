import { DEFAULT_KEY_ALGORITHM, inferSubjectAltName, KeyAlgorithm, parseKeyAlgorithm, RevocationReason, UserInputError, validateCommonName } from '../pki';
import { DAY_MS } from '../pki/time';
import { ensureCa, issueClient, IssueContext, issueServer, refuseForeignCaFiles, sanText } from './issue';
import { currentServer } from './material';
import { recordRevocation, resolveTargets, revocationOf } from './revoke';
import { CertificateRecord, StoreSettings, StoreState } from './state';

// The declarative side of the store: `ensure(spec)` creates what the spec names and the store lacks, and
// reuses everything else, so that running it again with the same spec changes no byte.

export const DEFAULT_SERVER_CA_CN = 'mtls-pki Server CA';
export const DEFAULT_CLIENT_CA_CN = 'mtls-pki Client CA';
/** A server certificate is re-issued when fewer days than this remain (the construct warns at 30). */
export const SERVER_RENEW_BEFORE_DAYS = 30;

export interface PkiSpec {
  /** @default { commonName: 'mtls-pki Server CA' } */
  readonly serverCa?: { readonly commonName: string; readonly keyAlgorithm?: KeyAlgorithm };
  /** @default { commonName: 'mtls-pki Client CA' }; with `intermediate`, clients are issued by an intermediate CA. */
  readonly clientCa?: { readonly commonName: string; readonly keyAlgorithm?: KeyAlgorithm; readonly intermediate?: { readonly commonName: string } };
  /** `name` is the file stem and the handle for `serverTls(name)`; `names` become the SANs (DNS, wildcard, IP). */
  readonly servers?: readonly { readonly name: string; readonly names: readonly string[]; readonly keyAlgorithm?: KeyAlgorithm; readonly validityDays?: number }[];
  readonly clients?: readonly { readonly commonName: string; readonly altNames?: readonly string[]; readonly keyAlgorithm?: KeyAlgorithm; readonly validityDays?: number }[];
  /** By CN: every certificate with that CN is revoked. By serial: that certificate. Revocations are permanent. */
  readonly revoked?: readonly { readonly commonName?: string; readonly serialHex?: string; readonly reason?: RevocationReason }[];
  /** The default key algorithm for everything this spec creates. @default ec-p256 */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** @default { validityDays: 90, refreshBeforeDays: 30 } */
  readonly crl?: { readonly validityDays?: number; readonly refreshBeforeDays?: number };
  /** The time to act at (tests). @default now */
  readonly now?: Date;
}

function checkDays(value: number | undefined, field: string, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) {
    throw new UserInputError(field, `${value} is not a whole number of days between 1 and ${max}.`);
  }
}

/** Validates a spec before anything is written, so a bad spec leaves the store untouched. */
export function validateSpec(spec: PkiSpec): void {
  const alg = (v: KeyAlgorithm | undefined, field: string) => v === undefined || parseKeyAlgorithm(v, field);
  alg(spec.keyAlgorithm, 'keyAlgorithm');
  alg(spec.serverCa?.keyAlgorithm, 'serverCa.keyAlgorithm');
  alg(spec.clientCa?.keyAlgorithm, 'clientCa.keyAlgorithm');
  checkDays(spec.crl?.validityDays, 'crl.validityDays', 3650);
  checkDays(spec.crl?.refreshBeforeDays, 'crl.refreshBeforeDays', 3649);
  if (spec.serverCa) validateCommonName(spec.serverCa.commonName, 'serverCa.commonName');
  if (spec.clientCa) validateCommonName(spec.clientCa.commonName, 'clientCa.commonName');
  if (spec.clientCa?.intermediate) validateCommonName(spec.clientCa.intermediate.commonName, 'clientCa.intermediate.commonName');
  const seen = new Set<string>();
  (spec.servers ?? []).forEach((s, i) => {
    if (!s.names?.length) throw new UserInputError(`servers[${i}].names`, 'is empty; give at least one host name or IP.');
    s.names.forEach((n, j) => {
      const san = inferSubjectAltName(n, `servers[${i}].names[${j}]`);
      if (san.kind !== 'dns' && san.kind !== 'ip') throw new UserInputError(`servers[${i}].names[${j}]`, `"${n}" is an ${san.kind}; a server certificate names hosts (DNS names or IPs).`);
    });
    // The handle: file stem, `serverTls(name)`, and what `mtls-pki list` prints.
    validateCommonName(s.name, `servers[${i}].name`);
    if (seen.has(s.name)) throw new UserInputError(`servers[${i}].name`, `"${s.name}" appears twice; each server needs its own name.`);
    seen.add(s.name);
    alg(s.keyAlgorithm, `servers[${i}].keyAlgorithm`);
    checkDays(s.validityDays, `servers[${i}].validityDays`, 36525);
  });
  const cns = new Set<string>();
  (spec.clients ?? []).forEach((c, i) => {
    validateCommonName(c.commonName, `clients[${i}].commonName`);
    if (cns.has(c.commonName)) throw new UserInputError(`clients[${i}].commonName`, `"${c.commonName}" appears twice; list each client once.`);
    cns.add(c.commonName);
    (c.altNames ?? []).forEach((n, j) => inferSubjectAltName(n, `clients[${i}].altNames[${j}]`));
    alg(c.keyAlgorithm, `clients[${i}].keyAlgorithm`);
    checkDays(c.validityDays, `clients[${i}].validityDays`, 36525);
  });
  (spec.revoked ?? []).forEach((r, i) => {
    if ((r.commonName === undefined) === (r.serialHex === undefined)) throw new UserInputError(`revoked[${i}]`, 'give exactly one of commonName or serialHex.');
  });
}

function settingsFor(state: StoreState, spec: PkiSpec): StoreSettings {
  const s = state.settings;
  const next: StoreSettings = {
    crlValidityDays: spec.crl?.validityDays ?? s.crlValidityDays,
    crlRefreshBeforeDays: spec.crl?.refreshBeforeDays ?? s.crlRefreshBeforeDays,
    ...(spec.keyAlgorithm ?? s.keyAlgorithm ? { keyAlgorithm: spec.keyAlgorithm ?? s.keyAlgorithm } : {}),
  };
  if (next.crlRefreshBeforeDays >= next.crlValidityDays) {
    throw new UserInputError('crl.refreshBeforeDays', `${next.crlRefreshBeforeDays} is not less than the CRL validity of ${next.crlValidityDays} days, so every run would issue a new CRL; use e.g. validityDays 90 with refreshBeforeDays 30.`);
  }
  const same = next.crlValidityDays === s.crlValidityDays && next.crlRefreshBeforeDays === s.crlRefreshBeforeDays && next.keyAlgorithm === s.keyAlgorithm;
  return same ? s : next;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** Whether a client certificate can still be handed out: not revoked, not expired. */
export function isUsable(state: StoreState, c: CertificateRecord, now: Date): boolean {
  return !revocationOf(state, c.issuer, c.serialHex) && Date.parse(c.notAfter) > now.getTime();
}

/** Applies `spec` to `ctx.state` (files are written as it goes); the caller saves the state and the CRLs. */
export async function applySpec(ctx: IssueContext, spec: PkiSpec): Promise<void> {
  const { state, now } = ctx;
  checkRevokedTargets(state, spec);
  state.settings = settingsFor(state, spec);
  const keyDefault = state.settings.keyAlgorithm ?? DEFAULT_KEY_ALGORITHM;

  // CA files the store did not write are refused before anything is created, so the refusal writes nothing.
  const intermediate = spec.clientCa?.intermediate;
  for (const id of ['server-ca', 'client-ca', ...(intermediate ? ['client-intermediate-ca'] as const : [])] as const) refuseForeignCaFiles(ctx, id);
  prefetchKeys(ctx, spec, keyDefault);
  await ensureCa(ctx, 'server-ca', { commonName: spec.serverCa?.commonName ?? DEFAULT_SERVER_CA_CN, explicit: !!spec.serverCa, keyAlgorithm: spec.serverCa?.keyAlgorithm ?? keyDefault, field: 'serverCa.commonName' });
  await ensureCa(ctx, 'client-ca', { commonName: spec.clientCa?.commonName ?? DEFAULT_CLIENT_CA_CN, explicit: !!spec.clientCa, keyAlgorithm: spec.clientCa?.keyAlgorithm ?? keyDefault, field: 'clientCa.commonName' });
  if (intermediate) {
    await ensureCa(ctx, 'client-intermediate-ca', { commonName: intermediate.commonName, explicit: true, keyAlgorithm: spec.clientCa?.keyAlgorithm ?? keyDefault, issuer: 'client-ca', field: 'clientCa.intermediate.commonName' });
  }

  for (const s of spec.servers ?? []) await ensureServer(ctx, s.name, s.names, { keyAlgorithm: s.keyAlgorithm ?? keyDefault, validityDays: s.validityDays });

  for (const c of spec.clients ?? []) {
    if (!clientSatisfied(state, spec, c, now)) await issueClient(ctx, c.commonName, c.altNames ?? [], { keyAlgorithm: c.keyAlgorithm ?? keyDefault, validityDays: c.validityDays });
  }

  (spec.revoked ?? []).forEach((r, i) => {
    const targets = resolveTargets(ctx.dir, state, r.commonName !== undefined ? { commonName: r.commonName } : { serialHex: r.serialHex }, 'all', `revoked[${i}]`);
    for (const t of targets) recordRevocation(state, t, r.reason, now);
  });
}

/** Refuses, before anything is created, a revocation that names neither a stored nor a specified certificate. */
function checkRevokedTargets(state: StoreState, spec: PkiSpec): void {
  const specified = new Set([...(spec.clients ?? []).map((c) => c.commonName), ...(spec.servers ?? []).map((s) => s.names[0])]);
  (spec.revoked ?? []).forEach((r, i) => {
    if (r.commonName !== undefined && !specified.has(r.commonName) && !state.certificates.some((c) => c.commonName === r.commonName || c.name === r.commonName)) {
      throw new UserInputError(`revoked[${i}]`, `no certificate with common name "${r.commonName}" in the store or in the spec's clients; list it under clients too, or remove it from revoked.`);
    }
    if (r.serialHex !== undefined) resolveTargets('', state, { serialHex: r.serialHex }, 'all', `revoked[${i}]`);
  });
}

/** Reuses the current certificate `name` when it has exactly these SANs and 30+ days left; else issues anew. */
export async function ensureServer(ctx: IssueContext, name: string, names: readonly string[], wish: { keyAlgorithm: KeyAlgorithm; validityDays?: number }, force = false): Promise<{ record: CertificateRecord; created: boolean }> {
  const current = force ? undefined : reusableServer(ctx.state, ctx.now, name, names);
  if (current) return { record: current, created: false };
  return { record: await issueServer(ctx, name, names, wish), created: true };
}

/**
 * The current server certificate `name` when it has exactly these SANs, is not revoked and has 30+ days left,
 * or (while it has not expired) already ends with its CA: a new one would be clamped to the same date.
 */
function reusableServer(state: StoreState, now: Date, name: string, names: readonly string[]): CertificateRecord | undefined {
  const wanted = names.map((n, i) => sanText(inferSubjectAltName(n, `names[${i}]`)));
  const current = currentServer(state, name);
  const notAfter = current ? Date.parse(current.notAfter) : NaN;
  const caNotAfter = Date.parse(current ? state.cas[current.issuer]?.notAfter ?? '' : '');
  const fresh = current && !revocationOf(state, current.issuer, current.serialHex)
    && (notAfter - now.getTime() > SERVER_RENEW_BEFORE_DAYS * DAY_MS || (notAfter > now.getTime() && notAfter >= caNotAfter));
  return current && fresh && sameSet(current.subjectAltNames, wanted) ? current : undefined;
}

/**
 * A client the spec also revokes needs one certificate of any status (it is issued once, then revoked); any
 * other client needs a usable one with the wanted names.
 */
function clientSatisfied(state: StoreState, spec: PkiSpec, c: NonNullable<PkiSpec['clients']>[number], now: Date): boolean {
  const wantedSans = (c.altNames ?? []).map((n, i) => sanText(inferSubjectAltName(n, `altNames[${i}]`)));
  const existing = state.certificates.filter((x) => x.kind === 'client' && x.commonName === c.commonName);
  const revokedBySpec = (spec.revoked ?? []).some((r) => r.commonName === c.commonName);
  return revokedBySpec ? existing.length > 0 : existing.some((x) => isUsable(state, x, now) && sameSet(x.subjectAltNames, wantedSans));
}

/** Starts generating, in parallel, one key for everything `applySpec` is about to create (nothing on a warm store). */
function prefetchKeys(ctx: IssueContext, spec: PkiSpec, keyDefault: KeyAlgorithm): void {
  const { state, now, keys } = ctx;
  if (!keys) return;
  const wanted: KeyAlgorithm[] = [];
  if (!state.cas['server-ca']) wanted.push(spec.serverCa?.keyAlgorithm ?? keyDefault);
  if (!state.cas['client-ca']) wanted.push(spec.clientCa?.keyAlgorithm ?? keyDefault);
  if (spec.clientCa?.intermediate && !state.cas['client-intermediate-ca']) wanted.push(spec.clientCa.keyAlgorithm ?? keyDefault);
  for (const s of spec.servers ?? []) if (!reusableServer(state, now, s.name, s.names)) wanted.push(s.keyAlgorithm ?? keyDefault);
  for (const c of spec.clients ?? []) if (!clientSatisfied(state, spec, c, now)) wanted.push(c.keyAlgorithm ?? keyDefault);
  for (const algorithm of new Set(wanted)) keys.prefetch(algorithm, wanted.filter((a) => a === algorithm).length);
}
