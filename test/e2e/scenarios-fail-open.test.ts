// Scenario matrix, part 3: the settings that admit more than they seem to, each of which synth now names, on a real
// nginx. Without a CRL a revoked client gets in. matchCn: ingress-nginx renders auth-tls-match-cn as
// `if ($ssl_client_s_dn !~ "<annotation>")`, an unanchored search in the subject DN nginx prints in RFC 2253 order.
// The clients here are issued by the openssl CLI from the seed client CA, with subjects our own PKI refuses to
// issue (a CN holding a comma), so that nginx, not our code, says what the subject DN looks like.
import { join } from 'node:path';
import { seedFixture } from '../fixtures';
import { synthSeedToDisk } from '../support/chart';
import { openssl, scratchDir } from '../support/openssl';
import { K8sObject, probe, ProbeResult, ServedIngress, serveIngress } from './nginx-harness';
import { E2E_TEST_TIMEOUT } from './process-harness';

// Every test renders, tests (`nginx -t`) and starts or reloads a real nginx and waits for it to answer: a second
// on a quiet machine, tens of seconds at load 8 on 2 cores.
jest.setTimeout(E2E_TEST_TIMEOUT);

const SERVER_CA = seedFixture('server-ca-cert.pem');
const MATCH_CN = 'nginx.ingress.kubernetes.io/auth-tls-match-cn';

interface Client { certPem: string; keyPem: string }

/** Subjects in openssl's -subj form (first RDN first); nginx prints them reversed, as RFC 2253 says. */
const SUBJECTS = {
  evilSuffix: '/CN=Client002-evil',
  commaInCn: '/CN=x,CN=Client002', // one RDN, one CN whose value is "x,CN=Client002"
  cnLastOfTwo: '/O=Acme/CN=Client002', // nginx: CN=Client002,O=Acme
  cnFirstOfTwo: '/CN=Client002/O=Acme', // nginx: O=Acme,CN=Client002
} as const;
type Name = keyof typeof SUBJECTS | 'client002';

