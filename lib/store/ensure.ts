import { DEFAULT_KEY_ALGORITHM, DEFAULT_VALIDITY_DAYS, inferSubjectAltName, KeyAlgorithm, parseKeyAlgorithm, RevocationReason, UserInputError, validateCommonName } from '../pki';
import { parsePkcs11Uri } from '../pki/pkcs11';
import { didYouMean } from '../util/did-you-mean';
import { describeLeaf, ensureCa, issueClient, IssueContext, issueServer, refuseForeignCaFiles } from './issue';
import { decideClient, decideServer, LeafDecision, RENEW_BEFORE_DAYS } from './reuse';
import { recordRevocation, resolveTargets } from './revoke';
import { CaKeyCustody, CertificateRecord, StoreSettings, StoreState } from './state';

// The declarative side of the store: `ensure(spec)` creates what the spec names and the store lacks, and
// reuses everything else, so that running it again with the same spec changes no byte.

export const DEFAULT_SERVER_CA_CN = 'mtls-pki Server CA';
export const DEFAULT_CLIENT_CA_CN = 'mtls-pki Client CA';
/** A server certificate is re-issued when fewer days than this remain (the construct warns at 30). */
export const SERVER_RENEW_BEFORE_DAYS = RENEW_BEFORE_DAYS;

export interface PkiSpec {
  /** @default { commonName: 'mtls-pki Server CA' } */
  readonly serverCa?: { readonly commonName: string; readonly keyAlgorithm?: KeyAlgorithm };
  /** @default { commonName: 'mtls-pki Client CA' }; with `intermediate`, clients are issued by an intermediate CA. */
  readonly clientCa?: { readonly commonName: string; readonly keyAlgorithm?: KeyAlgorithm; readonly intermediate?: { readonly commonName: string } };
  /** `name` is the file stem and the handle for `serverTls(name)`; `names` become the SANs (DNS, wildcard, IP). */
  readonly servers?: readonly { readonly name: string; readonly names: readonly string[]; readonly keyAlgorithm?: KeyAlgorithm; readonly validityDays?: number }[];
  /**
   * A client whose certificate was revoked outside this spec (`mtls-pki revoke`, or an earlier spec's `revoked`)
   * is not given a new one silently: `ensure` refuses, naming the choice, unless `reissueIfRevoked` says to.
   */
  readonly clients?: readonly {
    readonly commonName: string; readonly altNames?: readonly string[]; readonly keyAlgorithm?: KeyAlgorithm; readonly validityDays?: number;
    /** Issue a new certificate when the current one is revoked. @default false: refuse, naming this option */
    readonly reissueIfRevoked?: boolean;
  }[];
  /** By CN: every certificate with that CN is revoked. By serial: that certificate. Revocations are permanent. */
  readonly revoked?: readonly { readonly commonName?: string; readonly serialHex?: string; readonly reason?: RevocationReason }[];
  /** The default key algorithm for everything this spec creates. @default ec-p256 */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** @default { validityDays: 90, refreshBeforeDays: 30 } */
  readonly crl?: { readonly validityDays?: number; readonly refreshBeforeDays?: number };
  /**
   * How the CA keys this spec creates are kept: 'encrypted' (key.pem encrypted with OpenOptions.passphrase),
   * or a `pkcs11:` URI naming a token, its module and PIN source (the keys are generated in it and never
   * leave it). Fixed when the first CA is created. @default plain key.pem files
   */
  readonly caKeys?: CaKeyCustody;
  /** The time to act at (tests). @default now */
  readonly now?: Date;
}

function checkDays(value: number | undefined, field: string, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) {
    throw new UserInputError(field, `${value} is not a whole number of days between 1 and ${max}.`);
  }
}

