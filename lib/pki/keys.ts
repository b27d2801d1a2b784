import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { UserInputError } from './errors';
import { subtle } from './engine';
import { decodePemExpecting, encodePem, PemLabel } from './pem';

/** The key types we generate and accept. */
export type KeyAlgorithm = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'];
/** ECDSA P-256: milliseconds to generate, small certificates, accepted by nginx, curl, browsers and Java. */
export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = 'ec-p256';

/**
 * A WebCrypto key (node:crypto's `webcrypto.CryptoKey`, the DOM's `CryptoKey`), described by the members we
 * promise. Spelled out so that apps compile against our declarations without the DOM lib or a @types/node that
 * knows WebCrypto: the cdk8s app template has neither (lib es2016, @types/node 14).
 */
export interface WebCryptoKey {
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: { readonly name: string };
  readonly usages: readonly string[];
}

/**
 * A WebCrypto implementation other than node:crypto's that holds keys, e.g. a PKCS#11 token's
 * (node-webcrypto-p11). Its keys are used only through it: they cannot be exported or moved to node:crypto.
 */
export interface KeyProvider {
  /** Shown in messages, e.g. the token's `pkcs11:` URI (without its PIN). */
  readonly name: string;
  readonly subtle: unknown;
  getRandomValues<T extends ArrayBufferView | null>(array: T): T;
}

/** A key pair usable for signing through WebCrypto, and its algorithm. */
export interface KeyPair {
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: WebCryptoKey;
  readonly publicKey: WebCryptoKey;
  /** Where the keys live when node:crypto does not hold them (a PKCS#11 token): they sign only through it. */
  readonly provider?: KeyProvider;
}

/** The signature hash that goes with each key: SHA-384 for P-384 (RFC 5480), SHA-256 otherwise. */
export function hashFor(algorithm: KeyAlgorithm): 'SHA-256' | 'SHA-384' {
  return algorithm === 'ec-p384' ? 'SHA-384' : 'SHA-256';
}

function webCryptoParams(algorithm: KeyAlgorithm): RsaHashedImportParams & { modulusLength?: number; publicExponent?: Uint8Array } | EcKeyImportParams {
  switch (algorithm) {
    case 'ec-p256': return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ec-p384': return { name: 'ECDSA', namedCurve: 'P-384' };
    default: return {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      modulusLength: Number(algorithm.slice(4)),
      publicExponent: new Uint8Array([1, 0, 1]),
    };
  }
}

export function parseKeyAlgorithm(value: string, field = 'key algorithm'): KeyAlgorithm {
  const normalized = value.toLowerCase().replace(/^(ecdsa|ec)-?/, 'ec-').replace(/^rsa-?/, 'rsa-').replace('ec-prime256v1', 'ec-p256').replace('ec-secp384r1', 'ec-p384');
  if ((KEY_ALGORITHMS as readonly string[]).includes(normalized)) return normalized as KeyAlgorithm;
  throw new UserInputError(field, `"${value}" is not a supported key algorithm; use one of ${KEY_ALGORITHMS.join(', ')}.`);
}

/**
 * A new key pair in node:crypto, or, given `holder`, inside that provider (a PKCS#11 token), not extractable,
 * with the provider's own generation attributes (e.g. the token object's label).
 */
export async function generateKeyPair(algorithm: KeyAlgorithm = DEFAULT_KEY_ALGORITHM, holder?: { readonly provider: KeyProvider; readonly attributes: Readonly<Record<string, unknown>> }): Promise<KeyPair> {
  const params = { ...webCryptoParams(algorithm), ...holder?.attributes } as RsaHashedKeyGenParams | EcKeyGenParams;
  const generator = (holder?.provider.subtle ?? subtle) as SubtleCrypto;
  const pair = await generator.generateKey(params, !holder, ['sign', 'verify']) as CryptoKeyPair;
  return { algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey, ...(holder ? { provider: holder.provider } : {}) };
}

/** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), what `openssl genpkey` writes. */
export async function exportPrivateKeyPem(pair: KeyPair): Promise<string> {
  return encodePem(PemLabel.PRIVATE_KEY, await subtle.exportKey('pkcs8', pair.privateKey as CryptoKey));
}

export async function exportPublicKeyDer(pair: KeyPair): Promise<Uint8Array> {
  const holder = (pair.provider?.subtle ?? subtle) as SubtleCrypto;
  return new Uint8Array(await holder.exportKey('spki', pair.publicKey as CryptoKey));
}

const KEY_LABELS = [PemLabel.PRIVATE_KEY, PemLabel.RSA_PRIVATE_KEY, PemLabel.EC_PRIVATE_KEY, PemLabel.ENCRYPTED_PRIVATE_KEY];

/** Whether `pem` holds a PKCS#8 `ENCRYPTED PRIVATE KEY` (which needs a passphrase to be read). */
export function isEncryptedPrivateKeyPem(pem: string): boolean {
  return pem.includes(`-----BEGIN ${PemLabel.ENCRYPTED_PRIVATE_KEY}-----`);
}

/**
 * Reads one private key in PKCS#8, PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`) PEM, as openssl
 * writes them, or PKCS#8 `ENCRYPTED PRIVATE KEY` when `passphrase` is given (OpenSSL decrypts it, so what
 * `openssl pkey -passin` reads is read here). node:crypto does the format conversion; WebCrypto then holds
 * the key for pkijs.
 */
export function readPrivateKey(pem: string, source = 'private key', passphrase?: string): KeyObject {
  const blocks = decodePemExpecting(pem, KEY_LABELS, source);
  if (blocks.length > 1) {
    throw new UserInputError(source, `holds ${blocks.length} private keys; put exactly one key in the file.`);
  }
  const encrypted = blocks[0].label === PemLabel.ENCRYPTED_PRIVATE_KEY;
  if (encrypted && passphrase === undefined) {
    throw new UserInputError(source, 'is an encrypted private key, which is not supported. Decrypt it first: `openssl pkey -in key.pem -out key-plain.pem`, and keep the result 0600.');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase } : { key: pem, format: 'pem' });
  } catch (e) {
    if (encrypted) throw new UserInputError(source, 'cannot be decrypted with this passphrase: it is the wrong one (or the file is damaged). Nothing was signed or written; run the command again with the passphrase the key was encrypted with.');
    throw new UserInputError(source, `is not a readable private key (${(e as Error).message}).`);
  }
  keyAlgorithmOf(key, source);
  return key;
}

export function keyAlgorithmOf(key: KeyObject, source = 'key'): KeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    const alg = `rsa-${bits}`;
    if ((KEY_ALGORITHMS as readonly string[]).includes(alg)) return alg as KeyAlgorithm;
    throw new UserInputError(source, `is an RSA-${bits} key; use RSA 2048, 3072 or 4096 bits.`);
  }
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ec-p256';
    if (details.namedCurve === 'secp384r1') return 'ec-p384';
    throw new UserInputError(source, `is an EC key on curve ${details.namedCurve}; use P-256 or P-384.`);
  }
  throw new UserInputError(source, `is a ${key.asymmetricKeyType} key; use ECDSA P-256/P-384 or RSA.`);
}

export async function importPrivateKeyPem(pem: string, source = 'private key', passphrase?: string): Promise<KeyPair> {
  const key = readPrivateKey(pem, source, passphrase);
  const algorithm = keyAlgorithmOf(key, source);
  const params = webCryptoParams(algorithm);
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const [privateKey, publicKey] = await Promise.all([
    subtle.importKey('pkcs8', pkcs8, params, true, ['sign']),
    subtle.importKey('spki', spki, params, true, ['verify']),
  ]);
  return { algorithm, privateKey, publicKey };
}
