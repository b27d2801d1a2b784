import { buildCrl, createRootCa, exportPrivateKeyPem, generateKeyPair, issueClientCertificate, loadCertificateAuthority, readPrivateKey } from '../../lib/pki';
import { decryptPrivateKeyPem, encryptPrivateKeyPem, PBKDF2_ITERATIONS } from '../../lib/pki/key-encryption';
import { closePkcs11Tokens, openPkcs11Token, parsePkcs11Uri, Pkcs11Unavailable } from '../../lib/pki/pkcs11';
import { openssl, opensslResult, scratchDir } from '../support/openssl';
import { SOFTHSM_MODULE, SoftHsm, softHsm } from '../support/softhsm';
import { DAY } from '../fixtures';

// CA keys at rest, judged by OpenSSL (which must read what we encrypt, and we what it encrypts) and by
// OpenSC's pkcs11-tool (which must see keys that never leave the token).

describe('encrypted PKCS#8 (PBES2)', () => {
  const tmp = scratchDir();
  afterAll(tmp.cleanup);

  test('openssl pkey reads it with the passphrase and refuses it without; asn1parse shows PBES2, PBKDF2-HMAC-SHA-256, AES-256-CBC', async () => {
    const plain = await exportPrivateKeyPem(await generateKeyPair('ec-p256'));
    const encrypted = await encryptPrivateKeyPem(plain, 'correct horse battery', 4096);
    expect(encrypted).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const key = tmp.write('key.pem', encrypted);
    const pass = tmp.write('pass', 'correct horse battery\n');
    const wrong = tmp.write('wrong', 'incorrect horse\n');
    expect(openssl(['pkey', '-in', key, '-passin', `file:${pass}`])).toBe(readPrivateKey(plain).export({ format: 'pem', type: 'pkcs8' }).toString());
    expect(opensslResult(['pkey', '-in', key, '-passin', `file:${wrong}`, '-noout']).status).not.toBe(0);
    expect(opensslResult(['pkey', '-in', key, '-passin', 'pass:', '-noout']).status).not.toBe(0);
    const asn1 = openssl(['asn1parse', '-in', key]);
    expect(asn1).toMatch(/OBJECT\s+:PBES2/);
    expect(asn1).toMatch(/OBJECT\s+:PBKDF2/);
    expect(asn1).toMatch(/INTEGER\s+:1000\b/); // 4096 in hex
    expect(asn1).toMatch(/OBJECT\s+:hmacWithSHA256/);
    expect(asn1).toMatch(/OBJECT\s+:aes-256-cbc/);
  });

  test('the default is 600,000 PBKDF2 iterations', async () => {
    const encrypted = await encryptPrivateKeyPem(await exportPrivateKeyPem(await generateKeyPair('ec-p256')), 'correct horse battery');
    expect(PBKDF2_ITERATIONS).toBe(600_000);
    expect(openssl(['asn1parse'], { input: encrypted })).toMatch(/INTEGER\s+:0927C0\b/);
  });

  test('a wrong passphrase is refused by name; a key openssl encrypted loads as a CA with its passphrase', async () => {
    const ca = await createRootCa({ commonName: 'Encrypted CA' });
    const encrypted = await encryptPrivateKeyPem(ca.privateKeyPem, 'the right one', 4096);
    expect(() => decryptPrivateKeyPem(encrypted, 'the wrong one', 'client-ca/key.pem')).toThrow(/client-ca\/key\.pem: cannot be decrypted with this passphrase: it is the wrong one/);
    expect(decryptPrivateKeyPem(encrypted, 'the right one')).toBe(readPrivateKey(ca.privateKeyPem).export({ format: 'pem', type: 'pkcs8' }).toString());
    const byOpenssl = openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', 'pass:from openssl'], { input: ca.privateKeyPem });
    const loaded = await loadCertificateAuthority(ca.certificatePem, byOpenssl, 'CA', 'from openssl');
    expect(loaded.facts.fingerprintSha256).toBe(ca.facts.fingerprintSha256);
    await expect(loadCertificateAuthority(ca.certificatePem, byOpenssl, 'CA', 'not it')).rejects.toThrow(/CA key: cannot be decrypted with this passphrase/);
  });
});

