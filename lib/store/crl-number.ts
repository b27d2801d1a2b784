import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PUBLIC_FILE_MODE, writeFileAtomic } from '../files/atomic-write';
import { readInputText } from '../files/input';
import { formatCrlNumber, parseCrlNumber } from '../pki/openssl-index';

// CRL numbers, in one place. A CA's CRL numbers only increase (RFC 5280 §5.2.3), and a number is never used
// twice: the store keeps the last one in store.json (next to the number in the published CRL, whichever is
// higher), `openssl ca` keeps the next one in its `crlnumber` file, and `mtls-pki gencrl` and `import-openssl`
// read that file. Both sides take the next number from `nextCrlNumber`.

/** The number after every number in `used` (undefined ones ignored): 1 when there is none. */
export function nextCrlNumber(...used: (bigint | undefined)[]): bigint {
  return used.reduce<bigint>((max, n) => (n !== undefined && n > max ? n : max), 0n) + 1n;
}

/** `explicit` (--crlnumber FILE), else `crlnumber` next to index.txt (openssl's usual layout), else none. */
export function crlNumberFileFor(explicit: string | undefined, indexPath: string): string | undefined {
  if (explicit !== undefined) return explicit;
  const beside = join(dirname(indexPath), 'crlnumber');
  return existsSync(beside) ? beside : undefined;
}

/** openssl's `crlnumber` file: the hex number the next CRL gets, and the text it held. */
export interface CrlNumberFile {
  readonly path: string;
  readonly text: string;
  /** The number the next CRL gets. */
  readonly next: bigint;
}

export function readCrlNumberFile(path: string, field = '--crlnumber'): CrlNumberFile {
  const text = readInputText(path, field);
  return { path, text, next: parseCrlNumber(text, path) };
}

/**
 * Uses up the file's number, as `openssl ca -gencrl` does: the previous text goes to `crlnumber.old`, the number
 * after it to `crlnumber`, each atomically. Called before the CRL is written, so a crash in between skips a
 * number and never reuses one.
 */
export function consumeCrlNumber(file: CrlNumberFile): void {
  writeFileAtomic(`${file.path}.old`, file.text, PUBLIC_FILE_MODE);
  writeFileAtomic(file.path, formatCrlNumber(nextCrlNumber(file.next)), PUBLIC_FILE_MODE);
}
