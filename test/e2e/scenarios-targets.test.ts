// What the target checks prevent, on the real data planes: each broken shape is built by editing the construct's
// valid output (the construct refuses to produce it; test/controllers/target-checks.test.ts), then served as the
// controller renders it. Also the target-specific identity headers, and real curl against both.
import {
  buildCrl, CertificateAuthority, createRootCa, IngressController, IssuedCertificate, issueClientCertificate, issueServerCertificate, MtlsIngressProps,
} from '../../lib';
import { SEED_HOST, seedFixture } from '../fixtures';
import { synthSeedToDisk } from '../support/chart';
import { ServedF5, serveF5 } from './f5-harness';
import { ServedHaproxy, serveHaproxy } from './haproxy-harness';
import { E2E_TEST_TIMEOUT, curlProbe, probe } from './process-harness';
import type { K8sObject } from './render-nginx';
import { DAY } from '../fixtures';

// Every test serves a real data plane and may reload it: see E2E_TEST_TIMEOUT.
jest.setTimeout(E2E_TEST_TIMEOUT);

const SERVER_CA = seedFixture('server-ca-cert.pem');
const CA_SECRET = 'mtls-client-ca-secret';
interface Client { certPem: string; keyPem: string }
const seedClient = (name: string): Client => ({ certPem: seedFixture(`${name}-cert.pem`), keyPem: seedFixture(`${name}-key.pem`) });
const asClient = (c: IssuedCertificate): Client => ({ certPem: c.certificatePem, keyPem: c.privateKeyPem });
const client001 = seedClient('client001');
const client002 = seedClient('client002');

/** A copy of the objects with `edit` applied. */
function edited(objects: K8sObject[], edit: (copy: K8sObject[]) => void): K8sObject[] {
  const copy: K8sObject[] = JSON.parse(JSON.stringify(objects));
  edit(copy);
  return copy;
}
const named = (objects: K8sObject[], name: string) => objects.find((o) => o.metadata.name === name)!;

