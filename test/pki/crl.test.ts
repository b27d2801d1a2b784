import { buildCrl, createRootCa, createIntermediateCa, issueClientCertificate, readCrls, isCrlSignedBy, parseCrlDer, UserInputError } from '../../lib/pki';
import { openssl, opensslResult, scratchDir } from '../support/openssl';
import { DAY } from '../fixtures';

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

describe('bounded CRL parsing: hostile input fails fast with a UserInputError', () => {
  let small: Uint8Array;
  beforeAll(async () => {
    const ca = await createRootCa({ commonName: 'Hostile CA' });
    const now = new Date('2026-01-01T00:00:00Z');
    small = (await buildCrl({ issuer: ca, crlNumber: 3n, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY),
      entries: [{ serialHex: '0A', revokedAt: now, reason: 'keyCompromise' }, { serialHex: '8001', revokedAt: new Date('2051-01-01T00:00:00Z') }] })).der;
  });

  const header = (tag: number, length: number): number[] => {
    if (length < 0x80) return [tag, length];
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    return [tag, 0x80 | bytes.length, ...bytes];
  };
  const cat = (tag: number, ...parts: Uint8Array[]) => {
    const content = Buffer.concat(parts);
    return Buffer.concat([Buffer.from(header(tag, content.length)), content]);
  };
  const algorithm = cat(0x30, Buffer.from([0x06, 0x03, 0x2a, 0x03, 0x04]));
  // What bounds the work on hostile input is asserted through the messages (the entry or depth at which parsing
  // stopped, the length refused before any allocation), not through the time it took.
  const refuse = (der: Uint8Array, message?: RegExp) => {
    let error: unknown;
    try {
      parseCrlDer(der, 'hostile.crl');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as Error).message).toMatch(/^hostile\.crl: is not a valid X\.509 CRL/);
    if (message) expect((error as Error).message).toMatch(message);
  };

  test('the valid CRL parses', () => {
    expect(parseCrlDer(small).entries.map((e) => e.serialHex)).toEqual(['0A', '8001']);
  });

  test('length fields that claim more than the input, or more than 4 octets, or indefinite length', () => {
    refuse(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00]), /length 4294967295 exceeds the 2 bytes left/);
    refuse(new Uint8Array([0x30, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x00]), /9-octet length field/);
    refuse(new Uint8Array([0x30, 0x80, 0x30, 0x00, 0x00, 0x00]), /indefinite length/);
    refuse(new Uint8Array([0x30, 0x81, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01]), /not minimally encoded/);
    refuse(new Uint8Array([]), /CertificateList is missing/);
    refuse(new Uint8Array([0x30]), /header runs past the end/);
  });

  test('a revoked entry that claims 2 GiB, inside a well-formed CRL', () => {
    const entry = Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01]);
    const tbs = cat(0x30, algorithm, cat(0x30), cat(0x17, Buffer.from('260101000000Z')), cat(0x30, entry));
    refuse(cat(0x30, tbs, algorithm, Buffer.from([0x03, 0x02, 0x00, 0x00])), /length 2147483647 exceeds the 3 bytes left/);
  });

  test('deep nesting in the envelope stops at the depth bound', () => {
    let nested: Uint8Array = Buffer.from([0x05, 0x00]);
    for (let i = 0; i < 5000; i++) nested = cat(0x30, nested);
    const tbs = cat(0x30, algorithm, nested, cat(0x17, Buffer.from('260101000000Z')));
    refuse(cat(0x30, tbs, algorithm, Buffer.from([0x03, 0x02, 0x00, 0x00])), /nesting depth/);
  });

  test('every truncation and many single-byte corruptions either parse or throw UserInputError', () => {
    for (let n = 0; n < small.length; n++) refuse(small.subarray(0, n));
    for (let i = 0; i < small.length; i++) {
      for (const value of [0x00, 0x80, 0xff]) {
        const bytes = Uint8Array.from(small);
        bytes[i] = value;
        try {
          parseCrlDer(bytes);
        } catch (e) {
          if (!(e instanceof UserInputError)) throw new Error(`byte ${i} = ${value}: ${(e as Error).stack}`);
        }
      }
    }
  });

  test('a 4 MiB revoked list of empty entries is refused at the first one', () => {
    const list = Buffer.alloc(4 << 20);
    for (let i = 0; i < list.length; i += 2) list[i] = 0x30;
    const tbs = cat(0x30, algorithm, cat(0x30), cat(0x17, Buffer.from('260101000000Z')), cat(0x30, list));
    refuse(cat(0x30, tbs, algorithm, Buffer.from([0x03, 0x02, 0x00, 0x00])), /revoked entry 1 serial number is missing/);
  });
});
