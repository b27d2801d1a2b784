import * as fs from 'node:fs';
import { join } from 'node:path';
import { readCrls } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { opensslResult, scratchDir } from '../support/openssl';
import { cliAsync, requireBuild } from './cli';

// Separate processes writing one store: concurrent revokes. Processes killed with SIGKILL mid-write, and twenty
// revokes at once, are test/hardening's (crash.test.ts, concurrency.test.ts).

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
