import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { UserInputError } from '../pki/errors';
import { fsError } from './atomic-write';

// Files a user names (not the store's own: lib/store/store-files.ts reads those, refusing links): the PEM files
// `mtls-pki check` and MtlsMaterial.fromFiles take, openssl's index.txt and crlnumber, a password file, and the
// files a command is about to write (--out, --p12). A missing or unreadable one is a UserInputError naming the
// option or prop and the path, raised before anything is written.

function readBytes(path: string, field: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserInputError(field, code === 'ENOENT' ? `file "${path}" does not exist.` : code === 'EISDIR' ? `"${path}" is a directory; give a file.` : `cannot read "${path}" (${code ?? (e as Error).message}).`);
  }
}

/** A text file the user named (index.txt, crlnumber, a password file, a certificate to revoke), as UTF-8. */
export function readInputText(path: string, field: string): string {
  return readBytes(path, field).toString('utf8');
}

/**
 * A PEM file the user named, for a check. PEM is decoded as UTF-8; anything else (DER) keeps its bytes as
 * latin1, so the checks can say it is DER rather than garbage.
 */
export function readInputFile(path: string, field: string): string {
  const bytes = readBytes(path, field);
  return bytes.includes('-----BEGIN') ? bytes.toString('utf8') : bytes.toString('latin1');
}

/**
 * Refuses, before anything is issued, an output directory (`option`, e.g. `--out`) that cannot hold files: a
 * file, or one this user cannot write. A missing one is created later (0700), so its parent must be writable.
 */
export function checkOutputDir(path: string, option: string): void {
  const st = fs.statSync(path, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new UserInputError(path, `is a file; give ${option} a directory (it is created when missing).`);
  try {
    if (st) fs.accessSync(path, fs.constants.W_OK);
    else fs.accessSync(dirname(path), fs.constants.W_OK);
  } catch (e) {
    throw fsError(path, e, st ? 'write into the directory' : 'create the directory');
  }
}

/**
 * Refuses, before anything is issued or a number consumed, an output path (`option`, e.g. `--p12`) that cannot
 * become a file: a directory, a directory that does not exist, one this user cannot write.
 */
export function checkOutputFile(path: string, option: string): void {
  if (fs.statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new UserInputError(path, `is a directory; give ${option} the file to write.`);
  try {
    fs.accessSync(dirname(path), fs.constants.W_OK);
  } catch (e) {
    throw fsError(path, e, 'write the file');
  }
}
