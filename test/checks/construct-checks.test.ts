import { CHECKS, CheckCode, MtlsIngressProps } from '../../lib';
import { FIXTURE_NOW, seedFixture } from '../fixtures';
import { seedChart } from '../support/chart';
import { BadMaterial, makeBadMaterial } from './material';
import { CERT_CASES, SERVED_HOST } from '../corpus/cert-cases';
import { CorpusPki, makeCorpusPki } from '../corpus/context';
import { CRL_CASES } from '../corpus/crl-cases';

const DAY = 86_400_000;

let m: BadMaterial;
let pki: CorpusPki;
beforeAll(async () => { [m, pki] = await Promise.all([makeBadMaterial(), makeCorpusPki()]); });

/** Props from the bad material; every case starts from a clean, passing configuration. */
function props(overrides: Partial<MtlsIngressProps> = {}): Partial<MtlsIngressProps> {
  return {
    serverTls: { certificateChainPem: m.server.certificatePem + m.serverCa.certificatePem, privateKeyPem: m.server.privateKeyPem },
    clientCaPem: m.clientCa.certificatePem,
    crlPem: undefined,
    ...overrides,
  };
}

type Case = [CheckCode, string, () => Promise<Partial<MtlsIngressProps>> | Partial<MtlsIngressProps>, RegExp];

/** Props with the client CA and CRL of a case of the OpenSSL corpus (test/corpus), which judges it with openssl. */
function crlCase(name: string): () => Partial<MtlsIngressProps> {
  return () => {
    const material = CRL_CASES.find((c) => c.name === name)!.build(pki);
    return props({ clientCaPem: material.caPem, crlPem: material.crlPem });
  };
}

/** Props with the served chain or the client CA bundle of a case of the certificate corpus. */
function certCase(name: string): () => Partial<MtlsIngressProps> {
  return () => {
    const c = CERT_CASES.find((x) => x.name === name)!;
    const material = c.build();
    return c.side === 'served'
      ? props({ host: SERVED_HOST, serverTls: { certificateChainPem: material.chainPem!, privateKeyPem: material.keyPem! } })
      : props({ clientCaPem: material.caPem });
  };
}

