import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PkiStore } from '../../lib/store';
import { acquireLock, isPidAlive } from '../../lib/store/lock';
import { scratchStore } from './helpers';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  expect(isPidAlive(pid)).toBe(false);
  return pid;
}

describe('the store lock', () => {
  const s = scratchStore();
  afterAll(() => s.cleanup());
  beforeAll(async () => {
    await (await s.open()).ensure({ clients: [{ commonName: 'a' }, { commonName: 'b' }, { commonName: 'c' }, { commonName: 'd' }] });
  });
  const lockPath = () => join(s.dir, '.lock');

  test('a live holder makes others wait, then fail with "store is locked by pid N since …"', async () => {
    const release = await acquireLock(s.dir);
    try {
      const owner = JSON.parse(fs.readFileSync(lockPath(), 'utf8'));
      expect(owner).toEqual({ pid: process.pid, host: hostname(), since: expect.any(String) });
      expect(fs.statSync(lockPath()).mode & 0o777).toBe(0o600);
      const started = Date.now();
      const store = await PkiStore.open(s.dir, { lock: { timeoutMs: 300 } });
      await expect(store.revoke({ commonName: 'a' })).rejects.toThrow(new RegExp(`\\.lock: store is locked by pid ${process.pid} since ${owner.since} \\(host ${hostname()}\\); waited 0 s\\. Another mtls-pki command is probably still running`));
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect((await store.list()).certificates.every((c) => c.status === 'valid')).toBe(true); // reading needs no lock
    } finally {
      release();
    }
    expect(fs.existsSync(lockPath())).toBe(false);
  });

  test('a lock left by a dead process is broken, and the command goes on', async () => {
    fs.writeFileSync(lockPath(), JSON.stringify({ pid: deadPid(), host: hostname(), since: '2020-01-01T00:00:00.000Z' }));
    const store = await PkiStore.open(s.dir, { lock: { timeoutMs: 2000 } });
    await expect(store.revoke({ commonName: 'a' })).resolves.toMatchObject({ commonName: 'a' });
    expect(fs.existsSync(lockPath())).toBe(false);
  });

  test('an empty lock file (its writer died between create and write) is broken once it is old', async () => {
    fs.writeFileSync(lockPath(), '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPath(), old, old);
    await expect((await PkiStore.open(s.dir, { lock: { timeoutMs: 2000 } })).revoke({ commonName: 'b' })).resolves.toMatchObject({ commonName: 'b' });
  });

  test('a lock from another host is never broken (its pid cannot be checked from here)', async () => {
    fs.writeFileSync(lockPath(), JSON.stringify({ pid: deadPid(), host: 'some-other-host', since: '2020-01-01T00:00:00.000Z' }));
    try {
      await expect((await PkiStore.open(s.dir, { lock: { timeoutMs: 200 } })).revoke({ commonName: 'c' })).rejects.toThrow(/locked by pid \d+ since 2020-01-01T00:00:00.000Z \(host some-other-host\).*If that process no longer exists on some-other-host, delete/);
    } finally {
      fs.rmSync(lockPath());
    }
  });

  test('concurrent revokes from several store objects in one process all land', async () => {
    const stores = await Promise.all([1, 2, 3].map(() => PkiStore.open(s.dir)));
    await Promise.all([stores[0].revoke({ commonName: 'c' }), stores[1].revoke({ commonName: 'd' }), stores[2].refreshCrls({ force: true })]);
    const listing = await stores[0].list();
    expect(listing.certificates.filter((c) => c.status === 'revoked').map((c) => c.commonName).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(listing.crls[0].entries).toBe(4);
  });
});
