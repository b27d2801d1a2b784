import { KeyObject, sign as signData, webcrypto } from 'node:crypto';
import { OID, timeOf, toArrayBuffer, toHex } from './asn1';
import { CertificateAuthority } from './certificate';
import { crlExtensionFacts, crlLayoutOf, EntryExtensionTracker } from './crl-fields';
import { DerReader, readRevokedList, RevokedListWriter, TAG, tlv } from './der';
import { asn1js, engineFor, pkijs } from './engine';
import { UserInputError } from './errors';
import { IssuingDistributionPoint } from './extensions';
import { hashFor } from './keys';
import { canonicalNameKey } from './name-canon';
import { formatName } from './name-text';
import { decodePem, encodePem, PemLabel } from './pem';
import { notASerial, serialMagnitudeHex, serialToBytes } from './serial';
import { signatureAlgorithmName } from './signature';
import { checkX509Date, timeText } from './time';
// Verifying a CRL's signature lives with the other signature code; it is part of this module's API.
export { isCrlSignedBy, verifyCrlSignature } from './signature';

/** RFC 5280 §5.3.1 reason codes (7 is unused; removeFromCRL is for delta CRLs only, so we never write it). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;
const REASON_BY_CODE = new Map<number, RevocationReason>(Object.entries(REVOCATION_REASONS).map(([k, v]) => [v, k as RevocationReason]));
// A Map, not the object: `REVOCATION_REASONS['constructor']` is a function, not undefined.
const CODE_BY_REASON = new Map<unknown, number>(Object.entries(REVOCATION_REASONS));

export function parseRevocationReason(value: string, field = 'reason'): RevocationReason {
  const match = (Object.keys(REVOCATION_REASONS) as RevocationReason[]).find((r) => r.toLowerCase() === value.toLowerCase());
  if (!match) throw new UserInputError(field, `"${value}" is not an RFC 5280 revocation reason; use one of ${Object.keys(REVOCATION_REASONS).join(', ')}.`);
  return match;
}

/** One revoked certificate, as a CRL lists it. */
export interface RevokedEntry {
  /** Uppercase hex, as `CertificateFacts.serialHex`. */
  readonly serialHex: string;
  readonly revokedAt: Date;
  /** Left out of the CRL when undefined or `unspecified` (RFC 5280 §5.3.1: omit rather than write 0). */
  readonly reason?: RevocationReason;
}

export interface CrlOptions {
  readonly issuer: CertificateAuthority;
  readonly entries: readonly RevokedEntry[];
  /** The CRL Number extension: increase it for every CRL this issuer publishes. */
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

export interface BuiltCrl {
  readonly der: Uint8Array;
  readonly pem: string;
}

function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new UserInputError('crlNumber', `${value} is negative; a CRL number is a positive integer.`);
  return serialToBytes(value.toString(16));
}

/** Refuses what no CRL may carry, the same way for buildCrl and for the index path (signCrlWithList). */
function checkCrlOptions(options: Omit<CrlOptions, 'entries'>): void {
  checkX509Date(options.thisUpdate, 'thisUpdate');
  checkX509Date(options.nextUpdate, 'nextUpdate');
  if (typeof options.crlNumber !== 'bigint' || options.crlNumber < 0n || options.crlNumber >= 1n << 159n) {
    throw new UserInputError('crlNumber', `${String(options.crlNumber)} is not a CRL number: RFC 5280 §5.2.3 wants a non-negative INTEGER of at most 20 octets (below 2^159).`);
  }
  if (options.nextUpdate.getTime() <= options.thisUpdate.getTime()) {
    throw new UserInputError('nextUpdate', `${options.nextUpdate.toISOString()} is not after thisUpdate ${options.thisUpdate.toISOString()}.`);
  }
}

/**
 * The reasonCode an entry's reason is written as, or -1 for none (absent or `unspecified`). An untyped
 * caller's spelling in another case is taken as the reason it names; anything else is refused, never left
 * out: a CRL that silently drops `keyCompromise` tells relying parties less than the operator said.
 */
function reasonCodeOf(reason: RevokedEntry['reason'], field: string): number {
  if (reason === undefined) return -1;
  const code = CODE_BY_REASON.get(reason) ?? REVOCATION_REASONS[parseRevocationReason(String(reason), field)];
  return code === REVOCATION_REASONS.unspecified ? -1 : code;
}

