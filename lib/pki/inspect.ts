import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { commonNameOf, keyUsageNames, KeyUsageName, OID, toArrayBuffer, toHex } from './asn1';
import { asn1js, pkijs } from './engine';
import { isUnhandledWhenCritical } from './extensions';
import { canonicalNameKey } from './name-canon';
import { formatName } from './name-text';
import { signatureAlgorithmName } from './signature';
import { UserInputError } from './errors';
import { keyAlgorithmOf } from './keys';
import { bytesToIp, SubjectAltName } from './names';
import { decodePemExpecting, encodePem, PemLabel } from './pem';
import { serialHexOfInteger } from './serial';
import { rememberX509 } from './verify';

/** Everything the checks need to know about one certificate, as plain data. */
export interface CertificateFacts {
  readonly pem: string;
  readonly der: Uint8Array;
  /** RFC 4514 text, e.g. `CN=Client002`; nginx's `$ssl_client_s_dn` prints the same. */
  readonly subject: string;
  readonly commonName?: string;
  readonly issuer: string;
  /** Hex of the DER subject and issuer names, for exact comparisons (CRL issuer, chain links). */
  readonly subjectDerHex: string;
  readonly issuerDerHex: string;
  /** Uppercase hex, even length, no leading zero bytes: the form of openssl's index.txt. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** 1, 2 or 3. */
  readonly version: number;
  /** True only when BasicConstraints says cA=TRUE. */
  readonly isCa: boolean;
  readonly hasBasicConstraints: boolean;
  readonly pathLength?: number;
  /** undefined when the extension is absent (which RFC 5280 reads as "any usage"). */
  readonly keyUsage?: readonly KeyUsageName[];
  /** `serverAuth`, `clientAuth`, or the dotted OID; undefined when the extension is absent. */
  readonly extendedKeyUsage?: readonly string[];
  readonly subjectAltNames: readonly SubjectAltName[];
  /** `ec-p256`, `rsa-4096`, … or a description of anything else. */
  readonly keyAlgorithm: string;
  /** `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, … as openssl names them. */
  readonly signatureAlgorithm: string;
  readonly subjectKeyId?: string;
  readonly authorityKeyId?: string;
  /**
   * The subject and issuer in canonical form (RFC 5280 §7.1 as OpenSSL applies it): equal exactly when OpenSSL
   * takes the two names for the same, whatever their string types, case and spacing. Compare names with these.
   */
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** Subject and issuer are the same name (canonically). */
  readonly selfIssued: boolean;
  /** Every extension, in order, with its criticality. */
  readonly extensions: readonly { readonly oid: string; readonly critical: boolean }[];
  /** Critical extensions OpenSSL does not process, so it refuses the certificate ("unhandled critical extension"). */
  readonly unhandledCriticalExtensions: readonly string[];
  /** `rsa`, `rsa-pss`, `ec`, `dsa`, `ed25519`, `ed448`, or the key algorithm's OID. */
  readonly publicKeyType: string;
  /** An EC key whose curve is written out instead of named: OpenSSL 3 refuses it in a chain. */
  readonly explicitCurve: boolean;
  readonly fingerprintSha256: string;
}

export { isWeakSignatureAlgorithm, signatureAlgorithmName } from './signature';

/** The key types OpenSSL names in SubjectPublicKeyInfo, by algorithm OID. */
const PUBLIC_KEY_TYPES: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsa', '1.2.840.113549.1.1.10': 'rsa-pss', '1.2.840.10045.2.1': 'ec',
  '1.2.840.10040.4.1': 'dsa', '1.3.101.112': 'ed25519', '1.3.101.113': 'ed448',
};

const EKU_NAMES: Record<string, string> = { [OID.serverAuth]: 'serverAuth', [OID.clientAuth]: 'clientAuth' };

// The same certificate is usually read several times in one synth (the store, then the construct's checks,
// then verification), so facts are kept by DER. Facts are immutable and computed from the bytes alone, so a
// cached entry is exactly what a fresh parse would return; the bound keeps hostile input from growing it.
const FACTS_CACHE_LIMIT = 256;
const factsCache = new Map<string, CertificateFacts>();

/** Parses one DER certificate. Throws a UserInputError naming `source` when it is not one. */
export function inspectCertificateDer(der: Uint8Array, source = 'certificate'): CertificateFacts {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const cached = factsCache.get(key);
  if (cached) return cached;
  const facts = parseCertificateDer(der, source);
  if (factsCache.size >= FACTS_CACHE_LIMIT) factsCache.delete(factsCache.keys().next().value!);
  factsCache.set(key, facts);
  return facts;
}

function parseCertificateDer(der: Uint8Array, source: string): CertificateFacts {
  let cert: pkijs.Certificate;
  try {
    const asn1 = asn1js.fromBER(toArrayBuffer(der));
    if (asn1.offset === -1) throw new Error(asn1.result.error);
    cert = new pkijs.Certificate({ schema: asn1.result });
  } catch (e) {
    throw new UserInputError(source, `is not a valid X.509 certificate (${(e as Error).message || 'bad DER'}).`);
  }
  // OpenSSL (through node:crypto) must accept it too: it is what nginx, curl and the checks' signature
  // and host verification use, and the fuzz tests found DER that pkijs accepts and OpenSSL refuses.
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(Buffer.from(der));
  } catch (e) {
    throw new UserInputError(source, `is not a certificate OpenSSL can read (${(e as Error).message}); re-export it from its source.`);
  }
  let facts: CertificateFacts;
  try {
    facts = factsOf(cert, der);
  } catch (e) {
    throw new UserInputError(source, `is not a valid X.509 certificate (${(e as Error).message}).`);
  }
  rememberX509(facts, x509);
  return facts;
}

