import { X509Certificate, createPrivateKey } from 'node:crypto';
import {
  createIntermediateCa, createRootCa, inspectCertificate, issueClientCertificate, issueServerCertificate,
  loadCertificateAuthority, randomSerial,
} from '../../lib/pki';
import { openssl, opensslResult, scratchDir } from '../support/openssl';

const HOST = 'mtls.dev.ityoudao.cn';

describe('certificates we issue, checked by openssl and node:crypto', () => {
  const tmp = scratchDir();
  afterAll(() => tmp.cleanup());

  let files: Record<string, string>;
  beforeAll(async () => {
    const serverCa = await createRootCa({ commonName: 'Test Server CA' });
    const clientRoot = await createRootCa({ commonName: 'Test Client Root', pathLength: 1 });
    const clientIntermediate = await createIntermediateCa(clientRoot, { commonName: 'Test Client Issuing CA' });
    const server = await issueServerCertificate(serverCa, { names: [HOST, '*.apps.example.com', '127.0.0.1', '::1'] });
    const client = await issueClientCertificate(clientIntermediate, { commonName: 'Client002', altNames: ['ops@example.com', 'spiffe://example.com/client002'] });
    const rsaClient = await issueClientCertificate(clientIntermediate, { commonName: 'RsaClient', keyAlgorithm: 'rsa-2048' });
    files = {
      serverCa: tmp.write('server-ca.pem', serverCa.certificatePem),
      server: tmp.write('server.pem', server.certificatePem),
      serverKey: tmp.write('server-key.pem', server.privateKeyPem),
      clientRoot: tmp.write('client-root.pem', clientRoot.certificatePem),
      clientIntermediate: tmp.write('client-int.pem', clientIntermediate.certificatePem),
      client: tmp.write('client.pem', client.certificatePem),
      clientKey: tmp.write('client-key.pem', client.privateKeyPem),
      rsaClient: tmp.write('rsa-client.pem', rsaClient.certificatePem),
    };
  });

  test('openssl verify accepts the server certificate for its host and purpose', () => {
    const out = openssl(['verify', '-CAfile', files.serverCa, '-purpose', 'sslserver', '-verify_hostname', HOST, files.server]);
    expect(out.trim()).toBe(`${files.server}: OK`);
  });

  test('openssl verify refuses the server certificate for a host it does not name', () => {
    const r = opensslResult(['verify', '-CAfile', files.serverCa, '-verify_hostname', 'other.example.com', files.server]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/hostname mismatch/);
  });

  test('openssl verify accepts client certificates through the intermediate, for the sslclient purpose', () => {
    for (const leaf of [files.client, files.rsaClient]) {
      const out = openssl(['verify', '-CAfile', files.clientRoot, '-untrusted', files.clientIntermediate, '-purpose', 'sslclient', leaf]);
      expect(out.trim()).toBe(`${leaf}: OK`);
    }
  });

  test('openssl verify refuses a client certificate for the sslserver purpose (EKU is clientAuth only)', () => {
    const r = opensslResult(['verify', '-CAfile', files.clientRoot, '-untrusted', files.clientIntermediate, '-purpose', 'sslserver', files.client]);
    expect(r.status).not.toBe(0);
  });

  test('openssl x509 -text shows the extensions we claim', () => {
    const server = openssl(['x509', '-in', files.server, '-noout', '-text']);
    expect(server).toContain('Version: 3 (0x2)');
    expect(server).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    expect(server).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(server).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(server).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication\n/);
    expect(server).toMatch(/X509v3 Subject Alternative Name:\s+DNS:mtls\.dev\.ityoudao\.cn, DNS:\*\.apps\.example\.com, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    expect(server).toMatch(/X509v3 Subject Key Identifier/);
    expect(server).toMatch(/X509v3 Authority Key Identifier/);

    const ca = openssl(['x509', '-in', files.clientRoot, '-noout', '-text']);
    expect(ca).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:1/);
    expect(ca).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    const intermediate = openssl(['x509', '-in', files.clientIntermediate, '-noout', '-text']);
    expect(intermediate).toMatch(/CA:TRUE, pathlen:0/);

    const client = openssl(['x509', '-in', files.client, '-noout', '-text']);
    expect(client).toMatch(/Subject: CN ?= ?Client002/);
    expect(client).toMatch(/TLS Web Client Authentication/);
    expect(client).toMatch(/email:ops@example\.com, URI:spiffe:\/\/example\.com\/client002/);
    const rsa = openssl(['x509', '-in', files.rsaClient, '-noout', '-text']);
    expect(rsa).toMatch(/Signature Algorithm: ecdsa-with-SHA256/); // signed by the EC intermediate
    expect(rsa).toMatch(/Public-Key: \(2048 bit\)/);
  });

  test('AKI of each certificate equals the SKI of its issuer, as openssl reads them', () => {
    const ski = (f: string) => openssl(['x509', '-in', f, '-noout', '-ext', 'subjectKeyIdentifier']).split('\n')[1].trim();
    const aki = (f: string) => openssl(['x509', '-in', f, '-noout', '-ext', 'authorityKeyIdentifier']).split('\n')[1].trim().replace(/^keyid:/, '');
    expect(aki(files.server)).toBe(ski(files.serverCa));
    expect(aki(files.client)).toBe(ski(files.clientIntermediate));
    expect(aki(files.clientIntermediate)).toBe(ski(files.clientRoot));
  });

  test("node's X509Certificate agrees on checkHost, ca and checkPrivateKey", () => {
    const read = (f: string) => new X509Certificate(require('node:fs').readFileSync(f));
    const server = read(files.server);
    expect(server.ca).toBe(false);
    expect(read(files.serverCa).ca).toBe(true);
    expect(server.checkHost(HOST, { subject: 'never' })).toBe(HOST);
    expect(server.checkHost('x.apps.example.com', { subject: 'never' })).toBe('*.apps.example.com');
    expect(server.checkHost('other.example.com', { subject: 'never' })).toBeUndefined();
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkPrivateKey(createPrivateKey(require('node:fs').readFileSync(files.serverKey)))).toBe(true);
    expect(read(files.client).checkPrivateKey(createPrivateKey(require('node:fs').readFileSync(files.serverKey)))).toBe(false);
    expect(server.verify(read(files.serverCa).publicKey)).toBe(true);
  });

  test('our facts agree with openssl on serial, subject and dates', () => {
    const facts = inspectCertificate(require('node:fs').readFileSync(files.client, 'utf8'));
    expect(openssl(['x509', '-in', files.client, '-noout', '-serial']).trim()).toBe(`serial=${facts.serialHex}`);
    expect(facts.subject).toBe('CN=Client002');
    expect(facts.issuer).toBe('CN=Test Client Issuing CA');
    expect(facts.extendedKeyUsage).toEqual(['clientAuth']);
    const notAfter = openssl(['x509', '-in', files.client, '-noout', '-enddate']).trim().replace('notAfter=', '');
    expect(new Date(notAfter).getTime()).toBe(facts.notAfter.getTime());
    expect(facts.keyAlgorithm).toBe('ec-p256');
    expect(facts.isCa).toBe(false);
  });
});

