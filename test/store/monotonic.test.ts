import * as fs from 'node:fs';
import { join } from 'node:path';
import { readCrls, UserInputError } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { listingOf } from '../../lib/store/listing';
import { readState } from '../../lib/store/state';
import { openssl } from '../support/openssl';
import { DAY } from '../fixtures';
import { scratchStore, snapshot } from './helpers';

// Revocation is monotonic: a CRL the store publishes never lacks a revocation that the CA's published CRL lists,
// unless store.json's audit says it was pruned (RFC 5280 §3.3) or forgotten on purpose. A store.json restored from
// an older backup is the everyday way to get there.

const crlSerials = (dir: string, ca = 'client-ca') => readCrls(fs.readFileSync(join(dir, ca, 'crl.pem'), 'utf8'))[0].entries.map((e) => e.serialHex);
const crlNumber = (dir: string, ca = 'client-ca') => readCrls(fs.readFileSync(join(dir, ca, 'crl.pem'), 'utf8'))[0].crlNumber;
const stateOf = (dir: string) => JSON.parse(fs.readFileSync(join(dir, 'store.json'), 'utf8'));

/** A store with alice, bob and carol, a backup of store.json taken then, and alice revoked after the backup. */
async function restoredStore() {
  const s = scratchStore();
  const store = await s.open();
  await store.ensure({ clients: [{ commonName: 'alice' }, { commonName: 'bob' }, { commonName: 'carol' }] });
  const backup = fs.readFileSync(join(s.dir, 'store.json'));
  const alice = await store.revoke({ commonName: 'alice' }, 'keyCompromise');
  expect(crlSerials(s.dir)).toEqual([alice.serialHex]);
  fs.writeFileSync(join(s.dir, 'store.json'), backup); // the restore
  return { s, store, alice };
}

