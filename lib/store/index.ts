// The persistent PKI store: see README.md in this directory for the files it keeps and its guarantees.
export { PkiStore } from './pki-store';
export type { OpenOptions, IssueOptions, IssuedLeaf, StorePaths, RevokeOptions } from './pki-store';
export { DEFAULT_SERVER_CA_CN, DEFAULT_CLIENT_CA_CN, SERVER_RENEW_BEFORE_DAYS } from './ensure';
export type { PkiSpec, LeafResult } from './ensure';
export { RENEW_BEFORE_DAYS } from './reuse';
export type { LeafDecision } from './reuse';
export type { PkiMaterial, ServerTls, ClientTrust, ClientCredentials, IssuedCredentials } from './material';
export type { StoreListing, CaListing, CertificateListing, CrlListing } from './listing';
export type { CrlStatus } from './crls';
export type { RevokeTarget } from './revoke';
export type { ImportOpensslOptions, ImportResult } from './import-openssl';
export { DEFAULT_CRL_VALIDITY_DAYS, DEFAULT_CRL_REFRESH_BEFORE_DAYS } from './state';
export type { RevocationRecord, CertificateRecord, CaRecord, StoreSettings, AuditEntry, PendingCa } from './state';
export type { RecoveryOptions, RecoveryResult } from './lost-revocations';
export type { CaId } from './layout';
export type { LockOptions } from './lock';
