// Scenario matrix, part 1: what MtlsIngress synthesizes from the seed material, served by a real nginx configured as
// ingress-nginx would (see README.md beside this file). Everything served comes from the construct: synthesized to
// YAML files on disk and read back, as users apply it. Where a scenario needs material the fixtures lack, it comes
// from lib/pki, with CRL validity relative to the real clock, because nginx judges CRLs against the real clock.
// The intermediate-CA scenarios are in scenarios-chain.test.ts.
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import {
  buildCrl, CertificateAuthority, createRootCa, IssuedCertificate, issueClientCertificate, loadCertificateAuthority, MtlsIngress, MtlsIngressProps, readCertificates, readCrls,
} from '../../lib';
import { DAY, seedFixture } from '../fixtures';
import { seedChart } from '../support/chart';
import { curlProbe, K8sObject, loadManifests, parseAuthTls, probe, ServedIngress, serveIngress } from './nginx-harness';
import { E2E_TEST_TIMEOUT } from './process-harness';

// Every test renders, tests (`nginx -t`) and starts or reloads a real nginx and waits for it to answer: a second
// on a quiet machine, tens of seconds at load 8 on 2 cores.
jest.setTimeout(E2E_TEST_TIMEOUT);

const SERVER_CA = seedFixture('server-ca-cert.pem');
const CLIENT_CA_DN = 'CN=Aispeech Client Cert Authority';
const CA_SECRET = 'mtls-client-ca-secret';

interface Client { certPem: string; keyPem: string }
const seedClient = (name: string): Client => ({ certPem: seedFixture(`${name}-cert.pem`), keyPem: seedFixture(`${name}-key.pem`) });
const client001 = seedClient('client001'); // revoked in the seed CRL
const client002 = seedClient('client002');
const asClient = (c: IssuedCertificate): Client => ({ certPem: c.certificatePem, keyPem: c.privateKeyPem });
const seedClientSerial = (name: string): string => readCertificates(seedFixture(`${name}-cert.pem`))[0].serialHex;

