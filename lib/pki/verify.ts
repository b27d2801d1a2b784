import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { CertificateFacts } from './inspect';

// Synchronous signature and name checks through node:crypto, so that construct validations (which are
// synchronous) can run them. node:crypto is an independent implementation from pkijs, which also keeps
// our own writer from grading its own output.

const x509Cache = new WeakMap<object, X509Certificate>();
/** What node:crypto needs to read a certificate: CertificateFacts, or a certificate-identity.ts identity. */
type CertificateDer = Pick<CertificateFacts, 'der'>;

/** @internal inspect.ts and certificate-identity.ts parse every certificate with node:crypto; this keeps that parse. */
export function rememberX509(facts: CertificateDer, cert: X509Certificate): void {
  x509Cache.set(facts, cert);
}

function x509(facts: CertificateDer): X509Certificate {
  let cert = x509Cache.get(facts);
  if (!cert) {
    cert = new X509Certificate(Buffer.from(facts.der));
    x509Cache.set(facts, cert);
  }
  return cert;
}

/** @internal How many certificate signatures were checked: tests assert on the work a search does with it. */
export const verifyStats = { signatures: 0 };

/** Whether `issuer`'s key made `child`'s signature (names are not compared here). */
export function isSignedBy(child: CertificateFacts, issuer: CertificateFacts): boolean {
  verifyStats.signatures++;
  try {
    return x509(child).verify(x509(issuer).publicKey);
  } catch {
    return false;
  }
}

/**
 * Whether `issuer` can be `child`'s issuer before any signature is checked, as OpenSSL's X509_check_issued
 * decides: the same name (RFC 5280 §7.1 matching, not bytes), and when `child` has an Authority Key
 * Identifier and `issuer` a Subject Key Identifier, the same key identifier.
 */
export function namesIssuer(child: CertificateFacts, issuer: CertificateFacts): boolean {
  return child.issuerKey === issuer.subjectKey && (!child.authorityKeyId || !issuer.subjectKeyId || child.authorityKeyId === issuer.subjectKeyId);
}

/** Whether `child` names `issuer` as its issuer and carries its signature. */
export function isIssuedBy(child: CertificateFacts, issuer: CertificateFacts): boolean {
  return namesIssuer(child, issuer) && isSignedBy(child, issuer);
}

/**
 * Certificates indexed by canonical subject name, so that finding a certificate's issuers costs a signature
 * check only for the candidates that share its issuer's name and key identifier, not one per certificate:
 * 800 cross-signed CAs are checked with about 800 signature verifications instead of hundreds of thousands.
 */
export class IssuerIndex {
  private readonly bySubject = new Map<string, CertificateFacts[]>();

  constructor(certificates: readonly CertificateFacts[]) {
    for (const cert of certificates) {
      const same = this.bySubject.get(cert.subjectKey);
      if (same) same.push(cert);
      else this.bySubject.set(cert.subjectKey, [cert]);
    }
  }

  /** The indexed certificates whose subject is `name` (canonical key), in the order given. */
  withSubject(name: string): readonly CertificateFacts[] {
    return this.bySubject.get(name) ?? [];
  }

  /** Every indexed certificate, other than `child` itself, that issued `child`. */
  issuersOf(child: CertificateFacts): CertificateFacts[] {
    return this.withSubject(child.issuerKey).filter((c) => c !== child && namesIssuer(child, c) && isSignedBy(child, c));
  }
}

/** Whether the private key in `keyPem` belongs to `cert`. */
export function keyMatchesCertificate(cert: CertificateFacts, keyPem: string): boolean {
  try {
    return x509(cert).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/**
 * Whether a SAN of `cert` covers `host`. The subject CN is never consulted: Go-based controllers and
 * current browsers ignore it ("x509: certificate relies on legacy Common Name field").
 */
export function coversHost(cert: CertificateFacts, host: string): boolean {
  if (isIP(host)) return x509(cert).checkIP(host) !== undefined;
  return x509(cert).checkHost(host, { subject: 'never', wildcards: true, partialWildcards: false }) !== undefined;
}

/** The certificate's public key, for verifying signatures over other structures (CRLs). */
export function publicKeyOf(cert: CertificateDer): KeyObject {
  return x509(cert).publicKey;
}
