import { join } from 'node:path';
import {
  CertificateAuthority, certificateAuthorityWithKeyPair, isEncryptedPrivateKeyPem, KeyAlgorithm, KeyPair, loadCertificateAuthority, UserInputError,
} from '../pki';
import { encryptPrivateKeyPem, readSecretFile } from '../pki/key-encryption';
import { describePkcs11Key, formatPkcs11Uri, openPkcs11Token, parsePkcs11Uri, Pkcs11Unavailable } from '../pki/pkcs11';
import { CaId, layout } from './layout';
import { CaKeyCustody, StoreState } from './state';
import { readInStore } from './store-files';

// Where a CA's private key lives, and how the store gets a signer from it. Three postures:
//
// - a plain `key.pem` (PKCS#8), the default;
// - an encrypted `key.pem` (ENCRYPTED PRIVATE KEY), read with the store's passphrase;
// - an object in a PKCS#11 token (store.json's CaRecord.keyUri), which signs inside the token.
//
// And whichever it is, the key may not be on this machine: the key file removed, the token not configured
// here. The store then opens without it (keyless: synth works from the certificates, the CRLs last published
// and the server key), and only an operation that must sign refuses, with CaKeyAbsent, naming where to sign.
// Keys are looked at only when something must be signed, never to open the store or to synthesize.

/** A passphrase, or a function that supplies it (asked only when an encrypted key must be read or written). */
export type PassphraseSource = string | (() => string | Promise<string>);

/** The environment variable naming a file whose first line is the passphrase of the store's CA keys. */
export const PASSPHRASE_FILE_ENV = 'MTLS_PKI_PASSPHRASE_FILE';

/** The CA's key is not on this machine: a keyless store, or a token not configured here. */
export class CaKeyAbsent extends UserInputError {
  constructor(field: string, message: string, readonly ca: CaId) {
    super(field, message);
  }
}

/** What reading and writing CA keys needs from the store. */
export interface KeyAccess {
  readonly dir: string;
  readonly displayDir: string;
  /** The store's passphrase; asked for once per operation. */
  readonly passphrase: () => Promise<string>;
}

/**
 * The store's passphrase, asked for at most once: from `source`, else from the file that MTLS_PKI_PASSPHRASE_FILE
 * names, else refused with the ways to give it.
 */
export function passphraseOnce(source: PassphraseSource | undefined, env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  let answer: Promise<string> | undefined;
  return () => {
    answer ??= (async () => {
      if (typeof source === 'string') return source;
      if (source) return source();
      const file = env[PASSPHRASE_FILE_ENV];
      if (file) return readSecretFile(file, PASSPHRASE_FILE_ENV, 'the passphrase of the CA keys');
      throw new UserInputError('passphrase', `the store's CA keys are encrypted, and no passphrase was given. Give it with --passphrase-file FILE (mtls-pki), ${PASSPHRASE_FILE_ENV}=FILE in the environment, or PkiStore.open(dir, { passphrase }). Nothing was signed or written.`);
    })();
    answer.catch(() => {
      answer = undefined;
    });
    return answer;
  };
}

function keyless(access: KeyAccess, id: CaId, where: string): CaKeyAbsent {
  const dir = access.displayDir === 'pki' ? '' : ` --dir ${access.displayDir}`;
  return new CaKeyAbsent(join(access.displayDir, id), `${where}, so ${id} cannot sign here. The store works without its CA keys for everything that needs no signature (synth from the certificates and the CRLs last published); signing happens where the keys are: run the command there (e.g. mtls-pki crl${dir}), then ship or commit the store's files back here. If the key belongs on this machine, restore it from a backup. Nothing was signed or written.`, id);
}

/** The token object label for CA `id` under the custody URI `custody`: its `object=`, if any, is a prefix. */
export function tokenKeyLabel(custody: string, id: CaId): string {
  const prefix = parsePkcs11Uri(custody, 'settings.caKeys').object;
  return prefix ? `${prefix}-${id}` : id;
}

