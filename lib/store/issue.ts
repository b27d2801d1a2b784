import { join } from 'node:path';
import {
  CertificateAuthority, CertificateFacts, createIntermediateCa, createRootCa, DEFAULT_VALIDITY_DAYS, IssuedCertificate,
  issueClientCertificate, issueServerCertificate, KeyAlgorithm, loadCertificateAuthority, SubjectAltName, UserInputError,
} from '../pki';
import { DAY_MS, notBeforeFor } from '../pki/time';
import { PUBLIC_FILE_MODE, SECRET_FILE_MODE } from './atomic-write';
import { CrlContext } from './crls';
import { KeyPool } from './key-pool';
import { CaId, layout } from './layout';
import { CaRecord, CertificateRecord, PendingCa, StoreState } from './state';
import { readInStore, writeInStore } from './store-files';

// Creating CAs and issuing leaves into the store: files first (key 0600, created with that mode), then the
// record in the state, which the caller saves. A run killed before the state is saved leaves only unreferenced
// files behind, which are never read. The one exception is a CA: before its files are written, store.json
// records (under the lock) the certificate about to be written, so that the next run adopts exactly those
// files and refuses anything else found under the CA's names.

/** What issuing needs beyond what CRL maintenance needs (the store passes one context to both). */
export interface IssueContext extends CrlContext {
  /** Called around slow work (RSA key generation) so the CLI can show progress. */
  readonly progress?: <T>(label: string, work: () => Promise<T>) => Promise<T>;
  /** Keys generated ahead in parallel; without it each key is generated when needed. */
  readonly keys?: KeyPool;
  /** Saves the state now (under the lock), e.g. a CA's intent before its files are written. */
  commit(): void;
}

const keyFor = (ctx: IssueContext, algorithm: KeyAlgorithm) => (ctx.keys ? ctx.keys.take(algorithm) : undefined);


export function sanText(san: SubjectAltName): string {
  const prefix = { dns: 'DNS', ip: 'IP', email: 'email', uri: 'URI' }[san.kind];
  return `${prefix}:${san.value}`;
}

/** Every serial a CA has used: its issued and adopted certificates, its revocations, and CAs it signed. */
export function serialsUsedBy(state: StoreState, ca: CaId): Set<string> {
  const used = new Set<string>();
  for (const c of state.certificates) if (c.issuer === ca) used.add(c.serialHex);
  for (const r of state.revocations) if (r.issuer === ca) used.add(r.serialHex);
  for (const other of Object.values(state.cas)) if (other?.issuer === ca) used.add(other.serialHex);
  return used;
}

/**
 * Issues with `issue` until the serial is one `ca` has not used (a random 127-bit serial collides with
 * negligible probability, but a duplicate under one CA would make the two certificates impossible to revoke
 * separately, so it is checked rather than assumed).
 */
export async function issueWithUniqueSerial<T extends { facts: CertificateFacts }>(used: ReadonlySet<string>, issue: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const issued = await issue();
    if (!used.has(issued.facts.serialHex)) return issued;
  }
  throw new Error(`could not draw an unused serial number in ${attempts} attempts; the random number generator is broken.`);
}

function caRecord(id: CaId, facts: CertificateFacts, issuer: CaId | null, importedFrom?: string): CaRecord {
  return {
    id,
    subject: facts.subject,
    commonName: facts.commonName ?? facts.subject,
    serialHex: facts.serialHex,
    keyAlgorithm: facts.keyAlgorithm,
    notBefore: facts.notBefore.toISOString(),
    notAfter: facts.notAfter.toISOString(),
    issuer,
    fingerprintSha256: facts.fingerprintSha256,
    ...(importedFrom ? { importedFrom } : {}),
  };
}

export interface CaWish {
  readonly commonName: string;
  /** Whether the caller named the CN (then a different existing CN is an error) or took the default. */
  readonly explicit: boolean;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly issuer?: CaId;
  readonly field: string;
}