/** `app.synth()` into a temp outdir (validations run: an error finding throws), then the YAML files read back. */
function synthToDisk(overrides: Partial<MtlsIngressProps> = {}): { objects: K8sObject[]; mtls: MtlsIngress; files: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenario-synth-'));
  try {
    const { app, mtls } = seedChart(overrides, dir);
    app.synth();
    return { objects: loadManifests(dir), mtls, files: fs.readdirSync(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A copy of the objects with one key of the client CA Secret replaced: what the construct refuses to produce. */
function patchCaSecret(objects: K8sObject[], key: string, value: string): K8sObject[] {
  const copy: K8sObject[] = JSON.parse(JSON.stringify(objects));
  const secret = copy.find((o) => o.kind === 'Secret' && o.metadata.name === CA_SECRET)!;
  secret.data[key] = Buffer.from(value, 'utf8').toString('base64');
  return copy;
}

/** Whatever was served, the construct's output must leave client verification on: never fail-open, never 403. */
async function apply(s: ServedIngress, objects: K8sObject[]): Promise<void> {
  await s.reload(objects);
  expect(s.authTls.mode).toBe('enabled');
}

const get = (s: ServedIngress, c?: Client) => probe(s, { caPem: SERVER_CA, ...c });

/** Runs a probe and returns it with the error.log lines it caused (nginx logs verify errors at info). */
async function getWithLog(s: ServedIngress, c?: Client) {
  const mark = s.errorLog().length;
  const r = await get(s, c);
  return { ...r, log: s.errorLog().slice(mark) };
}

/** A CRL from the seed client CA, CRL number 2, listing the seed's entries plus `revoke`; validity relative to the real clock. */
async function seedCaCrl(ca: CertificateAuthority, revoke: string[], validity: { from: number; to: number }) {
  const seedCrl = readCrls(seedFixture('client-ca.crl'))[0];
  const now = Date.now();
  return buildCrl({
    issuer: ca,
    entries: [...seedCrl.entries, ...revoke.map((serialHex) => ({ serialHex, revokedAt: new Date(now - 60_000), reason: 'keyCompromise' as const }))],
    crlNumber: (seedCrl.crlNumber ?? 0n) + 1n,
    thisUpdate: new Date(now + validity.from),
    nextUpdate: new Date(now + validity.to),
  });
}

let seedCa: CertificateAuthority;
beforeAll(async () => {
  seedCa = await loadCertificateAuthority(seedFixture('client-ca-cert.pem'), seedFixture('client-ca-key.pem'), 'seed client CA');
});

describe('the seed, synthesized to YAML on disk and served', () => {
  let s: ServedIngress;
  let seed: K8sObject[];

  beforeAll(async () => {
    const out = synthToDisk();
    expect(out.mtls.findings).toEqual([]);
    expect(out.files).toEqual(['seed.k8s.yaml']);
    seed = out.objects;
    expect(seed.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Ingress/mtls-test-ingress', 'Secret/mtls-client-ca-secret', 'Secret/mtls-server-secret']);
    s = await serveIngress({ objects: seed });
  });
  afterAll(async () => s?.stop());

  test('seed: no certificate 400, Client002 200 (SUCCESS, CN=Client002), revoked Client001 400', async () => {
    expect(s.authTls.mode).toBe('enabled');
    const none = await get(s);
    expect(none.status).toBe(400);
    expect(none.body).toContain('No required SSL certificate was sent');
    expect(none.upstream).toBeUndefined();

    const ok = await get(s, client002);
    expect(ok.status).toBe(200);
    expect(ok.upstream?.headers).toMatchObject({
      'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=Client002', 'ssl-client-issuer-dn': CLIENT_CA_DN, 'x-harness-backend': 'nginx-test:80',
    });
    expect(ok.upstream?.headers['ssl-client-cert']).toBeUndefined(); // passCertificateToUpstream defaults to false

    const revoked = await getWithLog(s, client001);
    expect(revoked.status).toBe(400);
    expect(revoked.body).toContain('The SSL certificate error');
    expect(revoked.upstream).toBeUndefined();
    expect(revoked.log).toMatch(/client SSL certificate verify error: \(23:certificate revoked\)/);
  });

  test('seed: real curl verifies the server chain for the host with only the server CA (--cacert, no -k)', async () => {
    const ok = await curlProbe(s, { caPem: SERVER_CA, ...client002 });
    expect({ exitCode: ok.exitCode, status: ok.status, stderr: ok.stderr }).toEqual({ exitCode: 0, status: 200, stderr: '' });
    expect(ok.upstream?.headers['ssl-client-verify']).toBe('SUCCESS');
    expect(ok.upstream?.headers['ssl-client-subject-dn']).toBe('CN=Client002');
    expect((await curlProbe(s, { caPem: SERVER_CA })).status).toBe(400);
    expect((await curlProbe(s, { caPem: SERVER_CA, ...client001 })).status).toBe(400);
    // and the server CA is needed: the client CA does not vouch for the server (curl exit 60)
    expect((await curlProbe(s, { caPem: seedFixture('client-ca-cert.pem'), ...client002 })).exitCode).toBe(60);
  });

  test('foreign client: a certificate from an unrelated CA → 400', async () => {
    const foreignCa = await createRootCa({ commonName: 'Aispeech Client Cert Authority' }); // same name, other key
    const otherCa = await createRootCa({ commonName: 'Unrelated Client CA' });
    for (const ca of [foreignCa, otherCa]) {
      const stranger = asClient(await issueClientCertificate(ca, { commonName: 'Client002' }));
      const r = await getWithLog(s, stranger);
      expect(r.status).toBe(400);
      expect(r.upstream).toBeUndefined();
      // OpenSSL finds no issuer whose key identifier matches, even for the same-named CA: error 21, not 20 or 7
      expect(r.log).toMatch(/client SSL certificate verify error: \(21:unable to verify the first certificate\)/);
    }
  });

  test('expired client certificate (notBefore 3 days ago, 1 day of validity) → 400', async () => {
    const expired = await issueClientCertificate(seedCa, { commonName: 'Client004', notBefore: new Date(Date.now() - 3 * DAY), validityDays: 1 });
    expect(expired.facts.notAfter.getTime()).toBeLessThan(Date.now());
    const r = await getWithLog(s, asClient(expired));
    expect(r.status).toBe(400);
    expect(r.log).toMatch(/\(10:certificate has expired\)/);
  });

  test('fail-open proof: the seed output is "enabled"; an empty clientCaPem fails synth (MTLS020) and writes nothing', () => {
    expect(s.authTls).toMatchObject({ mode: 'enabled', secret: `odcp/${CA_SECRET}`, verifyClient: 'on', verifyDepth: 1 });
    expect(s.authTls.reason).toBeUndefined();
    expect(s.nginxConf).toMatch(/ssl_client_certificate \S+ca-odcp-mtls-client-ca-secret\.pem;\s+ssl_verify_client on;\s+ssl_verify_depth 1;\s+ssl_crl \S+crl-odcp-mtls-client-ca-secret\.pem;/);
    expect(s.nginxConf).not.toMatch(/return 403/);
    // the CA file nginx reads is the construct's clientCaPem, byte for byte; the CRL file its crlPem
    expect(s.authTls.caPem).toBe(seedFixture('client-ca-cert.pem'));
    expect(s.authTls.crlPem).toBe(seedFixture('client-ca.crl'));

    for (const clientCaPem of ['', '  \n']) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenario-synth-'));
      try {
        const { app, mtls } = seedChart({ clientCaPem }, dir);
        expect(mtls.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual(['MTLS020']);
        expect(() => app.synth()).toThrow(/MTLS020/);
        expect(fs.readdirSync(dir)).toEqual([]);
        // Bypassing validation (each object's own toJson) shows that the secret layout is a second guard: the CA
        // Secret is its own Opaque Secret, without a keypair, so ingress-nginx would deny (403), not fail open.
        const objects = mtls.objects.map((o) => o.toJson() as K8sObject);
        expect(Buffer.from(objects[1].data['ca.crt'], 'base64').toString()).toBe(clientCaPem);
        const state = parseAuthTls(objects[2], objects);
        expect([state.mode, state.reason]).toEqual(['denied', expect.stringMatching(/no keypair or CA certificate|error decoding CA certificate/)]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  test('CRL update: revoke Client002 (CRL number 2), re-synth, reload → Client002 400, a new Client003 200', async () => {
    const client003 = await issueClientCertificate(seedCa, { commonName: 'Client003' });
    const crl = await seedCaCrl(seedCa, [seedClientSerial('client002')], { from: -5 * 60_000, to: 30 * DAY });
    const facts = readCrls(crl.pem)[0];
    expect(facts.crlNumber).toBe(2n);
    expect(facts.entries.map((e) => e.serialHex).sort()).toEqual([seedClientSerial('client001'), seedClientSerial('client002')].sort());

    const out = synthToDisk({ crlPem: crl.pem, now: new Date() });
    expect(out.mtls.findings).toEqual([]);
    await apply(s, out.objects);
    expect(s.authTls.crlPem).toBe(crl.pem);

    const c2 = await getWithLog(s, client002);
    expect(c2.status).toBe(400);
    expect(c2.log).toMatch(/\(23:certificate revoked\)/);
    expect((await get(s, client001)).status).toBe(400);
    const c3 = await get(s, asClient(client003));
    expect(c3.status).toBe(200);
    expect(c3.upstream?.headers).toMatchObject({ 'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=Client003' });
    expect((await get(s)).status).toBe(400);
  });

  test('expired CRL: the construct refuses it (MTLS034); served anyway, nginx refuses even Client002 (400)', async () => {
    const expired = await seedCaCrl(seedCa, [], { from: -10 * DAY, to: -DAY });
    const { app, mtls } = seedChart({ crlPem: expired.pem, now: new Date() }, fs.mkdtempSync(path.join(os.tmpdir(), 'scenario-synth-')));
    try {
      expect(mtls.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual(['MTLS034']);
      expect(() => app.synth()).toThrow(/MTLS034/);
    } finally {
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }

    // What the check prevents: the valid seed output with only ca.crl swapped for the expired CRL.
    await apply(s, patchCaSecret(seed, 'ca.crl', expired.pem)); // the controller does not look at nextUpdate
    const r = await getWithLog(s, client002);
    expect(r.status).toBe(400);
    expect(r.log).toMatch(/\(12:CRL has expired\)/);

    await apply(s, seed); // and back: the seed serves again
    expect((await get(s, client002)).status).toBe(200);
  });
});

describe('auth-tls settings from construct props, served', () => {
  let s: ServedIngress;
  beforeAll(async () => {
    s = await serveIngress({ objects: synthToDisk({ verifyClient: 'optional' }).objects });
  });
  afterAll(async () => s?.stop());

  test('optional: no certificate → 200 and the upstream sees NONE; Client002 200; revoked Client001 400', async () => {
    expect(s.authTls).toMatchObject({ mode: 'enabled', verifyClient: 'optional' });
    expect(s.nginxConf).toMatch(/ssl_verify_client optional;/);
    const none = await get(s);
    expect(none.status).toBe(200);
    expect(none.upstream?.headers['ssl-client-verify']).toBe('NONE');
    expect(none.upstream?.headers['ssl-client-subject-dn']).toBeUndefined(); // nginx drops empty headers
    const ok = await get(s, client002);
    expect([ok.status, ok.upstream?.headers['ssl-client-verify']]).toEqual([200, 'SUCCESS']);
    expect((await get(s, client001)).status).toBe(400);
  });

  test('errorPage: a refused client gets 302 to the page; following it gives the page', async () => {
    const page = s.upstreamUrl('/mtls-denied');
    const out = synthToDisk({ errorPage: page });
    expect(out.mtls.findings).toEqual([]);
    await apply(s, out.objects);
    expect(s.nginxConf).toContain(`error_page 495 496 = ${page};`);
    for (const c of [undefined, client001]) {
      const r = await get(s, c);
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe(page);
      expect(r.upstream).toBeUndefined();
    }
    const followed = await new Promise<{ status?: number; body: string }>((resolve, reject) =>
      http.get(page, (res) => {
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode, body }));
      }).on('error', reject));
    expect(followed.status).toBe(200);
    expect(JSON.parse(followed.body)).toMatchObject({ path: '/mtls-denied', 'ssl-client-verify': null });
    expect((await get(s, client002)).status).toBe(200);
  });

  test('matchCn: a matching CN → 200; another valid CN → 403', async () => {
    const client003 = asClient(await issueClientCertificate(seedCa, { commonName: 'Client003' }));
    await apply(s, synthToDisk({ matchCn: 'CN=Client002$' }).objects);
    const ok = await get(s, client002);
    expect([ok.status, ok.upstream?.headers['ssl-client-subject-dn']]).toEqual([200, 'CN=Client002']);
    const other = await get(s, client003);
    expect(other.status).toBe(403);
    expect(other.body).toBe('client certificate unauthorized');
    expect(other.upstream).toBeUndefined();
    expect((await get(s, client001)).status).toBe(400); // revocation is still checked first
  });

  test('passCertificateToUpstream: ssl-client-cert is the URL-encoded client PEM', async () => {
    await apply(s, synthToDisk({ passCertificateToUpstream: true }).objects);
    const r = await get(s, client002);
    expect(r.status).toBe(200);
    const sent = r.upstream?.headers['ssl-client-cert'] as string;
    expect(sent).toMatch(/^-----BEGIN%20CERTIFICATE-----%0A/);
    expect(decodeURIComponent(sent)).toBe(client002.certPem);
  });
});