/** A leaf's validity must outlast the renewal threshold, or every run would renew it (see reuse.ts). */
export function checkLeafDays(value: number | undefined, field: string, kind: 'server' | 'client'): void {
  checkDays(value, field, 36525);
  if (value !== undefined && value <= RENEW_BEFORE_DAYS) {
    throw new UserInputError(field, `${value} days is not more than the ${RENEW_BEFORE_DAYS}-day renewal threshold: the certificate would be due for renewal as soon as it is issued, so every run would issue a new key${kind === 'server' ? ' and every deploy would reload nginx' : ''}. Give more than ${RENEW_BEFORE_DAYS} days (the default is ${DEFAULT_VALIDITY_DAYS[kind]}). Nothing was written.`);
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
    checkLeafDays(s.validityDays, `servers[${i}].validityDays`, 'server');
  });
  const cns = new Set<string>();
  (spec.clients ?? []).forEach((c, i) => {
    validateCommonName(c.commonName, `clients[${i}].commonName`);
    if (cns.has(c.commonName)) throw new UserInputError(`clients[${i}].commonName`, `"${c.commonName}" appears twice; list each client once.`);
    cns.add(c.commonName);
    (c.altNames ?? []).forEach((n, j) => inferSubjectAltName(n, `clients[${i}].altNames[${j}]`));
    alg(c.keyAlgorithm, `clients[${i}].keyAlgorithm`);
    checkLeafDays(c.validityDays, `clients[${i}].validityDays`, 'client');
  });
  (spec.revoked ?? []).forEach((r, i) => {
    if ((r.commonName === undefined) === (r.serialHex === undefined)) throw new UserInputError(`revoked[${i}]`, 'give exactly one of commonName or serialHex.');
  });
  if (spec.caKeys !== undefined && spec.caKeys !== 'encrypted') parsePkcs11Uri(spec.caKeys, 'caKeys');
}

/** The CA key custody after `spec`: set once, with the first CA; changing it later is refused with the way to do it. */
function custodyFor(state: StoreState, spec: PkiSpec): CaKeyCustody | undefined {
  const current = state.settings.caKeys;
  if (spec.caKeys === undefined || spec.caKeys === current) return current;
  if (!Object.keys(state.cas).length) return spec.caKeys;
  const describe = (c: CaKeyCustody | undefined) => (c === undefined ? 'plain key files' : c === 'encrypted' ? 'encrypted key files' : `the PKCS#11 token ${c.split('?')[0]}`);
  const how = spec.caKeys === 'encrypted' && current === undefined ? ' Encrypt them with `mtls-pki keys encrypt`.'
    : current === 'encrypted' && spec.caKeys === undefined ? ' Decrypt them with `mtls-pki keys decrypt`.'
      : ' A key generated outside a token cannot be moved into one, nor a token key out of it: start a new store (--dir) for the new custody.';
  throw new UserInputError('caKeys', `asks for ${describe(spec.caKeys)}, but this store's CA keys are ${describe(current)}.${how} Nothing was written.`);
}

function settingsFor(state: StoreState, spec: PkiSpec): StoreSettings {
  const s = state.settings;
  let next: StoreSettings = {
    crlValidityDays: spec.crl?.validityDays ?? s.crlValidityDays,
    crlRefreshBeforeDays: spec.crl?.refreshBeforeDays ?? s.crlRefreshBeforeDays,
    ...(spec.keyAlgorithm ?? s.keyAlgorithm ? { keyAlgorithm: spec.keyAlgorithm ?? s.keyAlgorithm } : {}),
  };
  if (next.crlRefreshBeforeDays >= next.crlValidityDays) {
    throw new UserInputError('crl.refreshBeforeDays', `${next.crlRefreshBeforeDays} is not less than the CRL validity of ${next.crlValidityDays} days, so every run would issue a new CRL; use e.g. validityDays 90 with refreshBeforeDays 30.`);
  }
  const caKeys = custodyFor(state, spec);
  if (caKeys) next = { ...next, caKeys };
  const same = next.crlValidityDays === s.crlValidityDays && next.crlRefreshBeforeDays === s.crlRefreshBeforeDays && next.keyAlgorithm === s.keyAlgorithm && next.caKeys === s.caKeys;
  return same ? s : next;
}

