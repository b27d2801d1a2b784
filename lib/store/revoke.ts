import { CertificateFacts, inspectCertificate, isIssuedBy, RevocationReason, UserInputError } from '../pki';
import { parseSerial } from '../pki/serial';
import { wholeSeconds } from '../pki/time';
import { readCaCertificateFacts } from './ca-files';
import { didYouMean } from '../util/did-you-mean';
import { CA_IDS, CaId } from './layout';
import { sanText } from './issue';
import { CertificateRecord, RevocationRecord, StoreState } from './state';

// Revocation is permanent: a revocation record is only ever added, never changed (the first date and reason
// stand) and never removed, except by explicit pruning once RFC 5280 allows it (see crls.ts).
//
// Revoking by common name when several certificates share it:
// - `PkiStore.revoke` / `mtls-pki revoke CN` (an operator's single action) revokes the one certificate with
//   that CN that is not revoked yet; when there are several, it refuses and lists their serials, so that
//   re-issuing a client and then revoking "the old one" can never take the new one down by accident;
//   `--serial` picks one.
// - `PkiSpec.revoked` in `ensure` (a declaration: "this client is revoked") revokes every certificate with
//   that CN, including one issued later under the same CN.

export interface RevokeTarget {
  readonly commonName?: string;
  readonly serialHex?: string;
  readonly certificatePem?: string;
}

export function revocationOf(state: StoreState, issuer: CaId, serialHex: string): RevocationRecord | undefined {
  return state.revocations.find((r) => r.issuer === issuer && r.serialHex === serialHex);
}

function caFacts(dir: string, state: StoreState): { id: CaId; facts: CertificateFacts }[] {
  return CA_IDS.filter((id) => state.cas[id]).map((id) => ({ id, facts: readCaCertificateFacts(dir, state, id) }));
}

const describe = (c: CertificateRecord) => `${c.serialHex} (${c.kind} "${c.name}", ${c.issuer}, expires ${c.notAfter.slice(0, 10)})`;

/**
 * The certificates a revoke request names. A certificate file signed by one of the store's CAs but unknown
 * to it is adopted (recorded) so that it can be revoked: `openssl ca -revoke` does the same.
 */
export function resolveTargets(dir: string, state: StoreState, target: RevokeTarget, mode: 'one' | 'all', field = 'revoke'): CertificateRecord[] {
  const given = [target.commonName, target.serialHex, target.certificatePem].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UserInputError(field, 'give exactly one of a common name, a serial (--serial HEX) or a certificate file (--cert FILE).');

  if (target.certificatePem !== undefined) {
    const facts = inspectCertificate(target.certificatePem, 'certificate to revoke');
    if (facts.isCa) throw new UserInputError('certificate to revoke', `"${facts.subject}" is a CA certificate; revoking a CA is not supported here. Stop trusting it instead.`);
    const issuer = caFacts(dir, state).find((ca) => isIssuedBy(facts, ca.facts));
    if (!issuer) throw new UserInputError('certificate to revoke', `"${facts.subject}" (serial ${facts.serialHex}) was not issued by any CA of this store (it names "${facts.issuer}"); a CA can only revoke what it signed.`);
    const known = state.certificates.find((c) => c.issuer === issuer.id && c.serialHex === facts.serialHex);
    if (known) return [known];
    const adopted: CertificateRecord = {
      kind: facts.extendedKeyUsage?.includes('serverAuth') && !facts.extendedKeyUsage.includes('clientAuth') ? 'server' : 'client',
      name: facts.commonName ?? facts.subject,
      commonName: facts.commonName ?? facts.subject,
      subject: facts.subject,
      serialHex: facts.serialHex,
      issuer: issuer.id,
      notBefore: facts.notBefore.toISOString(),
      notAfter: facts.notAfter.toISOString(),
      subjectAltNames: facts.subjectAltNames.map(sanText),
      keyAlgorithm: facts.keyAlgorithm,
      source: 'imported',
    };
    state.certificates.push(adopted);
    return [adopted];
  }

  if (target.serialHex !== undefined) {
    const serial = parseSerial(target.serialHex, field === 'revoke' ? '--serial' : field);
    if (Object.values(state.cas).some((ca) => ca?.serialHex === serial)) {
      throw new UserInputError(field, `serial ${serial} is one of the store's CA certificates; revoking a CA is not supported here.`);
    }
    const found = state.certificates.filter((c) => c.serialHex === serial);
    if (found.length === 0) throw new UserInputError(field, `no certificate with serial ${serial} in the store. \`mtls-pki list\` shows the serials; to revoke a certificate the store does not know, give its file with --cert.`);
    if (found.length > 1) throw new UserInputError(field, `serial ${serial} was used by several CAs: ${found.map(describe).join('; ')}. Revoke by certificate file (--cert) to say which.`);
    return found;
  }

  const cn = target.commonName!;
  const found = state.certificates.filter((c) => c.commonName === cn || c.name === cn);
  if (found.length === 0) throw new UserInputError(field, `no certificate with common name "${cn}" in the store${didYouMean(cn, state.certificates.flatMap((c) => [c.commonName, c.name]))}. \`mtls-pki list\` shows what there is.`);
  const open = found.filter((c) => !revocationOf(state, c.issuer, c.serialHex));
  if (mode === 'all' || open.length <= 1) return open.length ? open : found;
  throw new UserInputError(field, `${open.length} certificates with common name "${cn}" are not revoked: ${open.map(describe).join('; ')}. Say which with --serial HEX (or revoke each).`);
}

/** Records the revocation of `cert` unless it is revoked already; returns the (existing or new) record. */
export function recordRevocation(state: StoreState, cert: CertificateRecord, reason: RevocationReason | undefined, now: Date): { record: RevocationRecord; created: boolean } {
  const existing = revocationOf(state, cert.issuer, cert.serialHex);
  if (existing) return { record: existing, created: false };
  const record: RevocationRecord = {
    issuer: cert.issuer,
    serialHex: cert.serialHex,
    commonName: cert.commonName,
    revokedAt: wholeSeconds(now).toISOString(),
    ...(reason && reason !== 'unspecified' ? { reason } : {}),
    notAfter: cert.notAfter,
  };
  state.revocations.push(record);
  return { record, created: true };
}
