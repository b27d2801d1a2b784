import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { readCertificates, readCrls, readPrivateKey } from '../../lib/pki';
import { PkiStore, StoreListing as Listing } from '../../lib/store';
import { cli, requireBuild } from '../cli/cli';
import { scratchDir } from '../support/openssl';
import { snapshot } from '../store/helpers';
import { expectRefusal, leftovers, tmpfsUnavailable } from './support';

// A full disk, for real: the store lives on a small tmpfs that a filler file has filled up to the last page
// (or to the last k pages, k = 0, 1, 2, … until the command fits), so writes fail with ENOSPC or are cut short
// exactly as on a full disk. Where mount is not allowed (an unprivileged container) those tests are skipped with
// a note; the sweep through the store's documented test hook MTLS_TEST_FAIL_WRITES=N (every write call after
// the first N fails with ENOSPC) runs everywhere, and reaches each write point of `revoke` in turn.

beforeAll(requireBuild);

const PAGE = 4096;
const tmp = scratchDir('mtls-full-');
const mnt = join(tmp.dir, 'disk');
fs.mkdirSync(mnt);
const noTmpfs = tmpfsUnavailable(mnt);
const pristine = join(tmp.dir, 'pristine');
let pristineFiles: Record<string, string>;
const DISK_FULL = /: cannot (write the file|create the lock file): the disk is full\. Free some space and run the command again; nothing was lost\.\n$/;

beforeAll(async () => {
  // Enough certificates that store.json spans several pages, so that some fill levels cut a write short.
  const clients = Array.from({ length: 12 }, (_, i) => `c${i}`);
  await (await PkiStore.open(pristine)).ensure({ clients: clients.map((commonName) => ({ commonName })), revoked: [{ commonName: 'c11' }] });
  expect(fs.statSync(join(pristine, 'store.json')).size).toBeGreaterThan(PAGE);
  pristineFiles = snapshot(pristine);
  if (noTmpfs) throw new Error(`full disk: tmpfs unavailable (${noTmpfs}); these tests need root and mount (as CI has)`);
  expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', mnt]).status).toBe(0);
});
afterAll(() => {
  if (!noTmpfs) spawnSync('umount', [mnt]);
  tmp.cleanup();
});

/** Copies the pristine store onto the disk, then fills the disk so that exactly `freePages` pages stay free. */
function fullDiskWithStore(freePages: number): string {
  for (const name of fs.readdirSync(mnt)) fs.rmSync(join(mnt, name), { recursive: true, force: true });
  const dir = join(mnt, 'pki');
  expect(spawnSync('cp', ['-a', pristine, dir]).status).toBe(0);
  const filler = join(mnt, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
  }
  const size = fs.fstatSync(fd).size;
  fs.ftruncateSync(fd, Math.max(0, size - freePages * PAGE));
  fs.closeSync(fd);
  return dir;
}

const freeSpace = () => fs.rmSync(join(mnt, 'filler'), { force: true });

/**
 * The store loads, and every file that differs from the pristine copy parses: no write ever left a torn
 * store.json, certificate, key or CRL behind (the unchanged files need no second look).
 */
async function expectLoadable(dir: string): Promise<{ revoked: string[]; crlSerials: string[] }> {
  const warnings: string[] = [];
  const store = await PkiStore.open(dir, { create: false, onWarning: (m) => warnings.push(m) });
  const listing = await store.list();
  const now = snapshot(dir);
  for (const f of Object.keys(now).filter((f) => now[f] !== pristineFiles[f] && /\.(pem|crt|crl)$/.test(f))) {
    const text = fs.readFileSync(join(dir, f), 'utf8');
    if (/key/.test(f)) expect(() => readPrivateKey(text, f)).not.toThrow();
    else if (/crl/.test(f)) expect(() => readCrls(text, f)).not.toThrow();
    else expect(() => readCertificates(text, f)).not.toThrow();
  }
  expect(warnings).toEqual([]);
  return {
    revoked: listing.certificates.filter((c) => c.status === 'revoked').map((c) => c.serialHex).sort(),
    crlSerials: readCrls(fs.readFileSync(join(dir, 'client-ca/crl.pem'), 'utf8'))[0].entries.map((e) => e.serialHex).sort(),
  };
}

const serialOf = (dir: string, cn: string) => JSON.parse(fs.readFileSync(join(dir, 'store.json'), 'utf8')).certificates.find((c: { commonName: string }) => c.commonName === cn).serialHex as string;

