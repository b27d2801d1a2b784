// Tests of the e2e harness itself, against the real nginx, with PKI material made by the openssl CLI (like the seed).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { IngressRejectedError, K8sObject, ServedIngress, curlProbe, loadManifests, probe, serveIngress } from './nginx-harness';
import { E2E_TEST_TIMEOUT, waitUntil } from './process-harness';

// Every test renders, tests (`nginx -t`) and starts or reloads a real nginx and waits for it to answer: a second
// on a quiet machine, tens of seconds at load 8 on 2 cores.
jest.setTimeout(E2E_TEST_TIMEOUT);

const HOST = 'mtls.dev.ityoudao.cn';
const NS = 'odcp';
const A = 'nginx.ingress.kubernetes.io/';
const CLIENT_CA_DN = 'CN=Aispeech Client Cert Authority';

interface Pki {
  serverCa: string;
  serverChain: string;
  serverKey: string;
  clientCa: string;
  c1: { cert: string; key: string }; // revoked
  c2: { cert: string; key: string };
  stranger: { cert: string; key: string }; // signed by the server CA, unknown to the client CA file
  crl: string;
  expiredCrl: string;
  derCrl: Buffer;
}

function makePki(dir: string): Pki {
  const ossl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
  ossl('req', '-x509', ...ec, '-keyout', 'server-ca-key.pem', '-out', 'server-ca.pem', '-days', '3650', '-subj', '/CN=Test Server Cert Authority', '-sha256');
  fs.writeFileSync(path.join(dir, 'server-ext.cnf'), `subjectAltName = DNS:${HOST}\n`);
  ossl('req', '-new', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', `/CN=${HOST}`);
  ossl('x509', '-req', '-sha256', '-days', '365', '-in', 'server.csr', '-CA', 'server-ca.pem', '-CAkey', 'server-ca-key.pem', '-extfile', 'server-ext.cnf', '-set_serial', '01', '-out', 'server.pem');
  ossl('req', '-x509', ...ec, '-keyout', 'client-ca-key.pem', '-out', 'client-ca.pem', '-days', '3650', '-subj', `/${CLIENT_CA_DN}`, '-sha256');
  const client = (name: string, serial: string, ca = 'client-ca'): { cert: string; key: string } => {
    ossl('req', '-new', ...ec, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ossl('x509', '-req', '-sha256', '-days', '365', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-set_serial', serial, '-out', `${name}.pem`);
    return { cert: read(`${name}.pem`), key: read(`${name}-key.pem`) };
  };
  const c1 = client('Client001', '01');
  const c2 = client('Client002', '02');
  const stranger = client('Stranger', '03', 'server-ca');
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'crlnumber'), '01\n');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    ['[ ca ]', 'default_ca = CA_default', '[ CA_default ]', `database = ${dir}/index.txt`, `crlnumber = ${dir}/crlnumber`,
      `certificate = ${dir}/client-ca.pem`, `private_key = ${dir}/client-ca-key.pem`, 'default_md = sha256', ''].join('\n'),
  );
  ossl('ca', '-config', 'ca.cnf', '-revoke', 'Client001.pem');
  ossl('ca', '-config', 'ca.cnf', '-gencrl', '-crldays', '30', '-out', 'client-ca.crl');
  ossl('ca', '-config', 'ca.cnf', '-gencrl', '-crl_lastupdate', '20200101000000Z', '-crl_nextupdate', '20200201000000Z', '-out', 'expired.crl');
  ossl('crl', '-in', 'client-ca.crl', '-outform', 'DER', '-out', 'client-ca.crl.der');
  return {
    serverCa: read('server-ca.pem'),
    serverChain: read('server.pem') + read('server-ca.pem'),
    serverKey: read('server-key.pem'),
    clientCa: read('client-ca.pem'),
    c1, c2, stranger,
    crl: read('client-ca.crl'),
    expiredCrl: read('expired.crl'),
    derCrl: fs.readFileSync(path.join(dir, 'client-ca.crl.der')),
  };
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

function secret(name: string, data: Record<string, string | Buffer>, type = 'Opaque', namespace = NS): K8sObject {
  return { apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) };
}

