import { UserInputError } from '../pki';
import { allLostRevocations, CrlContext, recordAudit } from './crls';
import { AuditEntry, RevocationRecord } from './state';

// What an operator can do when the monotonic guard (crls.ts) stops a run because the published CRL lists
// revocations store.json lost, typically after restoring store.json from an older backup:
// - adopt them back from the published CRL (`mtls-pki crl --adopt-published`): nothing is lost, the next CRL
//   lists them with their original dates and reasons. This is what a restore needs.
// - forget one on purpose (`mtls-pki crl --forget SERIAL --why TEXT`): the certificate is accepted again once
//   the new CRL is deployed. Only a lost revocation can be forgotten: one store.json still has stays permanent.
// Either way each serial gets an audit entry in store.json, and the command prints what it did.

export interface RecoveryOptions {
  /** Serials (normalized, uppercase hex) to drop from the published CRLs. */
  readonly forget?: readonly string[];
  /** Why they may be accepted again; required with `forget`, recorded in the audit entry. */
  readonly why?: string;
  /** Re-record every other lost revocation from the published CRL. */
  readonly adopt?: boolean;
}

export interface RecoveryResult {
  readonly forgotten: readonly AuditEntry[];
  readonly adopted: readonly AuditEntry[];
}

/** Applies `options` to `ctx.state`; the caller publishes the CRLs (the guard then checks nothing is left). */
export function recoverLostRevocations(ctx: CrlContext, options: RecoveryOptions): RecoveryResult {
  const { state } = ctx;
  const forget = [...new Set(options.forget ?? [])];
  const why = options.why?.trim();
  if (forget.length && !why) throw new UserInputError('--why', 'is required with --forget: say why the certificate may be accepted again (it is recorded in store.json). Nothing was written.');
  const lost = allLostRevocations(ctx);
  const recordOf = (ca: RevocationRecord['issuer'], e: (typeof lost)[number]['entries'][number]): RevocationRecord => {
    const cert = state.certificates.find((c) => c.issuer === ca && c.serialHex === e.serialHex);
    return {
      issuer: ca, serialHex: e.serialHex, ...(cert ? { commonName: cert.commonName } : {}), revokedAt: e.revokedAt.toISOString(),
      ...(e.reason && e.reason !== 'unspecified' ? { reason: e.reason } : {}), ...(cert ? { notAfter: cert.notAfter } : {}),
    };
  };

  const forgotten: AuditEntry[] = [];
  for (const serial of forget) {
    const hits = lost.flatMap((l) => l.entries.filter((e) => e.serialHex === serial).map((e) => ({ ...l, entry: e })));
    if (hits.length === 0) {
      throw new UserInputError('--forget', state.revocations.some((r) => r.serialHex === serial)
        ? `serial ${serial} is revoked in store.json, and a revocation is permanent: --forget only drops a revocation that a published CRL lists and store.json lost (after restoring a backup). Nothing was written.`
        : `no published CRL lists serial ${serial} without store.json having it, so there is nothing to forget (\`mtls-pki crl\` names the lost revocations). Nothing was written.`);
    }
    for (const { ca, crl, entry } of hits) forgotten.push(recordAudit(ctx, 'forgot-revocation', recordOf(ca, entry), crl, why));
  }

  const adopted: AuditEntry[] = [];
  if (options.adopt) {
    for (const { ca, crl, entries } of lost) {
      for (const entry of entries.filter((e) => !forget.includes(e.serialHex))) {
        const record = recordOf(ca, entry);
        state.revocations.push(record);
        adopted.push(recordAudit(ctx, 'adopted-from-crl', record, crl));
      }
    }
  }
  return { forgotten, adopted };
}
