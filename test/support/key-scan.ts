import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';

// Finds every private key a directory's files hold, in any of the forms a key can take in a file: PEM
// blocks, raw DER (PKCS#8, SEC1, PKCS#1) anywhere in a file, and DER inside base64 runs (JSON, YAML). Each
// is reported with the SubjectPublicKeyInfo it belongs to, so a test can ask whether a given CA's key is
// among them: the CA certificate's public key is all a test can know of a key that never leaves a token.

export interface FoundKey {
  readonly file: string;
  readonly form: 'pem' | 'der' | 'base64';
  /** Hex of the key's SubjectPublicKeyInfo (DER). */
  readonly spkiHex: string;
}

function spkiOf(key: KeyObject): string {
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('hex');
}

/** DER private keys starting anywhere in `bytes` (each SEQUENCE start is tried as PKCS#8, SEC1 and PKCS#1). */
function derKeys(bytes: Buffer): KeyObject[] {
  const found: KeyObject[] = [];
  for (let i = 0; i < bytes.length - 8; i++) {
    if (bytes[i] !== 0x30) continue;
    // The DER length, to slice exactly one SEQUENCE (node:crypto refuses trailing bytes).
    let len = bytes[i + 1];
    let header = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n < 1 || n > 3) continue;
      len = 0;
      for (let j = 0; j < n; j++) len = len * 256 + bytes[i + 2 + j];
      header = 2 + n;
    }
    if (len < 32 || i + header + len > bytes.length) continue;
    const der = bytes.subarray(i, i + header + len);
    for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
      try {
        found.push(createPrivateKey({ key: der, format: 'der', type }));
        break;
      } catch {
        // not this form
      }
    }
  }
  return found;
}

/** Every private key held by a file under `dir` (recursively). */
export function findPrivateKeys(dir: string): FoundKey[] {
  const out: FoundKey[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(join(dir, rel))) {
      const path = join(rel, name);
      const st = fs.lstatSync(join(dir, path));
      if (st.isDirectory()) {
        walk(path);
        continue;
      }
      if (!st.isFile()) continue;
      const bytes = fs.readFileSync(join(dir, path));
      const text = bytes.toString('latin1');
      for (const m of text.matchAll(/-----BEGIN ([A-Z ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/g)) {
        try {
          out.push({ file: path, form: 'pem', spkiHex: spkiOf(createPrivateKey(m[0])) });
        } catch {
          // an encrypted key: its public key cannot be read without the passphrase (reported by the caller's grep)
        }
      }
      for (const key of derKeys(bytes)) out.push({ file: path, form: 'der', spkiHex: spkiOf(key) });
      for (const m of text.matchAll(/[A-Za-z0-9+/]{60,}={0,2}/g)) {
        for (const key of derKeys(Buffer.from(m[0], 'base64'))) out.push({ file: path, form: 'base64', spkiHex: spkiOf(key) });
      }
      // PEM bodies span lines: join each block's base64 once more, without its line breaks.
      for (const m of text.matchAll(/-----BEGIN [A-Z0-9 ]+-----\r?\n([\s\S]*?)-----END/g)) {
        for (const key of derKeys(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'))) out.push({ file: path, form: 'base64', spkiHex: spkiOf(key) });
      }
    }
  };
  walk('');
  return out;
}

/** The SubjectPublicKeyInfo hex of a PEM certificate, to compare with FoundKey.spkiHex. */
export function certificateSpkiHex(certificatePem: string): string {
  return createPublicKey(certificatePem).export({ format: 'der', type: 'spki' }).toString('hex');
}
