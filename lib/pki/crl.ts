import { verify as verifySignature } from 'node:crypto';
import * as asn1js from 'asn1js';
import { formatName, OID, serialHexOf, timeOf, toArrayBuffer, toHex } from './asn1';
import { CertificateAuthority } from './certificate';
import { pkijs } from './engine';
import { UserInputError } from './errors';
import { CertificateFacts, signatureAlgorithmName } from './inspect';
import { hashFor } from './keys';
import { decodePem, encodePem, PemLabel } from './pem';
import { publicKeyOf } from './verify';

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

export function serialToBytes(serialHex: string): Uint8Array {
  let hex = serialHex.replace(/^0x/i, '').replace(/:/g, '');
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new UserInputError('serial', `"${serialHex}" is not a hexadecimal serial number.`);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  // DER INTEGERs are signed: a serial whose top bit is set needs a leading zero byte to stay positive.
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1] & 0x80) === 0) start++;
  const trimmed = bytes.subarray(start);
  return new Uint8Array((trimmed[0] & 0x80) ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new UserInputError('crlNumber', `${value} is negative; a CRL number is a positive integer.`);
  return serialToBytes(value.toString(16));
}

/**
 * Builds and signs a v2 CRL with pkijs objects throughout: CRL Number and AKI extensions, and a
 * reasonCode entry extension where a reason other than unspecified is known.
 */
export async function buildCrl(options: CrlOptions): Promise<BuiltCrl> {
  const { issuer } = options;
  if (options.nextUpdate.getTime() <= options.thisUpdate.getTime()) {
    throw new UserInputError('nextUpdate', `${options.nextUpdate.toISOString()} is not after thisUpdate ${options.thisUpdate.toISOString()}.`);
  }
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = issuer.certificate.subject;
  crl.thisUpdate = timeOf(options.thisUpdate);
  crl.nextUpdate = timeOf(options.nextUpdate);
  if (options.entries.length) {
    crl.revokedCertificates = options.entries.map((e) => new pkijs.RevokedCertificate({
      userCertificate: new asn1js.Integer({ valueHex: serialToBytes(e.serialHex) }),
      revocationDate: timeOf(e.revokedAt),
      ...(e.reason && e.reason !== 'unspecified'
        ? { crlEntryExtensions: new pkijs.Extensions({ extensions: [new pkijs.Extension({ extnID: OID.crlReason, critical: false, extnValue: new asn1js.Enumerated({ value: REVOCATION_REASONS[e.reason] }).toBER(false) })] }) }
        : {}),
    }));
  }
  crl.crlExtensions = new pkijs.Extensions({ extensions: crlExtensions(issuer, options.crlNumber) });
  await crl.sign(issuer.keyPair.privateKey, hashFor(issuer.keyPair.algorithm));
  const der = new Uint8Array(crl.toSchema(true).toBER(false));
  return { der, pem: encodePem(PemLabel.CRL, der) };
}

/** AKI (key identifier of the issuer's key) and CRL Number, in that order, as openssl writes them. */
export function crlExtensions(issuer: CertificateAuthority, crlNumber: bigint): pkijs.Extension[] {
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
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly crlNumber?: bigint;
  readonly authorityKeyId?: string;
  readonly signatureAlgorithm: string;
  readonly entries: readonly RevokedEntry[];
  /** Serials that appear more than once. */
  readonly duplicateSerials: readonly string[];
  /** @internal for signature verification */
  readonly tbsDer: Uint8Array;
  /** @internal */
  readonly signatureValue: Uint8Array;
}

/**
 * The node budget for asn1js: a DER node takes at least two bytes (tag and length), so half the input size
 * bounds the count of any well-formed input. asn1js' default of 10,000 nodes stops at ~3,300 CRL entries.
 */
export function nodeBudgetFor(byteLength: number): number {
  return Math.ceil(byteLength / 2) + 16;
}