/** Makes sure CA `id` exists; returns whether anything changed. Never replaces an existing CA. */
export async function ensureCa(ctx: IssueContext, id: CaId, wish: CaWish): Promise<boolean> {
  const existing = ctx.state.cas[id];
  if (existing) {
    if (wish.explicit && existing.commonName !== wish.commonName) {
      throw new UserInputError(wish.field, `asks for "${wish.commonName}", but the store already has ${id} "${existing.commonName}" (serial ${existing.serialHex}). A CA is never replaced, because everything it signed and everyone who trusts it would break; keep the existing name, or start a new store with --dir.`);
    }
    return false;
  }
  if (await adoptInterrupted(ctx, id, wish)) return true;
  const make = async () => {
    const issuer = wish.issuer ? await ctx.loadCa(wish.issuer) : undefined;
    const options = { commonName: wish.commonName, keyAlgorithm: wish.keyAlgorithm, keyPair: await keyFor(ctx, wish.keyAlgorithm), notBefore: notBeforeFor(ctx.now) };
    if (!issuer) return createRootCa(options);
    const notAfter = clampedNotAfter(ctx, issuer, wish.issuer!, id, options.notBefore, DEFAULT_VALIDITY_DAYS.intermediateCa);
    return issueWithUniqueSerial(serialsUsedBy(ctx.state, wish.issuer!), () => createIntermediateCa(issuer, { ...options, notAfter }));
  };
  const ca = await withProgress(ctx, wish.keyAlgorithm, id, make);
  writeCaFiles(ctx, id, ca.certificatePem, ca.privateKeyPem, { certificatePem: ca.certificatePem, issuer: wish.issuer ?? null });
  ctx.state.cas[id] = caRecord(id, ca.facts, wish.issuer ?? null);
  return true;
}

/** Records the intent in store.json, then writes the key and the certificate; the caller records the CA. */
function writeCaFiles(ctx: IssueContext, id: CaId, certificatePem: string, keyPem: string, intent: PendingCa): void {
  ctx.state.pendingCas = { ...ctx.state.pendingCas, [id]: intent };
  ctx.commit();
  writeInStore(ctx.dir, layout.caKey(id), keyPem, SECRET_FILE_MODE);
  writeInStore(ctx.dir, layout.caCert(id), certificatePem, PUBLIC_FILE_MODE);
  const { [id]: _done, ...rest } = ctx.state.pendingCas;
  ctx.state.pendingCas = rest;
}

/**
 * Refuses CA files under `id`'s names that the store did not write: files are adoptable only when store.json
 * recorded the intent of the run that wrote them and they are what it was writing (its certificate; a key is
 * checked against that certificate when adopted). Runs before anything is created, so a refusal writes nothing.
 */
export function refuseForeignCaFiles(ctx: IssueContext, id: CaId): void {
  if (ctx.state.cas[id]) return;
  const cert = readInStore(ctx.dir, layout.caCert(id))?.toString('utf8');
  const key = readInStore(ctx.dir, layout.caKey(id));
  const intent = ctx.state.pendingCas?.[id];
  if (cert === undefined && key === undefined) return;
  if (!intent) throw foreignCaFile(ctx, id, cert !== undefined ? layout.caCert(id) : layout.caKey(id), `exists, but store.json neither lists ${id} nor records that a run was creating it`);
  if (cert !== undefined && cert !== intent.certificatePem) throw foreignCaFile(ctx, id, layout.caCert(id), `is not the certificate that the interrupted run recorded in store.json before writing ${id}`);
}

function foreignCaFile(ctx: IssueContext, id: CaId, file: string, why: string): UserInputError {
  return new UserInputError(join(ctx.displayDir, file), `${why}, so the store did not write it and will not use it. Nothing was adopted or written: move ${join(ctx.displayDir, id)} away and run the command again (to use an existing CA, import it with \`mtls-pki import-openssl\`).`);
}