/** Applies `spec` to `ctx.state` (files are written as it goes); the caller saves the state and the CRLs. */
export async function applySpec(ctx: IssueContext, spec: PkiSpec): Promise<void> {
  const { state, now } = ctx;
  checkRevokedTargets(state, spec);
  refuseSilentReissue(state, spec, now);
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
    const decision = clientDecision(state, spec, c, now);
    if (!decision.reuse) await issueNewClient(ctx, c.commonName, c.altNames ?? [], { keyAlgorithm: c.keyAlgorithm ?? keyDefault, validityDays: c.validityDays }, decision);
  }

  (spec.revoked ?? []).forEach((r, i) => {
    const targets = resolveTargets(ctx.dir, state, r.commonName !== undefined ? { commonName: r.commonName } : { serialHex: r.serialHex }, 'all', `revoked[${i}]`);
    for (const t of targets) {
      const { record, created } = recordRevocation(state, t, r.reason, now);
      if (created) ctx.change(`revoked ${t.kind} certificate "${t.name}" (serial ${t.serialHex}${record.reason ? `, ${record.reason}` : ''}): the spec lists it under revoked`);
    }
  });
}

/**
 * Refuses, before anything is written, a client of the spec whose newest certificate is revoked, when neither
 * the spec revokes it nor `reissueIfRevoked` asks for a new one: it was revoked outside the spec (`mtls-pki
 * revoke partner-a`), and minting a new one silently would undo that revocation in effect.
 */
function refuseSilentReissue(state: StoreState, spec: PkiSpec, now: Date): void {
  (spec.clients ?? []).forEach((c, i) => {
    if (c.reissueIfRevoked || revokedBySpec(spec, c.commonName)) return;
    const decision = decideClient(state, now, c.commonName, c.altNames ?? []);
    if (decision.reuse || !decision.revoked) return;
    const { certificate, revocation } = decision.revoked;
    const cn = c.commonName;
    throw new UserInputError(`clients[${i}]`, `"${cn}" is revoked (serial ${certificate.serialHex}, ${revocation.revokedAt.slice(0, 10)}${revocation.reason ? `, ${revocation.reason}` : ''}), but this spec does not revoke it: it was revoked outside the spec (\`mtls-pki revoke\`, or an earlier spec's revoked list). A revoked client does not get a new certificate silently. To issue one, say so: clients: [{ commonName: '${cn}', reissueIfRevoked: true }]. To keep it revoked, list it under revoked: [{ commonName: '${cn}' }], or remove it from clients. Nothing was written.`);
  });
}

const revokedBySpec = (spec: PkiSpec, commonName: string) => (spec.revoked ?? []).some((r) => r.commonName === commonName);

/** Refuses, before anything is created, a revocation that names neither a stored nor a specified certificate. */
function checkRevokedTargets(state: StoreState, spec: PkiSpec): void {
  const specified = new Set([...(spec.clients ?? []).map((c) => c.commonName), ...(spec.servers ?? []).map((s) => s.names[0])]);
  (spec.revoked ?? []).forEach((r, i) => {
    if (r.commonName !== undefined && !specified.has(r.commonName) && !state.certificates.some((c) => c.commonName === r.commonName || c.name === r.commonName)) {
      throw new UserInputError(`revoked[${i}]`, `no certificate with common name "${r.commonName}" in the store or in the spec's clients${didYouMean(r.commonName, [...specified, ...state.certificates.map((c) => c.commonName)])}; list it under clients too, or remove it from revoked.`);
    }
    if (r.serialHex !== undefined) resolveTargets('', state, { serialHex: r.serialHex }, 'all', `revoked[${i}]`);
  });
}