describe('a CA made by openssl, as in the seed, issues through our code', () => {
  const tmp = scratchDir();
  afterAll(() => tmp.cleanup());

  test.each([
    ['rsa:2048', 'RSA (PKCS#8, as openssl 3 writes)', []],
    ['rsa:2048', 'RSA (PKCS#1 "RSA PRIVATE KEY")', ['-traditional']],
    ['ec', 'EC (SEC1 "EC PRIVATE KEY")', ['-traditional']],
  ])('%s %s', async (newkey, _label, keyOut) => {
    const base = `ca-${newkey.replace(':', '')}-${keyOut.length}`;
    const keyArgs = newkey === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', newkey];
    openssl(['req', '-x509', '-sha256', ...keyArgs, '-keyout', `${base}-key0.pem`, '-out', `${base}.pem`, '-days', '3650', '-nodes', '-subj', '/CN=Aispeech Client Cert Authority'], { cwd: tmp.dir });
    const keyPath = `${base}-key.pem`;
    openssl(['pkey', '-in', `${base}-key0.pem`, '-out', keyPath, ...keyOut], { cwd: tmp.dir });
    const fs = require('node:fs');
    const keyPem = fs.readFileSync(`${tmp.dir}/${keyPath}`, 'utf8');
    if (keyOut.length) expect(keyPem).toMatch(/BEGIN (RSA|EC) PRIVATE KEY/);
    const ca = await loadCertificateAuthority(fs.readFileSync(`${tmp.dir}/${base}.pem`, 'utf8'), keyPem);
    const client = await issueClientCertificate(ca, { commonName: 'Client001' });
    tmp.write(`${base}-client.pem`, client.certificatePem);
    expect(openssl(['verify', '-CAfile', `${base}.pem`, '-purpose', 'sslclient', `${base}-client.pem`], { cwd: tmp.dir }).trim()).toBe(`${base}-client.pem: OK`);
  });

  test('a leaf certificate is refused as a CA, naming the subject', async () => {
    const ca = await createRootCa({ commonName: 'Root' });
    const leaf = await issueClientCertificate(ca, { commonName: 'NotACa' });
    await expect(loadCertificateAuthority(leaf.certificatePem, leaf.privateKeyPem)).rejects.toThrow(/"CN=NotACa" is not a CA/);
  });

  test('a key from another CA is refused', async () => {
    const a = await createRootCa({ commonName: 'A' });
    const b = await createRootCa({ commonName: 'B' });
    await expect(loadCertificateAuthority(a.certificatePem, b.privateKeyPem)).rejects.toThrow(/does not belong to the CA certificate "CN=A"/);
  });
});