describe('a full disk (tmpfs filled to the last page)', () => {
  // No skipping: CI runs as root on a machine where tmpfs mounts work (.ci/run); without them this must fail.
  const maybe = test;

  maybe('revoke on a disk with no free page: exit 1, "the disk is full" and what to do, the store unchanged, no lock left', async () => {
    const dir = fullDiskWithStore(0);
    const before = snapshot(dir);
    const r = cli(['revoke', 'c0', '--dir', dir]);
    expectRefusal(r, DISK_FULL, 1);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1); // one paragraph
    expect(snapshot(dir)).toEqual(before);
    expect(leftovers(dir)).toEqual([]);
    freeSpace();
    expect(cli(['revoke', 'c0', '--dir', dir])).toMatchObject({ status: 0, stderr: '' });
    const after = await expectLoadable(dir);
    expect(after.crlSerials).toContain(serialOf(dir, 'c0'));
  });

  maybe.each([
    ['client', ['client', 'new-client']],
    ['server', ['server', 'app.example.com']],
    ['crl --force', ['crl', '--force']],
    ['init --intermediate-cn', ['init', '--intermediate-cn', 'Issuing CA']],
  ])('%s on a full disk: refused with the disk-full message, store unchanged', (_name, args) => {
    const dir = fullDiskWithStore(0);
    const before = snapshot(dir);
    expectRefusal(cli([...args, '--dir', dir]), DISK_FULL, 1);
    expect(snapshot(dir)).toEqual(before);
  });

  maybe.each([
    ['revoke c0', ['revoke', 'c0'], (l: Listing) => l.certificates.some((c) => c.commonName === 'c0' && c.status === 'revoked')],
    ['client new-client', ['client', 'new-client'], (l: Listing) => l.certificates.some((c) => c.commonName === 'new-client')],
  ] as const)('%s with 0, 1, 2, … pages free until it fits: a success or a clean refusal, never a torn file', async (name, args, landed) => {
    const outcomes: string[] = [];
    for (let free = 0; free <= 40; free++) {
      const dir = fullDiskWithStore(free);
      const before = snapshot(dir);
      const r = cli([...args, '--dir', dir]);
      if (r.status === 0) {
        outcomes.push(`${free}: done`);
        await expectLoadable(dir);
        expect(landed(await (await PkiStore.open(dir)).list())).toBe(true); // acknowledged means recorded and published
        break;
      }
      expectRefusal(r, DISK_FULL, 1);
      outcomes.push(`${free}: refused at ${/error: (\S+): cannot/.exec(r.stderr)![1].slice(dir.length + 1)}`);
      await expectLoadable(dir);
      expect(leftovers(dir)).toEqual([]);
      if (outcomes.length === 1) expect(snapshot(dir)).toEqual(before); // no page at all: not even the lock
      // After space is freed, the next command completes what the refused one recorded: the CRL agrees with store.json.
      freeSpace();
      await (await PkiStore.open(dir)).refreshCrls();
      const state = await expectLoadable(dir);
      expect(state.crlSerials).toEqual(state.revoked);
    }
    expect(outcomes[outcomes.length - 1]).toMatch(/done$/);
    expect(outcomes.length).toBeGreaterThanOrEqual(3); // the lock and at least one file write were refused first
    console.log(`full disk sweep (tmpfs), ${name}, pages free: ${outcomes.join('; ')}`);
  });
});

describe('MTLS_TEST_FAIL_WRITES: ENOSPC injected at every write point of revoke (runs everywhere)', () => {
  test('after N successful writes, the next fails like a full disk: clean refusal, loadable store, recovery by the next run', async () => {
    const outcomes: string[] = [];
    for (let n = 0; n <= 20; n++) {
      const dir = join(tmp.dir, `hook-${n}`);
      expect(spawnSync('cp', ['-a', pristine, dir]).status).toBe(0);
      const r = cli(['revoke', 'c1', '--dir', dir], { env: { ...process.env, NO_COLOR: '1', MTLS_TEST_FAIL_WRITES: String(n) } });
      if (r.status === 0) {
        outcomes.push(`${n}: revoked`);
        expect((await expectLoadable(dir)).crlSerials).toContain(serialOf(dir, 'c1'));
        break;
      }
      expectRefusal(r, DISK_FULL, 1);
      outcomes.push(`${n}: refused at ${/error: (\S+): cannot/.exec(r.stderr)![1].slice(dir.length + 1)}`);
      await expectLoadable(dir);
      if (n <= 1) expect(snapshot(dir)).toEqual(snapshot(pristine));
      expect(leftovers(dir)).toEqual([]);
      await (await PkiStore.open(dir)).refreshCrls();
      const state = await expectLoadable(dir);
      expect(state.crlSerials).toEqual(state.revoked);
    }
    expect(outcomes[outcomes.length - 1]).toMatch(/revoked$/);
    expect(outcomes.length).toBeGreaterThanOrEqual(3); // store.json, the CRL and the trust bundle are written
    console.log(`full disk sweep (MTLS_TEST_FAIL_WRITES): ${outcomes.join('; ')}`);
  });
});