/** The revoked list through the lean writer, in the given order; also validates serials, dates and reasons. */
function encodeEntries(entries: readonly RevokedEntry[]): Uint8Array | undefined {
  if (!entries.length) return undefined;
  const writer = new RevokedListWriter(entries.length * 48);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const hex = serialMagnitudeHex(e.serialHex);
    if (hex === undefined) throw notASerial(e.serialHex, `entries[${i}].serialHex`);
    checkX509Date(e.revokedAt, `entries[${i}].revokedAt`);
    const time = timeText(e.revokedAt);
    writer.add(hex, 0, hex.length, time, 0, time.length, reasonCodeOf(e.reason, `entries[${i}].reason`));
  }
  return writer.finish();
}

/** A CRL object with everything but the revoked list and the signature. */
function envelopeOf(options: Omit<CrlOptions, 'entries'>): pkijs.CertificateRevocationList {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = options.issuer.certificate.subject;
  crl.thisUpdate = timeOf(options.thisUpdate, 'thisUpdate');
  crl.nextUpdate = timeOf(options.nextUpdate, 'nextUpdate');
  crl.crlExtensions = new pkijs.Extensions({ extensions: crlExtensions(options.issuer, options.crlNumber) });
  return crl;
}

/**
 * Builds and signs a v2 CRL: CRL Number and AKI extensions, and a reasonCode entry extension where a
 * reason other than unspecified is known. Entries are written in the order given.
 *
 * pkijs encodes the envelope (issuer, times, extensions, algorithm); the revoked list, which is the only
 * part that grows, goes through the lean DER writer in der.ts and is spliced into the TBSCertList, which
 * node:crypto signs. The bytes are identical to what pkijs encodes for the same input and key: the reference
 * pkijs builder in test/support/pkijs-crl.ts proves it.
 */
export async function buildCrl(options: CrlOptions): Promise<BuiltCrl> {
  checkCrlOptions(options);
  return signCrlWithList(options, encodeEntries(options.entries));
}

/**
 * @internal Signs a CRL around a revoked list already encoded by RevokedListWriter (openssl-index.ts
 * writes it straight from the index text), or none.
 */
export async function signCrlWithList(options: Omit<CrlOptions, 'entries'>, list: Uint8Array | undefined): Promise<BuiltCrl> {
  checkCrlOptions(options);
  const { issuer } = options;
  const hash = hashFor(issuer.keyPair.algorithm);
  const crl = envelopeOf(options);
  const { provider, privateKey } = issuer.keyPair;
  const engine = engineFor(provider);
  const { signatureAlgorithm, parameters } = await engine.getSignatureParameters(privateKey as CryptoKey, hash);
  crl.signature = signatureAlgorithm;
  // toSchema(true) encodes the TBSCertList afresh (encodeTBS is protected); its first element is that TBS.
  const envelopeTbs = new Uint8Array((crl.toSchema(true) as asn1js.Sequence).valueBlock.value[0].toBER(false));
  const tbs = list ? spliceRevokedList(envelopeTbs, list) : envelopeTbs;
  // node:crypto signs its own keys directly (no copy of a 20k-entry TBS into WebCrypto); a token's key signs
  // through the token's WebCrypto, which pkijs' engine turns into X.509's signature encoding.
  const signature = provider
    ? new Uint8Array(await engine.signWithPrivateKey(toArrayBuffer(tbs), privateKey as CryptoKey, parameters as pkijs.CryptoEngineSignWithPrivateKeyParams))
    : signData(hash.replace('-', '').toLowerCase(), tbs, KeyObject.from(privateKey as unknown as webcrypto.CryptoKey));
  const der = tlv(TAG.SEQUENCE, tbs, new Uint8Array(signatureAlgorithm.toSchema().toBER(false)), tlv(TAG.BIT_STRING, Uint8Array.of(0), signature));
  return { der, pem: encodePem(PemLabel.CRL, der) };
}

/** Inserts the revoked list where pkijs puts it: after the last Time, before the [0] crlExtensions. */
function spliceRevokedList(envelopeTbs: Uint8Array, list: Uint8Array): Uint8Array {
  const top = new DerReader(envelopeTbs).expect(TAG.SEQUENCE, 'tbsCertList');
  const children = top.children();
  let at = top.end;
  while (!children.done) {
    if (children.next() === TAG.CONTEXT_0) at = children.headerStart;
  }
  return tlv(TAG.SEQUENCE, envelopeTbs.subarray(top.start, at), list, envelopeTbs.subarray(at, top.end));
}

