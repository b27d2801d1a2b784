import * as fs from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { UserInputError } from '../pki';
import { ensureDir, fsError, PUBLIC_FILE_MODE, writeFileAtomic } from '../files/atomic-write';
import { CA_IDS, layout, STATE_FILE } from './layout';

// Every path inside the store is read and written through here, and never through a symbolic link: a link
// planted in the store (a CA certificate "left by an interrupted run", a `clients/` that points to /tmp) would
// let whoever controls its target swap what the store signs with, or read the private keys it writes. Each
// component inside the store is checked with lstat, and the file itself is opened with O_NOFOLLOW, so that a
// link swapped in after the check fails the open instead of being followed.

const NO_FOLLOW_READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

function lstatOrUndefined(path: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    throw fsError(path, e, 'look at the store');
  }
}

/** The refusal for a link found at `path` (the store directory itself when `isRoot`). */
function linkRefusal(path: string, kind: 'directory' | 'file', isRoot = false): UserInputError {
  let target = path;
  try {
    target = resolve(dirname(path), fs.readlinkSync(path));
  } catch {
    // Gone since the lstat: the message still names the path.
  }
  const targetMode = fs.statSync(target, { throwIfNoEntry: false })?.mode ?? 0;
  const risk = (targetMode & 0o002) !== 0
    ? `${target} is writable by every user, so the private keys and CA files the store keeps there would be theirs to read or replace`
    : `whoever controls ${target} could read or replace what the store keeps there`;
  const fix = isRoot
    ? `give --dir the real directory instead (or replace the link: rm ${path} && mv ${target} ${path})`
    : kind === 'directory'
      ? `rm ${path} && mkdir -m 700 ${path}, then move back from ${target} only the files you know are the store's`
      : `rm ${path}, then restore the real file from a backup`;
  return new UserInputError(path, `is a symbolic link to ${target}. The store never follows links: ${risk}. Replace it with a real ${kind}: ${fix}. Nothing was read from it or written to it.`);
}

/**
 * Refuses when the store directory, or any existing component of `relative` inside it, is a symbolic link.
 * `relative` names a file unless `lastIsDirectory`.
 */
export function refuseLinks(storeDir: string, relative = '', lastIsDirectory = false): void {
  const parts = relative.split(sep).filter(Boolean);
  let path = storeDir;
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) path = join(path, parts[i - 1]);
    const st = lstatOrUndefined(path);
    if (!st) return;
    if (st.isSymbolicLink()) throw linkRefusal(path, i < parts.length || lastIsDirectory || parts.length === 0 ? 'directory' : 'file', i === 0);
  }
}

/** Reads `path` without following a link at its last component; undefined when it does not exist. */
function readNoFollow(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, NO_FOLLOW_READ);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw linkRefusal(path, 'file');
    throw fsError(path, e, 'read the file');
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw fsError(path, Object.assign(new Error(path), { code: 'EISDIR' }), 'read the file');
    // A FIFO or device planted under a store name would hang or feed the store endless bytes.
    if (!st.isFile()) throw new UserInputError(path, 'is not a regular file (a pipe, socket or device); the store only reads files it wrote. Remove it and restore the real file from a backup.');
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The bytes of the store file `relative`, or undefined when it does not exist. Links are refused. */
export function readInStore(storeDir: string, relative: string): Buffer | undefined {
  refuseLinks(storeDir, relative);
  return readNoFollow(join(storeDir, relative));
}

/**
 * Writes the store file `relative` atomically with `mode` (see atomic-write.ts), creating its directory (0700)
 * when missing; returns false when it already held these bytes. Links are refused, before anything is written.
 */
export function writeInStore(storeDir: string, relative: string, data: string | Uint8Array, mode: number): boolean {
  refuseLinks(storeDir, relative);
  ensureDir(dirname(join(storeDir, relative)));
  return writeFileAtomic(join(storeDir, relative), data, mode, readNoFollow);
}

/**
 * Refuses a store whose directory, store.json, one of its own directories or a CA's file is a symbolic link:
 * checked before a command writes anything, so that a planted link stops it before its first write.
 */
export function refuseLinksInLayout(storeDir: string): void {
  refuseLinks(storeDir, STATE_FILE);
  for (const sub of layout.dirs) refuseLinks(storeDir, sub, true);
  for (const id of CA_IDS) for (const file of [layout.caCert(id), layout.caKey(id), layout.crl(id)]) refuseLinks(storeDir, file);
}

const GITIGNORE = '# Written by mtls-pki: this directory holds CA private keys. Never commit it; back it up instead.\n*\n';

/**
 * Writes `.gitignore` (`*`) into the store when there is nothing under that name: the store usually lives in
 * the user's cdk8s app, where `git add .` would otherwise commit the CA private keys. Stores made before this
 * get it on their next write. Anything already there (a file the user edited, a link) is left alone.
 */
export function keepOutOfGit(storeDir: string, displayDir: string, change: (message: string) => void): void {
  if (lstatOrUndefined(join(storeDir, layout.gitignore))) return;
  writeInStore(storeDir, layout.gitignore, GITIGNORE, PUBLIC_FILE_MODE);
  change(`wrote ${join(displayDir, layout.gitignore)} ("*"): git add never picks up the store's private keys`);
}