function issueWithOpenssl(dir: string, name: string, subject: string, serial: number): Client {
  const at = (f: string) => join(dir, `${name}.${f}`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', at('key.pem'), '-subj', subject, '-out', at('csr')]);
  openssl(['x509', '-req', '-sha256', '-days', '30', '-in', at('csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'),
    '-set_serial', String(serial), '-extfile', join(dir, 'ext.cnf'), '-out', at('cert.pem')]);
  return { certPem: openssl(['x509', '-in', at('cert.pem')]), keyPem: openssl(['pkey', '-in', at('key.pem')]) };
}

/** The same objects with the Ingress's match-cn annotation set to `value` by hand (what the construct no longer emits). */
function withAnnotation(objects: K8sObject[], value: string): K8sObject[] {
  const copy: K8sObject[] = JSON.parse(JSON.stringify(objects));
  copy.find((o) => o.kind === 'Ingress')!.metadata.annotations![MATCH_CN] = value;
  return copy;
}

describe('fail-open settings on nginx: no CRL, and matchCn, which the construct anchors to the whole CN', () => {
  let s: ServedIngress;
  const clients = {} as Record<Name, Client>;
  const statuses = async (): Promise<Record<Name, number>> => {
    const out = {} as Record<Name, number>;
    for (const name of Object.keys(clients) as Name[]) out[name] = (await probe(s, { caPem: SERVER_CA, ...clients[name] })).status;
    return out;
  };

  beforeAll(async () => {
    const tmp = scratchDir('match-cn-');
    try {
      tmp.write('ca.pem', seedFixture('client-ca-cert.pem'));
      tmp.write('ca.key', seedFixture('client-ca-key.pem'));
      tmp.write('ext.cnf', 'extendedKeyUsage=clientAuth\n');
      Object.entries(SUBJECTS).forEach(([name, subject], i) => { clients[name as Name] = issueWithOpenssl(tmp.dir, name, subject, 0x5eed00 + i); });
    } finally {
      tmp.cleanup();
    }
    clients.client002 = { certPem: seedFixture('client002-cert.pem'), keyPem: seedFixture('client002-key.pem') };
    s = await serveIngress({ objects: synthSeedToDisk().objects });
  });
  afterAll(async () => s?.stop());

  test('no CRL: synth warns (MTLS058) because nginx then admits the revoked Client001 with SUCCESS', async () => {
    const out = synthSeedToDisk({ crlPem: undefined });
    expect(out.mtls.findings.map((f) => [f.code, f.severity])).toEqual([['MTLS058', 'warning']]);
    await s.reload(out.objects);
    expect(s.nginxConf).not.toContain('ssl_crl');
    const revoked = await probe(s, { caPem: SERVER_CA, certPem: seedFixture('client001-cert.pem'), keyPem: seedFixture('client001-key.pem') });
    expect([revoked.status, revoked.upstream?.headers['ssl-client-verify']]).toEqual([200, 'SUCCESS']);
    await s.reload(synthSeedToDisk().objects); // with the seed's CRL again: 400
    expect((await probe(s, { caPem: SERVER_CA, certPem: seedFixture('client001-cert.pem'), keyPem: seedFixture('client001-key.pem') })).status).toBe(400);
  });

  test('without matchCn every client of the CA gets 200, and nginx prints their subjects in RFC 2253 order, commas escaped', async () => {
    const dn: Record<string, unknown> = {};
    for (const name of Object.keys(clients) as Name[]) {
      const r: ProbeResult = await probe(s, { caPem: SERVER_CA, ...clients[name] });
      dn[name] = [r.status, r.upstream?.headers['ssl-client-subject-dn']];
    }
    expect(dn).toEqual({
      evilSuffix: [200, 'CN=Client002-evil'],
      commaInCn: [200, 'CN=x\\,CN=Client002'],
      cnLastOfTwo: [200, 'CN=Client002,O=Acme'],
      cnFirstOfTwo: [200, 'O=Acme,CN=Client002'],
      client002: [200, 'CN=Client002'],
    });
  });

  test('the annotation as given, unanchored ("CN=Client002"), admits "CN=Client002-evil" and "CN=x\\,CN=Client002"', async () => {
    const seed = synthSeedToDisk().objects;
    await s.reload(withAnnotation(seed, 'CN=Client002'));
    expect(s.nginxConf).toContain('if ($ssl_client_s_dn !~ "CN=Client002") {');
    expect(await statuses()).toEqual({ evilSuffix: 200, commaInCn: 200, cnLastOfTwo: 200, cnFirstOfTwo: 200, client002: 200 });
  });

  test('matchCn "CN=Client002" from the construct: Client002 200 (also with O= after it), the look-alikes 403', async () => {
    const out = synthSeedToDisk({ matchCn: 'CN=Client002' });
    expect(out.mtls.findings).toEqual([]);
    await s.reload(out.objects);
    expect(s.authTls.matchCn).toBe('CN=[^\\s\\S]|^CN=(?:Client002)(?:,|\\+|$)');
    expect(await statuses()).toEqual({ evilSuffix: 403, commaInCn: 403, cnLastOfTwo: 200, cnFirstOfTwo: 403, client002: 200 });
    const refused = await probe(s, { caPem: SERVER_CA, ...clients.commaInCn });
    expect([refused.body, refused.upstream]).toEqual(['client certificate unauthorized', undefined]);
  });

  test('the old MTLS053 example "CN=Client00[0-9]", anchored: Client002 200, Client002-evil 403', async () => {
    await s.reload(synthSeedToDisk({ matchCn: 'CN=Client00[0-9]' }).objects);
    expect(await statuses()).toEqual({ evilSuffix: 403, commaInCn: 403, cnLastOfTwo: 200, cnFirstOfTwo: 403, client002: 200 });
    await s.reload(withAnnotation(synthSeedToDisk().objects, 'CN=Client00[0-9]'));
    expect((await statuses()).evilSuffix).toBe(200); // unanchored, the example had the same hole
  });
});