/** CA `id` ready to sign, from its (pinned) certificate and its key, wherever that lives; see the file comment. */
export async function loadCaWithKey(access: KeyAccess, state: StoreState, id: CaId, certificatePem: string): Promise<CertificateAuthority> {
  const source = join(access.displayDir, id);
  const keyUri = state.cas[id]?.keyUri;
  if (keyUri) {
    const uri = parsePkcs11Uri(keyUri, `store.json cas.${id}.keyUri`);
    let found: KeyPair | undefined;
    try {
      found = await openPkcs11Token(uri, describePkcs11Key(uri)).findKeyPair(uri.object ?? id);
    } catch (e) {
      if (e instanceof Pkcs11Unavailable) throw keyless(access, id, `${id}'s key is in ${describePkcs11Key(uri)}, which ${e.message.slice(e.field.length + 2).replace(/\.$/, '')}`);
      throw e;
    }
    if (!found) throw new UserInputError(describePkcs11Key(uri), `is not in the token: ${id}'s key pair (label "${uri.object}") was deleted or the token was re-initialised. Everything ${id} signed stays valid, but it cannot sign again; restore the token from its backup. Nothing was signed or written.`);
    return certificateAuthorityWithKeyPair(certificatePem, found, source);
  }
  const keyPem = readInStore(access.dir, layout.caKey(id))?.toString('utf8');
  if (keyPem === undefined) throw keyless(access, id, `${join(access.displayDir, layout.caKey(id))} is not on this machine`);
  const passphrase = isEncryptedPrivateKeyPem(keyPem) ? await access.passphrase() : undefined;
  return loadCertificateAuthority(certificatePem, keyPem, source, passphrase);
}

/**
 * For a new CA under `custody`: a key pair in the token (adopted when one with the CA's label exists there,
 * generated inside it otherwise) and the URI to record; undefined for custody in files.
 */
export async function tokenKeyPair(custody: CaKeyCustody | undefined, id: CaId, algorithm: KeyAlgorithm, warn: (m: string) => void): Promise<{ keyPair: KeyPair; keyUri: string } | undefined> {
  if (custody === undefined || custody === 'encrypted') return undefined;
  const uri = parsePkcs11Uri(custody, 'settings.caKeys');
  const label = tokenKeyLabel(custody, id);
  const token = openPkcs11Token(uri, describePkcs11Key(uri));
  const keyUri = formatPkcs11Uri({ ...uri, object: label });
  const existing = await token.findKeyPair(label);
  if (!existing) return { keyPair: await token.generateKeyPair(label, algorithm), keyUri };
  if (existing.extractable || !existing.sensitive) {
    warn(`${describePkcs11Key({ ...uri, object: label })} already existed and was adopted as ${id}'s key, but the token lets it be ${existing.extractable ? 'extracted' : 'read'} (CKA_${existing.extractable ? 'EXTRACTABLE' : 'SENSITIVE'}); keys the store generates are sensitive and not extractable.`);
  } else {
    warn(`adopted the key pair ${describePkcs11Key({ ...uri, object: label })} already in the token as ${id}'s key.`);
  }
  return { keyPair: existing, keyUri };
}

/** The shortest passphrase accepted to encrypt CA keys: shorter ones fall to a dictionary attack in hours. */
export const MIN_PASSPHRASE_LENGTH = 12;

export function checkNewPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new UserInputError('passphrase', `has ${passphrase.length} characters; use at least ${MIN_PASSPHRASE_LENGTH} (a few words) to encrypt CA keys. Nothing was written.`);
  }
}

/** The text of a new CA's `key.pem` under `custody`: encrypted with the store's passphrase when asked for. */
export async function caKeyFileText(custody: CaKeyCustody | undefined, privateKeyPem: string, access: KeyAccess): Promise<string> {
  if (custody !== 'encrypted') return privateKeyPem;
  const passphrase = await access.passphrase();
  checkNewPassphrase(passphrase);
  return encryptPrivateKeyPem(privateKeyPem, passphrase);
}