/** Adopts the CA files an interrupted run wrote, when they are exactly what its intent recorded (see above). */
async function adoptInterrupted(ctx: IssueContext, id: CaId, wish: CaWish): Promise<boolean> {
  refuseForeignCaFiles(ctx, id);
  const intent = ctx.state.pendingCas?.[id];
  const key = readInStore(ctx.dir, layout.caKey(id))?.toString('utf8');
  if (!intent || key === undefined) return false; // nothing, or only the intent, was saved: nothing to adopt
  let ca: CertificateAuthority;
  try {
    ca = await loadCertificateAuthority(intent.certificatePem, key, join(ctx.displayDir, id));
  } catch {
    throw foreignCaFile(ctx, id, layout.caKey(id), `does not belong to the certificate that the interrupted run recorded in store.json before writing ${id}`);
  }
  if (wish.explicit && ca.facts.commonName !== wish.commonName) return false; // the run's own files, never used: replaced
  writeInStore(ctx.dir, layout.caCert(id), intent.certificatePem, PUBLIC_FILE_MODE);
  ctx.state.cas[id] = caRecord(id, ca.facts, intent.issuer, intent.importedFrom);
  const { [id]: _done, ...rest } = ctx.state.pendingCas!;
  ctx.state.pendingCas = rest;
  ctx.warn(`adopted ${join(ctx.displayDir, layout.caCert(id))} and its key, written by an interrupted run (store.json recorded them).`);
  return true;
}

