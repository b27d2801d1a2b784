import { createHash, KeyObject, sign, SignKeyObjectInput } from 'node:crypto';
import { DerReader, TAG, tlv } from '../../lib/pki/der';

// A small DER writer for crafting certificates and CRLs that our own builders would never write: unknown
// critical extensions, malformed times, mismatched signature algorithms, re-encoded names. Everything is
// written byte by byte (no pkijs), then signed with node:crypto by the real CA key, so that openssl judges
// exactly the bytes we judge.

const bytes = (text: string, encoding: BufferEncoding = 'utf8') => new Uint8Array(Buffer.from(text, encoding));

export const der = {
  seq: (...content: Uint8Array[]) => tlv(TAG.SEQUENCE, ...content),
  set: (...content: Uint8Array[]) => tlv(0x31, ...content),
  bool: (value: boolean) => tlv(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0)),
  null: () => tlv(0x05),
  int: (value: number | bigint) => tlv(TAG.INTEGER, integerContent(BigInt(value))),
  enumerated: (value: number) => tlv(TAG.ENUMERATED, integerContent(BigInt(value))),
  octets: (content: Uint8Array) => tlv(TAG.OCTET_STRING, content),
  bits: (content: Uint8Array, unusedBits = 0) => tlv(TAG.BIT_STRING, Uint8Array.of(unusedBits), content),
  oid: (dotted: string) => tlv(TAG.OID, oidContent(dotted)),
  utf8: (text: string) => tlv(0x0c, bytes(text)),
  printable: (text: string) => tlv(0x13, bytes(text, 'latin1')),
  ia5: (text: string) => tlv(0x16, bytes(text, 'latin1')),
  bmp: (text: string) => tlv(0x1e, bytes(text, 'utf16le').map((_, i, a) => a[i ^ 1])),
  /** A UTCTime or GeneralizedTime holding exactly `text` (malformed on purpose when asked). */
  utcTime: (text: string) => tlv(TAG.UTC_TIME, bytes(text, 'latin1')),
  generalizedTime: (text: string) => tlv(TAG.GENERALIZED_TIME, bytes(text, 'latin1')),
  /** [n] EXPLICIT: a constructed context tag around the inner element. */
  explicit: (n: number, ...content: Uint8Array[]) => tlv(0xa0 | n, ...content),
  /** [n] IMPLICIT primitive content. */
  implicit: (n: number, content: Uint8Array) => tlv(0x80 | n, content),
  /** [n] IMPLICIT constructed content. */
  implicitConstructed: (n: number, ...content: Uint8Array[]) => tlv(0xa0 | n, ...content),
};

function integerContent(value: bigint): Uint8Array {
  if (value === 0n) return Uint8Array.of(0);
  let hex = (value < 0n ? -value : value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let out = Buffer.from(hex, 'hex');
  if (value < 0n) {
    // Two's complement of the magnitude.
    const width = out.length + ((out[0] & 0x80) && !(out[0] === 0x80 && out.subarray(1).every((b) => b === 0)) ? 1 : 0);
    const n = (1n << BigInt(width * 8)) + value;
    out = Buffer.from(n.toString(16).padStart(width * 2, '0'), 'hex');
  } else if (out[0] & 0x80) {
    out = Buffer.concat([Buffer.of(0), out]);
  }
  return new Uint8Array(out);
}

function oidContent(dotted: string): Uint8Array {
  const parts = dotted.split('.').map((p) => BigInt(p));
  const arcs = [parts[0] * 40n + parts[1], ...parts.slice(2)];
  const out: number[] = [];
  for (const arc of arcs) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    groups.forEach((g, i) => out.push(i < groups.length - 1 ? g | 0x80 : g));
  }
  return Uint8Array.from(out);
}

export const OIDS = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  countryName: '2.5.4.6',
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  dsaWithSha1: '1.2.840.10040.4.3',
  dsaWithSha256: '2.16.840.1.101.3.4.3.2',
  ed25519: '1.3.101.112',
  rsassaPss: '1.2.840.113549.1.1.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  freshestCrl: '2.5.29.46',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  /** An extension no verifier knows (an arc of the private enterprise space that nobody registered). */
  unknown: '1.3.6.1.4.1.55555.1.1',
} as const;

/** AlgorithmIdentifier: RSA PKCS#1 v1.5 OIDs take NULL parameters (RFC 4055); ECDSA, DSA, Ed25519 none. */
export function algorithm(oid: string): Uint8Array {
  return oid.startsWith('1.2.840.113549.1.1.') ? der.seq(der.oid(oid), der.null()) : der.seq(der.oid(oid));
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
export function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return der.seq(der.oid(oid), ...(critical ? [der.bool(true)] : []), der.octets(value));
}

type Attribute = [oid: string, value: Uint8Array];

/** A Name, one RDN per argument; an RDN holds one attribute or several (a multi-valued RDN, `O=x + CN=y`). */
export function name(...rdns: Array<Attribute | Attribute[]>): Uint8Array {
  const isSingle = (rdn: Attribute | Attribute[]): rdn is Attribute => typeof rdn[0] === 'string';
  return der.seq(...rdns.map((rdn) => der.set(...(isSingle(rdn) ? [rdn] : rdn).map(([oid, value]) => der.seq(der.oid(oid), value)))));
}

export function keyIdOf(spkiDer: Uint8Array): Uint8Array {
  // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value.
  const spki = new DerReader(spkiDer).expect(TAG.SEQUENCE, 'SubjectPublicKeyInfo').children();
  spki.expect(TAG.SEQUENCE, 'algorithm');
  spki.expect(TAG.BIT_STRING, 'subjectPublicKey');
  return new Uint8Array(createHash('sha1').update(spki.content().subarray(1)).digest());
}

/** The signature digest named by an algorithm OID (what node:crypto signs with). */
function digestOf(oid: string): string | null {
  if (oid === OIDS.ed25519) return null;
  if (oid === OIDS.ecdsaWithSha1 || oid === OIDS.sha1WithRsa || oid === OIDS.dsaWithSha1) return 'sha1';
  if (oid === '1.2.840.10045.4.3.3' || oid === '1.2.840.113549.1.1.12') return 'sha384';
  return 'sha256';
}

/**
 * SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }: the envelope of certificates and CRLs alike.
 * `outerAlgorithm` is what the envelope claims (an OID, or a whole AlgorithmIdentifier for parameters such as
 * RSASSA-PSS's); the signature is made with `key` and `digest` (by default the digest the claimed OID names),
 * so a mismatch between claim and key can be crafted on purpose.
 */
export function signed(tbs: Uint8Array, key: KeyObject | SignKeyObjectInput, outerAlgorithm: string | Uint8Array, digest: string | null = typeof outerAlgorithm === 'string' ? digestOf(outerAlgorithm) : 'sha256'): Uint8Array {
  const signature = sign(digest, tbs, key);
  return der.seq(tbs, typeof outerAlgorithm === 'string' ? algorithm(outerAlgorithm) : outerAlgorithm, der.bits(signature));
}

export function pem(label: 'CERTIFICATE' | 'X509 CRL', body: Uint8Array): string {
  const b64 = Buffer.from(body).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export { bytes as textBytes };