/** AKI (key identifier of the issuer's key) and CRL Number, in that order, as openssl writes them. */
function crlExtensions(issuer: CertificateAuthority, crlNumber: bigint): pkijs.Extension[] {
  const keyId = issuer.facts.subjectKeyId;
  if (!keyId) throw new UserInputError('issuer', `CA "${issuer.facts.subject}" has no Subject Key Identifier, so its CRLs cannot carry the Authority Key Identifier RFC 5280 requires; re-issue the CA with one.`);
  return [
    new pkijs.Extension({ extnID: OID.authorityKeyIdentifier, critical: false, extnValue: new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: Buffer.from(keyId, 'hex') }) }).toSchema().toBER(false) }),
    new pkijs.Extension({ extnID: OID.crlNumber, critical: false, extnValue: new asn1js.Integer({ valueHex: bigintToBytes(crlNumber) }).toBER(false) }),
  ];
}

/** What the checks and the CLI need to know about a CRL. */
export interface CrlFacts {
  readonly der: Uint8Array;
  readonly version: number;
  readonly issuer: string;
  readonly issuerDerHex: string;
  /** The issuer in canonical form: equal to the issuing CA's `subjectKey` when OpenSSL takes them for one name. */
  readonly issuerKey: string;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly crlNumber?: bigint;
  readonly authorityKeyId?: string;
  /** The envelope's signature algorithm (what OpenSSL verifies with), by name, and its OID. */
  readonly signatureAlgorithm: string;
  readonly signatureAlgorithmOid: string;
  readonly entries: readonly RevokedEntry[];
  /** Serials that appear more than once. */
  readonly duplicateSerials: readonly string[];
  /** The CRL's extensions, in order, with their criticality. */
  readonly extensions: readonly { readonly oid: string; readonly critical: boolean }[];
  /** Critical CRL extensions OpenSSL does not process: it then refuses the CRL, and every client with it. */
  readonly unhandledCriticalExtensions: readonly string[];
  /** Critical entry extensions OpenSSL does not process (a critical reasonCode among them): the same refusal. */
  readonly unhandledCriticalEntryExtensions: readonly string[];
  /** The IssuingDistributionPoint, which narrows what the CRL covers, when there is one. */
  readonly issuingDistributionPoint?: IssuingDistributionPoint;
  /** A deltaCRLIndicator is present. */
  readonly deltaCrl: boolean;
  /** Entries that a certificateIssuer extension assigns to another CA: they revoke nothing of this issuer's. */
  readonly foreignEntries: number;
  /** @internal for signature verification */
  readonly tbsDer: Uint8Array;
  /** @internal */
  readonly signatureValue: Uint8Array;
  /** @internal the DER parameters of the envelope's signature algorithm, when present */
  readonly signatureParameters?: Uint8Array;
}

/**
 * The node budget for asn1js: a DER node takes at least two bytes (tag and length), so half the input size
 * bounds the count of any well-formed input. asn1js' default of 10,000 nodes stops at ~3,300 CRL entries.
 */
function nodeBudgetFor(byteLength: number): number {
  return Math.ceil(byteLength / 2) + 16;
}

/**
 * Parses one DER CRL of any size. The lean reader finds every field (strict DER, every length checked
 * against the input); pkijs parses the envelope too, with asn1js limits derived from its size. Malformed or
 * hostile input is a UserInputError naming `source`.
 */
export function parseCrlDer(der: Uint8Array, source = 'CRL'): CrlFacts {
  return parseCrl(der, source, true);
}

/**
 * `pkijsCheck`: also parse the envelope with pkijs, as every CRL was read before the lean reader read it all.
 * pkijs refuses some malformed CRLs that the lean reader accepts, and its refusal is then the message, as it
 * always was. Only readCrlsWithoutPkijs skips it.
 */
function parseCrl(der: Uint8Array, source: string, pkijsCheck: boolean): CrlFacts {
  try {
    return crlFactsOf(der, source, pkijsCheck);
  } catch (e) {
    if (e instanceof UserInputError) throw e;
    throw new UserInputError(source, `is not a valid X.509 CRL (${(e as Error)?.message || 'bad DER'}).`);
  }
}

