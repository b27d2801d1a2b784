import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserInputError } from '../pki';
import { fsError, SECRET_FILE_MODE, writeAll } from '../files/atomic-write';
import { refuseLinks } from './store-files';

// One lock per store: `<dir>/.lock`, created with O_EXCL (exactly one creator wins, also across processes),
// holding the owner's pid, host and start time. A lock whose pid is dead on this host is stale (its owner was
// killed) and is broken; breaking is serialized through `.lock.break` so that two waiters that both saw the
// same stale lock cannot both delete it and thereby delete a fresh one.

export const LOCK_FILE = '.lock';
const BREAK_FILE = '.lock.break';
/** A `.lock.break` older than this belongs to a breaker that died within its few microseconds of work. */
const BREAK_STALE_MS = 5_000;

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export interface LockOptions {
  /** How long to wait for another process's lock. @default 30 s, or MTLS_PKI_LOCK_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** @default 50 ms */
  readonly pollMs?: number;
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): { owner?: LockOwner; text?: string } {
  let text: string;
  try {
    // Never through a link (acquireLock refuses one; this closes the gap to a link swapped in since).
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw fsError(path, e, 'read the lock file');
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (typeof owner.pid === 'number') return { owner, text };
  } catch {
    // An empty or torn lock file: its writer died between create and write (or is writing right now).
  }
  return { text };
}

function isStale(path: string, owner: LockOwner | undefined): boolean {
  if (owner) return owner.host === hostname() && !isPidAlive(owner.pid);
  // No readable owner: stale only once it is old enough that its creator cannot still be writing it.
  const stat = fs.statSync(path, { throwIfNoEntry: false });
  return stat !== undefined && Date.now() - stat.mtimeMs > BREAK_STALE_MS;
}

/** Deletes the lock at `path` if it still holds exactly `staleText`; returns whether it did. */
function breakStaleLock(dir: string, path: string, staleText: string | undefined): boolean {
  const breakPath = join(dir, BREAK_FILE);
  let fd: number;
  try {
    fd = fs.openSync(breakPath, 'wx', SECRET_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(breakPath, e, 'create the lock-break file');
    const stat = fs.statSync(breakPath, { throwIfNoEntry: false });
    if (stat && Date.now() - stat.mtimeMs > BREAK_STALE_MS) fs.rmSync(breakPath, { force: true });
    return false;
  }
  try {
    const now = readOwner(path);
    if (now.text === staleText) {
      fs.rmSync(path, { force: true });
      return true;
    }
    return false;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(breakPath, { force: true });
  }
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, 'wx', SECRET_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fsError(path, e, 'create the lock file');
  }
  try {
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    writeAll(fd, Buffer.from(JSON.stringify(owner)));
    fs.fsyncSync(fd);
  } catch (e) {
    // A full disk fails the write after the create: remove the empty lock, or every later command would
    // wait for it to age before breaking it.
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
    throw fsError(path, e, 'create the lock file');
  }
  fs.closeSync(fd);
  return true;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function defaultTimeout(): number {
  const env = Number(process.env.MTLS_PKI_LOCK_TIMEOUT_MS);
  return Number.isFinite(env) && env > 0 ? env : 30_000;
}

/**
 * Takes the store's lock, waiting up to `timeoutMs`; returns the function that releases it. Throws a
 * UserInputError naming the holder when the wait runs out.
 */
export async function acquireLock(dir: string, options: LockOptions = {}): Promise<() => void> {
  const path = join(dir, LOCK_FILE);
  const timeoutMs = options.timeoutMs ?? defaultTimeout();
  const pollMs = options.pollMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  refuseLinks(dir, LOCK_FILE);
  for (;;) {
    if (tryCreate(path)) {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        // Only remove our own lock: if it was (wrongly) broken and re-taken, leave the new owner's alone.
        const { owner } = readOwner(path);
        if (owner?.pid === process.pid && owner.host === hostname()) fs.rmSync(path, { force: true });
      };
    }
    const { owner, text } = readOwner(path);
    if (text !== undefined && isStale(path, owner) && breakStaleLock(dir, path, text)) continue;
    if (Date.now() >= deadline) {
      const who = owner ? `pid ${owner.pid} since ${owner.since} (host ${owner.host})` : 'a process that left no owner in it';
      throw new UserInputError(path, `store is locked by ${who}; waited ${Math.round(timeoutMs / 1000)} s. Another mtls-pki command is probably still running: wait for it and retry. If that process no longer exists${owner && owner.host !== hostname() ? ` on ${owner.host}` : ''}, delete ${path}.`);
    }
    await sleep(pollMs + Math.floor(Math.random() * pollMs));
  }
}

/** Runs `fn` holding the store's lock. */
export async function withLock<T>(dir: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(dir, options);
  try {
    return await fn();
  } finally {
    release();
  }
}