/** The seed's objects: server TLS secret, client CA secret, and the Ingress with its annotations. */
function build(pki: Pki, o: { annotations?: Record<string, string | undefined>; authData?: Record<string, string | Buffer> | null; authNs?: string } = {}): K8sObject[] {
  const annotations: Record<string, string> = {};
  const merged = { 'auth-tls-verify-client': 'on', 'auth-tls-secret': `${NS}/mtls-client-ca-secret`, 'auth-tls-verify-depth': '1', 'auth-tls-pass-certificate-to-upstream': 'false', ...o.annotations };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) annotations[A + k] = v;
  const objs: K8sObject[] = [
    secret('mtls-server-secret', { 'tls.crt': pki.serverChain, 'tls.key': pki.serverKey }, 'kubernetes.io/tls'),
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'mtls-test-ingress', namespace: NS, annotations },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'nginx-test', port: { number: 80 } } } }] } }],
        tls: [{ hosts: [HOST], secretName: 'mtls-server-secret' }],
      },
    },
  ];
  const authData = o.authData === undefined ? { 'ca.crt': pki.clientCa, 'ca.crl': pki.crl } : o.authData;
  if (authData) objs.push(secret('mtls-client-ca-secret', authData, 'Opaque', o.authNs ?? NS));
  return objs;
}