describe('a store.json restored from an older backup cannot un-revoke a certificate', () => {
  test.each([
    ['refreshCrls()', (store: PkiStore) => store.refreshCrls()],
    ['refreshCrls({ force })', (store: PkiStore) => store.refreshCrls({ force: true })],
    ['ensure()', (store: PkiStore) => store.ensure({ clients: [{ commonName: 'dave' }] })],
    ['revoke(bob)', (store: PkiStore) => store.revoke({ commonName: 'bob' })],
    ['prune()', (store: PkiStore) => store.prune()],
  ])('%s refuses, naming the serial, and writes nothing', async (_name, run) => {
    const { s, alice } = await restoredStore();
    try {
      const before = snapshot(s.dir);
      const attempt = run(await s.open());
      await expect(attempt).rejects.toBeInstanceOf(UserInputError);
      await expect(attempt).rejects.toThrow(new RegExp(`client-ca/crl.pem \\(CRL #2\\): lists a revocation that store.json does not have: serial ${alice.serialHex} \\("alice", client-ca, revoked .*, keyCompromise\\)\\. Publishing a new CRL now would un-revoke it.*mtls-pki crl --dir .* --adopt-published.*--forget ${alice.serialHex} --why.*Nothing was written\\.$`));
      expect(snapshot(s.dir)).toEqual(before);
      expect(crlSerials(s.dir)).toEqual([alice.serialHex]);
    } finally {
      s.cleanup();
    }
  });

  test('list() warns about it without failing', async () => {
    const { s, alice } = await restoredStore();
    try {
      const listing = await (await s.open()).list();
      expect(listing.crls[0]).toMatchObject({ entries: 1, refreshDue: true });
      expect(s.warnings).toEqual([expect.stringMatching(new RegExp(`client-ca/crl.pem lists serial ${alice.serialHex}, but store.json has no such revocation .*mtls-pki crl --dir \\S+ --adopt-published`))]);
    } finally {
      s.cleanup();
    }
  });

  test('list() takes no lock, so a store.json read before a concurrent revoke saved it is no "lost" revocation', async () => {
    const s = scratchStore();
    try {
      const store = await s.open();
      await store.ensure({ clients: [{ commonName: 'alice' }] });
      const before = readState(s.dir)!; // what a lock-free list read just before another process revoked
      await store.revoke({ commonName: 'alice' });
      const warnings: string[] = [];
      listingOf(s.dir, before, new Date(), (m) => warnings.push(m));
      expect(warnings).toEqual([]);
    } finally {
      s.cleanup();
    }
  });

  test('recoverRevocations({ adopt }) records them again with the published date and reason; the CRL keeps its bytes', async () => {
    const { s, alice } = await restoredStore();
    try {
      const crlBefore = fs.readFileSync(join(s.dir, 'client-ca/crl.pem'));
      const store = await s.open();
      const r = await store.recoverRevocations({ adopt: true });
      expect(r.adopted).toEqual([expect.objectContaining({ action: 'adopted-from-crl', issuer: 'client-ca', serialHex: alice.serialHex, commonName: 'alice', revokedAt: alice.revokedAt, reason: 'keyCompromise', crlNumber: '2' })]);
      expect(r.forgotten).toEqual([]);
      expect(r.crls[0]).toMatchObject({ changed: false, entries: 1 });
      expect(fs.readFileSync(join(s.dir, 'client-ca/crl.pem'))).toEqual(crlBefore);
      expect(stateOf(s.dir).revocations).toEqual([expect.objectContaining({ serialHex: alice.serialHex, revokedAt: alice.revokedAt, reason: 'keyCompromise', notAfter: expect.any(String) })]);
      expect((await store.list()).certificates.find((c) => c.commonName === 'alice')).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
      // From here on everything works again, and alice stays on every new CRL.
      await store.revoke({ commonName: 'bob' });
      expect(crlSerials(s.dir).sort()).toEqual([alice.serialHex, (await store.list()).certificates.find((c) => c.commonName === 'bob')!.serialHex].sort());
    } finally {
      s.cleanup();
    }
  });

  test('recoverRevocations({ forget, why }) drops it on purpose, audited; the next CRL no longer lists it (openssl agrees)', async () => {
    const { s, alice } = await restoredStore();
    try {
      const store = await s.open();
      const now = new Date();
      const r = await store.recoverRevocations({ forget: [alice.serialHex.toLowerCase()], why: 'revoked by mistake, ticket OPS-1', now });
      expect(r.forgotten).toEqual([expect.objectContaining({ action: 'forgot-revocation', serialHex: alice.serialHex, commonName: 'alice', crlNumber: '2', note: 'revoked by mistake, ticket OPS-1' })]);
      expect(r.crls[0]).toMatchObject({ changed: true, reason: 'revocations changed', number: 3n, entries: 0 });
      expect(crlSerials(s.dir)).toEqual([]);
      expect(openssl(['crl', '-in', join(s.dir, 'client-trust/ca.crl'), '-noout', '-text'])).toMatch(/No Revoked Certificates/);
      expect(stateOf(s.dir).audit).toEqual([{
        at: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString(), action: 'forgot-revocation', issuer: 'client-ca', serialHex: alice.serialHex,
        commonName: 'alice', revokedAt: alice.revokedAt, reason: 'keyCompromise', crlNumber: '2', note: 'revoked by mistake, ticket OPS-1',
      }]);
      // The guard is satisfied: the next runs publish normally.
      expect(await store.refreshCrls()).toEqual([expect.objectContaining({ changed: false, number: 3n })]);
    } finally {
      s.cleanup();
    }
  });

  test('forget refuses what it must not do, and writes nothing', async () => {
    const { s, alice } = await restoredStore();
    try {
      const store = await s.open();
      const before = snapshot(s.dir);
      const bob = (await store.list()).certificates.find((c) => c.commonName === 'bob')!;
      await expect(store.recoverRevocations({ forget: [alice.serialHex] })).rejects.toThrow(/--why: is required with --forget/);
      await expect(store.recoverRevocations({ forget: [bob.serialHex], why: 'x' })).rejects.toThrow(new RegExp(`--forget: no published CRL lists serial ${bob.serialHex} without store.json having it`));
      await expect(store.recoverRevocations({ forget: ['zz'], why: 'x' })).rejects.toThrow(/--forget: "zz" is not a hexadecimal serial/);
      expect(snapshot(s.dir)).toEqual(before);
      // A revocation store.json still has is permanent: forget is only for lost ones.
      await store.recoverRevocations({ adopt: true });
      const adopted = snapshot(s.dir);
      await expect(store.recoverRevocations({ forget: [alice.serialHex], why: 'x' })).rejects.toThrow(new RegExp(`serial ${alice.serialHex} is revoked in store.json, and a revocation is permanent`));
      expect(snapshot(s.dir)).toEqual(adopted);
    } finally {
      s.cleanup();
    }
  });

  test('an intermediate and the server CA are guarded too; adopt takes every CA\'s lost revocations at once', async () => {
    const s = scratchStore();
    try {
      const store = await s.open();
      await store.ensure({ clientCa: { commonName: 'Root', intermediate: { commonName: 'Issuing' } }, servers: [{ name: 'web', names: ['web.example'] }], clients: [{ commonName: 'alice' }] });
      const backup = fs.readFileSync(join(s.dir, 'store.json'));
      const alice = await store.revoke({ commonName: 'alice' });
      const web = await store.revoke({ commonName: 'web' });
      fs.writeFileSync(join(s.dir, 'store.json'), backup);
      await expect((await s.open()).refreshCrls()).rejects.toThrow(new RegExp(`server-ca/crl.pem \\(CRL #1\\) and .*client-intermediate-ca/crl.pem \\(CRL #2\\): lists 2 revocations .*serial ${web.serialHex} \\("web.example", server-ca.*serial ${alice.serialHex} \\("alice", client-intermediate-ca.*would un-revoke them`));
      const r = await (await s.open()).recoverRevocations({ adopt: true });
      expect(r.adopted.map((a) => [a.issuer, a.serialHex])).toEqual([['server-ca', web.serialHex], ['client-intermediate-ca', alice.serialHex]]);
      expect(crlSerials(s.dir, 'client-intermediate-ca')).toEqual([alice.serialHex]);
      expect(crlSerials(s.dir, 'server-ca')).toEqual([web.serialHex]);
    } finally {
      s.cleanup();
    }
  });
});

