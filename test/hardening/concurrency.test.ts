import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { readCrls } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { CLI, cli, cliAsync, requireBuild, ROOT } from '../cli/cli';
import { openssl, scratchDir } from '../support/openssl';
import { snapshot } from '../store/helpers';
import { leftovers } from './support';

// Separate mtls-pki processes on one store: twenty revokes at once, a lock left by a SIGKILLed holder, and a live
// holder that makes a writer wait (and, with a short timeout, fail naming the holder).

beforeAll(requireBuild);

const tmp = scratchDir('mtls-hconc-');
afterAll(() => tmp.cleanup());
const crlPath = (dir: string) => join(dir, 'client-ca/crl.pem');
const crlNumberOf = (dir: string) => readCrls(fs.readFileSync(crlPath(dir), 'utf8'))[0].crlNumber!;

test('20 revokes in 20 processes at once: all exit 0, all 20 serials are on the CRL openssl reads, one new CRL number each', async () => {
  const dir = join(tmp.dir, 'twenty');
  const names = Array.from({ length: 20 }, (_, i) => `client-${String(i).padStart(2, '0')}`);
  await (await PkiStore.open(dir)).ensure({ clients: names.map((commonName) => ({ commonName })) });
  const serials = new Map((await (await PkiStore.open(dir)).list()).certificates.map((c) => [c.commonName, c.serialHex]));
  const first = crlNumberOf(dir);

  // Watch the published CRL while the processes run: its number may only ever go up.
  const seen: bigint[] = [first];
  const watch = setInterval(() => {
    const n = crlNumberOf(dir);
    if (n !== seen[seen.length - 1]) seen.push(n);
  }, 2);
  const results = await Promise.all(names.map((n) => cliAsync(['revoke', n, '--reason', 'keyCompromise', '--dir', dir]).done));
  clearInterval(watch);
  if (crlNumberOf(dir) !== seen[seen.length - 1]) seen.push(crlNumberOf(dir));

  for (const [i, r] of results.entries()) expect({ client: names[i], status: r.status, stderr: r.stderr }).toEqual({ client: names[i], status: 0, stderr: '' });
  const text = openssl(['crl', '-in', crlPath(dir), '-noout', '-text']);
  const listed = [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]);
  expect(listed.sort()).toEqual([...serials.values()].sort());
  expect(text.match(/Key Compromise/g)).toHaveLength(20);
  expect(openssl(['crl', '-in', join(dir, 'client-trust/ca.crl'), '-noout', '-text']).match(/Serial Number: /g)).toHaveLength(20);
  const last = BigInt(/X509v3 CRL Number:\s*\n\s*(\d+)/.exec(text)![1]);
  expect(last).toBe(first + 20n); // every revoke published a CRL of its own: no number lost or repeated
  for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]); // strictly increasing as published
  expect(leftovers(dir)).toEqual([]);
  const printed = results.map((r) => Number(/CRL \S+: #(\d+)/.exec(r.stdout)?.[1]));
  console.log(`20 parallel revokes: 20/20 exit 0, 20/20 serials on CRL #${last} (openssl crl -text); CRL numbers seen while they ran: ${seen.join(' → ')}; `
    + `numbers the processes printed: ${printed.join(', ')} (${new Set(printed).size} distinct)`);
}, 240_000); // twenty node processes queue on one lock: ~10 s on a quiet 2-core machine, several times that under load