const cases: Case[] = [
  ['MTLS001', 'the CA certificate used as the server certificate (seed error 1)', () => props({ serverTls: { certificateChainPem: m.serverCa.certificatePem, privateKeyPem: m.serverCa.privateKeyPem } }), /is a CA certificate \(cA=TRUE\).*not valid for any names/],
  ['MTLS002', 'the server certificate without its CA (seed error 2)', () => props({ serverTls: { certificateChainPem: m.server.certificatePem, privateKeyPem: m.server.privateKeyPem } }), /incomplete.*issued by "CN=Server CA", which is not in the file.*cat server-cert\.pem server-ca-cert\.pem/],
  ['MTLS003', 'the chain in reverse order', () => props({ serverTls: { certificateChainPem: m.serverCa.certificatePem + m.server.certificatePem, privateKeyPem: m.server.privateKeyPem } }), /more certificate\(s\) follow it|out of order/],
  ['MTLS004', 'a CA with the same name but another key', () => props({ serverTls: { certificateChainPem: m.server.certificatePem + m.impostorServerCa.certificatePem, privateKeyPem: m.server.privateKeyPem } }), /that certificate's key did not sign it/],
  ['MTLS005', 'a CN-only certificate made with openssl as in the seed (seed error 3)', () => props({ serverTls: { certificateChainPem: m.cnOnlyServerPem, privateKeyPem: m.server.privateKeyPem } }), /no subjectAltName \(only CN=mtls\.dev\.ityoudao\.cn\).*legacy Common Name/],
  ['MTLS006', 'a host the SAN does not cover', () => props({ host: 'other.ityoudao.cn' }), /does not cover host "other\.ityoudao\.cn": its SANs are DNS:mtls\.dev\.ityoudao\.cn/],
  ['MTLS007', 'a key from another certificate', () => props({ serverTls: { certificateChainPem: m.server.certificatePem + m.serverCa.certificatePem, privateKeyPem: m.client.privateKeyPem } }), /does not belong to the certificate "CN=mtls\.dev\.ityoudao\.cn"/],
  ['MTLS008', 'an expired server certificate', () => props({ serverTls: { certificateChainPem: m.expiredServer.certificatePem + m.serverCa.certificatePem, privateKeyPem: m.expiredServer.privateKeyPem } }), /expired at/],
  ['MTLS008', 'a server certificate not yet valid', () => props({ serverTls: { certificateChainPem: m.futureServer.certificatePem + m.serverCa.certificatePem, privateKeyPem: m.futureServer.privateKeyPem } }), /is not valid until/],
  ['MTLS010', 'a server chain that is not PEM', () => props({ serverTls: { certificateChainPem: 'hello', privateKeyPem: m.server.privateKeyPem } }), /holds no PEM block/],
  ['MTLS010', 'an empty server key', () => props({ serverTls: { certificateChainPem: m.server.certificatePem + m.serverCa.certificatePem, privateKeyPem: '' } }), /is empty; give the server certificate's private key/],
  ['MTLS011', 'a client certificate used as the server certificate', () => props({ serverTls: { certificateChainPem: m.client.certificatePem + m.clientCa.certificatePem, privateKeyPem: m.client.privateKeyPem } }), /without serverAuth/],
  ['MTLS012', 'a SHA-1 signed server certificate', () => props({ serverTls: { certificateChainPem: m.sha1ServerPem, privateKeyPem: m.server.privateKeyPem } }), /signed with sha1WithRSAEncryption|signed with ecdsa-with-SHA1/],
  ['MTLS020', 'an empty clientCaPem', () => props({ clientCaPem: '' }), /is empty.*mutual authentication disabled/],
  ['MTLS020', 'a clientCaPem that is not PEM', () => props({ clientCaPem: 'not a certificate' }), /holds no PEM block/],
  ['MTLS021', 'a client certificate given as the client CA', () => props({ clientCaPem: m.client.certificatePem }), /"CN=Client002" is not a CA certificate/],
  ['MTLS022', 'an expired client CA', () => props({ clientCaPem: m.expiredCa.certificatePem }), /is valid only from/],
  ['MTLS023', 'an intermediate without its root', () => props({ clientCaPem: m.intermediate.certificatePem }), /intermediate issued by "CN=Client Root", which is not in clientCaPem/],
  ['MTLS030', 'a DER CRL', async () => props({ crlPem: Buffer.from((await m.crl(m.clientCa)).replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('latin1') }), /is DER \(binary\).*openssl crl -inform DER/],
  ['MTLS031', 'a CRL that is not PEM', () => props({ crlPem: 'garbage' }), /holds no PEM block; expected "-----BEGIN X509 CRL-----"/],
  ['MTLS031', 'a certificate where the CRL belongs', () => props({ crlPem: m.clientCa.certificatePem }), /is "CERTIFICATE", but only "X509 CRL" blocks belong here/],
  ['MTLS032', 'a CRL from another CA', async () => props({ crlPem: await m.crl(m.serverCa) }), /issued by "CN=Server CA", which is not one of the client CAs/],
  ['MTLS043', 'a CRL signed by an impostor with the client CA\'s name (and its own AKI)', async () => props({ crlPem: await m.crl(m.impostorClientCa) }), /Authority Key Identifier [0-9a-f]+ is not the Subject Key Identifier.*unable to get certificate CRL.*400 to every client/],
  ['MTLS033', 'a CRL signed by another key with the CA\'s name, without AKI', crlCase('signed by another key with the CA\'s name, no AKI'), /signature does not verify with that CA's key.*CRL signature failure/],
  ['MTLS034', 'an expired CRL (the silent 30-day outage)', async () => props({ crlPem: await m.crl(m.clientCa, { thisUpdate: new Date(FIXTURE_NOW.getTime() - 31 * DAY), nextUpdate: new Date(FIXTURE_NOW.getTime() - DAY) }) }), /expired at .*rejects EVERY client certificate/],
  ['MTLS035', 'a CRL expiring within 7 days', async () => props({ crlPem: await m.crl(m.clientCa, { nextUpdate: new Date(FIXTURE_NOW.getTime() + 3 * DAY) }) }), /in 3\.0 days, within the 7-day threshold/],
  ['MTLS036', 'an intermediate chain with only the intermediate\'s CRL', async () => props({ clientCaPem: m.root.certificatePem + m.intermediate.certificatePem, verifyDepth: 2, crlPem: await m.crl(m.intermediate) }), /no CRL for the CA "CN=Client Root".*unable to get certificate CRL/],
  ['MTLS037', 'a CRL listing a serial twice', async () => props({ crlPem: await m.crl(m.clientCa, { serials: ['0A', '0B', '0A'] }) }), /lists serial\(s\) 0A more than once/],
  ['MTLS038', 'a CRL from the future', async () => props({ crlPem: await m.crl(m.clientCa, { thisUpdate: new Date(FIXTURE_NOW.getTime() + DAY) }) }), /thisUpdate is in the future/],
  ['MTLS039', 'a version 1 CRL made by openssl without extensions', () => props({ clientCaPem: m.clientCa.certificatePem, crlPem: m.v1CrlPem }), /is version 1; RFC 5280 requires a v2 CRL/],
  ['MTLS013', 'a served intermediate without the CA bit', certCase('served: intermediate without the CA bit'), /is not a CA.*curl: \(60\) "invalid CA certificate"/],
  ['MTLS013', 'a served intermediate without keyCertSign', certCase('served: intermediate without keyCertSign'), /lacks keyCertSign.*invalid CA certificate/],
  ['MTLS014', 'a served chain longer than the root\'s pathLen', certCase('served: root pathLen 0 above an intermediate'), /allows 0 CA certificate\(s\) below it.*path length constraint exceeded/],
  ['MTLS015', 'a served intermediate with an explicit-curve key', certCase('served: intermediate with an explicit-curve EC key'), /explicit curve parameters.*explicit ECC parameters/],
  ['MTLS016', 'a served leaf with an unknown critical extension', certCase('served: leaf with an unknown critical extension'), /critical extension\(s\) 1\.3\.6\.1\.4\.1\.55555\.1\.1.*unhandled critical extension/],
  ['MTLS024', 'a client CA with a critical Subject Key Identifier', certCase('client CA: root with a critical Subject Key Identifier'), /critical extension\(s\) subjectKeyIdentifier \(2\.5\.29\.14\).*400 to every client.*unhandled critical extension/],
  ['MTLS025', 'a client CA bundle deeper than an intermediate\'s pathLen', certCase('client CA: intermediate pathLen 0 above another intermediate'), /"CN=Corpus Upper" allows 0 CA certificate\(s\) below it.*"CN=Corpus Lower".*path length constraint exceeded/],
  ['MTLS026', 'a client CA with an explicit-curve key', certCase('client CA: root with an explicit-curve EC key'), /explicit curve parameters.*400 to every client/],
  ['MTLS027', 'a CRL signed by a CA without cRLSign', crlCase('CA KeyUsage without cRLSign'), /lacks cRLSign.*key usage does not include CRL signing.*400 to every client/],
  ['MTLS041', 'a CRL with a critical CRL Number', crlCase('critical CRL Number'), /critical extension\(s\) cRLNumber \(2\.5\.29\.20\).*400 to every client.*unhandled critical CRL extension/],
  ['MTLS041', 'a CRL with a critical entry extension', crlCase('critical reasonCode entry extension'), /reasonCode \(2\.5\.29\.21\) in an entry.*unhandled critical CRL extension/],
  ['MTLS042', 'a CRL scoped to CA certificates', crlCase('critical IDP onlyContainsCACerts'), /onlyContainsCACerts.*different CRL scope.*400 to every client/],
  ['MTLS042', 'a CRL scoped to some reasons', crlCase('IDP onlySomeReasons keyCompromise'), /onlySomeReasons.*unable to get certificate CRL/],
  ['MTLS044', 'a CRL with an RSA signature OID on an EC key', crlCase('RSA signature OID on an EC key'), /sha256WithRSAEncryption, which does not fit the EC key.*CRL signature failure/],
  ['MTLS045', 'a SHA-1 signed CRL (warning)', crlCase('ecdsa-with-SHA1'), /ecdsa-with-SHA1.*collision.*SHA-256/],
  ['MTLS046', 'a CRL signed with an algorithm OpenSSL does not verify', crlCase('SM2 signature OID on a P-256 key (an algorithm OpenSSL does not use with it)'), /1\.2\.156\.10197\.1\.501.*400 to every client/],
  ['MTLS047', 'a delta CRL', crlCase('critical delta CRL indicator'), /delta CRL.*openssl#31040/],
  ['MTLS048', 'a CRL whose entries a certificateIssuer gives to another CA', crlCase('an entry that certificateIssuer gives to another CA'), /assigns 1 of its 2 entries to another CA.*nginx admits them/],
  ['MTLS050', 'an invalid verifyClient', () => props({ verifyClient: 'yes' as never }), /"yes" is not one of on, off, optional, optional_no_ca.*silently use "on"/],
  ['MTLS051', 'a verify depth of 0', () => props({ verifyDepth: 0 }), /0 is not a whole number of at least 1/],
  ['MTLS051', 'a fractional verify depth', () => props({ verifyDepth: 1.5 }), /1\.5 is not a whole number/],
  ['MTLS052', 'an error page with a query string', () => props({ errorPage: 'https://errors.example.com/denied?from=mtls' }), /no query string.*reject the whole Ingress/],
  ['MTLS053', 'a match-cn without CN=', () => props({ matchCn: 'Client001' }), /must start with "CN="/],
  ['MTLS053', 'a match-cn that does not compile', () => props({ matchCn: 'CN=(Client' }), /is not a valid regular expression/],
  ['MTLS053', 'a match-cn anchored by hand with a lookbehind (Go\'s RE2 refuses it)', () => props({ matchCn: 'CN=(?<=^CN=)Client002' }), /the lookaround "\(\?<=", which Go's RE2 does not support.*rejects the whole Ingress/],
  ['MTLS053', 'a match-cn with a backreference (Go\'s RE2 refuses it)', () => props({ matchCn: 'CN=(a)\\1' }), /the backreference "\\1"/],
  ['MTLS053', 'a match-cn pattern starting with ^ (never matches after CN=)', () => props({ matchCn: 'CN=^Client002$' }), /can never match after "CN=", so every client would get 403/],
  ['MTLS054', 'verification turned off (warning)', () => props({ verifyClient: 'off' }), /does not enforce client certificates/],
  ['MTLS056', 'verifyClient optional: clients without a certificate get through (warning)', () => props({ verifyClient: 'optional' }), /clients without a certificate reach the backend with ssl-client-verify: NONE; the backend must check it/],
  ['MTLS058', 'no CRL: a revoked client is admitted (warning)', () => props({ crlPem: undefined }), /revocation checking is off: nginx gets no ssl_crl and admits a revoked client certificate \(200\)/],
  ['MTLS055', 'an extra annotation overriding auth-tls', () => props({ annotations: { 'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'off' } }), /set the matching prop/],
  ['MTLS060', 'an uppercase host', () => props({ host: 'MTLS.dev.ityoudao.cn' }), /write "mtls\.dev\.ityoudao\.cn"/],
  ['MTLS060', 'a host with a trailing dot', () => props({ host: 'mtls.dev.ityoudao.cn.' }), /ends with a dot/],
  ['MTLS060', 'a Unicode host', () => props({ host: 'mtls.例子.cn' }), /punycode form "mtls\.xn--fsqu00a\.cn"/],
  ['MTLS061', 'an invalid Secret name', () => props({ serverSecretName: 'Server_Secret' }), /not a valid Kubernetes object name/],
  ['MTLS061', 'a name over 253 characters', () => props({ ingressName: 'a'.repeat(254) }), /not a valid Kubernetes object name/],
  ['MTLS063', 'a bad backend port', () => props({ backend: { serviceName: 'nginx-test', port: 70000 } }), /neither a port number from 1 to 65535/],
  ['MTLS063', 'a bad path', () => props({ path: 'api' }), /must start with "\/"/],
];

describe('every check code fires on a real bad input, with a message that names the fix', () => {
  test.each(cases)('%s: %s', async (code, _name, make, message) => {
    const { mtls } = seedChart(await make());
    const finding = mtls.findings.find((f) => f.code === code);
    expect(finding).toBeDefined();
    expect(finding!.message).toMatch(message);
    expect(finding!.severity).toBe(['MTLS009', 'MTLS045', 'MTLS054', 'MTLS056', 'MTLS058'].includes(code) ? 'warning' : 'error');
  });

  test('MTLS009: a server certificate expiring within 30 days is a warning, and synth still succeeds', async () => {
    const { mtls } = seedChart(props({ serverTls: { certificateChainPem: m.expiringServer.certificatePem + m.serverCa.certificatePem, privateKeyPem: m.expiringServer.privateKeyPem }, crlPem: await m.crl(m.clientCa) }));
    expect(mtls.findings).toEqual([expect.objectContaining({ code: 'MTLS009', severity: 'warning', message: expect.stringMatching(/expires in 9\.0 days/) })]);
    // Synth prints the warning on stderr; caught here so that it is checked, not left as noise in the test output.
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(mtls.node.validate()).toEqual([]);
      expect(stderr.mock.calls.map(([chunk]) => String(chunk))).toEqual([expect.stringMatching(/^warning: \[seed\/mtls\] MTLS009 warning serverTls\.certificateChainPem: .*expires in 9\.0 days/)]);
    } finally {
      stderr.mockRestore();
    }
  });

  test('MTLS040: a CRL that makes the Secret exceed 1 MiB names the entry count and the pruning option', async () => {
    // 16-byte serials, as we issue them: ~47 PEM bytes per entry.
    const serials = Array.from({ length: 24_000 }, (_, i) => (0x4000000000000000000000000000000an * BigInt(i + 1)).toString(16).toUpperCase());
    const { mtls } = seedChart(props({ crlPem: await m.crl(m.clientCa, { serials }) }));
    const finding = mtls.findings.find((f) => f.code === 'MTLS040');
    expect(finding?.message).toMatch(/over Kubernetes' 1 MiB \(1048576 bytes\) limit.*The CRL holds 24000 entries.*--prune-expired/);
  });

  test('MTLS062: a chart without a namespace', () => {
    const { App, Chart } = require('cdk8s');
    const { MtlsIngress } = require('../../lib');
    const chart = new Chart(new App(), 'no-namespace');
    const mtls = new MtlsIngress(chart, 'mtls', { ...require('../support/chart').seedProps(), ...props() });
    expect(mtls.findings.map((f: { code: string }) => f.code)).toContain('MTLS062');
  });

  test('a clean configuration has no findings (the checks do not fire on good input)', async () => {
    expect(seedChart(props({ crlPem: await m.crl(m.clientCa) })).mtls.findings).toEqual([]);
    expect(seedChart().mtls.findings).toEqual([]);
    // The fail-open settings are never silent, and each is only a warning: synth still succeeds.
    for (const [overrides, code] of [[{ crlPem: undefined }, 'MTLS058'], [{ verifyClient: 'optional' }, 'MTLS056']] as const) {
      const { mtls } = seedChart(overrides);
      expect(mtls.findings.map((f) => [f.code, f.severity])).toEqual([[code, 'warning']]);
      expect(mtls.node.validate()).toEqual([]);
    }
  });

  test('every code in CHECKS is exercised by a test', () => {
    // MTLS057, MTLS059, MTLS064 and MTLS070 judge deployed manifests: test/checks/manifests.test.ts.
    // MTLS080-MTLS086 are the controller targets' checks: test/controllers/target-checks.test.ts.
    const targets = ['MTLS080', 'MTLS081', 'MTLS082', 'MTLS083', 'MTLS084', 'MTLS085', 'MTLS086'];
    // MTLS090 and MTLS091 judge the store (mtls-pki check on it): test/cli/operator.test.ts.
    const tested = new Set([...cases.map((c) => c[0]), 'MTLS009', 'MTLS040', 'MTLS062', 'MTLS057', 'MTLS059', 'MTLS064', 'MTLS070', ...targets, 'MTLS090', 'MTLS091']);
    expect(Object.keys(CHECKS).filter((c) => !tested.has(c))).toEqual([]);
  });

  test('the fixture chain still passes (guards the snapshot fixtures)', () => {
    expect(seedFixture('server-cert-chain.pem')).toContain('BEGIN CERTIFICATE');
  });
});

describe('checks added from the hardening review', () => {
  test('MTLS060: an IP address as the Ingress host (Kubernetes rejects it)', () => {
    const finding = seedChart(props({ host: '10.0.0.1' })).mtls.findings.find((f) => f.code === 'MTLS060');
    expect(finding?.message).toMatch(/"10\.0\.0\.1" is an IP address; Kubernetes accepts only DNS names/);
  });
});
