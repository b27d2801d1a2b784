import { DerError, DerReader, EntryExtensionVisitor, readTime, TAG, tlv } from './der';
import { toArrayBuffer } from './asn1';
import { asn1js, pkijs } from './engine';
import { EXTENSION_OIDS, isUnhandledWhenCritical, IssuingDistributionPoint, oidText, RawExtension, readExtensions, readIssuingDistributionPoint } from './extensions';
import { canonicalNameKey } from './name-canon';
import { UserInputError } from './errors';

// The fields of a TBSCertList as OpenSSL judges them, read with the lean DER reader: strict times, the
// signature algorithm inside the TBS, the issuer's canonical name, and the extensions of the CRL and of
// its entries with their criticality, the CRL Number and the AKI key identifier. pkijs only checks the small
// envelope, where a caller asks for that (see crl.ts).

const Range = (r: DerReader) => ({ headerStart: r.headerStart, start: r.start, end: r.end });
type Range = ReturnType<typeof Range>;

export interface TbsFields {
  /** The version INTEGER's value, when present (1 means v2); undefined for a v1 CRL. */
  readonly version?: number;
  readonly tbsAlgorithm: Range;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly list?: Range;
  /** The content of the SEQUENCE OF Extension inside [0]. */
  readonly extensions?: Range;
}

const OPENSSL_TIME_ERROR = { thisUpdate: "format error in CRL's lastUpdate field", nextUpdate: "format error in CRL's nextUpdate field" } as const;

function crlTime(r: DerReader, field: 'thisUpdate' | 'nextUpdate', source: string): Date {
  try {
    return readTime(r.bytes, r.tag, r.start, r.end);
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    const reason = e.message.replace(/ \(at byte \d+\)$/, '');
    throw new UserInputError(source, `has a malformed ${field} (${reason}). OpenSSL refuses such a CRL ("${OPENSSL_TIME_ERROR[field]}"), so nginx answers 400 to every client. Regenerate the CRL (\`mtls-pki crl\`, or \`openssl ca -gencrl\`).`);
  }
}

/**
 * Walks the content [start, end) of a TBSCertList in order: version? signature issuer thisUpdate
 * nextUpdate? revokedCertificates? [0] crlExtensions?
 */
export function readTbsFields(bytes: Uint8Array, start: number, end: number, source: string): TbsFields {
  const r = new DerReader(bytes, start, end);
  if (r.done) throw new DerError('tbsCertList is empty', start);
  let tag = r.next();
  let version: number | undefined;
  if (tag === TAG.INTEGER) {
    const content = r.content();
    if (content.length !== 1) throw new DerError('the CRL version is not a small INTEGER', r.start);
    version = content[0];
    if (r.done) throw new DerError('tbsCertList has no signature algorithm', r.pos);
    tag = r.next();
  }
  if (tag !== TAG.SEQUENCE) throw new DerError('tbsCertList has no signature algorithm', r.headerStart);
  const tbsAlgorithm = Range(r);
  const issuer = r.expect(TAG.SEQUENCE, 'issuer').element();
  if (r.done) throw new DerError('thisUpdate is missing', r.pos);
  r.next();
  const thisUpdate = crlTime(r, 'thisUpdate', source);
  let nextUpdate: Date | undefined;
  let list: Range | undefined;
  let extensions: Range | undefined;
  while (!r.done) {
    tag = r.next();
    if ((tag === TAG.UTC_TIME || tag === TAG.GENERALIZED_TIME) && !nextUpdate && !list && !extensions) nextUpdate = crlTime(r, 'nextUpdate', source);
    else if (tag === TAG.SEQUENCE && !list && !extensions) list = Range(r);
    else if (tag === TAG.CONTEXT_0 && !extensions) {
      const inner = r.children().expect(TAG.SEQUENCE, 'crlExtensions');
      if (!inner.done) throw new DerError('crlExtensions has trailing data', inner.pos);
      extensions = Range(inner);
    } else throw new DerError(`tbsCertList has an unexpected field (tag 0x${tag.toString(16)})`, r.headerStart);
  }
  return { version, tbsAlgorithm, issuer, thisUpdate, nextUpdate, list, extensions };
}

