import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserInputError } from '../pki/errors';

// Every file the store and the CLI write goes through writeFileAtomic: a temp file in the same directory, created with
// its final mode (so a key is never readable by others, not even for a moment), written, fsynced, renamed
// over the target, and the directory fsynced so the rename itself survives a power cut. A reader, or a
// process killed half-way, sees either the old bytes or the new ones, never a torn file.

export const SECRET_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;
export const DIR_MODE = 0o700;

/** Turns a file-system error into a UserInputError that names the path and says what to do. */
export function fsError(path: string, e: unknown, doing: string): Error {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof UserInputError) return err;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return new UserInputError(path, `cannot ${doing}: permission denied. Run as the store's owner, or give --dir a directory you can write.`);
    case 'EROFS':
      return new UserInputError(path, `cannot ${doing}: the file system is read-only. Give --dir a writable directory.`);
    case 'ENOTDIR':
      return new UserInputError(path, `cannot ${doing}: a part of the path is a file, not a directory. Give --dir a directory.`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new UserInputError(path, `cannot ${doing}: the disk is full. Free some space and run the command again; nothing was lost.`);
    case 'ENOENT':
      return new UserInputError(path, `cannot ${doing}: its directory does not exist. Create it first, or give a path in an existing directory.`);
    case 'EISDIR':
      return new UserInputError(path, `cannot ${doing}: it is a directory, but a file belongs here. Move it away.`);
    default:
      return err;
  }
}

/** fsync a directory so that renames and creations in it are durable. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes all of `bytes` at the start of `fd`. One write(2) may write only part of it (a nearly full disk does
 * exactly that), so it loops until everything is written; the call after a short write raises the ENOSPC.
 */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) {
    injectFault();
    done += fs.writeSync(fd, bytes, done, bytes.length - done, done);
  }
}

// Test hook, inert unless MTLS_TEST_FAIL_WRITES is set: with MTLS_TEST_FAIL_WRITES=N (a whole number), the
// first N write calls of this process (the lock's included) succeed and every later one fails with ENOSPC, as
// on a full disk. It lets the tests reach every write point of a command where mounting a small file system is
// not possible (see "Crash safety" in lib/store/README.md).
let writesBeforeFault = process.env.MTLS_TEST_FAIL_WRITES === undefined ? Infinity : Number(process.env.MTLS_TEST_FAIL_WRITES);

function injectFault(): void {
  if (writesBeforeFault === Infinity) return;
  if (writesBeforeFault-- > 0) return;
  throw Object.assign(new Error('ENOSPC: no space left on device, write (MTLS_TEST_FAIL_WRITES)'), { code: 'ENOSPC' });
}

/**
 * Writes `data` to `path` atomically with `mode`. Returns false, without touching the file, when it already
 * holds exactly these bytes (so unchanged files keep their bytes and their mtime). `readExisting` reads the
 * current bytes for that comparison (the store passes one that refuses links).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode: number, readExisting = readFileIfExists): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const existing = readExisting(path);
  if (existing && existing.equals(bytes)) return false;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
    writeAll(fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw fsError(path, e, 'write the file');
  }
  syncDir(dir);
  return true;
}

/** The file's bytes, or undefined when it does not exist. */
export function readFileIfExists(path: string): Buffer | undefined {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(path, e, 'read the file');
  }
}

/** Creates `dir` (and missing parents) with mode 0700; an existing directory is left as it is. */
export function ensureDir(dir: string): void {
  try {
    if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return;
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    syncDir(dirname(dir));
  } catch (e) {
    throw fsError(dir, e, 'create the directory');
  }
}

/** Removes temp files that a killed writer left behind (`.name.tmp-PID-RAND`), when that pid is gone. */
export function removeStaleTempFiles(dir: string, isAlive: (pid: number) => boolean): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\..+\.tmp-(\d+)-[0-9a-f]{8}$/.exec(name);
    if (m && !isAlive(Number(m[1]))) fs.rmSync(join(dir, name), { force: true });
  }
}
