import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserInputError } from './errors';
import { readSecretFile } from './key-encryption';
import { generateKeyPair, KeyAlgorithm, keyAlgorithmOf, KeyPair, KeyProvider, WebCryptoKey } from './keys';

// CA keys in a PKCS#11 token (an HSM, a YubiKey, SoftHSM2), addressed by RFC 7512 URIs as OpenSSL's providers,
// p11-kit and step-ca address them:
//
//   pkcs11:token=mtls;object=client-ca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin
//
// The keys are generated inside the token as sensitive and not extractable, and sign there: through the
// token's WebCrypto (node-webcrypto-p11, over the pkcs11js native binding), which pkijs' engine drives like
// node:crypto's. The binding is an optional peer dependency, required only here and only when a `pkcs11:`
// URI is used, so that nobody else builds or loads a native module.

/** An RFC 7512 URI, as far as the store uses it. */
export interface Pkcs11Uri {
  /** The token label (`token=`). */
  readonly token: string;
  /** The token serial number (`serial=`), when the label alone is ambiguous. */
  readonly serial?: string;
  /** The object label (`object=`). */
  readonly object?: string;
  /** The PKCS#11 module to load (`module-path=`). */
  readonly modulePath: string;
  /** Where the user PIN is read from (`pin-source=`, a `file:` URI or a path). */
  readonly pinSource: string;
}

const PATH_ATTRIBUTES = new Set(['token', 'manufacturer', 'serial', 'model', 'object', 'type', 'id', 'library-manufacturer', 'library-description', 'library-version', 'slot-description', 'slot-manufacturer', 'slot-id']);
const QUERY_ATTRIBUTES = new Set(['module-path', 'module-name', 'pin-source', 'pin-value']);
/** The attributes whose meaning the store implements; any other would be silently ignored, so it is refused. */
const UNDERSTOOD = new Set(['token', 'serial', 'object', 'type', 'module-path', 'pin-source']);

function decode(value: string, field: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new UserInputError(field, `"${value}" has a broken percent-encoding (RFC 7512 §2.3).`);
  }
}

/** Parses a `pkcs11:` URI; refuses what the store cannot honour (a PIN in the URI, unknown attributes). */
export function parsePkcs11Uri(uri: string, field = '--ca-key-uri'): Pkcs11Uri {
  const example = 'e.g. pkcs11:token=mtls?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/mtls-pin';
  if (!uri.startsWith('pkcs11:')) throw new UserInputError(field, `"${uri}" is not a pkcs11: URI (RFC 7512); ${example}.`);
  const [path, query = ''] = uri.slice('pkcs11:'.length).split('?', 2);
  const values = new Map<string, string>();
  const take = (part: string, known: Set<string>, where: string) => {
    if (part === '') return;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!known.has(name)) throw new UserInputError(field, `"${name}" is not an RFC 7512 ${where} attribute (in ${uri}).`);
    if (name === 'pin-value') throw new UserInputError(field, 'carries the PIN itself (pin-value), which would land in store.json and in shell history; put the PIN in a file readable only by you and give pin-source=file:/path/to/pin instead. Nothing was written.');
    if (!UNDERSTOOD.has(name)) throw new UserInputError(field, `has "${name}", which mtls-pki does not use to find a token; name the token with token= (and serial= if two tokens share a label). Nothing was written.`);
    if (values.has(name)) throw new UserInputError(field, `gives "${name}" twice.`);
    values.set(name, decode(part.slice(eq + 1), field));
  };
  for (const part of path.split(';')) take(part, PATH_ATTRIBUTES, 'path');
  for (const part of query.split('&')) take(part, QUERY_ATTRIBUTES, 'query');
  const token = values.get('token');
  const modulePath = values.get('module-path');
  const pinSource = values.get('pin-source');
  if (!token) throw new UserInputError(field, `names no token (token=LABEL, as softhsm2-util --init-token --label LABEL made it); ${example}.`);
  if (!modulePath) throw new UserInputError(field, `names no PKCS#11 module (module-path=/path/to/module.so: for SoftHSM2 on Debian /usr/lib/softhsm/libsofthsm2.so); ${example}.`);
  if (!pinSource) throw new UserInputError(field, `names no PIN source (pin-source=file:/path/to/pin, a file holding the token's user PIN, readable only by you); ${example}.`);
  const type = values.get('type');
  if (type !== undefined && type !== 'private') throw new UserInputError(field, `has type=${type}; a CA key is addressed by its private key (type=private, or leave type out).`);
  return { token, modulePath, pinSource, ...(values.has('serial') ? { serial: values.get('serial') } : {}), ...(values.has('object') ? { object: values.get('object') } : {}) };
}

const encode = (v: string) => encodeURIComponent(v).replace(/%2F/g, '/').replace(/%3A/g, ':');