describe('pruning is judged at prune time, against the real clock and the CRL as published', () => {
  const T0 = new Date('2031-01-01T00:00:00Z');
  const at = (days: number) => new Date(T0.getTime() + days * DAY);

  test('a run with a clock ten years ahead does not make an unexpired certificate prunable later', async () => {
    const s = scratchStore();
    try {
      const store = await s.open();
      await store.ensure({ clients: [{ commonName: 'short', validityDays: 31 }, { commonName: 'long' }], now: T0 });
      const short = await store.revoke({ commonName: 'short' }, undefined, at(1));
      const long = await store.revoke({ commonName: 'long' }, 'keyCompromise', at(1));
      await store.refreshCrls({ force: true, now: at(3650) }); // the clock ran ten years ahead for one run
      expect(crlSerials(s.dir).sort()).toEqual([short.serialHex, long.serialHex].sort());

      // Back on the real clock: long has 324 days left, so it stays; short has expired, but the only CRL that lists it
      // "after" its expiry is dated in the future, which proves nothing yet.
      expect((await store.prune({ now: at(40) })).pruned).toEqual([]);
      expect(crlSerials(s.dir).sort()).toEqual([short.serialHex, long.serialHex].sort());

      // A CRL really issued after short expired lists it: now short may go, and long still may not.
      await store.refreshCrls({ force: true, now: at(40) });
      const { pruned } = await store.prune({ now: at(41) });
      expect(pruned.map((r) => r.serialHex)).toEqual([short.serialHex]);
      expect(crlSerials(s.dir)).toEqual([long.serialHex]);
      expect(stateOf(s.dir).audit).toEqual([expect.objectContaining({ action: 'pruned-expired', serialHex: short.serialHex, crlNumber: String(crlNumber(s.dir)! - 1n) })]);
    } finally {
      s.cleanup();
    }
  });

  test('a flag written by an earlier release (listedAfterExpiryOnCrl) is not trusted', async () => {
    const s = scratchStore();
    try {
      const store = await s.open();
      await store.ensure({ clients: [{ commonName: 'long' }], now: T0 });
      const long = await store.revoke({ commonName: 'long' }, undefined, at(1));
      // What a far-future run of the earlier release left in store.json.
      const state = stateOf(s.dir);
      state.revocations[0].listedAfterExpiryOnCrl = '3';
      fs.writeFileSync(join(s.dir, 'store.json'), `${JSON.stringify(state, null, 2)}\n`);
      expect((await (await s.open()).prune({ now: at(2) })).pruned).toEqual([]);
      expect(crlSerials(s.dir)).toEqual([long.serialHex]);
    } finally {
      s.cleanup();
    }
  });
});

test('store.json stays version 1 and gains no field until one is needed', async () => {
  const s = scratchStore();
  try {
    const store = await s.open();
    await store.ensure({ clients: [{ commonName: 'a' }], revoked: [{ commonName: 'a' }] });
    expect(Object.keys(stateOf(s.dir))).toEqual(['format', 'version', 'settings', 'cas', 'certificates', 'revocations', 'crls']);
    expect(stateOf(s.dir).version).toBe(1);
  } finally {
    s.cleanup();
  }
});