describe('pkcs11: URIs', () => {
  test('RFC 7512 attributes are read, percent-decoded; a PIN in the URI and unknown attributes are refused', () => {
    expect(parsePkcs11Uri('pkcs11:token=my%20hsm;object=client-ca;type=private?module-path=/usr/lib/x.so&pin-source=file:/run/pin')).toEqual({
      token: 'my hsm', object: 'client-ca', modulePath: '/usr/lib/x.so', pinSource: 'file:/run/pin',
    });
    expect(() => parsePkcs11Uri('pkcs11:token=a?module-path=/x.so&pin-value=1234')).toThrow(/pin-value.*pin-source=file:/);
    expect(() => parsePkcs11Uri('pkcs11:token=a?pin-source=file:/p')).toThrow(/no PKCS#11 module \(module-path=/);
    expect(() => parsePkcs11Uri('pkcs11:object=a?module-path=/x.so&pin-source=file:/p')).toThrow(/names no token/);
    expect(() => parsePkcs11Uri('pkcs11:token=a;flavour=x?module-path=/x.so&pin-source=file:/p')).toThrow(/"flavour" is not an RFC 7512 path attribute/);
    expect(() => parsePkcs11Uri('file:/x')).toThrow(/not a pkcs11: URI/);
  });

  test('a module that is not on this machine makes the token unavailable, not broken', () => {
    const uri = parsePkcs11Uri('pkcs11:token=mtls?module-path=/nonexistent/libhsm.so&pin-source=file:/nonexistent/pin');
    expect(() => openPkcs11Token(uri)).toThrow(Pkcs11Unavailable);
    expect(() => openPkcs11Token(uri)).toThrow(/module \/nonexistent\/libhsm\.so does not exist here/);
  });
});

describe('pkcs11: a CA whose key lives in SoftHSM2', () => {
  let hsm: SoftHsm;
  let label: string;
  beforeAll(() => {
    hsm = softHsm();
    label = hsm.initToken('pki');
  });
  afterAll(() => {
    closePkcs11Tokens();
    hsm.cleanup();
  });

  test.each(['ec-p256', 'ec-p384', 'rsa-2048'] as const)('%s: certificates and CRLs signed in the token pass openssl verify -crl_check; the key is sensitive and never extractable', async (algorithm) => {
    const token = openPkcs11Token(parsePkcs11Uri(hsm.uri(label)));
    const object = `ca-${algorithm}`;
    const keyPair = await token.generateKeyPair(object, algorithm);
    const ca = await createRootCa({ commonName: `Token CA ${algorithm}`, keyPair });
    expect(ca.privateKeyPem).toBe('');
    const good = await issueClientCertificate(ca, { commonName: 'good' });
    const bad = await issueClientCertificate(ca, { commonName: 'bad' });
    const now = new Date();
    const crl = await buildCrl({ issuer: ca, entries: [{ serialHex: bad.facts.serialHex, revokedAt: now, reason: 'keyCompromise' }], crlNumber: 1n, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY) });

    const tmp = scratchDir();
    try {
      tmp.write('ca.pem', ca.certificatePem);
      tmp.write('crl.pem', crl.pem);
      tmp.write('good.pem', good.certificatePem);
      tmp.write('bad.pem', bad.certificatePem);
      expect(openssl(['verify', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', '-crl_check', 'good.pem'], { cwd: tmp.dir })).toMatch(/good\.pem: OK/);
      const revoked = opensslResult(['verify', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', '-crl_check', 'bad.pem'], { cwd: tmp.dir });
      expect(revoked.status).not.toBe(0);
      expect(revoked.output).toMatch(/certificate revoked/);
      expect(openssl(['crl', '-in', 'crl.pem', '-CAfile', 'ca.pem', '-noout'], { cwd: tmp.dir })).toBe('');
    } finally {
      tmp.cleanup();
    }

    const objects = hsm.tool(label, ['--list-objects', '--type', 'privkey', '--label', object]);
    expect(objects).toMatch(new RegExp(`Private Key Object; ${algorithm.startsWith('rsa') ? 'RSA' : 'EC'}[\\s\\S]*label:\\s+${object}[\\s\\S]*Access:\\s+sensitive, always sensitive, never extractable`));
    // Found again by label: the same public key as the certificate's.
    const found = await token.findKeyPair(object);
    expect(found).toMatchObject({ algorithm, sensitive: true, extractable: false });
    const reloaded = await createRootCa({ commonName: 'again', keyPair: found! });
    expect(reloaded.facts.subjectKeyId).toBe(ca.facts.subjectKeyId);
    expect(await token.findKeyPair('no-such-label')).toBeUndefined();
  });

  test('a wrong PIN is refused by name', () => {
    closePkcs11Tokens();
    const tmp = scratchDir();
    try {
      const wrong = tmp.write('pin', '000000\n');
      const uri = parsePkcs11Uri(`pkcs11:token=${label}?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:${wrong}`);
      expect(() => openPkcs11Token(uri)).toThrow(new RegExp(`the PIN in file:.* is not the user PIN of token "${label}"`));
      expect(() => openPkcs11Token(parsePkcs11Uri(hsm.uri('other-token')))).toThrow(new RegExp(`has no token labelled "other-token" \\(its tokens: .*"${label}"`));
    } finally {
      tmp.cleanup();
    }
  });

  test('a token made after a failed lookup in this process is found: the module lists its tokens afresh', () => {
    closePkcs11Tokens();
    // A lookup that finds nothing (a CI runner without the token, a typo) used to leave SoftHSM2 initialized with
    // the tokens it saw then, so a token an operator made afterwards was "not on this machine" until restart.
    expect(() => openPkcs11Token(parsePkcs11Uri(hsm.uri('not-yet')))).toThrow(/has no token labelled "not-yet"/);
    const later = hsm.initToken('later');
    expect(openPkcs11Token(parsePkcs11Uri(hsm.uri(later)))).toBeDefined();
    // The same when another user of the module in this process initialized it before the token existed.
    closePkcs11Tokens();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    new (require('node-webcrypto-p11').Crypto)({ library: SOFTHSM_MODULE, slot: 0 });
    const newest = hsm.initToken('newest');
    expect(openPkcs11Token(parsePkcs11Uri(hsm.uri(newest)))).toBeDefined();
  });
});