describe('HAProxy Ingress on haproxy', () => {
  let s: ServedHaproxy;
  let seed: K8sObject[];
  const synth = (o: Partial<MtlsIngressProps> = {}) => synthSeedToDisk({ controller: IngressController.haproxyIngress(), ...o }).objects;
  const status = async (c?: Client, caPem = SERVER_CA) => (await probe(s, { caPem, ...c })).status;
  beforeAll(async () => {
    seed = synth();
    s = await serveHaproxy({ objects: seed });
  });
  afterAll(async () => s?.stop());

  test('real curl, --cacert the server CA and no -k: 200 for Client002, 496 without a certificate, 495 for revoked Client001', async () => {
    const ok = await curlProbe(s, { caPem: SERVER_CA, ...client002 });
    expect([ok.exitCode, ok.status, ok.stderr, ok.upstream?.headers['x-ssl-client-cn']]).toEqual([0, 200, '', 'Client002']);
    const none = await curlProbe(s, { caPem: SERVER_CA });
    expect([none.status, none.body]).toEqual([496, expect.stringContaining('A client certificate must be provided.')]);
    const revoked = await curlProbe(s, { caPem: SERVER_CA, ...client001 });
    expect([revoked.status, revoked.body]).toEqual([495, expect.stringContaining('An invalid certificate has been provided.')]);
  });

  test('certificateHeader: the backend gets X-SSL-Client-Cert, the base64 of the client certificate\'s DER', async () => {
    await s.reload(synthSeedToDisk({ controller: IngressController.haproxyIngress({ certificateHeader: true }) }).objects);
    const r = await probe(s, { caPem: SERVER_CA, ...client002 });
    const der = client002.certPem.replace(/-----[^-]+-----|\s/g, '');
    expect([r.status, r.upstream?.headers['x-ssl-client-cert'], r.upstream?.headers['x-ssl-client-sha1']]).toEqual([200, der, expect.stringMatching(/^[0-9A-F]{40}$/)]);
    // and a client cannot forge the headers: the frontend deletes them before the backend sets its own
    const forged = await probe(s, { caPem: SERVER_CA, ...client002, headers: { 'X-SSL-Client-CN': 'Admin' } });
    expect(forged.upstream?.headers['x-ssl-client-cn']).toBe('Client002');
  });

  test('a client certificate with an SNI that is not the Host header gets 421', async () => {
    await s.reload(seed);
    const r = await probe(s, { caPem: SERVER_CA, ...client002, headers: { host: 'other.ityoudao.cn' } });
    expect(r.status).toBe(421);
  });

  test('optional (MTLS056): no certificate reaches the backend with the X-SSL-Client-* headers empty, as the warning says', async () => {
    await s.reload(synth({ verifyClient: 'optional' }));
    const r = await probe(s, { caPem: SERVER_CA });
    expect([r.status, r.upstream?.headers['x-ssl-client-cn'], r.upstream?.headers['x-ssl-client-dn'], r.upstream?.headers['x-ssl-client-sha1']]).toEqual([200, '', '', '']);
    expect(await status(client001)).toBe(495); // a bad certificate is still refused
  });

  test('optional_no_ca (MTLS054): a client of an unknown CA reaches the backend', async () => {
    await s.reload(synth({ verifyClient: 'optional_no_ca' }));
    const stranger = asClient(await issueClientCertificate(await createRootCa({ commonName: 'Stranger CA' }), { commonName: 'Stranger' }));
    const r = await probe(s, { caPem: SERVER_CA, ...stranger });
    expect([r.status, r.upstream?.headers['x-ssl-client-cn']]).toEqual([200, 'Stranger']);
  });

  test('MTLS084 prevents: with auth-tls-strict "false" and the CA Secret gone, every client gets in; with "true", none does', async () => {
    const noSecret = (strict: string) => edited(seed, (o) => {
      o.splice(o.indexOf(named(o, CA_SECRET)), 1);
      o.find((x) => x.kind === 'Ingress')!.metadata.annotations!['haproxy-ingress.github.io/auth-tls-strict'] = strict;
    });
    await s.reload(noSecret('false'));
    expect(s.auth.mode).toBe('disabled');
    expect([await status(), await status(client001)]).toEqual([200, 200]);
    await s.reload(noSecret('true'));
    expect([s.auth.mode, s.auth.reason]).toEqual(['fake-ca', `secrets "${CA_SECRET}" not found`]);
    expect([await status(), await status(client002)]).toEqual([496, 495]);
  });

  describe('MTLS081 prevents: a CA Secret that also holds tls.crt and tls.key', () => {
    test('when ca.crt did not issue tls.crt, the Secret is refused and every client gets 495/496', async () => {
      await s.reload(edited(seed, (o) => Object.assign(named(o, CA_SECRET).data!, named(o, 'mtls-server-secret').data)));
      expect(s.auth.reason).toMatch(/failed to verify certificate chain/);
      expect([await status(), await status(client002)]).toEqual([496, 495]);
    });

    test('when one CA issued both, ca.crl is ignored: the revoked client gets 200', async () => {
      const ca: CertificateAuthority & IssuedCertificate = await createRootCa({ commonName: 'One CA For All' });
      const server = await issueServerCertificate(ca, { names: [SEED_HOST] });
      const good = asClient(await issueClientCertificate(ca, { commonName: 'Good' }));
      const revokedCert = await issueClientCertificate(ca, { commonName: 'Revoked' });
      const now = Date.now();
      const crlPem = (await buildCrl({
        issuer: ca, crlNumber: 1n, thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + 30 * DAY),
        entries: [{ serialHex: revokedCert.facts.serialHex, revokedAt: new Date(now - 60_000), reason: 'keyCompromise' }],
      })).pem;
      const valid = synth({ serverTls: { certificateChainPem: server.certificatePem + ca.certificatePem, privateKeyPem: server.privateKeyPem }, clientCaPem: ca.certificatePem, crlPem, now: new Date() });
      await s.reload(valid);
      expect([await status(good, ca.certificatePem), await status(asClient(revokedCert), ca.certificatePem)]).toEqual([200, 495]);
      await s.reload(edited(valid, (o) => Object.assign(named(o, CA_SECRET).data!, named(o, 'mtls-server-secret').data)));
      expect([s.auth.mode, s.auth.crlFile]).toEqual(['enabled', undefined]);
      expect(await status(asClient(revokedCert), ca.certificatePem)).toBe(200);
    });
  });
});

