import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { CertificateFacts } from './inspect';

// Synchronous signature and name checks through node:crypto, so that construct validations (which are
// synchronous) can run them. node:crypto is an independent implementation from pkijs, which also keeps
// our own writer from grading its own output.

const x509Cache = new WeakMap<CertificateFacts, X509Certificate>();

/** @internal inspect.ts parses every certificate with node:crypto too; this keeps that parse. */
export function rememberX509(facts: CertificateFacts, cert: X509Certificate): void {
  x509Cache.set(facts, cert);
}

function x509(facts: CertificateFacts): X509Certificate {
  let cert = x509Cache.get(facts);
  if (!cert) {
    cert = new X509Certificate(Buffer.from(facts.der));
    x509Cache.set(facts, cert);
  }
  return cert;
}

/** Whether `issuer`'s key made `child`'s signature (names are not compared here). */
export function isSignedBy(child: CertificateFacts, issuer: CertificateFacts): boolean {
  try {
    return x509(child).verify(x509(issuer).publicKey);
  } catch {
    return false;
  }
}

/** Whether `child` names `issuer` as its issuer and carries its signature. */
export function isIssuedBy(child: CertificateFacts, issuer: CertificateFacts): boolean {
  return child.issuerDerHex === issuer.subjectDerHex && isSignedBy(child, issuer);
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
export function publicKeyOf(cert: CertificateFacts): KeyObject {
  return x509(cert).publicKey;
}