describe('serials', () => {
  test('ten thousand serials are unique, 16 bytes, positive (top bit clear)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const s = randomSerial();
      expect(s.length).toBe(16);
      expect(s[0] & 0x80).toBe(0);
      expect(s[0]).not.toBe(0);
      seen.add(Buffer.from(s).toString('hex'));
    }
    expect(seen.size).toBe(10_000);
  });

  test('issued certificates carry distinct serials that openssl reads as 16 bytes', async () => {
    const ca = await createRootCa({ commonName: 'Serial CA' });
    const serials = await Promise.all(Array.from({ length: 20 }, (_, i) => issueClientCertificate(ca, { commonName: `c${i}` }).then((c) => c.facts.serialHex)));
    expect(new Set(serials).size).toBe(20);
    for (const s of serials) expect(s).toMatch(/^[0-7][0-9A-F]{31}$/);
  });
});

describe('validity dates, as openssl reads them', () => {
  const tmp = scratchDir();
  afterAll(() => tmp.cleanup());

  /** notBefore and notAfter as `openssl x509 -text` prints them, and the DER tag each is written with. */
  function validityOf(pem: string): { notBefore: string; notAfter: string; tags: string[] } {
    const path = tmp.write(`v${Math.random().toString(36).slice(2)}.pem`, pem);
    const text = openssl(['x509', '-in', path, '-noout', '-text']);
    const parsed = openssl(['asn1parse', '-in', path]);
    return {
      notBefore: /Not Before: (.*)/.exec(text)![1].trim(),
      notAfter: /Not After : (.*)/.exec(text)![1].trim(),
      tags: [...parsed.matchAll(/prim: (UTCTIME|GENERALIZEDTIME)\s*:(\S+)/g)].slice(0, 2).map((m) => `${m[1]}:${m[2]}`),
    };
  }

  // Before: asn1.ts chose UTCTime for every year before 2050, so a 1949 notBefore ended in asn1js'
  // RangeError ("UTCTime year must be between 1950 and 2049"), not a certificate or a user error.
  test('a notBefore in 1949 is written as GeneralizedTime, and 1950 as UTCTime (RFC 5280 §4.1.2.5)', async () => {
    const ca = await createRootCa({ commonName: 'Old CA', notBefore: new Date('1949-06-01T12:00:00Z'), validityDays: 365 });
    expect(validityOf(ca.certificatePem)).toEqual({
      notBefore: 'Jun  1 12:00:00 1949 GMT', notAfter: 'Jun  1 12:00:00 1950 GMT',
      tags: ['GENERALIZEDTIME:19490601120000Z', 'UTCTIME:500601120000Z'],
    });
    expect(ca.facts.notBefore).toEqual(new Date('1949-06-01T12:00:00Z'));
    expect(new X509Certificate(ca.certificatePem).validFrom).toBe('Jun  1 12:00:00 1949 GMT');
  });

  // Before: a notBefore with milliseconds gave a 2050+ notAfter with a fraction ("...59.5Z"), which RFC 5280
  // forbids; UTCTime simply dropped it. Both are whole seconds now.
  test('milliseconds are dropped from both times, also from a GeneralizedTime notAfter', async () => {
    const ca = await createRootCa({ commonName: 'Ms CA', notBefore: new Date('2049-12-31T23:59:59.500Z'), validityDays: 10 });
    expect(validityOf(ca.certificatePem).tags).toEqual(['UTCTIME:491231235959Z', 'GENERALIZEDTIME:20500110235959Z']);
  });

  test('a date X.509 cannot hold is a UserInputError naming the field', async () => {
    await expect(createRootCa({ commonName: 'Bad', notBefore: new Date(NaN) })).rejects.toThrow(/^notBefore: Invalid Date is not a date X\.509 can hold/);
    await expect(createRootCa({ commonName: 'Bad', notBefore: new Date('9999-06-01T00:00:00Z'), validityDays: 365 })).rejects.toThrow(/^notAfter: .* is not a date X\.509 can hold \(years 0000 to 9999\)/);
  });
});
