import type { Finding } from '../checks';
import { CHECKS } from '../checks/finding';
import type { MigrationResult } from '../migrate';
import type { AuditEntry, CertificateRecord, CrlStatus, ImportResult, IssuedLeaf, RevocationRecord, StoreListing } from '../store';

// The JSON every command prints with --json: documented in docs/CLI.md and built
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
      subjectAltNames: [...c.subjectAltNames], notAfter: c.notAfter, daysLeft: c.daysLeft, status: c.status, expiresSoon: c.expiresSoon, current: c.current,
      revokedAt: c.revokedAt ?? null, reason: c.reason ?? null, certFile: c.certFile ?? null, keyFile: c.keyFile ?? null,
    })),
    crls: listing.crls.map((c) => ({
      ca: c.ca, file: c.file, number: c.number ?? null, thisUpdate: c.thisUpdate ?? null, nextUpdate: c.nextUpdate ?? null,
      daysLeft: c.daysLeft ?? null, entries: c.entries, refreshDue: c.refreshDue,
    })),
    warnings: [...warnings],
  };
}

/** What `check` read: the files (and manifest objects), and how many certificates and CRLs it looked at. */
export interface Checked {
  readonly files: readonly string[];
  readonly objects: readonly string[];
  readonly certificates: number;
  readonly crls: number;
}

export function checkJson(target: 'store' | 'files' | 'manifests', findings: readonly Finding[], warnings: readonly string[], checked: Checked) {
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
    checked: { files: [...checked.files], objects: [...checked.objects], certificates: checked.certificates, crls: checked.crls },
  };
}

/** A CRL as a command that may have published it reports it (`file` as the user reaches it, e.g. `pki/client-ca/crl.pem`). */
function crlOf(s: CrlStatus, file: (relative: string) => string) {
  return { ca: s.ca, file: file(s.file), number: String(s.number), nextUpdate: s.nextUpdate.toISOString(), entries: s.entries, changed: s.changed, reason: s.reason ?? null };
}

export function initJson(dir: string, cas: readonly { id: string; subject: string; keyAlgorithm: string; serialHex: string; notAfter: string; created: boolean }[],
  paths: { trustCa: string; trustCrl: string; gitignore: string }, crls: readonly { ca: string; file: string; number: string | null; nextUpdate: string | null }[], changes: readonly string[]) {
  return {
    format: 'mtls-pki-init',
    version: JSON_VERSION,
    dir,
    cas: cas.map((c) => ({ id: c.id, subject: c.subject, keyAlgorithm: c.keyAlgorithm, serialHex: c.serialHex, notAfter: c.notAfter, created: c.created })),
    clientTrust: { caFile: paths.trustCa, crlFile: paths.trustCrl },
    crls: crls.map((c) => ({ ca: c.ca, file: c.file, number: c.number, nextUpdate: c.nextUpdate })),
    gitignore: paths.gitignore,
    changes: [...changes],
  };
}

export function issueJson(leaf: IssuedLeaf, out: { cert: string; key: string } | undefined, p12: string | undefined, changes: readonly string[]) {
  const r = leaf.record;
  return {
    format: 'mtls-pki-issue',
    version: JSON_VERSION,
    kind: r.kind, name: r.name, commonName: r.commonName, serialHex: r.serialHex, issuer: r.issuer,
    subjectAltNames: [...r.subjectAltNames], notAfter: r.notAfter,
    created: leaf.created, verb: leaf.verb ?? null, why: leaf.why ?? null,
    files: { cert: leaf.paths?.cert ?? null, key: leaf.paths?.key ?? null, chain: leaf.paths?.chain ?? null },
    out: out ? { cert: out.cert, key: out.key } : null,
    p12: p12 ?? null,
    changes: [...changes],
  };
}

export function revokeJson(kind: CertificateRecord['kind'], record: RevocationRecord, alreadyRevoked: boolean, crls: readonly CrlStatus[], file: (relative: string) => string, changes: readonly string[]) {
  return {
    format: 'mtls-pki-revoke',
    version: JSON_VERSION,
    kind, commonName: record.commonName ?? null, serialHex: record.serialHex, issuer: record.issuer, revokedAt: record.revokedAt, reason: record.reason ?? null,
    alreadyRevoked,
    crls: crls.map((c) => crlOf(c, file)),
    changes: [...changes],
  };
}

export function gencrlJson(out: string, issuer: string, number: bigint, thisUpdate: Date, nextUpdate: Date, entries: number, crlnumberFile: string | undefined) {
  return {
    format: 'mtls-pki-gencrl',
    version: JSON_VERSION,
    out, issuer, number: String(number), thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(), entries,
    crlnumberFile: crlnumberFile ?? null,
  };
}

export function importJson(dir: string, result: ImportResult,
  file: (relative: string) => string, changes: readonly string[]) {
  return {
    format: 'mtls-pki-import-openssl',
    version: JSON_VERSION,
    dir, ca: result.ca, adoptedCa: result.adoptedCa, certificatesAdded: result.certificatesAdded, revocationsAdded: result.revocationsAdded,
    keptRevoked: [...result.keptRevoked],
    crls: result.crls.map((c) => crlOf(c, file)),
    changes: [...changes],
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

/**
 * What `migrate` read, carried, could not carry and wrote. `files[].yaml` holds the manifests only when they went
 * to stdout (no --out): with --out they are in the files, and the key is not printed again.
 */
export function migrateJson(result: MigrationResult, inputs: readonly string[], out: string | undefined, written: readonly string[]) {
  const finding = (f: Finding) => ({ code: f.code, severity: f.severity, title: CHECKS[f.code], field: f.field, message: f.message });
  return {
    format: 'mtls-pki-migrate',
    version: JSON_VERSION,
    to: result.to.name,
    ok: result.ok,
    inputs: [...inputs],
    objectsRead: [...result.objectsRead],
    readFindings: result.readFindings.map(finding),
    setups: result.setups.map((s) => ({
      source: s.source,
      carried: s.carried.map((c) => ({ from: c.from, value: c.value, to: c.to })),
      lost: s.lost.map((l) => ({ from: l.from, value: l.value, why: l.why })),
      notes: [...s.notes],
      refusals: [...s.refusals],
      findings: s.findings.map(finding),
      objects: [...s.objects],
    })),
    untouched: [...result.untouched],
    out: out ?? null,
    files: result.ok ? result.setups.map((s, i) => ({ source: s.source, path: out === undefined ? null : written[i], yaml: out === undefined ? s.yaml ?? null : null })) : [],
  };
}
