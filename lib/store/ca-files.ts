import { join } from 'node:path';
import { CertificateAuthority, CertificateFacts, inspectCertificate, UserInputError } from '../pki';
import { CertificateIdentity, certificateIdentityOf } from '../pki/certificate-identity';
import { KeyAccess, loadCaWithKey } from './ca-keys';
import { CaId, layout } from './layout';
import { StoreState } from './state';
import { readInStore } from './store-files';

// A CA's files are read only through here, and each time they are compared with the SHA-256 fingerprint that
// store.json recorded when the store created or imported the CA. A certificate with the same name copied over
// cert.pem (with its own key over key.pem) is then refused instead of signing certificates or CRLs, or being
// handed to nginx as the client trust anchor. The key, wherever it lives (ca-keys.ts), is pinned through the
// certificate: a key whose public key is not the certificate's is refused when it is loaded to sign.

/**
 * The certificate of CA `id` as its file holds it, after checking it is the one store.json recorded. The check
 * reads the file through node:crypto alone (certificate-identity.ts): `list` and the CRL bookkeeping need no
 * more, and load no pkijs. The full parse runs only when that check fails, for its exact refusal.
 */
export function readCaCertificate(dir: string, state: StoreState, id: CaId): { pem: string; identity: CertificateIdentity } {
  const record = state.cas[id];
  const path = join(dir, layout.caCert(id));
  if (!record) throw new UserInputError(dir, `has no ${id}; run \`mtls-pki init\` first.`);
  const bytes = readInStore(dir, layout.caCert(id));
  if (!bytes) throw new UserInputError(path, `is missing, but store.json lists ${id}. Restore it from a backup; the store cannot sign or publish CRLs without it.`);
  const pem = bytes.toString('utf8');
  // A file whose SHA-256 is the pinned one holds the very certificate the store parsed in full when it
  // recorded it, so it needs no second full parse.
  const identity = certificateIdentityOf(pem);
  if (identity?.fingerprintSha256 === record.fingerprintSha256) return { pem, identity };
  const facts = inspectCertificate(pem, path);
  if (facts.fingerprintSha256 !== record.fingerprintSha256) {
    throw new UserInputError(path, `is not the ${id} that store.json records: it holds "${facts.subject}" serial ${facts.serialHex} (SHA-256 ${facts.fingerprintSha256}), but the store created or imported "${record.subject}" serial ${record.serialHex} (SHA-256 ${record.fingerprintSha256}). A CA certificate the store did not write is never used to sign or trusted, even with the same name: restore the original cert.pem and key.pem of ${id} from a backup. Nothing was signed or written.`);
  }
  return { pem, identity: facts };
}

/** Everything about CA `id`'s certificate (inspect.ts), after the check readCaCertificate makes. */
export function readCaCertificateFacts(dir: string, state: StoreState, id: CaId): CertificateFacts {
  return inspectCertificate(readCaCertificate(dir, state, id).pem, join(dir, layout.caCert(id)));
}

/** CA `id` with its key, ready to sign: its certificate checked against store.json, its key against the certificate. */
export async function loadStoreCa(access: KeyAccess, state: StoreState, id: CaId): Promise<CertificateAuthority> {
  const { pem } = readCaCertificate(access.dir, state, id);
  return loadCaWithKey(access, state, id, pem);
}
