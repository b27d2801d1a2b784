import * as fs from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { PkiStore } from '../../lib/store';
import { openssl } from '../support/openssl';
import { DAY } from '../fixtures';
import { scratchStore } from './helpers';

// What the CLI asks of the store instead of reading its files: where things are, the certificate with its key
// and CA chain, a PKCS#12 bundle, and the one reuse decision; and the one CRL refresh decision that `list` and
// publishing share.

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);

describe('PkiStore API for the CLI', () => {
  const s = scratchStore();
  afterAll(() => s.cleanup());
  let store: PkiStore;
  beforeAll(async () => {
    store = await s.open();
    await store.ensure({ clientCa: { commonName: 'Root', intermediate: { commonName: 'Issuing' } }, servers: [{ name: 'web', names: ['web.example.com'] }], clients: [{ commonName: 'alice' }], now: T0 });
  });

  test('paths are under the directory as it was given, and name the files that exist', () => {
    const p = store.paths;
    expect(p).toMatchObject({ dir: s.dir, serverCaCert: join(s.dir, 'server-ca/cert.pem'), trustCa: join(s.dir, 'client-trust/ca.crt'), trustCrl: join(s.dir, 'client-trust/ca.crl') });
    for (const f of [p.serverCaCert, p.trustCa, p.trustCrl, p.crl('client-ca'), p.crl('client-intermediate-ca'), p.gitignore]) expect(fs.existsSync(f)).toBe(true);
  });

  test('issueClient reports where its files are; credentials hold the certificate, its key and the chain up to the root', async () => {
    const issued = await store.issueClient('alice', [], { now: at(1) });
    expect(issued).toMatchObject({ created: false, paths: { cert: expect.stringContaining(join(s.dir, 'clients/alice-')), key: expect.stringMatching(/\.key\.pem$/) } });
    const c = await store.credentials(issued.record);
    expect(c.certificatePem).toBe(fs.readFileSync(issued.paths!.cert, 'utf8'));
    expect(c.privateKeyPem).toBe(fs.readFileSync(issued.paths!.key!, 'utf8'));
    expect(new X509Certificate(c.certificatePem).checkPrivateKey(createPrivateKey(c.privateKeyPem))).toBe(true);
    // Issuer first, up to the root: openssl builds the chain from exactly these.
    expect(c.caCertificatesPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const chain = s.tmp.write('chain.pem', c.caCertificatesPem);
    const leaf = s.tmp.write('alice.pem', c.certificatePem);
    expect(openssl(['verify', '-attime', String(at(1).getTime() / 1000), '-CAfile', chain, leaf]).trim()).toBe(`${leaf}: OK`);
    expect(new X509Certificate(c.caCertificatesPem).subject).toBe('CN=Issuing');
  });

  test('pkcs12 bundles the certificate, key and CA chain; openssl reads it with the password', async () => {
    const { record } = await store.issueClient('alice', [], { now: at(1) });
    const p12 = s.tmp.write('alice.p12', '');
    fs.writeFileSync(p12, await store.pkcs12(record, { password: 'correct horse' }));
    const out = openssl(['pkcs12', '-in', p12, '-passin', 'pass:correct horse', '-nodes']);
    expect(out.match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
    expect(out).toContain('friendlyName: alice');
    expect(out).toMatch(/BEGIN PRIVATE KEY/);
  });

  test('one reuse decision: clientDecision says what issueClient and ensure then do, renewal within 30 days included', async () => {
    const fresh = store.clientDecision('alice', [], at(300));
    expect(fresh.reuse?.commonName).toBe('alice');
    // 365 days from T0 minus five minutes: at day 340 fewer than 30 days remain, so it is renewed.
    const due = store.clientDecision('alice', [], at(340));
    expect(due).toEqual({ verb: 'renewed', why: expect.stringMatching(/^serial [0-9A-F]+ expires in 24 day\(s\)$/) });
    const s2 = scratchStore();
    try {
      fs.cpSync(s.dir, s2.dir, { recursive: true });
      const copy = await s2.open();
      const renewed = await copy.issueClient('alice', [], { now: at(340) });
      expect(renewed).toMatchObject({ created: true, verb: 'renewed', why: (due as { why: string }).why });
      expect(s2.changes).toEqual([expect.stringMatching(/^renewed client certificate "alice" \(serial [0-9A-F]+, no SAN, valid until 2031-\d\d-\d\d\): serial [0-9A-F]+ expires in 24 day\(s\)$/)]);
      // ensure agrees: the renewed one is fresh, so nothing more is issued (only the CRLs, long due, are re-signed).
      s2.changes.length = 0;
      await copy.ensure({ clientCa: { commonName: 'Root', intermediate: { commonName: 'Issuing' } }, clients: [{ commonName: 'alice' }], now: at(341) });
      expect(s2.changes.map((c) => c.split(' (')[0])).toEqual(['re-signed the client-ca CRL #2', 're-signed the client-intermediate-ca CRL #2']);
    } finally {
      s2.cleanup();
    }
  });

  test('a different set of names is a new certificate, and says so', () => {
    expect(store.clientDecision('alice', ['alice@example.com'], at(2))).toEqual({ verb: 're-issued', why: expect.stringMatching(/^the names changed \(serial [0-9A-F]+ has none\)$/) });
  });
});

test('list\'s refreshDue is the decision publishing takes: a revocation whose reason changed is due, though the serials match', async () => {
  const s = scratchStore();
  try {
    const store = await s.open();
    await store.ensure({ clients: [{ commonName: 'alice' }], revoked: [{ commonName: 'alice', reason: 'keyCompromise' }], now: T0 });
    expect((await store.list({ now: at(1) })).crls[0].refreshDue).toBe(false);
    // store.json now says "superseded" for the serial the CRL lists as keyCompromise (restored, or edited by hand).
    const path = join(s.dir, 'store.json');
    fs.writeFileSync(path, fs.readFileSync(path, 'utf8').replace('"reason": "keyCompromise"', '"reason": "superseded"'));
    expect((await store.list({ now: at(1) })).crls[0].refreshDue).toBe(true);
    expect(await store.refreshCrls({ now: at(1) })).toEqual([expect.objectContaining({ changed: true, reason: 'revocations changed' })]);
    expect((await store.list({ now: at(1) })).crls[0].refreshDue).toBe(false);
    // And due for refresh by date: the CRL runs to day 91, so on day 62 fewer than 30 days remain.
    expect((await store.list({ now: at(61) })).crls[0].refreshDue).toBe(false);
    expect((await store.list({ now: at(62) })).crls[0].refreshDue).toBe(true);
    expect(await store.refreshCrls({ now: at(62) })).toEqual([expect.objectContaining({ changed: true, reason: 'due for refresh' })]);
  } finally {
    s.cleanup();
  }
});