/** Throws where pkijs cannot read the CRL's envelope (the CRL without its revoked list). */
function checkWithPkijs(envelope: Uint8Array): void {
  const asn1 = asn1js.fromBER(toArrayBuffer(envelope), { maxNodes: nodeBudgetFor(envelope.byteLength), maxDepth: 32 });
  if (asn1.offset === -1) throw new Error(asn1.result.error);
  new pkijs.CertificateRevocationList({ schema: asn1.result });
}

function crlFactsOf(der: Uint8Array, source: string, pkijsCheck: boolean): CrlFacts {
  const layout = crlLayoutOf(der, source);
  const { fields } = layout;
  if (pkijsCheck) checkWithPkijs(layout.envelope);
  const issuerKey = canonicalNameKey(fields.issuer);
  const entryExtensions = new EntryExtensionTracker(issuerKey);
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const entries: RevokedEntry[] = [];
  if (fields.list) {
    readRevokedList(der, fields.list.start, fields.list.end, (serialHex, revokedAt, reasonCode) => {
      if (seen.has(serialHex)) duplicates.add(serialHex);
      else seen.add(serialHex);
      entryExtensions.countEntry();
      const reason = reasonCode === undefined ? undefined : REASON_BY_CODE.get(reasonCode);
      entries.push(reason === undefined ? { serialHex, revokedAt } : { serialHex, revokedAt, reason });
    }, entryExtensions.onExtension);
  }
  const issuer = formatName(fields.issuer);
  const { crlNumber, authorityKeyId, ...extensionFacts } = crlExtensionFacts(der, fields.extensions);
  return {
    der,
    version: fields.version === undefined ? 1 : fields.version + 1,
    issuer,
    issuerDerHex: toHex(fields.issuer),
    issuerKey,
    thisUpdate: fields.thisUpdate,
    nextUpdate: fields.nextUpdate,
    crlNumber,
    authorityKeyId,
    signatureAlgorithm: signatureAlgorithmName(layout.algorithm.oid),
    signatureAlgorithmOid: layout.algorithm.oid,
    entries,
    duplicateSerials: [...duplicates],
    ...extensionFacts,
    unhandledCriticalEntryExtensions: [...entryExtensions.unhandledCritical],
    foreignEntries: entryExtensions.foreignEntries,
    tbsDer: layout.tbs,
    signatureValue: layout.signatureValue,
    ...(layout.algorithm.parameters ? { signatureParameters: layout.algorithm.parameters } : {}),
  };
}

/**
 * Parses every CRL in a PEM text (several may be concatenated, as ingress-nginx's ca.crl holds one per CA).
 * DER input is refused with the conversion command, because nginx's `ssl_crl` only reads PEM.
 */
export function readCrls(text: string | Uint8Array, source = 'CRL'): CrlFacts[] {
  return readCrlBlocks(text, source, true);
}

/**
 * @internal readCrls without pkijs's check of the envelope, so that `mtls-pki list` loads no pkijs. The store
 * reads its own CRLs so: they count only when the CA that store.json pins signed them, and one it cannot read
 * is as damaged as one it did not sign. Where both accept a CRL, its facts are the same
 * (test/pki/crl-read-lean.test.ts).
 */
export function readCrlsWithoutPkijs(text: string | Uint8Array, source = 'CRL'): CrlFacts[] {
  return readCrlBlocks(text, source, false);
}

function readCrlBlocks(text: string | Uint8Array, source: string, pkijsCheck: boolean): CrlFacts[] {
  const asText = typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
  if (typeof text !== 'string' && text[0] === 0x30 && !asText.includes('-----BEGIN')) {
    throw new UserInputError(source, 'is a DER (binary) CRL, but nginx reads only PEM; convert it: `openssl crl -inform DER -in crl.der -out crl.pem`.');
  }
  const blocks = decodePem(asText, source);
  if (blocks.length === 0) throw new UserInputError(source, asText.trim() === '' ? 'is empty; expected "-----BEGIN X509 CRL-----".' : 'holds no PEM block; expected "-----BEGIN X509 CRL-----". If it is DER, convert it with `openssl crl -inform DER -outform PEM`.');
  return blocks.map((b) => {
    if (b.label !== PemLabel.CRL) throw new UserInputError(source, `PEM block ${b.index} is "${b.label}", but only "X509 CRL" blocks belong here.`);
    return parseCrl(b.der, `${source} (CRL ${b.index})`, pkijsCheck);
  });
}