/** A process that takes the store's lock through the built store code, says "held", and keeps it until `release()`. */
function lockHolder(dir: string): { child: ChildProcess; held: Promise<void>; release(): Promise<void> } {
  const script = join(tmp.dir, 'hold-lock.js');
  fs.writeFileSync(script, `const { acquireLock } = require(${JSON.stringify(join(ROOT, 'build/lib/store/lock.js'))});
(async () => {
  const release = await acquireLock(process.argv[2]);
  process.stdout.write('held\\n');
  process.stdin.once('data', () => { release(); process.stdout.write('released\\n'); process.exit(0); });
})();
`);
  const child = spawn(process.execPath, [script, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const expected: [string, () => void][] = [];
  child.stdout!.on('data', (d) => { out += d; for (const [word, resolve] of expected) if (out.includes(word)) resolve(); });
  const said = (word: string) => new Promise<void>((resolve) => expected.push([word, resolve]));
  const held = said('held');
  const released = said('released');
  return { child, held, release: () => { child.stdin!.write('release\n'); return released; } };
}

/**
 * Starts the built CLI with a preload that writes one byte to fd 3 the first time the command finds the store's
 * lock taken (its O_EXCL create of .lock fails with EEXIST): from then on it is waiting for the lock.
 */
function startWaiter(args: readonly string[]): { child: ChildProcess; waiting: Promise<void>; done: Promise<{ status: number | null; stdout: string; stderr: string }> } {
  const preload = join(tmp.dir, 'signal-waiting.js');
  fs.writeFileSync(preload, `const fs = require('fs');
const openSync = fs.openSync;
let told = false;
fs.openSync = function (path, ...rest) {
  try {
    return openSync.call(this, path, ...rest);
  } catch (e) {
    if (!told && e.code === 'EEXIST' && String(path).endsWith('/.lock')) { told = true; fs.writeSync(3, 'w'); }
    throw e;
  }
};
`);
  const child = spawn(process.execPath, ['-r', preload, CLI, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const waiting = new Promise<void>((resolve) => child.stdio[3]!.once('data', () => resolve()));
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return { child, waiting, done };
}

describe('the store lock across processes', () => {
  const dir = join(tmp.dir, 'locked');
  beforeAll(async () => {
    await (await PkiStore.open(dir)).ensure({ clients: ['a', 'b', 'c', 'd'].map((commonName) => ({ commonName })) });
  });

  test('a holder killed with SIGKILL leaves its lock; the next revoke breaks it at once and lands', async () => {
    const holder = lockHolder(dir);
    await holder.held;
    holder.child.kill('SIGKILL');
    await new Promise((resolve) => holder.child.on('close', resolve));
    const stale = JSON.parse(fs.readFileSync(join(dir, '.lock'), 'utf8'));
    expect(stale.pid).toBe(holder.child.pid);
    // A 1 ms lock timeout: the revoke can only land if it breaks the stale lock at its first look, without waiting.
    const r = cli(['revoke', 'a', '--dir', dir], { env: { ...process.env, NO_COLOR: '1', MTLS_PKI_LOCK_TIMEOUT_MS: '1' } });
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(leftovers(dir)).toEqual([]);
  });

  test('a live holder makes a revoke wait; it lands once the lock is released', async () => {
    const holder = lockHolder(dir);
    await holder.held;
    const before = snapshot(dir);
    const waiter = startWaiter(['revoke', 'b', '--dir', dir]);
    await waiter.waiting; // the revoke found the lock held and waits (its default timeout is 30 s)
    expect(waiter.child.exitCode).toBe(null);
    expect(snapshot(dir)).toEqual(before);
    await holder.release();
    expect(await waiter.done).toMatchObject({ status: 0, stderr: '' });
    expect((await (await PkiStore.open(dir)).list()).certificates.find((c) => c.commonName === 'b')?.status).toBe('revoked');
    expect(leftovers(dir)).toEqual([]);
  });

  test('a live holder and a short MTLS_PKI_LOCK_TIMEOUT_MS: exit 1, "store is locked by pid N since …", the store unchanged', async () => {
    const holder = lockHolder(dir);
    try {
      await holder.held;
      const before = snapshot(dir);
      const started = Date.now();
      const r = cli(['revoke', 'c', '--dir', dir], { env: { ...process.env, NO_COLOR: '1', MTLS_PKI_LOCK_TIMEOUT_MS: '700' } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^mtls-pki: error: \\S+/\\.lock: store is locked by pid ${holder.child.pid} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(host [^)]+\\); waited 1 s\\. Another mtls-pki command is probably still running: wait for it and retry\\. If that process no longer exists, delete \\S+/\\.lock\\.\\n$`));
      expect(snapshot(dir)).toEqual(before);
    } finally {
      holder.child.kill('SIGKILL');
    }
  });
});