/** Parses one DER CRL, of any size, with parser limits derived from the input size. */
export function parseCrlDer(der: Uint8Array, source = 'CRL'): CrlFacts {
  let crl: pkijs.CertificateRevocationList;
  try {
    const asn1 = asn1js.fromBER(toArrayBuffer(der), { maxNodes: nodeBudgetFor(der.byteLength), maxDepth: 32 });
    if (asn1.offset === -1) throw new Error(asn1.result.error);
    if (asn1.offset !== der.byteLength) throw new Error(`${der.byteLength - asn1.offset} bytes of trailing data`);
    crl = new pkijs.CertificateRevocationList({ schema: asn1.result });
  } catch (e) {
    throw new UserInputError(source, `is not a valid X.509 CRL (${(e as Error).message || 'bad DER'}).`);
  }
  const ext = (oid: string) => crl.crlExtensions?.extensions.find((x) => x.extnID === oid);
  const numberExt = ext(OID.crlNumber)?.parsedValue as asn1js.Integer | undefined;
  const akiExt = ext(OID.authorityKeyIdentifier)?.parsedValue as pkijs.AuthorityKeyIdentifier | undefined;
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const entries = (crl.revokedCertificates ?? []).map((rc): RevokedEntry => {
    const serialHex = serialHexOf(rc.userCertificate);
    if (seen.has(serialHex)) duplicates.add(serialHex);
    seen.add(serialHex);
    const reasonExt = rc.crlEntryExtensions?.extensions.find((x) => x.extnID === OID.crlReason);
    const code = reasonExt ? (reasonExt.parsedValue as asn1js.Enumerated | undefined)?.valueBlock.valueDec : undefined;
    return { serialHex, revokedAt: rc.revocationDate.value, ...(code !== undefined ? { reason: REASON_BY_CODE.get(code) } : {}) };
  });
  return {
    der,
    version: crl.version + 1,
    issuer: formatName(crl.issuer),
    issuerDerHex: toHex(crl.issuer.toSchema().toBER()),
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value,
    crlNumber: numberExt ? BigInt(`0x${toHex(numberExt.valueBlock.valueHexView) || '0'}`) : undefined,
    authorityKeyId: akiExt?.keyIdentifier ? toHex(akiExt.keyIdentifier.valueBlock.valueHexView) : undefined,
    signatureAlgorithm: signatureAlgorithmName(crl.signatureAlgorithm.algorithmId),
    entries,
    duplicateSerials: [...duplicates],
    tbsDer: new Uint8Array(crl.tbsView),
    signatureValue: new Uint8Array(crl.signatureValue.valueBlock.valueHexView),
  };
}

/**
 * Parses every CRL in a PEM text (several may be concatenated, as ingress-nginx's ca.crl holds one per CA).
 * DER input is refused with the conversion command, because nginx's `ssl_crl` only reads PEM.
 */
export function readCrls(text: string | Uint8Array, source = 'CRL'): CrlFacts[] {
  const asText = typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
  if (typeof text !== 'string' && text[0] === 0x30 && !asText.includes('-----BEGIN')) {
    throw new UserInputError(source, 'is a DER (binary) CRL, but nginx reads only PEM; convert it: `openssl crl -inform DER -in crl.der -out crl.pem`.');
  }
  const blocks = decodePem(asText, source);
  if (blocks.length === 0) throw new UserInputError(source, asText.trim() === '' ? 'is empty; expected "-----BEGIN X509 CRL-----".' : 'holds no PEM block; expected "-----BEGIN X509 CRL-----". If it is DER, convert it with `openssl crl -inform DER -outform PEM`.');
  return blocks.map((b) => {
    if (b.label !== PemLabel.CRL) throw new UserInputError(source, `PEM block ${b.index} is "${b.label}", but only "X509 CRL" blocks belong here.`);
    return parseCrlDer(b.der, `${source} (CRL ${b.index})`);
  });
}

/** Whether `issuer`'s key signed `crl` (node:crypto, synchronous; names are not compared here). */
export function isCrlSignedBy(crl: CrlFacts, issuer: CertificateFacts): boolean {
  const hash = /SHA(1|256|384|512)/i.exec(crl.signatureAlgorithm)?.[0].toLowerCase();
  if (!hash) return false;
  try {
    return verifySignature(hash, crl.tbsDer, publicKeyOf(issuer), crl.signatureValue);
  } catch {
    return false;
  }
}
