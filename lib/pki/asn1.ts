import { asn1js, pkijs } from './engine';
import { checkX509Date, usesUtcTime, wholeSeconds } from './time';

// The small ASN.1 pieces the certificate and CRL code share, so that encoding rules (DER bit strings,
// pkijs Time objects) are decided in one place. A Name's text is name-text.ts's, from DER.

export const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export const KEY_USAGE_BITS = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement',
  'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
] as const;
export type KeyUsageName = typeof KEY_USAGE_BITS[number];

/** @internal DER "named bit list": trailing zero bits are dropped, so the encoding is minimal. */
export function keyUsageBitString(usages: readonly KeyUsageName[]): asn1js.BitString {
  const positions = usages.map((u) => KEY_USAGE_BITS.indexOf(u));
  const highest = Math.max(...positions);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const p of positions) bytes[p >> 3] |= 0x80 >> (p & 7);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (highest & 7) });
}

/** @internal */
export function keyUsageNames(bits: asn1js.BitString): KeyUsageName[] {
  const bytes = new Uint8Array(bits.valueBlock.valueHexView);
  return KEY_USAGE_BITS.filter((_, i) => (bytes[i >> 3] ?? 0) & (0x80 >> (i & 7)));
}

/**
 * @internal A certificate's or CRL's Time: UTCTime or GeneralizedTime as time.ts decides (RFC 5280 §4.1.2.5),
 * in whole seconds. `field` names the date when it is one X.509 cannot hold.
 */
export function timeOf(date: Date, field: string): pkijs.Time {
  checkX509Date(date, field);
  return new pkijs.Time({ type: usesUtcTime(date) ? 0 : 1, value: wholeSeconds(date) });
}

/** @internal A name with CN (and optional O), as UTF8String, which is what openssl writes by default. */
export function distinguishedName(commonName: string, organization?: string): pkijs.RelativeDistinguishedNames {
  const attr = (type: string, value: string) => new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) });
  const typesAndValues = organization ? [attr(OID.organizationName, organization), attr(OID.commonName, commonName)] : [attr(OID.commonName, commonName)];
  return new pkijs.RelativeDistinguishedNames({ typesAndValues });
}

/** @internal */
export function commonNameOf(name: pkijs.RelativeDistinguishedNames): string | undefined {
  const cn = name.typesAndValues.find((tv) => tv.type === OID.commonName);
  return cn ? String(cn.value.valueBlock.value) : undefined;
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