/** Parses every certificate in a PEM text, in order. Non-certificate blocks are an error. */
export function readCertificates(pem: string, source = 'certificate'): CertificateFacts[] {
  return decodePemExpecting(pem, [PemLabel.CERTIFICATE], source)
    .map((block) => inspectCertificateDer(block.der, `${source} (certificate ${block.index})`));
}

/** Parses a PEM text holding exactly one certificate. */
export function inspectCertificate(pem: string, source = 'certificate'): CertificateFacts {
  const all = readCertificates(pem, source);
  if (all.length !== 1) throw new UserInputError(source, `holds ${all.length} certificates; exactly one is expected here.`);
  return all[0];
}

function factsOf(cert: pkijs.Certificate, der: Uint8Array): CertificateFacts {
  const ext = (oid: string) => cert.extensions?.find((e) => e.extnID === oid);
  const basic = ext(OID.basicConstraints)?.parsedValue as pkijs.BasicConstraints | undefined;
  const keyUsage = ext(OID.keyUsage)?.parsedValue as asn1js.BitString | undefined;
  const eku = ext(OID.extKeyUsage)?.parsedValue as pkijs.ExtKeyUsage | undefined;
  const san = ext(OID.subjectAltName)?.parsedValue as pkijs.AltName | undefined;
  const ski = ext(OID.subjectKeyIdentifier)?.parsedValue as asn1js.OctetString | undefined;
  const aki = ext(OID.authorityKeyIdentifier)?.parsedValue as pkijs.AuthorityKeyIdentifier | undefined;
  const subjectDer = new Uint8Array(cert.subject.toSchema().toBER());
  const issuerDer = new Uint8Array(cert.issuer.toSchema().toBER());
  const subjectKey = canonicalNameKey(subjectDer);
  const issuerKey = canonicalNameKey(issuerDer);
  const pathLen = basic?.pathLenConstraint;
  const extensions = (cert.extensions ?? []).map((e) => ({ oid: e.extnID, critical: e.critical === true }));
  const keyAlgorithmId = cert.subjectPublicKeyInfo.algorithm.algorithmId;
  const keyParameters = cert.subjectPublicKeyInfo.algorithm.algorithmParams as asn1js.BaseBlock | undefined;
  return {
    pem: encodePem(PemLabel.CERTIFICATE, der),
    der,
    subject: formatName(subjectDer),
    commonName: commonNameOf(cert.subject),
    issuer: formatName(issuerDer),
    subjectDerHex: toHex(subjectDer),
    issuerDerHex: toHex(issuerDer),
    serialHex: serialHexOfInteger(cert.serialNumber.valueBlock.valueHexView),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    version: cert.version + 1,
    isCa: basic?.cA === true,
    hasBasicConstraints: basic !== undefined,
    pathLength: typeof pathLen === 'number' ? pathLen : undefined,
    keyUsage: keyUsage ? keyUsageNames(keyUsage) : undefined,
    extendedKeyUsage: eku ? eku.keyPurposes.map((oid) => EKU_NAMES[oid] ?? oid) : undefined,
    subjectAltNames: san ? san.altNames.flatMap(generalNameToSan) : [],
    keyAlgorithm: describePublicKey(cert.subjectPublicKeyInfo.toSchema().toBER()),
    signatureAlgorithm: signatureAlgorithmName(cert.signatureAlgorithm.algorithmId),
    subjectKeyId: ski ? toHex(ski.valueBlock.valueHexView) : undefined,
    authorityKeyId: aki?.keyIdentifier ? toHex(aki.keyIdentifier.valueBlock.valueHexView) : undefined,
    subjectKey,
    issuerKey,
    selfIssued: subjectKey === issuerKey,
    extensions,
    unhandledCriticalExtensions: extensions.filter((e) => e.critical && isUnhandledWhenCritical('certificate', e.oid)).map((e) => e.oid),
    publicKeyType: PUBLIC_KEY_TYPES[keyAlgorithmId] ?? keyAlgorithmId,
    explicitCurve: keyAlgorithmId === '1.2.840.10045.2.1' && keyParameters?.idBlock?.tagNumber === 16,
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
  };
}

function generalNameToSan(name: pkijs.GeneralName): SubjectAltName[] {
  switch (name.type) {
    case 1: return [{ kind: 'email', value: String(name.value) }];
    case 2: return [{ kind: 'dns', value: String(name.value) }];
    case 6: return [{ kind: 'uri', value: String(name.value) }];
    case 7: return [{ kind: 'ip', value: bytesToIp(new Uint8Array((name.value as asn1js.OctetString).valueBlock.valueHexView)) }];
    default: return [];
  }
}

function describePublicKey(spki: ArrayBuffer): string {
  try {
    return keyAlgorithmOf(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
  } catch (e) {
    return (e as Error).message.replace(/^key: is an? /, '').replace(/;.*$/, '');
  }
}