let tmp: string;
let pki: Pki;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-pki-'));
  pki = makePki(tmp);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('nginx harness, ingress-nginx auth-tls semantics', () => {
  let s: ServedIngress;
  const get = (client?: { cert: string; key: string }, extra: { path?: string; headers?: Record<string, string> } = {}) =>
    probe(s, { caPem: pki.serverCa, certPem: client?.cert, keyPem: client?.key, ...extra });

  beforeAll(async () => {
    // Serve what a cdk8s synth would leave in dist/: a multi-document YAML file, read back with loadManifests().
    const dist = path.join(tmp, 'dist');
    fs.mkdirSync(dist);
    fs.writeFileSync(path.join(dist, 'app.k8s.yaml'), Yaml.stringify(...build(pki)));
    s = await serveIngress({ objects: loadManifests(dist) });
  });
  afterAll(async () => s?.stop());

  test('seed setup: no cert 400, Client002 200 with SUCCESS + DNs upstream, revoked Client001 400', async () => {
    expect(s.authTls.mode).toBe('enabled');
    expect(s.nginxConf).toMatch(/ssl_verify_client on;/);
    expect(s.nginxConf).toMatch(/ssl_crl \S+crl-odcp-mtls-client-ca-secret\.pem;/);

    const none = await get();
    expect(none.status).toBe(400);
    expect(none.body).toContain('No required SSL certificate was sent');
    expect(none.upstream).toBeUndefined();

    const ok = await get(pki.c2);
    expect(ok.status).toBe(200);
    expect(ok.upstream?.headers['ssl-client-verify']).toBe('SUCCESS');
    expect(ok.upstream?.headers['ssl-client-subject-dn']).toBe('CN=Client002');
    expect(ok.upstream?.headers['ssl-client-issuer-dn']).toBe(CLIENT_CA_DN);
    expect(ok.upstream?.headers['ssl-client-cert']).toBeUndefined();
    expect(JSON.parse(ok.body)).toMatchObject({ 'ssl-client-verify': 'SUCCESS', backend: 'nginx-test:80' });

    const revoked = await get(pki.c1);
    expect(revoked.status).toBe(400);
    expect(revoked.body).toContain('The SSL certificate error');
    expect(s.errorLog()).toMatch(/client SSL certificate verify error: \(23:certificate revoked\)/);
  });

  test('real curl with --cacert server-ca.pem and no -k', async () => {
    const ok = await curlProbe(s, { caPem: pki.serverCa, certPem: pki.c2.cert, keyPem: pki.c2.key });
    expect(ok).toMatchObject({ exitCode: 0, status: 200 });
    expect(ok.upstream?.headers['ssl-client-verify']).toBe('SUCCESS');
    expect((await curlProbe(s, { caPem: pki.serverCa })).status).toBe(400);
    const noCa = await curlProbe(s, { certPem: pki.c2.cert, keyPem: pki.c2.key }); // system CAs: server cert untrusted
    expect(noCa.exitCode).toBe(60);
    await expect(probe(s, { certPem: pki.c2.cert, keyPem: pki.c2.key })).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  test('auth-tls secret missing, in another namespace, or unusable → 403 for everything', async () => {
    const cases: [string, K8sObject[], RegExp][] = [
      ['missing', build(pki, { authData: null }), /not found/],
      ['cross-namespace', build(pki, { authNs: 'other', annotations: { 'auth-tls-secret': 'other/mtls-client-ca-secret' } }), /cross namespace/],
      ['garbage ca.crt', build(pki, { authData: { 'ca.crt': 'not a certificate' } }), /error decoding CA certificate/],
      ['ca.crl only', build(pki, { authData: { 'ca.crl': pki.crl } }), /no keypair or CA certificate/],
      ['DER ca.crl', build(pki, { authData: { 'ca.crt': pki.clientCa, 'ca.crl': pki.derCrl } }), /no valid PEM formatted block/],
      ['CRL label wrong', build(pki, { authData: { 'ca.crt': pki.clientCa, 'ca.crl': pki.clientCa } }), /invalid data/],
    ];
    for (const [what, objs, reason] of cases) {
      await s.reload(objs);
      expect([what, s.authTls.mode]).toEqual([what, 'denied']);
      expect(s.authTls.reason).toMatch(reason);
      expect(s.nginxConf).toMatch(/return 403;/);
      expect(s.nginxConf).not.toMatch(/ssl_verify_client/);
      expect([what, (await get()).status, (await get(pki.c2)).status]).toEqual([what, 403, 403]);
    }
  });

  test('fail-open trap: secret with tls.crt/tls.key but no ca.crt → no client verification at all', async () => {
    await s.reload(build(pki, { annotations: { 'auth-tls-secret': `${NS}/mtls-server-secret` } }));
    expect(s.authTls.mode).toBe('disabled');
    expect(s.nginxConf).not.toMatch(/ssl_client_certificate|ssl_verify_client/);
    const none = await get();
    expect(none.status).toBe(200);
    expect(none.upstream?.headers['ssl-client-verify']).toBeUndefined();
    // nothing overwrites the ssl-client-* headers any more: a client can claim to be verified
    const spoof = await get(undefined, { headers: { 'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=Admin' } });
    expect(spoof.status).toBe(200);
    expect(spoof.upstream?.headers).toMatchObject({ 'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=Admin' });
  });

  test('optional: no cert 200 with NONE, valid 200, revoked 400; optional_no_ca tolerates an unknown CA', async () => {
    await s.reload(build(pki, { annotations: { 'auth-tls-verify-client': 'optional' } }));
    const none = await get();
    expect(none.status).toBe(200);
    expect(none.upstream?.headers['ssl-client-verify']).toBe('NONE');
    expect((await get(pki.c2)).status).toBe(200);
    expect((await get(pki.c1)).status).toBe(400);
    expect((await get(pki.stranger)).status).toBe(400);

    // optional_no_ca without a CRL: an unknown-CA certificate passes, marked FAILED for the upstream to judge (node's
    // client sends the server CA along, because it is in its trust store: hence "self-signed certificate in chain")
    await s.reload(build(pki, { annotations: { 'auth-tls-verify-client': 'optional_no_ca' }, authData: { 'ca.crt': pki.clientCa } }));
    const stranger = await get(pki.stranger);
    expect(stranger.status).toBe(200);
    expect(stranger.upstream?.headers['ssl-client-verify']).toMatch(/^FAILED:(unable to get local issuer certificate|self-signed certificate in certificate chain)$/);
    // with a CRL, the same certificate fails the CRL lookup for its unknown issuer, and CRL errors are never tolerated
    await s.reload(build(pki, { annotations: { 'auth-tls-verify-client': 'optional_no_ca' } }));
    expect((await get(pki.stranger)).status).toBe(400);
    expect(s.errorLog()).toMatch(/\(3:unable to get certificate CRL\)/);
    expect((await get(pki.c1)).status).toBe(400);
    expect((await get(pki.c2)).status).toBe(200);
  });

  test('match-cn: mismatch 403, match 200', async () => {
    await s.reload(build(pki, { annotations: { 'auth-tls-match-cn': 'CN=Client001' } }));
    const mismatch = await get(pki.c2);
    expect(mismatch.status).toBe(403);
    expect(mismatch.body).toBe('client certificate unauthorized');
    await s.reload(build(pki, { annotations: { 'auth-tls-match-cn': 'CN=(Client002|Other)$' } }));
    expect((await get(pki.c2)).status).toBe(200);
  });

  test('pass-certificate-to-upstream: upstream gets the URL-encoded PEM', async () => {
    await s.reload(build(pki, { annotations: { 'auth-tls-pass-certificate-to-upstream': 'true' } }));
    const r = await get(pki.c2);
    expect(r.status).toBe(200);
    const sent = r.upstream?.headers['ssl-client-cert'] as string;
    expect(sent).toMatch(/^-----BEGIN%20CERTIFICATE-----%0A/);
    expect(decodeURIComponent(sent).trim()).toBe(pki.c2.cert.trim());
  });

  test('annotation validation: bad error-page / match-cn / bool reject the Ingress; bad verify-client/depth fall back', async () => {
    const before = s.nginxConf;
    for (const ann of [{ 'auth-tls-error-page': 'https://x.example/a b?c=1' }, { 'auth-tls-error-page': 'javascript:alert(1)' },
      { 'auth-tls-match-cn': 'Client002' }, { 'auth-tls-match-cn': 'CN=(' }, { 'auth-tls-pass-certificate-to-upstream': 'yes' }]) {
      await expect(s.reload(build(pki, { annotations: ann }))).rejects.toBeInstanceOf(IngressRejectedError);
      expect(s.nginxConf).toBe(before); // the live config is untouched
    }
    await expect(serveIngress({ objects: build(pki, { annotations: { 'auth-tls-error-page': '/bad page!' } }) })).rejects.toThrow(/auth-tls-error-page/);

    await s.reload(build(pki, { annotations: { 'auth-tls-verify-client': 'maybe', 'auth-tls-verify-depth': 'two' } }));
    expect(s.nginxConf).toMatch(/ssl_verify_client on;\s+ssl_verify_depth 1;/);
    await s.reload(build(pki, { annotations: { 'auth-tls-verify-depth': '0' } }));
    expect(s.nginxConf).toMatch(/ssl_verify_depth 1;/);
    // an integer nginx refuses: the controller's own nginx -t fails; the harness surfaces its output
    await expect(s.reload(build(pki, { annotations: { 'auth-tls-verify-depth': '-1' } }))).rejects.toThrow(/nginx -t failed[\s\S]*invalid number/);
  });

  test('error-page URL: nginx answers 302 to it; pointed at the upstream, the page can be followed', async () => {
    await s.reload(build(pki, { annotations: { 'auth-tls-error-page': s.upstreamUrl('/auth-error') } }));
    expect(s.nginxConf).toContain(`error_page 495 496 = ${s.upstreamUrl('/auth-error')};`);
    for (const client of [undefined, pki.c1]) {
      const r = await get(client);
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe(s.upstreamUrl('/auth-error'));
    }
    const page = await new Promise<{ status?: number; body: string }>((resolve, reject) =>
      http.get(s.upstreamUrl('/auth-error'), (res) => {
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode, body }));
      }).on('error', reject));
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body).path).toBe('/auth-error');
    expect((await get(pki.c2)).status).toBe(200);
  });

  test('expired CRL: config loads, every client certificate is refused, even with optional_no_ca', async () => {
    await s.reload(build(pki, { authData: { 'ca.crt': pki.clientCa, 'ca.crl': pki.expiredCrl } }));
    expect(s.authTls.mode).toBe('enabled'); // the controller does not look at nextUpdate
    expect((await get(pki.c2)).status).toBe(400);
    expect(s.errorLog()).toMatch(/\(12:CRL has expired\)/);
    await s.reload(build(pki, { authData: { 'ca.crt': pki.clientCa, 'ca.crl': pki.expiredCrl }, annotations: { 'auth-tls-verify-client': 'optional_no_ca' } }));
    expect((await get(pki.c2)).status).toBe(400);
    const none = await get();
    expect(none.status).toBe(200);
    expect(none.upstream?.headers['ssl-client-verify']).toBe('NONE');
  });

  test('reload back to the seed config restores service', async () => {
    await s.reload(build(pki));
    expect((await get(pki.c2)).status).toBe(200);
    expect((await get()).status).toBe(400);
  });
});

describe('server certificate checks the controller makes', () => {
  test('a TLS secret whose certificate has no SAN for the host is refused (controller would use its fake cert)', async () => {
    const objs = build(pki);
    objs[0] = secret('mtls-server-secret', { 'tls.crt': pki.c2.cert, 'tls.key': pki.c2.key }, 'kubernetes.io/tls');
    await expect(serveIngress({ objects: objs })).rejects.toThrow(/not valid for mtls\.dev\.ityoudao\.cn/);
  });
});

describe('waitUntil, the wait every start and reload goes through', () => {
  test('a reload signal the process missed is sent again while nothing changes, and the wait ends on the event', async () => {
    let sent = 0;
    // The "process" reloads only on the third signal: the first two were lost.
    await waitUntil(async () => sent >= 3, () => false, 'reload', () => '', { everyMs: 20, send: () => { sent += 1; } });
    expect(sent).toBe(3);
  });

  test('a process that exits ends the wait at once with the log', async () => {
    await expect(waitUntil(async () => false, () => true, 'nginx did not start', () => 'the log')).rejects.toThrow('nginx did not start (it exited):\nthe log');
  });
});