/** Where the parts of a CRL lie in its DER, found by the lean reader without building any objects. */
export interface CrlLayout {
  readonly tbs: Uint8Array;
  readonly fields: TbsFields;
  /** The CRL with its revoked list cut out: what asn1js and pkijs parse (small, whatever the entry count). */
  readonly envelope: Uint8Array;
  readonly algorithm: { readonly oid: string; readonly parameters?: Uint8Array };
  readonly signatureValue: Uint8Array;
}

export function crlLayoutOf(der: Uint8Array, source: string): CrlLayout {
  const outer = new DerReader(der).expect(TAG.SEQUENCE, 'CertificateList');
  if (!outer.done) throw new DerError(`${der.byteLength - outer.end} bytes of trailing data`, outer.end);
  const top = outer.children();
  const tbs = top.expect(TAG.SEQUENCE, 'tbsCertList').element();
  const tbsContent = { start: top.start, end: top.end };
  const fields = readTbsFields(der, tbsContent.start, tbsContent.end, source);
  const algorithmReader = top.expect(TAG.SEQUENCE, 'signatureAlgorithm').children();
  const algorithm = top.element();
  const oid = oidText(algorithmReader.expect(TAG.OID, 'signature algorithm').content());
  const parameters = algorithmReader.done ? undefined : (algorithmReader.next(), algorithmReader.element());
  const bits = top.expect(TAG.BIT_STRING, 'signatureValue');
  if (bits.end - bits.start < 2 || der[bits.start] !== 0) throw new DerError('signatureValue is not a whole-byte BIT STRING', bits.start);
  const signatureValue = bits.content().subarray(1);
  const bitString = bits.element();
  if (!top.done) throw new DerError('CertificateList has fields after signatureValue', top.pos);
  const { list } = fields;
  const base = { tbs, fields, algorithm: { oid, parameters }, signatureValue };
  if (!list) return { ...base, envelope: der };
  const strippedTbs = tlv(TAG.SEQUENCE, der.subarray(tbsContent.start, list.headerStart), der.subarray(list.end, tbsContent.end));
  return { ...base, envelope: tlv(TAG.SEQUENCE, strippedTbs, algorithm, bitString) };
}

/** What a CRL's own extensions tell a verifier. */
export interface CrlExtensionFacts {
  readonly extensions: readonly { readonly oid: string; readonly critical: boolean }[];
  readonly unhandledCriticalExtensions: readonly string[];
  readonly issuingDistributionPoint?: IssuingDistributionPoint;
  /** A deltaCRLIndicator is present: this is a delta CRL, not a complete one. */
  readonly deltaCrl: boolean;
  readonly crlNumber?: bigint;
  readonly authorityKeyId?: string;
}

export function crlExtensionFacts(bytes: Uint8Array, range: Range | undefined): CrlExtensionFacts {
  const raw = range ? readExtensions(bytes, range.start, range.end) : [];
  const idp = raw.find((e) => e.oid === EXTENSION_OIDS.issuingDistributionPoint);
  return {
    extensions: raw.map(({ oid, critical }) => ({ oid, critical })),
    unhandledCriticalExtensions: raw.filter((e) => e.critical && isUnhandledWhenCritical('crl', e.oid)).map((e) => e.oid),
    issuingDistributionPoint: idp ? readIssuingDistributionPoint(idp.value, idp.critical) : undefined,
    deltaCrl: raw.some((e) => e.oid === EXTENSION_OIDS.deltaCrlIndicator),
    ...crlNumberAndKeyId(raw),
  };
}

const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * The first CRL Number and AKI extension's values, as pkijs read them before (the CRL's facts, `list` and the
 * checks' findings show them): the CRL Number as the unsigned value of the INTEGER's content octets, the key
 * identifier as hex. The lean reader takes the shapes CAs write, a DER INTEGER and an AKI with the key
 * identifier alone; any other shape (BER, trailing data, another type, an AKI naming the issuer, which pkijs
 * validated too) goes to pkijs, so that a hostile CRL's facts stay what they were.
 */