/** A certificate the store issued or reused, and for a new one what `onChange` said about it. */
export interface LeafResult {
  readonly record: CertificateRecord;
  readonly created: boolean;
  /** For a new certificate: `issued`, `re-issued` or `renewed`, and why (see reuse.ts). */
  readonly verb?: 'issued' | 're-issued' | 'renewed';
  readonly why?: string;
}

/** What `force` (--force, --new) turns a reuse into. */
function forced(decision: LeafDecision, what: string): Exclude<LeafDecision, { reuse: CertificateRecord }> {
  return decision.reuse ? { verb: 're-issued', why: `${what} (serial ${decision.reuse.serialHex} stays valid until it expires or is revoked)` } : decision;
}

/** Reuses the current certificate `name` when it has exactly these SANs and is fresh (reuse.ts); else issues anew. */
export async function ensureServer(ctx: IssueContext, name: string, names: readonly string[], wish: { keyAlgorithm: KeyAlgorithm; validityDays?: number }, force = false): Promise<LeafResult> {
  let decision = decideServer(ctx.state, ctx.now, name, names);
  if (decision.reuse && !force) return { record: decision.reuse, created: false };
  decision = forced(decision, 'a new key was asked for');
  const record = await issueServer(ctx, name, names, wish);
  ctx.change(describeLeaf(record, decision.verb, decision.why));
  return { record, created: true, verb: decision.verb, why: decision.why };
}

/** Issues a client certificate where `decision` (reuse.ts) said one is due, and says so. */
export async function issueNewClient(ctx: IssueContext, commonName: string, altNames: readonly string[], wish: { keyAlgorithm: KeyAlgorithm; validityDays?: number }, decision: LeafDecision): Promise<LeafResult> {
  const planned = forced(decision, 'a new certificate was asked for');
  const record = await issueClient(ctx, commonName, altNames, wish);
  ctx.change(describeLeaf(record, planned.verb, planned.why));
  return { record, created: true, verb: planned.verb, why: planned.why };
}

/**
 * A client the spec also revokes needs one certificate of any status (it is issued once, then revoked): a
 * decision to reuse its newest. Any other client gets the reuse decision of reuse.ts.
 */
function clientDecision(state: StoreState, spec: PkiSpec, c: NonNullable<PkiSpec['clients']>[number], now: Date): LeafDecision {
  if (revokedBySpec(spec, c.commonName)) {
    const existing = state.certificates.find((x) => x.kind === 'client' && x.commonName === c.commonName);
    return existing ? { reuse: existing } : { verb: 'issued' };
  }
  return decideClient(state, now, c.commonName, c.altNames ?? []);
}

/** Starts generating, in parallel, one key for everything `applySpec` is about to create (nothing on a warm store). */
function prefetchKeys(ctx: IssueContext, spec: PkiSpec, keyDefault: KeyAlgorithm): void {
  const { state, now, keys } = ctx;
  if (!keys) return;
  const wanted: KeyAlgorithm[] = [];
  // CA keys in a token are generated there, not here.
  const caKeysHere = state.settings.caKeys === undefined || state.settings.caKeys === 'encrypted';
  if (caKeysHere && !state.cas['server-ca']) wanted.push(spec.serverCa?.keyAlgorithm ?? keyDefault);
  if (caKeysHere && !state.cas['client-ca']) wanted.push(spec.clientCa?.keyAlgorithm ?? keyDefault);
  if (caKeysHere && spec.clientCa?.intermediate && !state.cas['client-intermediate-ca']) wanted.push(spec.clientCa.keyAlgorithm ?? keyDefault);
  for (const s of spec.servers ?? []) if (!decideServer(state, now, s.name, s.names).reuse) wanted.push(s.keyAlgorithm ?? keyDefault);
  for (const c of spec.clients ?? []) if (!clientDecision(state, spec, c, now).reuse) wanted.push(c.keyAlgorithm ?? keyDefault);
  for (const algorithm of new Set(wanted)) keys.prefetch(algorithm, wanted.filter((a) => a === algorithm).length);
}
