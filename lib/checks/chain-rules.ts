import { CertificateFacts } from '../pki';
import { extensionLabel } from '../pki/extensions';

// Rules OpenSSL applies to every certificate of a chain, shared by the served chain (server-tls.ts) and the
// client CA bundle (client-trust.ts).

/** A certificate OpenSSL accepts as an issuer: cA=TRUE, or a version 1 self-signed root (which has no extensions). */
export function actsAsCa(ca: CertificateFacts): boolean {
  return ca.isCa || (ca.version === 1 && ca.selfIssued);
}

/** `cRLNumber (2.5.29.20), 1.2.3.4`: extensions named as openssl's `-text` output names them, where known. */
export function extensionList(oids: readonly string[]): string {
  return oids.map((oid) => extensionLabel(oid.replace(/ in an entry$/, '')) + (oid.endsWith(' in an entry') ? ' in an entry' : '')).join(', ');
}
