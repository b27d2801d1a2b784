import type { Finding } from '../checks';
import { CHECKS } from '../checks/finding';
import type { AuditEntry, CrlStatus, RevocationRecord, StoreListing } from '../store';

// The JSON that `list --json`, `check --json` and `crl --json` print: documented in docs/CLI.md and built
// field by field here, so that a field added inside the store does not silently change what scripts read.
// Every key is always present (null when there is no value), dates are ISO 8601 UTC, serials uppercase hex,
// CRL numbers decimal strings (they can exceed 2^53). `format` names the shape; `version` goes up only when
// a field is removed or changes meaning (adding fields does not).

export const JSON_VERSION = 1;

export function listJson(listing: StoreListing, warnings: readonly string[]) {
  return {
    format: 'mtls-pki-list',
    version: JSON_VERSION,
    dir: listing.dir,
    now: listing.now,
    settings: { crlValidityDays: listing.settings.crlValidityDays, crlRefreshBeforeDays: listing.settings.crlRefreshBeforeDays },
    cas: listing.cas.map((c) => ({
      id: c.id, subject: c.subject, commonName: c.commonName, serialHex: c.serialHex, keyAlgorithm: c.keyAlgorithm,
      issuer: c.issuer, notAfter: c.notAfter, daysLeft: c.daysLeft,
    })),
    certificates: listing.certificates.map((c) => ({
      kind: c.kind, name: c.name, commonName: c.commonName, serialHex: c.serialHex, issuer: c.issuer,
      subjectAltNames: [...c.subjectAltNames], notAfter: c.notAfter, daysLeft: c.daysLeft, status: c.status,
      revokedAt: c.revokedAt ?? null, reason: c.reason ?? null, certFile: c.certFile ?? null, keyFile: c.keyFile ?? null,
    })),
    crls: listing.crls.map((c) => ({
      ca: c.ca, file: c.file, number: c.number ?? null, thisUpdate: c.thisUpdate ?? null, nextUpdate: c.nextUpdate ?? null,
      daysLeft: c.daysLeft ?? null, entries: c.entries, refreshDue: c.refreshDue,
    })),
    warnings: [...warnings],
  };
}

export function checkJson(target: 'store' | 'files' | 'manifests', findings: readonly Finding[], warnings: readonly string[]) {
  const count = (severity: string) => findings.filter((f) => f.severity === severity).length;
  return {
    format: 'mtls-pki-check',
    version: JSON_VERSION,
    target,
    ok: count('error') === 0,
    errors: count('error'),
    warnings: count('warning'),
    findings: findings.map((f) => ({ code: f.code, severity: f.severity, title: CHECKS[f.code], field: f.field, message: f.message })),
    storeWarnings: [...warnings],
  };
}

export function crlJson(statuses: readonly CrlStatus[], pruned: readonly RevocationRecord[], out: string | undefined,
  recovered: { forgotten: readonly AuditEntry[]; adopted: readonly AuditEntry[] } = { forgotten: [], adopted: [] }) {
  const audited = (a: AuditEntry) => ({
    issuer: a.issuer, serialHex: a.serialHex, commonName: a.commonName ?? null, revokedAt: a.revokedAt, reason: a.reason ?? null, crlNumber: a.crlNumber, note: a.note ?? null,
  });
  return {
    format: 'mtls-pki-crl',
    version: JSON_VERSION,
    crls: statuses.map((s) => ({
      ca: s.ca, file: s.file, number: String(s.number), thisUpdate: s.thisUpdate.toISOString(), nextUpdate: s.nextUpdate.toISOString(),
      entries: s.entries, changed: s.changed, reason: s.reason ?? null,
    })),
    pruned: pruned.map((r) => ({ issuer: r.issuer, serialHex: r.serialHex, commonName: r.commonName ?? null, revokedAt: r.revokedAt, reason: r.reason ?? null })),
    adopted: recovered.adopted.map(audited),
    forgotten: recovered.forgotten.map(audited),
    out: out ?? null,
  };
}
