import { createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { keyUsageBitString, KeyUsageName } from '../../lib/pki/asn1';
import { akiExtension, Signer, time } from './crafted-crl';
import { algorithm, der, extension, keyIdOf, OIDS, pem, signed } from './der-builder';

// Certificates assembled field by field, for the cases our builder never writes (a CA without the CA bit,
// an unknown critical extension, an explicit-curve key, a re-encoded name, DSA and Ed25519 keys).

export interface CertSpec {
  readonly subject: Uint8Array;
  /** The public key of the subject, SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** Who signs; its subject becomes the issuer name unless `issuerName` is given. */
  readonly issuer: Signer;
  readonly issuerName?: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly Uint8Array[];
}

export interface CraftedCertificate {
  readonly pem: string;
  readonly der: Uint8Array;
  /** A Signer for what this certificate's key signs (only when the private key is known). */
  readonly signer?: Signer;
}

export function craftCertificate(spec: CertSpec, privateKey?: KeyObject, signatureAlgorithm?: string): CraftedCertificate {
  const serial = BigInt(`0x${randomBytes(15).toString('hex')}`) | 1n;
  // Without extensions the certificate is written as version 1, as `openssl x509 -req` without -extfile does.
  const v3 = spec.extensions.length > 0;
  const tbs = der.seq(
    ...(v3 ? [der.explicit(0, der.int(2))] : []),
    der.int(serial),
    algorithm(spec.issuer.algorithm),
    spec.issuerName ?? spec.issuer.subject,
    der.seq(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spec.spki,
    ...(v3 ? [der.explicit(3, der.seq(...spec.extensions))] : []),
  );
  const body = signed(tbs, spec.issuer.key, spec.issuer.algorithm);
  const signer = privateKey && signatureAlgorithm ? { key: privateKey, subject: spec.subject, keyId: keyIdOf(spec.spki), algorithm: signatureAlgorithm } : undefined;
  return { pem: pem('CERTIFICATE', body), der: body, signer };
}

export function basicConstraints(ca: boolean, pathLength?: number, critical = true): Uint8Array {
  return extension(OIDS.basicConstraints, critical, der.seq(...(ca ? [der.bool(true)] : []), ...(pathLength !== undefined ? [der.int(pathLength)] : [])));
}

export function keyUsage(usages: readonly KeyUsageName[], critical = true): Uint8Array {
  return extension(OIDS.keyUsage, critical, new Uint8Array(keyUsageBitString(usages).toBER(false)));
}

export function subjectKeyId(spki: Uint8Array, critical = false): Uint8Array {
  return extension(OIDS.subjectKeyIdentifier, critical, der.octets(keyIdOf(spki)));
}

export function clientAuth(): Uint8Array {
  return extension(OIDS.extKeyUsage, false, der.seq(der.oid(OIDS.clientAuth)));
}

/** The usual extensions of a CA (or, with `ca: false`, of a leaf), keyed to its issuer. */
export function caExtensions(spki: Uint8Array, issuer: Signer | 'self', options: { ca?: boolean; pathLength?: number; usages?: KeyUsageName[] } = {}): Uint8Array[] {
  const ca = options.ca ?? true;
  const issuerKeyId = issuer === 'self' ? keyIdOf(spki) : issuer.keyId;
  return [
    basicConstraints(ca, options.pathLength),
    keyUsage(options.usages ?? (ca ? ['digitalSignature', 'keyCertSign', 'cRLSign'] : ['digitalSignature'])),
    subjectKeyId(spki),
    ...(issuerKeyId ? [akiExtension(issuerKeyId)] : []),
    ...(ca ? [] : [clientAuth()]),
  ];
}

export type CraftedKeyType = 'ec' | 'rsa' | 'dsa' | 'ed25519';

/** A fresh key pair and the signature algorithm OID that goes with it. */
export function keyPairOf(type: CraftedKeyType): { privateKey: KeyObject; spki: Uint8Array; algorithm: string } {
  const pair = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    : type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'dsa' ? generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 })
        : generateKeyPairSync('ed25519');
  const alg = { ec: OIDS.ecdsaWithSha256, rsa: OIDS.sha256WithRsa, dsa: OIDS.dsaWithSha256, ed25519: OIDS.ed25519 }[type];
  return { privateKey: pair.privateKey, spki: new Uint8Array(createPublicKey(pair.privateKey).export({ format: 'der', type: 'spki' })), algorithm: alg };
}

/** A self-signed CA made of crafted parts; `signer` signs what it issues. */
export function craftRootCa(commonName: Uint8Array, type: CraftedKeyType, validity: { notBefore: Date; notAfter: Date }, extensions?: (spki: Uint8Array) => Uint8Array[]): CraftedCertificate & { signer: Signer } {
  const key = keyPairOf(type);
  const subject = der.seq(der.set(der.seq(der.oid(OIDS.commonName), commonName)));
  const self: Signer = { key: key.privateKey, subject, keyId: keyIdOf(key.spki), algorithm: key.algorithm };
  const cert = craftCertificate({ subject, spki: key.spki, issuer: self, ...validity, extensions: extensions ? extensions(key.spki) : caExtensions(key.spki, 'self') }, key.privateKey, key.algorithm);
  return { ...cert, signer: cert.signer! };
}