/** The URI text of `uri` (the object and the token; module and PIN source as query attributes). */
export function formatPkcs11Uri(uri: Pkcs11Uri): string {
  const path = [`token=${encode(uri.token)}`, ...(uri.serial ? [`serial=${encode(uri.serial)}`] : []), ...(uri.object ? [`object=${encode(uri.object)}`] : [])];
  return `pkcs11:${path.join(';')}?module-path=${encode(uri.modulePath)}&pin-source=${encode(uri.pinSource)}`;
}

/** The part of the URI that names the key, without where the module and the PIN are on this machine. */
export function describePkcs11Key(uri: Pkcs11Uri): string {
  return `pkcs11:token=${encode(uri.token)}${uri.object ? `;object=${encode(uri.object)}` : ''}`;
}

/** Raised when this machine has no way to reach the token (no module, no token, no binding): keys elsewhere. */
export class Pkcs11Unavailable extends UserInputError {}

// The members of node-webcrypto-p11 we use; its types are not imported, so that nothing needs it to compile.
interface P11Key extends WebCryptoKey { readonly algorithm: { readonly name: string; readonly label?: string; readonly sensitive?: boolean } }
interface P11Crypto {
  readonly subtle: { exportKey(format: 'spki', key: P11Key): Promise<ArrayBuffer> };
  readonly keyStorage: { keys(): Promise<string[]>; getItem(id: string): Promise<P11Key> };
  getRandomValues<T extends ArrayBufferView | null>(array: T): T;
  close(): void;
}
type P11Binding = { Crypto: new (props: { library: string; slot?: number; readWrite?: boolean; pin?: string; name?: string }) => P11Crypto };
/** graphene-pk11, node-webcrypto-p11's own PKCS#11 layer: lists the slots without opening a session. */
interface Graphene {
  Module: { load(library: string, name?: string): GrapheneModule };
}
interface GrapheneModule {
  initialize(): void;
  finalize(): void;
  getSlots(present: boolean): { length: number; items(i: number): { getToken(): { label: string; serialNumber: string } } };
}

/** The labels of the module's tokens and the index of the one `uri` names (-1 none, -2 several). */
function findToken(module: GrapheneModule, uri: Pkcs11Uri): { labels: string[]; index: number } {
  // The same order node-webcrypto-p11 indexes slots in: those with a token present.
  const slots = module.getSlots(true);
  const labels: string[] = [];
  let index = -1;
  for (let i = 0; i < slots.length; i++) {
    const token = slots.items(i).getToken();
    const label = token.label.replace(/[ \0]+$/, '');
    labels.push(label);
    if (label === uri.token && (uri.serial === undefined || token.serialNumber.trim() === uri.serial)) index = index === -1 ? i : -2;
  }
  return { labels, index };
}

const BINDING = 'node-webcrypto-p11';

function loadBinding(field: string): { binding: P11Binding; graphene: Graphene } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(BINDING) as P11Binding;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const graphene = require(require.resolve('graphene-pk11', { paths: [dirname(require.resolve(BINDING))] })) as Graphene;
    return { binding, graphene };
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(`'${BINDING}'`)
      ? `the optional package ${BINDING} is not installed`
      : `the optional package ${BINDING} did not load (${(e as Error).message.split('\n')[0]}); its native part pkcs11js may not have been built`;
    throw new Pkcs11Unavailable(field, `needs a PKCS#11 binding, but ${why}. Install it next to cdk8s-mtls-ingress: npm install ${BINDING} (npm 11 builds its native part pkcs11js only once approved: npm install-scripts approve pkcs11js, then npm rebuild pkcs11js; a C++ compiler and make are needed).`);
  }
}

function readPin(uri: Pkcs11Uri, field: string): string {
  const path = uri.pinSource.startsWith('file:') ? uri.pinSource.replace(/^file:(\/\/(?=\/))?/, '') : uri.pinSource;
  return readSecretFile(path, `${field} pin-source`, "the token's user PIN");
}

/** An open, logged-in token: finds, adopts and generates key pairs in it. */
export class Pkcs11Token {
  /** The provider through which this token's keys sign. */
  readonly provider: KeyProvider;

  constructor(private readonly crypto: P11Crypto, readonly uri: Pkcs11Uri) {
    this.provider = { name: describePkcs11Key({ ...uri, object: undefined }), subtle: crypto.subtle, getRandomValues: (a) => crypto.getRandomValues(a) };
  }

