import { constants, KeyObject, verify } from 'node:crypto';
import { DerError, DerReader, TAG } from './der';
import type { CrlFacts } from './crl';
import { oidText } from './extensions';
import type { CertificateFacts } from './inspect';
import { publicKeyOf } from './verify';

// Signature algorithms by OID: the name openssl prints, the key type the algorithm belongs to, and the
// digest. Verifying a signature means checking the OID against the key first: node:crypto picks the scheme
// from the key alone, so an ECDSA signature under an RSA OID would "verify" with the EC key, while OpenSSL
// (nginx) refuses the CRL ("CRL signature failure") and with it every client.

export type SignatureKeyType = 'rsa' | 'ec' | 'dsa' | 'ed25519' | 'ed448';

interface Scheme {
  readonly name: string;
  readonly keyType: SignatureKeyType;
  /** null for EdDSA, which hashes internally; undefined for RSASSA-PSS, whose digest is in its parameters. */
  readonly digest: string | null | undefined;
}

const scheme = (keyType: SignatureKeyType, name: string, digest: Scheme['digest']): Scheme => ({ name, keyType, digest });

/** The schemes of one key type whose OIDs differ in the last arcs and whose names differ in the digest only. */
function byDigest(prefix: string, arcs: Record<string, string>, make: (digest: string) => Scheme): Record<string, Scheme> {
  return Object.fromEntries(Object.entries(arcs).map(([arc, digest]) => [`${prefix}${arc}`, make(digest)]));
}

const SCHEMES: Record<string, Scheme> = {
  ...byDigest('1.2.840.113549.1.1.', { 4: 'md5', 5: 'sha1', 14: 'sha224', 11: 'sha256', 12: 'sha384', 13: 'sha512' }, (d) => scheme('rsa', `${d}WithRSAEncryption`, d)),
  '1.2.840.113549.1.1.10': scheme('rsa', 'rsassaPss', undefined),
  ...byDigest('1.2.840.10045.4.', { 1: 'sha1', '3.1': 'sha224', '3.2': 'sha256', '3.3': 'sha384', '3.4': 'sha512' }, (d) => scheme('ec', `ecdsa-with-${d.toUpperCase()}`, d)),
  ...byDigest('', { '1.2.840.10040.4.3': 'sha1', '2.16.840.1.101.3.4.3.1': 'sha224', '2.16.840.1.101.3.4.3.2': 'sha256' }, (d) => scheme('dsa', `dsa-with-${d.toUpperCase()}`, d)),
  '1.3.101.112': scheme('ed25519', 'ED25519', null),
  '1.3.101.113': scheme('ed448', 'ED448', null),
};

/** The name openssl prints for a signature algorithm OID, or the OID itself. */
export function signatureAlgorithmName(oid: string): string {
  return SCHEMES[oid]?.name ?? oid;
}

/** True for signature algorithms that use SHA-1 or MD5, which no current client should accept. */
export function isWeakSignatureAlgorithm(name: string): boolean {
  return /sha1|md5/i.test(name);
}

/** The outcome of checking a signature: why it failed matters for the message (wrong key type vs altered). */
export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'wrong-key-type'; readonly algorithm: string; readonly keyType: string }
  | { readonly ok: false; readonly reason: 'bad-signature' }
  /** `known`: an algorithm OpenSSL verifies, with parameters we cannot check; otherwise one OpenSSL does not verify either. */
  | { readonly ok: false; readonly reason: 'unsupported'; readonly algorithm: string; readonly known: boolean };

const DIGEST_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.4': 'sha224', '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512',
};
const MGF1 = '1.2.840.113549.1.1.8';

