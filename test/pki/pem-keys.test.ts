import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRootCa, decodePem, encodePem, exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, issueServerCertificate, KEY_ALGORITHMS, readCertificates, readPrivateKey } from '../../lib/pki';
import { seedFixture } from '../fixtures';
import { openssl, scratchDir } from '../support/openssl';

describe('PEM', () => {
  test('CRLF, indentation, blank lines and surrounding text are tolerated; the DER is unchanged', () => {
    const pem = seedFixture('server-cert-chain.pem');
    const messy = `subject=CN = mtls\r\n\r\n${pem.split('\n').map((l) => `  ${l}`).join('\r\n')}\r\ntrailing notes\r\n`;
    const clean = decodePem(pem);
    const tolerant = decodePem(messy);
    expect(tolerant.map((b) => Buffer.from(b.der).toString('hex'))).toEqual(clean.map((b) => Buffer.from(b.der).toString('hex')));
    expect(encodePem('CERTIFICATE', clean[0].der) + encodePem('CERTIFICATE', clean[1].der)).toBe(pem);
  });

  test('encodePem writes what openssl writes, byte for byte, around line and group boundaries', () => {
    const tmp = scratchDir();
    try {
      // Lengths around line and base64-group boundaries, and the size of a 20,000-entry CRL.
      for (const length of [1, 2, 3, 47, 48, 49, 95, 96, 97, 1000, 720_003]) {
        const der = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
        const path = join(tmp.dir, `d${length}.bin`);
        writeFileSync(path, der);
        const theirs = openssl(['base64', '-e', '-in', path]).replace(/\n$/, '');
        expect(encodePem('X509 CRL', der)).toBe(`-----BEGIN X509 CRL-----\n${theirs}\n-----END X509 CRL-----\n`);
      }
    } finally {
      tmp.cleanup();
    }
  });

  test('garbage is refused naming the block and why', () => {
    expect(() => decodePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n', 'f.pem')).toThrow(/f\.pem: PEM block 1 begins as "CERTIFICATE" but ends as "X509 CRL"/);
    expect(() => decodePem('-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n', 'f.pem')).toThrow(/3 base64 characters.*truncated/);
    expect(() => readCertificates(seedFixture('client002-key.pem'), 'f.pem')).toThrow(/PEM block 1 is "PRIVATE KEY", but only "CERTIFICATE" belong here/);
    expect(() => readCertificates('\u0000\u0001binary', 'f.der')).toThrow(/binary data, not PEM/);
  });
});

describe('keys', () => {
  test.each(KEY_ALGORITHMS.filter((a) => a !== 'rsa-4096' && a !== 'rsa-3072'))('%s: generate, export PKCS#8, openssl reads it, import round-trips', async (algorithm) => {
    const pair = await generateKeyPair(algorithm);
    const pem = await exportPrivateKeyPem(pair);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const text = openssl(['pkey', '-noout', '-text'], { input: pem });
    expect(text).toMatch(algorithm.startsWith('rsa') ? new RegExp(`Private-Key: \\(${algorithm.slice(4)} bit`) : algorithm === 'ec-p256' ? /NIST CURVE: P-256|prime256v1/ : /NIST CURVE: P-384|secp384r1/);
    expect((await importPrivateKeyPem(pem)).algorithm).toBe(algorithm);
  });

  test('RSA-4096 (the seed\'s choice) is available and signs SHA-256', async () => {
    const ca = await createRootCa({ commonName: 'RSA CA', keyAlgorithm: 'rsa-4096' });
    const server = await issueServerCertificate(ca, { names: ['mtls.dev.ityoudao.cn'], keyAlgorithm: 'rsa-4096' });
    const tmp = scratchDir();
    try {
      tmp.write('ca.pem', ca.certificatePem);
      tmp.write('s.pem', server.certificatePem);
      expect(openssl(['x509', '-in', 's.pem', '-noout', '-text'], { cwd: tmp.dir })).toMatch(/Signature Algorithm: sha256WithRSAEncryption[\s\S]*Public-Key: \(4096 bit\)[\s\S]*Digital Signature, Key Encipherment/);
      expect(openssl(['verify', '-CAfile', 'ca.pem', 's.pem'], { cwd: tmp.dir }).trim()).toBe('s.pem: OK');
    } finally {
      tmp.cleanup();
    }
  });

  test('P-384 keys sign with SHA-384', async () => {
    const ca = await createRootCa({ commonName: 'P384 CA', keyAlgorithm: 'ec-p384' });
    expect(ca.facts.signatureAlgorithm).toBe('ecdsa-with-SHA384');
  });

  test('bad keys are refused with the fix', () => {
    expect(() => readPrivateKey(seedFixture('client002-key.pem') + seedFixture('server-key.pem'), 'k.pem')).toThrow(/holds 2 private keys; put exactly one key in the file/);
    expect(() => readPrivateKey('-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n', 'k.pem')).toThrow(/encrypted private key, which is not supported.*openssl pkey/);
    expect(() => readPrivateKey('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n', 'k.pem')).toThrow(/encryption headers.*not supported/);
  });
});