describe('F5 NGINX Ingress Controller on nginx', () => {
  let s: ServedF5;
  let seed: K8sObject[];
  const status = async (c?: Client) => (await probe(s, { caPem: SERVER_CA, ...c })).status;
  beforeAll(async () => {
    seed = synthSeedToDisk({ controller: IngressController.f5Nginx() }).objects;
    s = await serveF5({ objects: seed });
  });
  afterAll(async () => s?.stop());

  test('real curl, --cacert the server CA and no -k: 200 for Client002, 400 without a certificate and for revoked Client001', async () => {
    const ok = await curlProbe(s, { caPem: SERVER_CA, ...client002 });
    expect([ok.exitCode, ok.status, ok.stderr]).toEqual([0, 200, '']);
    expect((await curlProbe(s, { caPem: SERVER_CA })).body).toContain('No required SSL certificate was sent');
    expect((await curlProbe(s, { caPem: SERVER_CA, ...client001 })).body).toContain('The SSL certificate error');
    expect(s.nginxConf).toMatch(/ssl_client_certificate \S+\/secrets\/odcp-mtls-client-ca-secret-ca\.crt;\s+ssl_crl \S+\/secrets\/odcp-mtls-client-ca-secret-ca\.crl;\s+ssl_verify_client on;\s+ssl_verify_depth 1;/);
  });

  test('the VirtualServer form sends ingress-nginx\'s headers; with passCertificateToUpstream, the URL-encoded PEM', async () => {
    await s.reload(synthSeedToDisk({ controller: IngressController.f5Nginx({ resource: 'virtualServer' }), passCertificateToUpstream: true }).objects);
    const r = await probe(s, { caPem: SERVER_CA, ...client002 });
    expect(r.upstream?.headers).toMatchObject({ 'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=Client002', 'ssl-client-issuer-dn': 'CN=Aispeech Client Cert Authority' });
    expect(decodeURIComponent(r.upstream?.headers['ssl-client-cert'] as string)).toBe(client002.certPem);
    const forged = await probe(s, { caPem: SERVER_CA, ...client002, headers: { 'ssl-client-subject-dn': 'CN=Admin' } });
    expect(forged.upstream?.headers['ssl-client-subject-dn']).toBe('CN=Client002');
  });

  test('MTLS081 prevents: a CA Secret of type Opaque makes the Policy invalid, and every request gets 500', async () => {
    await s.reload(edited(seed, (o) => { named(o, CA_SECRET).type = 'Opaque'; }));
    expect([s.mtls.mode, s.mtls.reason]).toEqual(['rejected', expect.stringContaining("of a wrong type 'Opaque', must be 'nginx.org/ca'")]);
    expect([await status(), await status(client002)]).toEqual([500, 500]);
  });

  test('MTLS082 prevents: a Policy missing from the cluster, and every request gets 500', async () => {
    await s.reload(edited(seed, (o) => o.splice(o.findIndex((x) => x.kind === 'Policy'), 1)));
    expect(s.mtls.mode).toBe('rejected');
    expect(await status(client002)).toBe(500);
  });

  test('MTLS083 prevents: crlFileName replaces ca.crl with a file nobody put there, and nginx refuses the config (the old one stays)', async () => {
    await s.reload(seed);
    const withFile = edited(seed, (o) => { o.find((x) => x.kind === 'Policy')!.spec.ingressMTLS.crlFileName = 'webapp.crl'; });
    await expect(s.reload(withFile)).rejects.toThrow(/nginx -t failed[\s\S]*webapp\.crl/);
    expect([await status(client002), await status(client001)]).toEqual([200, 400]);
  });
});