  /** The key pair whose private and public objects carry `label` (with one CKA_ID), or undefined. */
  async findKeyPair(label: string): Promise<(KeyPair & { readonly sensitive: boolean; readonly extractable: boolean }) | undefined> {
    const items = await Promise.all((await this.crypto.keyStorage.keys()).map(async (id) => ({ id, key: await this.crypto.keyStorage.getItem(id) })));
    const ckaId = (id: string) => id.slice(id.lastIndexOf('-') + 1);
    const privates = items.filter((i) => i.key.type === 'private' && i.key.algorithm.label === label);
    if (privates.length === 0) return undefined;
    const where = `${describePkcs11Key({ ...this.uri, object: label })}`;
    if (privates.length > 1) throw new UserInputError(where, `names ${privates.length} private keys in the token; give each CA key its own label (object=). Nothing was signed or written.`);
    const [priv] = privates;
    const pub = items.find((i) => i.key.type === 'public' && ckaId(i.id) === ckaId(priv.id));
    if (!pub) throw new UserInputError(where, 'has a private key but no public key object with the same CKA_ID, which mtls-pki needs to put the public key into the CA certificate. Import the public key into the token with the same ID and label.');
    const spki = Buffer.from(await this.crypto.subtle.exportKey('spki', pub.key));
    const algorithm: KeyAlgorithm = keyAlgorithmOf(createPublicKey({ key: spki, format: 'der', type: 'spki' }), where);
    return { algorithm, privateKey: priv.key, publicKey: pub.key, provider: this.provider, sensitive: priv.key.algorithm.sensitive === true, extractable: priv.key.extractable };
  }

  /** A new key pair labelled `label`, generated inside the token: sensitive, not extractable, stored (CKA_TOKEN). */
  async generateKeyPair(label: string, algorithm: KeyAlgorithm): Promise<KeyPair> {
    return generateKeyPair(algorithm, { provider: this.provider, attributes: { token: true, sensitive: true, label } });
  }
}

const open = new Map<string, Pkcs11Token>();

/**
 * The token `uri` names, opened read-write and logged in with the PIN from its pin-source; opened once per
 * process. Pkcs11Unavailable when this machine cannot reach it (binding, module or token missing).
 */
export function openPkcs11Token(uri: Pkcs11Uri, field = describePkcs11Key(uri)): Pkcs11Token {
  const cacheKey = `${uri.modulePath}\0${uri.token}\0${uri.serial ?? ''}`;
  const cached = open.get(cacheKey);
  if (cached) return cached;
  if (!existsSync(uri.modulePath)) throw new Pkcs11Unavailable(field, `cannot be reached on this machine: its PKCS#11 module ${uri.modulePath} does not exist here.`);
  const { binding: { Crypto }, graphene } = loadBinding(field);
  let found: { labels: string[]; index: number };
  try {
    const module = graphene.Module.load(uri.modulePath);
    try {
      module.initialize();
    } catch (e) {
      if (!/ALREADY_INITIALIZED/.test((e as Error).message)) throw e;
    }
    found = findToken(module, uri);
    const ours = [...open.keys()].some((key) => key.startsWith(`${uri.modulePath}\0`));
    if (found.index === -1 && !ours) {
      // A module lists its tokens when it is first initialized (SoftHSM2 does), and initializing it again in the
      // same process, even after another user of it, returns that old list. So a token made since a closed token
      // or a failed lookup looked would be "not on this machine" until restart. No session of ours is open on the
      // module: start it again, look once more, and leave nothing initialized behind a lookup that still fails.
      module.finalize();
      module.initialize();
      found = findToken(module, uri);
      if (found.index === -1) module.finalize();
    }
  } catch (e) {
    throw new Pkcs11Unavailable(field, `cannot be reached on this machine: ${uri.modulePath} did not load as a PKCS#11 module (${(e as Error).message.split('\n')[0]}).`);
  }
  const { labels, index } = found;
  if (index === -1) throw new Pkcs11Unavailable(field, `cannot be reached on this machine: ${uri.modulePath} has no token labelled "${uri.token}"${uri.serial ? ` with serial ${uri.serial}` : ''} (its tokens: ${labels.filter(Boolean).map((l) => `"${l}"`).join(', ') || 'none'}).`);
  if (index === -2) throw new UserInputError(field, `${uri.modulePath} has several tokens labelled "${uri.token}"; add serial=… to the URI to say which.`);
  const pin = readPin(uri, field);
  let crypto: P11Crypto;
  try {
    crypto = new Crypto({ library: uri.modulePath, slot: index, readWrite: true, pin });
  } catch (e) {
    const message = (e as Error).message;
    if (/PIN_INCORRECT|PIN_LEN_RANGE/.test(message)) throw new UserInputError(field, `the PIN in ${uri.pinSource} is not the user PIN of token "${uri.token}" (the token counts failed logins and may lock). Nothing was signed or written.`);
    if (/PIN_LOCKED/.test(message)) throw new UserInputError(field, `token "${uri.token}" has locked its user PIN after too many failed logins; unlock it with the SO PIN (pkcs11-tool --init-pin --login --login-type so).`);
    throw new UserInputError(field, `cannot log in to token "${uri.token}" (${message}).`);
  }
  const token = new Pkcs11Token(crypto, uri);
  open.set(cacheKey, token);
  return token;
}

/**
 * Logs out of and closes every token this process opened, and finalizes their modules. A module reads its
 * configuration (SOFTHSM2_CONF) when first initialized, so tests that switch tokens call this in between.
 */
export function closePkcs11Tokens(): void {
  for (const token of open.values()) {
    try {
      (token as unknown as { crypto: P11Crypto }).crypto.close();
    } catch {
      // A module shared by two tokens is finalized with the first.
    }
  }
  open.clear();
}
