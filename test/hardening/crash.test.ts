import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { readCrls } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { CLI, requireBuild } from '../cli/cli';
import { opensslResult, scratchDir } from '../support/openssl';
import { snapshot } from '../store/helpers';
import { leftovers, rng } from './support';

// Crash safety under SIGKILL: `revoke` and `crl --force` processes are killed a random 0–300 ms into their work,
// over and over, on one store. "Into their work" is counted from the moment the CLI's main() first waits (a
// preload's setImmediate signals it on fd 3; by then the command holds the store's lock and starts signing),
// because node's own start-up takes longer than the whole window and a kill there would test nothing; and the
// window is narrowed to how long an uninterrupted run takes from there (milliseconds on a fast disk). After every kill the store must load, and every revocation whose process exited 0 must
// still be recorded and published (store.json, the CA's CRL, the trust bundle's ca.crl). Whatever a kill leaves
// (a stale lock, temp files) must not stop the next run. MTLS_KILLS sets the number of kills (CI: 15);
// MTLS_KILL_SEED replays a run.

beforeAll(requireBuild);

const KILLS = Number(process.env.MTLS_KILLS ?? 15);
// A long run can point this at a private copy of build/ (MTLS_CLI=…/lib/cli/main.js), so that a rebuild by
// someone else during the run does not hand a process half-written modules.
const BINARY = process.env.MTLS_CLI ?? CLI;
const SEED = Number(process.env.MTLS_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const tmp = scratchDir('mtls-crash-');
afterAll(() => tmp.cleanup());

/** Starts the built CLI with a preload that writes one byte to fd 3 when main() has started. */
function start(args: readonly string[]): { child: ChildProcess; ready: Promise<void>; done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const preload = join(tmp.dir, 'signal-ready.js');
  if (!fs.existsSync(preload)) fs.writeFileSync(preload, "setImmediate(() => { try { require('fs').writeSync(3, 'r'); } catch {} });\n");
  const child = spawn(process.execPath, ['-r', preload, BINARY, ...args], {
    env: { ...process.env, NO_COLOR: '1', MTLS_PKI_LOCK_TIMEOUT_MS: '20000' }, stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const ready = new Promise<void>((resolve) => child.stdio[3]!.once('data', () => resolve()));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
  return { child, ready, done };
}

const crlSerials = (path: string) => readCrls(fs.readFileSync(path, 'utf8')).flatMap((c) => c.entries.map((e) => e.serialHex));
const crlNumber = (path: string) => readCrls(fs.readFileSync(path, 'utf8'))[0].crlNumber!;

test(`${KILLS} SIGKILLs of revoke and crl at random moments lose no acknowledged revocation and never block the next run`, async () => {
  const random = rng(SEED);
  const dir = join(tmp.dir, 'pki');
  const names = Array.from({ length: 2 * KILLS + 4 }, (_, i) => `client-${i}`);
  await (await PkiStore.open(dir)).ensure({ clients: names.map((commonName) => ({ commonName })) });
  const serialOf = new Map((await (await PkiStore.open(dir)).list()).certificates.map((c) => [c.commonName, c.serialHex]));
  let next = 0;

  // The kill window: 0–300 ms after main() first yields (by then it holds the lock), narrowed to how long an
  // uninterrupted run works from there, so that the kills land inside the work rather than after it.
  const timed = async (args: string[]) => {
    const { ready, done } = start(args);
    await ready;
    const t0 = Date.now();
    expect(await done).toMatchObject({ status: 0 });
    return Date.now() - t0;
  };
  const samples = [await timed(['revoke', names[next++], '--dir', dir]), await timed(['crl', '--force', '--dir', dir]), await timed(['revoke', names[next++], '--dir', dir])];
  const work = samples.sort((a, b) => a - b)[1]; // the median: a loaded machine makes single timings noisy
  const window = Math.max(5, Math.min(300, work));
  const acknowledged: string[] = [serialOf.get(names[0])!, serialOf.get(names[1])!];
  const tally: Record<string, number> = {};
  const count = (what: string) => { tally[what] = (tally[what] ?? 0) + 1; };
  let lastNumber = crlNumber(join(dir, 'client-ca/crl.pem'));
  let kills = 0;

  for (let run = 0; kills < KILLS; run++) {
    expect(run).toBeLessThan(4 * KILLS); // the kills must land, or this proves nothing
    const revoke = random() < 2 / 3;
    const args = revoke ? ['revoke', names[next++], '--dir', dir] : ['crl', '--force', '--dir', dir];
    // Every fifth run is left to finish, so that there are always acknowledged revocations for the kills to threaten.
    const delay = run % 5 === 4 ? Infinity : Math.floor(random() * (window + 1));
    const before = snapshot(dir);
    const { child, ready, done } = start(args);
    let timer: NodeJS.Timeout | undefined;
    if (delay !== Infinity) void ready.then(() => { timer = setTimeout(() => child.kill('SIGKILL'), delay); });
    const r = await done;
    clearTimeout(timer);

    if (r.signal === 'SIGKILL') {
      kills++;
      const left = leftovers(dir);
      if (left.some((f) => f.endsWith('.lock'))) count('killed holding the lock');
      else if (JSON.stringify(snapshot(dir)) !== JSON.stringify(before)) count('killed after changing the store');
      else count('killed before changing the store');
      if (left.some((f) => /\.tmp-/.test(f))) count('left a temp file');
    } else {
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 0, stderr: expect.not.stringMatching(/error|warning/) });
      count(delay === Infinity ? 'left to finish' : 'finished before the kill');
      if (revoke) acknowledged.push(serialOf.get(args[1])!);
    }

    // The store loads (store.json parses and validates), and every acknowledged revocation is recorded and published.
    const listing = await (await PkiStore.open(dir, { create: false, onWarning: () => undefined })).list();
    const recorded = listing.certificates.filter((c) => c.status === 'revoked').map((c) => c.serialHex);
    const published = crlSerials(join(dir, 'client-ca/crl.pem'));
    const bundled = crlSerials(join(dir, 'client-trust/ca.crl'));
    for (const serial of acknowledged) expect({ serial, recorded: recorded.includes(serial), published: published.includes(serial), bundled: bundled.includes(serial) }).toEqual({ serial, recorded: true, published: true, bundled: true });
    // A CRL number never goes backwards, whatever was killed when.
    const number = crlNumber(join(dir, 'client-ca/crl.pem'));
    expect(number).toBeGreaterThanOrEqual(lastNumber);
    lastNumber = number;
  }

  // After all the kills, a normal run works at once (stale locks broken, leftover temp files removed) and the
  // published CRL lists exactly the recorded revocations, with a signature openssl accepts.
  const started = Date.now();
  expect(await start(['revoke', names[next], '--dir', dir]).done).toMatchObject({ status: 0, stderr: '' });
  acknowledged.push(serialOf.get(names[next])!);
  expect(await start(['crl', '--dir', dir]).done).toMatchObject({ status: 0 });
  const recovery = Date.now() - started;
  expect(leftovers(dir)).toEqual([]);
  const listing = await (await PkiStore.open(dir, { create: false })).list();
  const recorded = listing.certificates.filter((c) => c.status === 'revoked').map((c) => c.serialHex).sort();
  expect(crlSerials(join(dir, 'client-ca/crl.pem')).sort()).toEqual(recorded);
  expect(crlSerials(join(dir, 'client-trust/ca.crl')).sort()).toEqual(recorded);
  for (const serial of acknowledged) expect(recorded).toContain(serial);
  expect(crlNumber(join(dir, 'client-ca/crl.pem'))).toBeGreaterThan(lastNumber);
  expect(opensslResult(['crl', '-in', join(dir, 'client-ca/crl.pem'), '-noout', '-verify', '-CAfile', join(dir, 'client-ca/cert.pem')]).output).toMatch(/verify OK/);

  console.log(`SIGKILL run (seed ${SEED}): ${kills} processes killed 0–${window} ms into their work (an uninterrupted run works ${work} ms); `
    + `${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ')}; ${acknowledged.length} acknowledged revocations, all kept; `
    + `${recorded.length} recorded; final CRL #${crlNumber(join(dir, 'client-ca/crl.pem'))}; the run after the last kill took ${recovery} ms`);
  // Each run starts a node process (under a second on a quiet 2-core machine, several seconds at load 8) and up to
  // a fifth of the runs are not killed; 8 s per kill and 2 min for the set-up and the final checks leave room for that.
}, 120_000 + KILLS * 8_000);
