// The persistent PKI store: see README.md in this directory for the files it keeps and its guarantees.
export { PkiStore } from './pki-store';
export type { OpenOptions, IssueOptions } from './pki-store';
export { CaKeyAbsent, PASSPHRASE_FILE_ENV } from './ca-keys';
export type { PassphraseSource } from './ca-keys';
export type { KeyConversion } from './key-conversion';
export { DEFAULT_SERVER_CA_CN, DEFAULT_CLIENT_CA_CN, SERVER_RENEW_BEFORE_DAYS } from './ensure';
export type { PkiSpec } from './ensure';
export type { PkiMaterial, ServerTls, ClientTrust, ClientCredentials } from './material';
export type { StoreListing, CaListing, CertificateListing, CrlListing } from './listing';
export type { CrlStatus } from './crls';
export type { RevokeTarget } from './revoke';
export type { ImportOpensslOptions, ImportResult } from './import-openssl';
export { DEFAULT_CRL_VALIDITY_DAYS, DEFAULT_CRL_REFRESH_BEFORE_DAYS } from './state';
export type { RevocationRecord, CertificateRecord, CaRecord, StoreSettings, AuditEntry, PendingCa, CaKeyCustody } from './state';
export type { RecoveryOptions, RecoveryResult } from './lost-revocations';
export type { CaId } from './layout';
export type { LockOptions } from './lock';
