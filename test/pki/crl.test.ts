import { buildCrl, createRootCa, createIntermediateCa, issueClientCertificate, readCrls, isCrlSignedBy } from '../../lib/pki';
import { openssl, opensslResult, scratchDir } from '../support/openssl';

const DAY = 86_400_000;

describe('CRLs we build, checked by openssl', () => {
  const tmp = scratchDir();
  afterAll(() => tmp.cleanup());

  test('openssl verify -crl_check says revoked for the revoked client and OK for the other', async () => {
    const ca = await createRootCa({ commonName: 'Aispeech Client Cert Authority' });
    const revoked = await issueClientCertificate(ca, { commonName: 'Client001' });
    const valid = await issueClientCertificate(ca, { commonName: 'Client002' });
    const now = new Date();
    const crl = await buildCrl({ issuer: ca, crlNumber: 1n, thisUpdate: now, nextUpdate: new Date(now.getTime() + 30 * DAY),
      entries: [{ serialHex: revoked.facts.serialHex, revokedAt: now, reason: 'keyCompromise' }] });
    tmp.write('ca.pem', ca.certificatePem);
    tmp.write('crl.pem', crl.pem);
    tmp.write('revoked.pem', revoked.certificatePem);
    tmp.write('valid.pem', valid.certificatePem);
    const bad = opensslResult(['verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', 'revoked.pem'], { cwd: tmp.dir });
    expect(bad.status).not.toBe(0);
    expect(bad.output).toMatch(/certificate revoked/);
    expect(openssl(['verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', 'valid.pem'], { cwd: tmp.dir }).trim()).toBe('valid.pem: OK');

    const text = openssl(['crl', '-in', 'crl.pem', '-noout', '-text'], { cwd: tmp.dir });
    expect(text).toMatch(/Version 2 \(0x1\)/);
    expect(text).toMatch(/X509v3 CRL Number:\s+1\n/);
    expect(text).toMatch(/X509v3 Authority Key Identifier:\s+(keyid:)?[0-9A-F:]+/);
    expect(text).toContain(`Serial Number: ${revoked.facts.serialHex}`);
    expect(text).toMatch(/X509v3 CRL Reason Code:\s+Key Compromise/);
    expect(openssl(['crl', '-in', 'crl.pem', '-noout', '-verify', '-CAfile', 'ca.pem'], { cwd: tmp.dir })).toBe('');

    const [facts] = readCrls(crl.pem);
    expect(facts.crlNumber).toBe(1n);
    expect(facts.entries).toEqual([{ serialHex: revoked.facts.serialHex, revokedAt: new Date(Math.floor(now.getTime() / 1000) * 1000), reason: 'keyCompromise' }]);
    expect(isCrlSignedBy(facts, ca.facts)).toBe(true);
    expect(isCrlSignedBy(facts, valid.facts)).toBe(false);
  });

  test('an unspecified reason is left out, not written as 0', async () => {
    const ca = await createRootCa({ commonName: 'CA', keyAlgorithm: 'rsa-2048' });
    const now = new Date();
    const crl = await buildCrl({ issuer: ca, crlNumber: 7n, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY),
      entries: [{ serialHex: '01', revokedAt: now, reason: 'unspecified' }, { serialHex: '80FF', revokedAt: now }] });
    tmp.write('crl2.pem', crl.pem);
    const text = openssl(['crl', '-in', 'crl2.pem', '-noout', '-text'], { cwd: tmp.dir });
    expect(text).not.toMatch(/Reason Code/);
    expect(text).toMatch(/Serial Number: 80FF/);
    expect(text).toMatch(/sha256WithRSAEncryption/);
    expect(readCrls(crl.pem)[0].entries.map((e) => e.serialHex)).toEqual(['01', '80FF']);
  });

  test('an intermediate chain: one CRL per CA, concatenated, and openssl -crl_check_all passes only with both', async () => {
    const root = await createRootCa({ commonName: 'Root', pathLength: 1 });
    const issuing = await createIntermediateCa(root, { commonName: 'Issuing' });
    const client = await issueClientCertificate(issuing, { commonName: 'Client' });
    const now = new Date();
    const next = new Date(now.getTime() + DAY);
    const rootCrl = await buildCrl({ issuer: root, crlNumber: 1n, thisUpdate: now, nextUpdate: next, entries: [] });
    const issuingCrl = await buildCrl({ issuer: issuing, crlNumber: 1n, thisUpdate: now, nextUpdate: next, entries: [] });
    tmp.write('chain.pem', root.certificatePem + issuing.certificatePem);
    tmp.write('client.pem', client.certificatePem);
    tmp.write('only-issuing.crl', issuingCrl.pem);
    tmp.write('both.crl', issuingCrl.pem + rootCrl.pem);
    expect(opensslResult(['verify', '-crl_check_all', '-CAfile', 'chain.pem', '-CRLfile', 'only-issuing.crl', 'client.pem'], { cwd: tmp.dir }).output).toMatch(/unable to get certificate CRL/);
    expect(openssl(['verify', '-crl_check_all', '-CAfile', 'chain.pem', '-CRLfile', 'both.crl', 'client.pem'], { cwd: tmp.dir }).trim()).toBe('client.pem: OK');
    expect(readCrls(issuingCrl.pem + rootCrl.pem).map((c) => c.issuer)).toEqual(['CN=Issuing', 'CN=Root']);
  });

  test('an openssl-made CRL of 20,000 entries parses (beyond asn1js default node limits)', async () => {
    const dir = tmp.dir;
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-keyout', 'big-ca.key', '-out', 'big-ca.pem', '-nodes', '-subj', '/CN=Big CA', '-days', '30'], { cwd: dir });
    const lines: string[] = [];
    for (let i = 1; i <= 20_000; i++) lines.push(`R\t301231235959Z\t240105091344Z,keyCompromise\t${i.toString(16).toUpperCase().padStart(8, '0')}\tunknown\t/CN=c${i}`);
    tmp.write('index.txt', `${lines.join('\n')}\n`);
    tmp.write('crlnumber', '1000\n');
    tmp.write('ca.cnf', `[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n`);
    openssl(['ca', '-config', 'ca.cnf', '-gencrl', '-cert', 'big-ca.pem', '-keyfile', 'big-ca.key', '-out', 'big.crl'], { cwd: dir });
    const [facts] = readCrls(require('node:fs').readFileSync(`${dir}/big.crl`, 'utf8'));
    expect(facts.entries).toHaveLength(20_000);
    expect(facts.entries[19_999]).toMatchObject({ serialHex: '4E20', reason: 'keyCompromise' });
    expect(facts.crlNumber).toBe(0x1000n);
    expect(facts.duplicateSerials).toEqual([]);
  });
});
