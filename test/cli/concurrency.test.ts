import * as fs from 'node:fs';
import { join } from 'node:path';
import { readCrls } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { opensslResult, scratchDir } from '../support/openssl';
import { cli, cliAsync, requireBuild } from './cli';

// Separate processes writing one store: concurrent revokes, and processes killed with SIGKILL mid-write.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-conc-');
afterAll(() => tmp.cleanup());

async function storeWithClients(name: string, clients: string[]): Promise<string> {
  const dir = join(tmp.dir, name);
  await (await PkiStore.open(dir)).ensure({ clients: clients.map((commonName) => ({ commonName })) });
  return dir;
}

/** The store loads, its CRL lists exactly its revocations, and openssl accepts the CRL's signature. */
async function expectConsistent(dir: string): Promise<string[]> {
  const store = await PkiStore.open(dir, { create: false });
  const listing = await store.list();
  const revoked = listing.certificates.filter((c) => c.status === 'revoked').map((c) => c.serialHex).sort();
  const [crl] = readCrls(fs.readFileSync(join(dir, 'client-ca/crl.pem'), 'utf8'));
  expect(crl.entries.map((e) => e.serialHex).sort()).toEqual(revoked);
  expect(opensslResult(['crl', '-in', join(dir, 'client-ca/crl.pem'), '-noout', '-verify', '-CAfile', join(dir, 'client-ca/cert.pem')]).output).toMatch(/verify OK/);
  return listing.certificates.filter((c) => c.status === 'revoked').map((c) => c.commonName);
}

test('four revokes started at the same moment in four processes all land, each on a new CRL number', async () => {
  const names = ['c1', 'c2', 'c3', 'c4'];
  const dir = await storeWithClients('concurrent', names);
  const runs = names.map((n) => cliAsync(['revoke', n, '--reason', 'keyCompromise', '--dir', dir]).done);
  const results = await Promise.all(runs);
  for (const r of results) expect(r).toMatchObject({ status: 0, stderr: '' });
  expect((await expectConsistent(dir)).sort()).toEqual(names);
  const numbers = results.map((r) => Number(/#(\d+), \d+ revoked/.exec(r.stdout)![1])).sort();
  expect(numbers).toEqual([2, 3, 4, 5]); // each revoke published its own CRL, none was lost or repeated
  expect(fs.existsSync(join(dir, '.lock'))).toBe(false);
});

test('SIGKILL at a random moment of revoke or crl, ten times: the store always loads and keeps every acknowledged revocation', async () => {
  const names = Array.from({ length: 10 }, (_, i) => `k${i}`);
  const dir = await storeWithClients('killed', names);
  // Aim the kills at the command's working phase: most of a run is node starting up, so take the duration
  // of an uninterrupted run and kill between 50% and 120% of it.
  const started = Date.now();
  expect(cli(['crl', '--force', '--out', join(tmp.dir, 'baseline.crl'), '--dir', dir])).toMatchObject({ status: 0 });
  const baseline = Date.now() - started;
  const acknowledged: string[] = [];
  const outcomes: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const args = i % 3 === 2 ? ['crl', '--force', '--dir', dir] : ['revoke', names[i], '--dir', dir];
    if (i % 3 === 0) expect(args[0]).toBe('revoke');
    const { child, done } = cliAsync(args);
    // every third run is left to finish, so that there are acknowledged revocations for later kills to threaten
    const delay = i % 3 === 0 ? Infinity : Math.floor(baseline * (0.5 + Math.random() * 0.7));
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.min(delay, 15_000));
    const r = await done;
    clearTimeout(timer);
    outcomes.push(`${args[0]} ${delay === Infinity ? "not killed" : `killed after ${delay} ms`}: ${r.signal ?? `exit ${r.status}`}`);
    if (r.status === 0 && args[0] === 'revoke') acknowledged.push(names[i]);
    if (r.status !== null) expect(r).toMatchObject({ status: 0 });
    // whatever state the kill left, the store loads, the next command recovers the lock, and nothing acknowledged is lost
    const revoked = await expectConsistentAfterNextCommand(dir);
    for (const a of acknowledged) expect(revoked).toContain(a);
  }
  // at least one kill must have interrupted a command, and revocations must have been acknowledged, or this proves nothing
  expect(outcomes.filter((o) => o.endsWith('SIGKILL')).length).toBeGreaterThan(0);
  expect(acknowledged.length).toBeGreaterThanOrEqual(4);
  const leftovers = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.tmp-/.test(f));
  expect(leftovers).toEqual([]);
  console.log(`SIGKILL runs: ${outcomes.join('; ')}; acknowledged revocations: ${acknowledged.length}`);
}, 20_000);

async function expectConsistentAfterNextCommand(dir: string): Promise<string[]> {
  // A killed command may have left its lock and half-written temp files; `crl` must recover from both.
  expect(cli(['crl', '--out', join(tmp.dir, 'after-kill.crl'), '--dir', dir])).toMatchObject({ status: 0 });
  return expectConsistent(dir);
}