function crlNumberAndKeyId(raw: readonly RawExtension[]): { crlNumber?: bigint; authorityKeyId?: string } {
  const numberExt = raw.find((e) => e.oid === EXTENSION_OIDS.crlNumber);
  const akiExt = raw.find((e) => e.oid === EXTENSION_OIDS.authorityKeyIdentifier);
  const crlNumber = numberExt && (leanSingle(numberExt.value, TAG.INTEGER, (r) => BigInt(`0x${hexOf(r.content()) || '0'}`)) ?? pkijsCrlNumber(numberExt.value));
  const authorityKeyId = akiExt && (leanSingle(akiExt.value, TAG.SEQUENCE, leanKeyId) ?? { keyId: pkijsKeyId(akiExt.value) }).keyId;
  return { ...(crlNumber === undefined ? {} : { crlNumber }), ...(authorityKeyId === undefined ? {} : { authorityKeyId }) };
}

/** `read` of the one DER element of `tag` that `value` holds; undefined for any other shape, or when `read` gives up. */
function leanSingle<T>(value: Uint8Array, tag: number, read: (r: DerReader) => T | undefined): T | undefined {
  try {
    const r = new DerReader(value);
    if (r.done || r.next() !== tag || !r.done) return undefined;
    return read(r);
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

/** The keyIdentifier [0] of an AKI SEQUENCE that holds nothing else (`keyId` undefined when it is empty). */
function leanKeyId(aki: DerReader): { keyId?: string } | undefined {
  const fields = aki.children();
  if (fields.done) return {};
  if (fields.next() !== 0x80 || !fields.done) return undefined;
  return { keyId: hexOf(fields.content()) };
}

function pkijsCrlNumber(value: Uint8Array): bigint | undefined {
  const parsed = pkijs.ExtensionValueFactory.fromBER(EXTENSION_OIDS.crlNumber, toArrayBuffer(value)) as asn1js.Integer | null;
  return parsed ? BigInt(`0x${hexOf(new Uint8Array(parsed.valueBlock.valueHexView ?? [])) || '0'}`) : undefined;
}

function pkijsKeyId(value: Uint8Array): string | undefined {
  const parsed = pkijs.ExtensionValueFactory.fromBER(EXTENSION_OIDS.authorityKeyIdentifier, toArrayBuffer(value)) as pkijs.AuthorityKeyIdentifier | null;
  return parsed?.keyIdentifier ? hexOf(new Uint8Array(parsed.keyIdentifier.valueBlock.valueHexView)) : undefined;
}

const CERTIFICATE_ISSUER_OID = '551d1d'; // 2.5.29.29, content octets in hex

/**
 * Collects what entry extensions mean to OpenSSL while the revoked list is read: critical extensions it does
 * not handle (it then refuses the whole CRL), and certificateIssuer, which assigns that entry and every
 * following one to the CA it names until the next certificateIssuer (RFC 5280 §5.3.3). OpenSSL applies
 * such entries only to certificates of the named CA, so an entry assigned to another CA revokes nothing here.
 */
export class EntryExtensionTracker {
  readonly unhandledCritical = new Set<string>();
  /** Entries assigned by certificateIssuer to a CA other than the CRL's issuer. */
  foreignEntries = 0;
  private foreign = false;

  constructor(private readonly crlIssuerKey: string) {}

  readonly onExtension: EntryExtensionVisitor = (_entry, oid, critical, value) => {
    const isCertificateIssuer = Buffer.from(oid).toString('hex') === CERTIFICATE_ISSUER_OID;
    if (critical && !isCertificateIssuer) this.unhandledCritical.add(oidText(oid));
    if (isCertificateIssuer) this.foreign = !directoryNameKeys(value).includes(this.crlIssuerKey);
  };

  /** Call once per entry, after its extensions were visited. */
  countEntry(): void {
    if (this.foreign) this.foreignEntries++;
  }
}

/** The canonical keys of the directoryNames in GeneralNames (other kinds of names never match a CA). */
function directoryNameKeys(generalNames: Uint8Array): string[] {
  const names = new DerReader(generalNames).expect(TAG.SEQUENCE, 'GeneralNames').children();
  const keys: string[] = [];
  while (!names.done) {
    if (names.next() === 0xa4) keys.push(canonicalNameKey(names.children().expect(TAG.SEQUENCE, 'directoryName').element()));
  }
  return keys;
}
