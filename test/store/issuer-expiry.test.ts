import * as fs from 'node:fs';
import { join } from 'node:path';
import { createRootCa, inspectCertificate, issueClientCertificate } from '../../lib/pki';
import { opensslResult } from '../support/openssl';
import { DAY } from '../fixtures';
import { scratchStore, snapshot } from './helpers';

// A certificate cannot outlive the CA that signed it: a chain is rejected once any certificate in it has expired.
// The store clamps a new certificate's notAfter to its issuer's (with a warning), refuses to issue under an expired
// CA, and list() warns about certificates that already outlive their issuer (from openssl ca, or earlier releases).

const T0 = new Date(Date.UTC(2031, 0, 1));
const at = (days: number) => new Date(T0.getTime() + days * DAY);
/** openssl's -attime takes seconds since the epoch. */
const attime = (d: Date) => String(Math.floor(d.getTime() / 1000));

async function storeWithShortLivedCa(days: number, as: 'client' | 'server' = 'client') {
  const s = scratchStore();
  const ca = await createRootCa({ commonName: `${as} CA ${days} days`, validityDays: days, notBefore: T0 });
  const store = await s.open();
  await store.importOpenssl({ indexText: '', caCertificatePem: ca.certificatePem, caPrivateKeyPem: ca.privateKeyPem, as, now: T0 });
  return { s, store, ca };
}

test('a client certificate is clamped to its CA\'s notAfter, with a warning; openssl shows why the extra year would be worthless', async () => {
  const { s, store, ca } = await storeWithShortLivedCa(30);
  try {
    const { record } = await store.issueClient('alice', [], { now: at(1) });
    expect(record.notAfter).toBe(ca.facts.notAfter.toISOString());
    expect(s.warnings).toEqual([`client certificate "alice" would outlive its issuer client-ca, which expires ${ca.facts.notAfter.toISOString().slice(0, 10)}; it is issued valid until then (29 days instead of 365), because a chain stops working when its CA expires whatever the certificate's own date says. Plan client-ca's replacement before ${ca.facts.notAfter.toISOString().slice(0, 10)}.`]);
    const clamped = fs.readFileSync(join(s.dir, record.files!.cert), 'utf8');
    expect(inspectCertificate(clamped).notAfter).toEqual(ca.facts.notAfter);

    // What openssl ca would have issued: 365 days under the same CA.
    const unclamped = await issueClientCertificate(ca, { commonName: 'alice', notBefore: at(1) });
    const w = (name: string, pem: string) => s.tmp.write(name, pem);
    w('ca.pem', ca.certificatePem);
    w('clamped.pem', clamped);
    w('unclamped.pem', unclamped.certificatePem);
    const verify = (cert: string, when: Date) => opensslResult(['verify', '-attime', attime(when), '-CAfile', 'ca.pem', cert], { cwd: s.tmp.dir });
    expect(verify('clamped.pem', at(20))).toEqual({ status: 0, output: 'clamped.pem: OK\n' });
    expect(verify('unclamped.pem', at(20))).toEqual({ status: 0, output: 'unclamped.pem: OK\n' });
    // One day after the CA expired, the unclamped certificate's own date says valid, and openssl still refuses it:
    // the CA at depth 1 has expired. The clamped one says so itself.
    const after = verify('unclamped.pem', at(31));
    expect(after.status).not.toBe(0);
    expect(after.output).toMatch(/error 10 at 1 depth lookup: certificate has expired/);
    expect(verify('clamped.pem', at(31)).output).toMatch(/error 10 at 0 depth lookup: certificate has expired/);
  } finally {
    s.cleanup();
  }
});

test('a server certificate is clamped too, and is not re-issued on every run once it ends with its CA', async () => {
  const { s, store, ca } = await storeWithShortLivedCa(100, 'server');
  try {
    const first = await store.issueServer('web', ['web.example'], { now: at(1) });
    expect(first.record.notAfter).toBe(ca.facts.notAfter.toISOString());
    expect(s.warnings).toEqual([expect.stringMatching(/^server certificate "web" would outlive its issuer server-ca, .*\(99 days instead of 397\)/)]);
    // 20 days left (less than the 30-day renewal threshold): a new one could not last longer, so it is kept.
    const later = await store.ensure({ servers: [{ name: 'web', names: ['web.example'] }], now: at(80) });
    expect(later.serverTls('web').certificateChainPem).toBe(fs.readFileSync(join(s.dir, first.record.files!.chain!), 'utf8'));
    expect((await store.list({ now: at(80) })).certificates.filter((c) => c.kind === 'server')).toHaveLength(1);
  } finally {
    s.cleanup();
  }
});

test('an expired CA issues nothing: refused with the fix, nothing written', async () => {
  const { s, store } = await storeWithShortLivedCa(2);
  try {
    const before = snapshot(s.dir);
    await expect(store.issueClient('alice', [], { now: at(3) })).rejects.toThrow(/client-ca\/cert.pem: client-ca "client CA 2 days" expired on 2031-01-03, so nothing it signs would be accepted .* start a new store with `mtls-pki init --dir NEW`/);
    expect(snapshot(s.dir)).toEqual(before);
  } finally {
    s.cleanup();
  }
});

test('an intermediate created under a root with less time left ends with the root', async () => {
  const s = scratchStore();
  try {
    const store = await s.open();
    await store.ensure({ now: T0 });
    // Nine years later the root has one year left; a new intermediate would get five.
    await store.ensure({ clientCa: { commonName: 'mtls-pki Client CA', intermediate: { commonName: 'Issuing' } }, now: at(9 * 365) });
    const listing = await store.list({ now: at(9 * 365) });
    const root = listing.cas.find((c) => c.id === 'client-ca')!;
    expect(listing.cas.find((c) => c.id === 'client-intermediate-ca')!.notAfter).toBe(root.notAfter);
    expect(s.warnings).toEqual([expect.stringMatching(/^client-intermediate-ca would outlive its issuer client-ca/)]);
  } finally {
    s.cleanup();
  }
});

test('list() warns about a certificate that already outlives its issuer (imported from openssl ca, which does not clamp)', async () => {
  const { s, store, ca } = await storeWithShortLivedCa(30);
  try {
    const yymmdd = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
    await store.importOpenssl({
      indexText: `V\t${yymmdd(at(365))}\t\t0A\tunknown\t/CN=Client001\nV\t${yymmdd(at(20))}\t\t0B\tunknown\t/CN=Client002\nR\t${yymmdd(at(365))}\t${yymmdd(at(1))}\t0C\tunknown\t/CN=Client003\n`,
      caCertificatePem: ca.certificatePem, caPrivateKeyPem: ca.privateKeyPem, now: at(2),
    });
    s.warnings.length = 0;
    await store.list({ now: at(2) });
    const end = ca.facts.notAfter.toISOString().slice(0, 10);
    // Only the valid one that outlives the CA: not the one that ends in time, not the revoked one.
    expect(s.warnings).toEqual([`client certificate "Client001" (serial 0A) expires ${at(365).toISOString().slice(0, 10)}, after its issuer client-ca "client CA 30 days" (${end}). From ${end} on it is rejected as if expired (openssl verify: "certificate has expired" at depth 1; nginx answers 400 to that client), whatever its own date says. Plan client-ca's replacement before then and re-issue what it signed.`]);
  } finally {
    s.cleanup();
  }
});
