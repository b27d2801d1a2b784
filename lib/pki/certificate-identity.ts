import { createHash, X509Certificate } from 'node:crypto';
import { DerReader, TAG } from './der';
import { canonicalNameKey } from './name-canon';
import { decodePemExpecting, PemLabel } from './pem';
import { rememberX509 } from './verify';

// What pinning a certificate and checking the CRLs it signed need of it: its DER, SHA-256 fingerprint and
// canonical subject. node:crypto parses the certificate (the platform's parser, which also gives the public
// key for CRL signatures, verify.ts), and the lean reader finds the subject Name in it, so that listing a store
// loads no pkijs. CertificateFacts (inspect.ts) has the same fields, so either serves where this is asked for.

export interface CertificateIdentity {
  readonly der: Uint8Array;
  /** Lowercase hex, as `CertificateFacts.fingerprintSha256`. */
  readonly fingerprintSha256: string;
  /** As `CertificateFacts.subjectKey`: equal for two names exactly when OpenSSL takes them for one. */
  readonly subjectKey: string;
}

/** The subject Name in a Certificate's DER: TBSCertificate { [0] version?, serial, signature, issuer, validity, subject, … }. */
function subjectNameOf(der: Uint8Array): Uint8Array {
  const tbs = new DerReader(der).expect(TAG.SEQUENCE, 'Certificate').children().expect(TAG.SEQUENCE, 'tbsCertificate').children();
  if (!tbs.done && tbs.bytes[tbs.pos] === TAG.CONTEXT_0) tbs.next();
  tbs.expect(TAG.INTEGER, 'serialNumber').expect(TAG.SEQUENCE, 'signature').expect(TAG.SEQUENCE, 'issuer').expect(TAG.SEQUENCE, 'validity');
  return tbs.expect(TAG.SEQUENCE, 'subject').element();
}

/**
 * The identity of the one certificate in `pem`, or undefined when `pem` is not exactly one certificate that
 * node:crypto and the lean reader both read. It makes no judgement of the certificate beyond that: compare its
 * fingerprint with a pin, and where that fails, inspectCertificate says why the file is wrong.
 */
export function certificateIdentityOf(pem: string): CertificateIdentity | undefined {
  try {
    const blocks = decodePemExpecting(pem, [PemLabel.CERTIFICATE], 'certificate');
    if (blocks.length !== 1) return undefined;
    const { der } = blocks[0];
    const x509 = new X509Certificate(Buffer.from(der));
    const identity = { der, fingerprintSha256: createHash('sha256').update(der).digest('hex'), subjectKey: canonicalNameKey(subjectNameOf(der)) };
    rememberX509(identity, x509);
    return identity;
  } catch {
    // Whatever failed (PEM, node:crypto, the reader), the caller's full parse of the same text says what.
    return undefined;
  }
}