/** Adopts an existing CA (from openssl) as `id`: copies its certificate and key into the store. */
export async function adoptCa(ctx: IssueContext, id: CaId, certPem: string, keyPem: string, source: string): Promise<CertificateAuthority> {
  const ca = await loadCertificateAuthority(certPem, keyPem, source);
  writeCaFiles(ctx, id, ca.facts.pem, keyPem, { certificatePem: ca.facts.pem, issuer: null, importedFrom: source });
  ctx.state.cas[id] = caRecord(id, ca.facts, null, source);
  return ca;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The notAfter for a certificate `subject` that `issuerId` signs: `validityDays` after notBefore, but never
 * after the issuer's own notAfter. A chain is rejected once any certificate in it has expired, so the extra
 * time would be a date nothing honours; clamping makes the certificate say when it really stops working,
 * which is what renewal, `list` and the synth-time expiry checks read. (`openssl ca` does not clamp.)
 */
function clampedNotAfter(ctx: IssueContext, issuer: CertificateAuthority, issuerId: CaId, subject: string, notBefore: Date, validityDays: number): Date {
  const wanted = new Date(notBefore.getTime() + validityDays * DAY_MS);
  const limit = issuer.facts.notAfter;
  if (limit.getTime() <= ctx.now.getTime()) {
    throw new UserInputError(join(ctx.displayDir, layout.caCert(issuerId)), `${issuerId} "${issuer.facts.commonName ?? issuer.facts.subject}" expired on ${day(limit)}, so nothing it signs would be accepted (openssl verify: "certificate has expired"). It cannot issue ${subject}; start a new store with \`mtls-pki init --dir NEW\` and move to its CAs. Nothing was written.`);
  }
  if (wanted.getTime() <= limit.getTime()) return wanted;
  ctx.warn(`${subject} would outlive its issuer ${issuerId}, which expires ${day(limit)}; it is issued valid until then (${Math.floor((limit.getTime() - notBefore.getTime()) / DAY_MS)} days instead of ${validityDays}), because a chain stops working when its CA expires whatever the certificate's own date says. Plan ${issuerId}'s replacement before ${day(limit)}.`);
  return limit;
}

async function withProgress<T>(ctx: IssueContext, algorithm: KeyAlgorithm, label: string, work: () => Promise<T>): Promise<T> {
  return algorithm.startsWith('rsa-') && ctx.progress ? ctx.progress(`generating ${algorithm} key for ${label}`, work) : work();
}

function leafRecord(kind: 'server' | 'client', name: string, issuer: CaId, issued: IssuedCertificate, files: CertificateRecord['files']): CertificateRecord {
  const f = issued.facts;
  return {
    kind,
    name,
    commonName: f.commonName ?? name,
    subject: f.subject,
    serialHex: f.serialHex,
    issuer,
    notBefore: f.notBefore.toISOString(),
    notAfter: f.notAfter.toISOString(),
    subjectAltNames: f.subjectAltNames.map(sanText),
    keyAlgorithm: f.keyAlgorithm,
    files,
    source: 'issued',
  };
}

export interface LeafWish {
  readonly keyAlgorithm: KeyAlgorithm;
  readonly validityDays?: number;
}

/** Issues a server certificate `name` for `names` (SANs), writes key, certificate and chain; records it. */
export async function issueServer(ctx: IssueContext, name: string, names: readonly string[], wish: LeafWish): Promise<CertificateRecord> {
  const ca = await ctx.loadCa('server-ca');
  const notBefore = notBeforeFor(ctx.now);
  const notAfter = clampedNotAfter(ctx, ca, 'server-ca', `server certificate "${name}"`, notBefore, wish.validityDays ?? DEFAULT_VALIDITY_DAYS.server);
  const issued = await withProgress(ctx, wish.keyAlgorithm, name, () => issueWithUniqueSerial(serialsUsedBy(ctx.state, 'server-ca'),
    async () => issueServerCertificate(ca, { names, keyAlgorithm: wish.keyAlgorithm, keyPair: await keyFor(ctx, wish.keyAlgorithm), notBefore, notAfter })));
  const serial = issued.facts.serialHex;
  const files = { cert: layout.serverCert(name, serial), key: layout.serverKey(name, serial), chain: layout.serverChain(name, serial) };
  writeInStore(ctx.dir, files.key, issued.privateKeyPem, SECRET_FILE_MODE);
  writeInStore(ctx.dir, files.cert, issued.certificatePem, PUBLIC_FILE_MODE);
  writeInStore(ctx.dir, files.chain, issued.certificatePem + ca.certificatePem, PUBLIC_FILE_MODE);
  const record = leafRecord('server', name, 'server-ca', issued, files);
  ctx.state.certificates = ctx.state.certificates.map((c) => (c.kind === 'server' && c.name === name && !c.replacedBy ? { ...c, replacedBy: serial } : c));
  ctx.state.certificates.push(record);
  return record;
}

/** The CA that signs new client certificates: the intermediate when there is one, else the client root. */
export function clientIssuer(state: StoreState): CaId {
  return state.cas['client-intermediate-ca'] ? 'client-intermediate-ca' : 'client-ca';
}

/** Issues a client certificate for `commonName` with optional email/URI SANs; records it. */
export async function issueClient(ctx: IssueContext, commonName: string, altNames: readonly string[], wish: LeafWish): Promise<CertificateRecord> {
  const issuerId = clientIssuer(ctx.state);
  const ca = await ctx.loadCa(issuerId);
  const notBefore = notBeforeFor(ctx.now);
  const notAfter = clampedNotAfter(ctx, ca, issuerId, `client certificate "${commonName}"`, notBefore, wish.validityDays ?? DEFAULT_VALIDITY_DAYS.client);
  const issued = await withProgress(ctx, wish.keyAlgorithm, commonName, () => issueWithUniqueSerial(serialsUsedBy(ctx.state, issuerId),
    async () => issueClientCertificate(ca, { commonName, altNames, keyAlgorithm: wish.keyAlgorithm, keyPair: await keyFor(ctx, wish.keyAlgorithm), notBefore, notAfter })));
  const serial = issued.facts.serialHex;
  const files = { cert: layout.clientCert(commonName, serial), key: layout.clientKey(commonName, serial) };
  writeInStore(ctx.dir, files.key, issued.privateKeyPem, SECRET_FILE_MODE);
  writeInStore(ctx.dir, files.cert, issued.certificatePem, PUBLIC_FILE_MODE);
  const record = leafRecord('client', commonName, issuerId, issued, files);
  ctx.state.certificates.push(record);
  return record;
}
