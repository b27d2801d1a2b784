import { readFileSync } from 'node:fs';
import { toArrayBuffer } from './asn1';
import { pkijs } from './engine';
import { UserInputError } from './errors';
import { readPrivateKey } from './keys';
import { encodePem, PemLabel } from './pem';

// Private keys encrypted at rest: PKCS#8 EncryptedPrivateKeyInfo (RFC 5958), `-----BEGIN ENCRYPTED PRIVATE
// KEY-----`, the format `openssl genpkey -aes256` and easy-rsa write, which `openssl pkey -passin` reads.
//
//   PBES2 (RFC 8018) ─ KDF: PBKDF2-HMAC-SHA-256, 64-byte random salt, PBKDF2_ITERATIONS
//                    └ cipher: AES-256-CBC, random IV
//
// PBKDF2 rather than scrypt: OpenSSL 3 reads both, but pkijs writes PBKDF2 (the same PBES2 code builds our
// PKCS#12 files) while scrypt would need its own ASN.1 and cipher code here, and every PKCS#8 reader reads
// PBKDF2 (Java's KeyStore, BoringSSL and Go's PKCS#8 packages do not read scrypt). The iteration count makes
// up for PBKDF2 not being memory-hard: OWASP's 2023 figure for PBKDF2-HMAC-SHA-256.

/** PBKDF2 iterations for CA keys: 600,000 (OWASP, 2023); about 0.3 s to encrypt or decrypt on a laptop. */
export const PBKDF2_ITERATIONS = 600_000;
/** What PKCS#12 and PKCS#8 writers must not go below (RFC 8018 asks for 1000; OpenSSL 3 writes 2048). */
export const PBKDF2_MIN_ITERATIONS = 2048;

/**
 * The PBES2 parameters pkijs takes: PBKDF2-HMAC-SHA-256 and AES-256-CBC (pkijs draws salt and IV).
 * @internal pkijs types stay out of the published declarations.
 */
export function pbes2Parameters(password: string, iterationCount: number): { password: ArrayBuffer; contentEncryptionAlgorithm: pkijs.ContentEncryptionAlgorithm; hmacHashAlgorithm: string; iterationCount: number } {
  const aes256cbc = { name: 'AES-CBC', length: 256 } as unknown as pkijs.ContentEncryptionAlgorithm;
  return { password: toArrayBuffer(new TextEncoder().encode(password)), contentEncryptionAlgorithm: aes256cbc, hmacHashAlgorithm: 'SHA-256', iterationCount };
}

/**
 * `keyPem` (any private key readPrivateKey reads, unencrypted) as PKCS#8 `ENCRYPTED PRIVATE KEY` PEM under
 * `passphrase`; see the file comment for the algorithms.
 */
export async function encryptPrivateKeyPem(keyPem: string, passphrase: string, iterations = PBKDF2_ITERATIONS, source = 'private key'): Promise<string> {
  if (!Number.isInteger(iterations) || iterations < PBKDF2_MIN_ITERATIONS) {
    throw new UserInputError('iterations', `${iterations} is too low to protect a private key; use at least ${PBKDF2_MIN_ITERATIONS}.`);
  }
  if (passphrase.length === 0) throw new UserInputError('passphrase', 'is empty; an encrypted key needs a passphrase.');
  const pkcs8 = readPrivateKey(keyPem, source).export({ format: 'der', type: 'pkcs8' });
  // A PKCS8ShroudedKeyBag's value is an EncryptedPrivateKeyInfo, the structure this PEM label holds.
  const bag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(toArrayBuffer(pkcs8)) });
  await bag.makeInternalValues(pbes2Parameters(passphrase, iterations));
  return encodePem(PemLabel.ENCRYPTED_PRIVATE_KEY, new Uint8Array(bag.toSchema().toBER(false)));
}

/** The unencrypted PKCS#8 PEM of an `ENCRYPTED PRIVATE KEY`; a wrong passphrase is a UserInputError naming `source`. */
export function decryptPrivateKeyPem(encryptedPem: string, passphrase: string, source = 'private key'): string {
  return readPrivateKey(encryptedPem, source, passphrase).export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * The first line of a file that holds a secret (a passphrase, a token PIN), as `openssl -passin file:` reads
 * it; `what` names the secret in messages. An unreadable file or an empty first line is refused.
 */
export function readSecretFile(path: string, field: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserInputError(field, `${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); put ${what} on its first line, in a file readable only by you.`);
  }
  const secret = text.split(/\r?\n/)[0];
  if (secret === '') throw new UserInputError(field, `the first line of ${path} is empty; put ${what} on its first line.`);
  return secret;
}
