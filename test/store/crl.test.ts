import * as fs from 'node:fs';
import { join } from 'node:path';
import { readCrls } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { openssl, opensslResult } from '../support/openssl';
import { DAY } from '../fixtures';
import { scratchStore, snapshot } from './helpers';

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);

function crlOf(dir: string, ca = 'client-ca') {
  const [facts] = readCrls(fs.readFileSync(join(dir, ca, 'crl.pem'), 'utf8'));
  return facts;
}

describe('CRL freshness', () => {
  const s = scratchStore();
  afterAll(() => s.cleanup());
  const spec = { clients: [{ commonName: 'alice' }, { commonName: 'bob' }, { commonName: 'carol' }], now: T0 };

  test('the number goes up only when something changed, and unchanged CRL bytes stay identical', async () => {
    const store = await s.open();
    await store.ensure(spec);
    expect(crlOf(s.dir).crlNumber).toBe(1n);
    expect(crlOf(s.dir).nextUpdate).toEqual(at(90));
    const first = snapshot(s.dir);

    await store.ensure({ ...spec, now: at(1) });
    expect(await store.refreshCrls({ now: at(2) })).toEqual([expect.objectContaining({ ca: 'client-ca', number: 1n, changed: false })]);
    expect(snapshot(s.dir)).toEqual(first);

    await store.revoke({ commonName: 'alice' }, 'keyCompromise', at(3));
    expect(crlOf(s.dir)).toMatchObject({ crlNumber: 2n, thisUpdate: at(3), nextUpdate: at(93), entries: [expect.objectContaining({ revokedAt: at(3), reason: 'keyCompromise' })] });

    // revoking again changes nothing: the first date and reason stand
    const record = await store.revoke({ commonName: 'alice' }, 'superseded', at(4));
    expect(record).toMatchObject({ revokedAt: at(3).toISOString(), reason: 'keyCompromise' });
    expect(crlOf(s.dir).crlNumber).toBe(2n);

    const forced = await store.refreshCrls({ force: true, now: at(5) });
    expect(forced).toEqual([expect.objectContaining({ number: 3n, changed: true, reason: 'forced' })]);
  });

  test('a new CRL is published once fewer than 30 of its 90 days remain, not before', async () => {
    const store = await s.open();
    const current = crlOf(s.dir); // #3, nextUpdate at(95)
    expect(current.nextUpdate).toEqual(at(95));
    const untouched = snapshot(s.dir);
    await store.ensure({ now: at(65) }); // 30 days left: not below the threshold
    expect(snapshot(s.dir)).toEqual(untouched);
    expect((await store.list({ now: at(65) })).crls[0]).toMatchObject({ number: '3', daysLeft: 30, refreshDue: false });
    expect((await store.list({ now: at(66) })).crls[0]).toMatchObject({ daysLeft: 29, refreshDue: true });

    await store.ensure({ now: at(66) });
    expect(crlOf(s.dir)).toMatchObject({ crlNumber: 4n, thisUpdate: at(66), nextUpdate: at(156) });
  });

  test('nextUpdate never goes backwards, even when the validity setting shrinks', async () => {
    const store = await s.open();
    await store.ensure({ crl: { validityDays: 10, refreshBeforeDays: 3 }, now: at(67) });
    expect(crlOf(s.dir).nextUpdate).toEqual(at(156)); // unchanged: not due
    await store.revoke({ commonName: 'bob' }, undefined, at(68));
    const after = crlOf(s.dir);
    expect(after.crlNumber).toBe(5n);
    expect(after.nextUpdate).toEqual(at(156)); // not at(78)
    expect(after.entries.map((e) => e.reason)).toEqual(['keyCompromise', undefined]);
  });

  test('a deleted or damaged CRL file is replaced with a higher number, never a repeated one', async () => {
    const store = await s.open();
    fs.rmSync(join(s.dir, 'client-ca/crl.pem'));
    await store.refreshCrls({ now: at(69) });
    expect(crlOf(s.dir).crlNumber).toBe(6n);
    fs.writeFileSync(join(s.dir, 'client-ca/crl.pem'), '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
    const warnings: string[] = [];
    const statuses = await (await PkiStore.open(s.dir, { onWarning: (m) => warnings.push(m) })).refreshCrls({ now: at(70) });
    expect(statuses[0]).toMatchObject({ number: 7n, reason: 'damaged file replaced' });
    expect(warnings).toEqual([expect.stringMatching(/client-ca\/crl.pem was not a CRL signed by CN=mtls-pki Client CA; replacing it/)]);
    expect(crlOf(s.dir).entries).toHaveLength(2);
  });

  test('pruning drops a revocation only after the certificate expired and a CRL issued after expiry listed it', async () => {
    const p = scratchStore();
    try {
      const store = await p.open();
      await store.ensure({ clients: [{ commonName: 'short', validityDays: 31 }, { commonName: 'long' }], now: T0 });
      await store.revoke({ commonName: 'short' }, 'cessationOfOperation', at(1));
      await store.revoke({ commonName: 'long' }, undefined, at(1));
      expect((await store.prune({ now: at(1) })).pruned).toEqual([]); // not expired yet
      expect((await store.prune({ now: at(32) })).pruned).toEqual([]); // expired, but on no CRL issued after expiry
      await store.refreshCrls({ force: true, now: at(32) }); // the first CRL after expiry still lists it
      expect(crlOf(p.dir).entries).toHaveLength(2);
      const { pruned, crls } = await store.prune({ now: at(33) });
      expect(pruned.map((r) => r.commonName)).toEqual(['short']);
      expect(crls[0]).toMatchObject({ changed: true, entries: 1 });
      expect(crlOf(p.dir).entries).toHaveLength(1);
      expect((await store.list({ now: at(33) })).certificates.find((c) => c.commonName === 'short')?.status).toBe('expired');
    } finally {
      p.cleanup();
    }
  });
});

describe('an intermediate client CA', () => {
  const s = scratchStore();
  afterAll(() => s.cleanup());

  test('one CRL per CA of the chain; openssl verify -crl_check_all says revoked / OK', async () => {
    const store = await s.open();
    const material = await store.ensure({
      clientCa: { commonName: 'Client Root', intermediate: { commonName: 'Issuing Client CA' } },
      clients: [{ commonName: 'good' }, { commonName: 'bad' }],
      revoked: [{ commonName: 'bad', reason: 'keyCompromise' }],
    });
    const trust = material.clientTrust();
    const crls = readCrls(trust.crlPem);
    expect(crls.map((c) => [c.issuer, c.crlNumber, c.entries.length])).toEqual([['CN=Client Root', 1n, 0], ['CN=Issuing Client CA', 1n, 1]]);
    expect(fs.readFileSync(join(s.dir, 'client-trust/ca.crl'), 'utf8')).toBe(trust.crlPem);
    expect(fs.readFileSync(join(s.dir, 'client-trust/ca.crt'), 'utf8')).toBe(trust.clientCaPem);
    const w = (name: string, text: string) => s.tmp.write(name, text);
    w('chain.pem', trust.clientCaPem);
    w('both.crl', trust.crlPem);
    w('only-issuing.crl', fs.readFileSync(join(s.dir, 'client-intermediate-ca/crl.pem'), 'utf8'));
    w('good.pem', material.client('good').certificatePem);
    w('bad.pem', material.client('bad').certificatePem);
    const verify = (crl: string, cert: string) => opensslResult(['verify', '-crl_check_all', '-CAfile', 'chain.pem', '-CRLfile', crl, cert], { cwd: s.tmp.dir });
    expect(verify('both.crl', 'good.pem')).toEqual({ status: 0, output: 'good.pem: OK\n' });
    expect(verify('both.crl', 'bad.pem').output).toMatch(/certificate revoked/);
    expect(verify('only-issuing.crl', 'good.pem').output).toMatch(/unable to get certificate CRL/);
    expect(openssl(['crl', '-in', 'only-issuing.crl', '-noout', '-verify', '-CAfile', 'chain.pem'], { cwd: s.tmp.dir })).toBe('');
  });

  test('adding an intermediate to an existing store keeps the root and its clients; new clients come from the intermediate', async () => {
    const p = scratchStore();
    try {
      const store = await p.open();
      await store.ensure({ clients: [{ commonName: 'old' }] });
      const material = await store.ensure({ clientCa: { commonName: 'mtls-pki Client CA', intermediate: { commonName: 'Issuing' } }, clients: [{ commonName: 'old' }, { commonName: 'new' }] });
      const listing = await store.list();
      expect(listing.certificates.map((c) => [c.commonName, c.issuer])).toEqual([['old', 'client-ca'], ['new', 'client-intermediate-ca']]);
      expect(listing.cas.map((c) => [c.id, c.issuer])).toEqual([['server-ca', null], ['client-ca', null], ['client-intermediate-ca', 'client-ca']]);
      expect(readCrls(material.clientTrust().crlPem)).toHaveLength(2);
    } finally {
      p.cleanup();
    }
  });
});