/** RSASSA-PSS-params (RFC 4055 §3.1) as node:crypto can verify them, or undefined when it cannot. */
function pssParameters(parameters: Uint8Array | undefined): { digest: string; saltLength: number } | undefined {
  // Absent fields default to SHA-1, MGF1 with SHA-1, salt 20, trailer 1.
  let digest = 'sha1';
  let mgfDigest = 'sha1';
  let saltLength = 20;
  if (!parameters) return { digest, saltLength };
  try {
    const fields = new DerReader(parameters).expect(TAG.SEQUENCE, 'RSASSA-PSS-params').children();
    while (!fields.done) {
      const tag = fields.next();
      const inner = fields.children();
      if (tag === 0xa0) {
        const found = DIGEST_OIDS[oidText(inner.expect(TAG.SEQUENCE, 'hashAlgorithm').children().expect(TAG.OID, 'hash').content())];
        if (!found) return undefined;
        digest = found;
      } else if (tag === 0xa1) {
        const mgf = inner.expect(TAG.SEQUENCE, 'maskGenAlgorithm').children();
        if (oidText(mgf.expect(TAG.OID, 'mgf').content()) !== MGF1) return undefined;
        const found = DIGEST_OIDS[oidText(mgf.expect(TAG.SEQUENCE, 'mgf hash').children().expect(TAG.OID, 'hash').content())];
        if (!found) return undefined;
        mgfDigest = found;
      } else if (tag === 0xa2) {
        const salt = inner.expect(TAG.INTEGER, 'saltLength').content();
        if (salt.length > 2 || salt[0] & 0x80) return undefined;
        saltLength = salt.reduce((n, b) => n * 256 + b, 0);
      } else if (tag === 0xa3) {
        const trailer = inner.expect(TAG.INTEGER, 'trailerField').content();
        if (trailer.length !== 1 || trailer[0] !== 1) return undefined;
      } else {
        return undefined;
      }
    }
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
  // node:crypto uses the signature digest for MGF1 as well.
  return mgfDigest === digest ? { digest, saltLength } : undefined;
}

/** The key type as the signature table names it (`rsa-pss` keys sign RSASSA-PSS only). */
function keyTypeOf(key: KeyObject): string {
  return key.asymmetricKeyType ?? 'unknown';
}

/**
 * Verifies `signature` over `data` with `key`, under the algorithm `oid` (with its DER `parameters`, if any):
 * the OID must belong to the key's type, as OpenSSL requires, before node:crypto checks the signature.
 */
export function verifySignature(oid: string, parameters: Uint8Array | undefined, data: Uint8Array, signature: Uint8Array, key: KeyObject): SignatureCheck {
  const scheme = SCHEMES[oid];
  if (!scheme) return { ok: false, reason: 'unsupported', algorithm: oid, known: false };
  const keyType = keyTypeOf(key);
  const fits = keyType === scheme.keyType || (keyType === 'rsa-pss' && scheme.name === 'rsassaPss');
  if (!fits) return { ok: false, reason: 'wrong-key-type', algorithm: scheme.name, keyType };
  try {
    if (scheme.digest === undefined) {
      const pss = pssParameters(parameters);
      if (!pss) return { ok: false, reason: 'unsupported', algorithm: `${scheme.name} with these parameters`, known: true };
      return verify(pss.digest, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, signature) ? { ok: true } : { ok: false, reason: 'bad-signature' };
    }
    return verify(scheme.digest, data, key, signature) ? { ok: true } : { ok: false, reason: 'bad-signature' };
  } catch {
    return { ok: false, reason: 'bad-signature' };
  }
}

/** The certificate's public key, or undefined when node:crypto cannot use it. Only the certificate's DER is read. */
function publicKeyOrUndefined(issuer: Pick<CertificateFacts, 'der'>): KeyObject | undefined {
  try {
    return publicKeyOf(issuer);
  } catch {
    return undefined;
  }
}

/** Whether `key` made `crl`'s signature under the algorithm the CRL names, which must belong to the key's type. */
function checkCrlSignature(crl: CrlFacts, key: KeyObject): SignatureCheck {
  return verifySignature(crl.signatureAlgorithmOid, crl.signatureParameters, crl.tbsDer, crl.signatureValue, key);
}

/**
 * Checks that `issuer`'s key made `crl`'s signature under the algorithm the CRL names, which must belong to
 * the key's type (names are not compared here). Synchronous, through node:crypto.
 */
export function verifyCrlSignature(crl: CrlFacts, issuer: CertificateFacts): SignatureCheck {
  const key = publicKeyOrUndefined(issuer);
  if (!key) return { ok: false, reason: 'unsupported', algorithm: `${crl.signatureAlgorithm} with a ${issuer.keyAlgorithm} key`, known: false };
  return checkCrlSignature(crl, key);
}

/**
 * Whether `issuer`'s key signed `crl` under a signature algorithm of its key type. Only the certificate's DER
 * is read (through node:crypto), so a certificate-identity.ts identity will do as well as CertificateFacts.
 */
export function isCrlSignedBy(crl: CrlFacts, issuer: Pick<CertificateFacts, 'der'>): boolean {
  const key = publicKeyOrUndefined(issuer);
  return key !== undefined && checkCrlSignature(crl, key).ok;
}
