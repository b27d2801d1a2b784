import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createSecureContext } from 'node:tls';
import { join } from 'node:path';
import { buildPkcs12, createRootCa, issueClientCertificate, PKCS12_DEFAULT_ITERATIONS } from '../../lib/pki';
import { openssl, opensslResult, scratchDir } from '../support/openssl';
import { cli, requireBuild } from './cli';
import { HAS_SCRIPT, pty } from './pty';

// `mtls-pki client <CN> --p12 FILE`: a PKCS#12 bundle built with pkijs, proven with the real openssl (OpenSSL 3
// defaults, no -legacy), node's TLS stack, and Java's keytool when it is installed.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-p12-');
afterAll(() => tmp.cleanup());
const dir = join(tmp.dir, 'pki');
const inStore = (...args: string[]) => cli([...args, '--dir', dir]);
const pwFile = (name: string, text: string) => {
  const path = tmp.write(name, text);
  fs.chmodSync(path, 0o600);
  return path;
};
const PASSWORD = 'correct horse battery staple';
const pw = pwFile('pw', `${PASSWORD}\n`);

/** The certificates and the key that `openssl pkcs12 -nodes` prints, each as PEM. */
function opensslExtract(p12: string, passFile: string): { certs: string[]; key: string; text: string } {
  const text = openssl(['pkcs12', '-in', p12, '-passin', `file:${passFile}`, '-nodes']);
  const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
  const keys = text.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/g) ?? [];
  expect(keys).toHaveLength(1);
  return { certs, key: keys[0] ?? '', text };
}

const publicKeyOfCert = (pem: string) => openssl(['x509', '-noout', '-pubkey'], { input: pem });
const publicKeyOfKey = (pem: string) => openssl(['pkey', '-pubout'], { input: pem });
const serialOf = (pem: string) => openssl(['x509', '-noout', '-serial'], { input: pem }).trim().replace('serial=', '');
const listJson = () => JSON.parse(inStore('list', '--json').stdout) as { certificates: { commonName: string; serialHex: string; certFile: string; keyFile: string }[] };

beforeAll(() => {
  expect(inStore('init', '--client-ca-cn', 'P12 Client CA')).toMatchObject({ status: 0 });
});

describe('client --p12 with --password-file', () => {
  let serial: string;
  const p12 = join(tmp.dir, 'Client001.p12');

  test('issues the client and writes a 0600 PKCS#12 that openssl 3 reads without -legacy: certificate, CA, matching key', () => {
    const r = inStore('client', 'Client001', '--p12', p12, '--password-file', pw);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/^issued client certificate CN=Client001 serial ([0-9A-F]+)/);
    expect(r.stdout).toContain(`PKCS#12:     ${p12}  (0600, secret: certificate, key and client CA chain)`);
    serial = /serial ([0-9A-F]+)/.exec(r.stdout)![1];
    expect(fs.statSync(p12).mode & 0o777).toBe(0o600);

    const { certs, key, text } = opensslExtract(p12, pw);
    expect(certs).toHaveLength(2);
    expect(text).toMatch(/friendlyName: Client001\n\s+localKeyID: [0-9A-F ]+\nsubject=CN = Client001\nissuer=CN = P12 Client CA/);
    expect(text).toMatch(/subject=CN = P12 Client CA\nissuer=CN = P12 Client CA/);
    expect(text).toMatch(/friendlyName: Client001\n\s+localKeyID: [0-9A-F ]+\nKey Attributes: <No Attributes>\n-----BEGIN PRIVATE KEY-----/);
    expect(serialOf(certs[0])).toBe(serial);
    expect(publicKeyOfKey(key)).toBe(publicKeyOfCert(certs[0]));
    // The same certificate and key as the store's PEM files.
    const record = listJson().certificates.find((c) => c.serialHex === serial)!;
    expect(certs[0]).toBe(fs.readFileSync(join(dir, record.certFile), 'utf8'));
    expect(certs[1]).toBe(fs.readFileSync(join(dir, 'client-ca/cert.pem'), 'utf8'));
    expect(publicKeyOfKey(key)).toBe(publicKeyOfKey(fs.readFileSync(join(dir, record.keyFile), 'utf8')));
  });

  test('openssl pkcs12 -info: MAC SHA-256, PBES2/PBKDF2/AES-256-CBC with hmacWithSHA256 for certificates and key, >= 2048 iterations', () => {
    const { status, output: info } = opensslResult(['pkcs12', '-info', '-noout', '-in', p12, '-passin', `file:${pw}`]);
    expect(status).toBe(0);
    const it = PKCS12_DEFAULT_ITERATIONS;
    expect(it).toBeGreaterThanOrEqual(2048);
    expect(info).toContain(`MAC: sha256, Iteration ${it}`);
    expect(info).toContain(`PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration ${it}, PRF hmacWithSHA256`);
    expect(info).toContain(`Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration ${it}, PRF hmacWithSHA256`);
    expect(info).not.toMatch(/RC2|3DES|pbeWithSHA1/i);
  });

  test('a wrong password fails in openssl (MAC), and in node\'s TLS stack; the right one loads there too', () => {
    const wrong = pwFile('wrong', 'correct horse battery stapler\n');
    const r = opensslResult(['pkcs12', '-in', p12, '-passin', `file:${wrong}`, '-nodes']);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/Mac verify error: invalid password\?/);
    expect(r.output).not.toContain('BEGIN PRIVATE KEY');
    const bytes = fs.readFileSync(p12);
    expect(() => createSecureContext({ pfx: bytes, passphrase: 'wrong' })).toThrow(/mac verify failure/i);
    expect(() => createSecureContext({ pfx: bytes, passphrase: PASSWORD })).not.toThrow();
  });

  test('on an existing client --p12 exports its current certificate and key: no re-issue', () => {
    const again = join(tmp.dir, 'again.p12');
    const r = inStore('client', 'Client001', '--p12', again, '--password-file', pw);
    expect(r).toMatchObject({ status: 0, stdout: expect.stringMatching(new RegExp(`^exists client certificate CN=Client001 serial ${serial}`)) });
    expect(r.stdout).toContain('exported, not re-issued');
    expect(listJson().certificates.filter((c) => c.commonName === 'Client001')).toHaveLength(1);
    expect(serialOf(opensslExtract(again, pw).certs[0])).toBe(serial);
    // New salts and IVs: a second export is not the same bytes, but the same contents.
    expect(fs.readFileSync(again).equals(fs.readFileSync(p12))).toBe(false);
  });

  test('--new with --p12 issues a new certificate and exports that one', () => {
    const fresh = join(tmp.dir, 'fresh.p12');
    const r = inStore('client', 'Client001', '--new', '--p12', fresh, '--password-file', pw);
    expect(r).toMatchObject({ status: 0, stdout: expect.stringMatching(/^issued client certificate CN=Client001/) });
    const newSerial = /serial ([0-9A-F]+)/.exec(r.stdout)![1];
    expect(newSerial).not.toBe(serial);
    expect(serialOf(opensslExtract(fresh, pw).certs[0])).toBe(newSerial);
  });

  test('the password file: first line only (CRLF too), a warning when others can read it, an empty first line is refused', () => {
    const crlf = join(tmp.dir, 'crlf.p12');
    const loose = tmp.write('pw-crlf', `${PASSWORD}\r\nsecond line is ignored\r\n`);
    fs.chmodSync(loose, 0o644);
    const r = inStore('client', 'Client002', '--p12', crlf, '--password-file', loose);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`mtls-pki: warning: ${loose} holds a password and has mode 0644; make it 0600: chmod 600 ${loose}\n`);
    opensslExtract(crlf, pw);

    const empty = pwFile('pw-empty', '\nsecret on line two\n');
    const e = inStore('client', 'Client003', '--p12', join(tmp.dir, 'empty.p12'), '--password-file', empty);
    expect(e).toMatchObject({ status: 1, stderr: expect.stringMatching(/--password-file: the first line of .* is empty/) });
    expect(fs.existsSync(join(tmp.dir, 'empty.p12'))).toBe(false);
    expect(listJson().certificates.some((c) => c.commonName === 'Client003')).toBe(false);
  });

  test('a non-ASCII password works with openssl, with a warning about Java', () => {
    const file = pwFile('pw-utf8', 'pässwörd\n');
    const out = join(tmp.dir, 'utf8.p12');
    const r = inStore('client', 'Client002', '--p12', out, '--password-file', file);
    expect(r).toMatchObject({ status: 0, stderr: expect.stringMatching(/outside printable ASCII.*Java's KeyStore refuses it/) });
    expect(opensslExtract(out, file).certs).toHaveLength(2);
  });
});

describe('client --p12 refusals: nothing issued, nothing written', () => {
  const before = () => listJson().certificates.length;

  test('no --password-file and stdin not a terminal: exit 2, and the certificate is not issued', () => {
    const n = before();
    const out = join(tmp.dir, 'nopw.p12');
    const r = inStore('client', 'NoPassword', '--p12', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mtls-pki: usage error: .*nopw\.p12 needs a password, and stdin is not a terminal to ask for one\. Give --password-file FILE/);
    expect(r.stderr).toMatch(/would show in `ps`/);
    expect(fs.existsSync(out)).toBe(false);
    expect(before()).toBe(n);
  });

  test('--password-file without --p12, and an empty --p12, are usage errors', () => {
    expect(inStore('client', 'X', '--password-file', pw)).toMatchObject({ status: 2, stderr: expect.stringMatching(/--password-file is the password of the --p12 file/) });
    expect(inStore('client', 'X', '--p12=', '--password-file', pw)).toMatchObject({ status: 2, stderr: expect.stringMatching(/--p12 is empty/) });
    expect(inStore('client', 'X', '--p12')).toMatchObject({ status: 2, stderr: expect.stringMatching(/--p12 needs a value/) });
  });

  test('an unwritable target, or a missing password file: exit 1 before anything is issued', () => {
    const n = before();
    expect(inStore('client', 'Y', '--p12', join(tmp.dir, 'no/such/dir/y.p12'), '--password-file', pw)).toMatchObject({ status: 1, stderr: expect.stringMatching(/y\.p12: cannot write the file: its directory does not exist/) });
    expect(inStore('client', 'Y', '--p12', tmp.dir, '--password-file', pw)).toMatchObject({ status: 1, stderr: expect.stringMatching(/is a directory; give --p12 the file to write/) });
    expect(inStore('client', 'Y', '--p12', join(tmp.dir, 'y.p12'), '--password-file', join(tmp.dir, 'nope'))).toMatchObject({ status: 1, stderr: expect.stringMatching(/--password-file: file ".*nope" does not exist/) });
    expect(before()).toBe(n);
  });

  test('a client adopted from openssl without its key cannot be exported: exit 1 naming --new', () => {
    const ossl = join(tmp.dir, 'ossl');
    fs.mkdirSync(ossl);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Adopted CA'], { cwd: ossl });
    fs.writeFileSync(join(ossl, 'index.txt'), 'V\t301231235959Z\t\t0B\tunknown\t/CN=Adopted\n');
    const store = join(ossl, 'pki');
    expect(cli(['import-openssl', '--index', join(ossl, 'index.txt'), '--ca-cert', join(ossl, 'ca.pem'), '--ca-key', join(ossl, 'ca.key'), '--dir', store]).status).toBe(0);
    const out = join(ossl, 'adopted.p12');
    const r = cli(['client', 'Adopted', '--p12', out, '--dir', store]);
    expect(r).toMatchObject({ status: 1, stderr: expect.stringMatching(/not written: the client certificate Adopted \(serial 0B\) was adopted from an openssl index without its key.*--new/) });
    expect(fs.existsSync(out)).toBe(false);
    // Without --p12 it says the same, and exits 0 (the certificate exists), instead of crashing.
    expect(cli(['client', 'Adopted', '--dir', store])).toMatchObject({ status: 0, stdout: expect.stringMatching(/adopted from an openssl index without its key.*mtls-pki client Adopted --new/) });
  });
});

describe('the CA chain with an intermediate, and Java', () => {
  test('a client of an intermediate CA gets leaf, intermediate and root', () => {
    const store = join(tmp.dir, 'inter');
    expect(cli(['init', '--intermediate-cn', 'Issuing Client CA', '--dir', store]).status).toBe(0);
    const out = join(tmp.dir, 'inter.p12');
    expect(cli(['client', 'Deep', '--p12', out, '--password-file', pw, '--dir', store]).status).toBe(0);
    const { certs, text } = opensslExtract(out, pw);
    expect(certs).toHaveLength(3);
    expect([...text.matchAll(/^subject=CN = (.+)$/gm)].map((m) => m[1])).toEqual(['Deep', 'Issuing Client CA', 'mtls-pki Client CA']);
    // openssl can build the chain from what the file holds.
    const chain = tmp.write('inter-chain.pem', certs.slice(1).join(''));
    expect(openssl(['verify', '-CAfile', chain, '-purpose', 'sslclient'], { input: certs[0] }).trim()).toBe('stdin: OK');
  });

  const keytool = spawnSync('keytool', ['-help'], { encoding: 'utf8' }).error === undefined;
  test('Java keytool reads it as one PrivateKeyEntry with its chain (.ci/run installs a JRE when missing)', () => {
    expect(keytool).toBe(true);
    const p12 = join(tmp.dir, 'Client001.p12');
    const r = spawnSync('keytool', ['-list', '-v', '-storetype', 'PKCS12', '-keystore', p12, '-storepass:file', pw], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Your keystore contains 1 entry/);
    expect(r.stdout).toMatch(/Alias name: client001\n[\s\S]*Entry type: PrivateKeyEntry\nCertificate chain length: 2\nCertificate\[1\]:\nOwner: CN=Client001\nIssuer: CN=P12 Client CA/);
  });
});

describe('the password prompt on a terminal (util-linux script)', () => {
  test('script(1) is available (.ci/run installs bsdutils when missing)', () => expect(HAS_SCRIPT).toBe(true));
  const prompt = /Password for \S+\.p12: $/;
  const repeat = /The same password again: $/;

  test('asks twice without echo, and the file opens with that password', async () => {
    const out = join(tmp.dir, 'prompted.p12');
    const r = await pty(['client', 'Prompted', '--p12', out, '--dir', dir], { answers: [{ when: prompt, type: 'typed secret\r' }, { when: repeat, type: 'typed secret\r' }] });
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/^Password for \S+prompted\.p12: \nThe same password again: \nissued client certificate CN=Prompted/);
    expect(r.output).not.toContain('typed secret');
    opensslExtract(out, pwFile('pw-typed', 'typed secret\n'));
  });

  test('backspace edits; two different passwords, or Ctrl-C, refuse with exit 1 and issue nothing', async () => {
    const edited = join(tmp.dir, 'edited.p12');
    const ok = await pty(['client', 'Edited', '--p12', edited, '--dir', dir], { answers: [{ when: prompt, type: 'abcX\u007fd\r' }, { when: repeat, type: 'abcd\r' }] });
    expect(ok.status).toBe(0);
    opensslExtract(edited, pwFile('pw-abcd', 'abcd\n'));

    const differ = await pty(['client', 'Differ', '--p12', join(tmp.dir, 'differ.p12'), '--dir', dir], { answers: [{ when: prompt, type: 'one\r' }, { when: repeat, type: 'two\r' }] });
    expect(differ).toMatchObject({ status: 1, output: expect.stringMatching(/mtls-pki: error: password: the two passwords differ\. Nothing was written/) });
    const cancel = await pty(['client', 'Cancel', '--p12', join(tmp.dir, 'cancel.p12'), '--dir', dir], { answers: [{ when: prompt, type: 'abc\u0003' }] });
    expect(cancel).toMatchObject({ status: 1, output: expect.stringMatching(/password prompt: cancelled; nothing was issued or written/) });
    expect(listJson().certificates.some((c) => ['Differ', 'Cancel'].includes(c.commonName))).toBe(false);
    expect(fs.existsSync(join(tmp.dir, 'differ.p12')) || fs.existsSync(join(tmp.dir, 'cancel.p12'))).toBe(false);
  });
});

describe('buildPkcs12 (lib/pki)', () => {
  test('refuses a key that is not the certificate\'s, an empty password, and fewer than 2048 iterations', async () => {
    const ca = await createRootCa({ commonName: 'Unit CA' });
    const a = await issueClientCertificate(ca, { commonName: 'A' });
    const b = await issueClientCertificate(ca, { commonName: 'B' });
    await expect(buildPkcs12({ certificatePem: a.certificatePem, privateKeyPem: b.privateKeyPem, password: 'x' })).rejects.toThrow(/private key: does not belong to the certificate CN=A/);
    await expect(buildPkcs12({ certificatePem: a.certificatePem, privateKeyPem: a.privateKeyPem, password: '' })).rejects.toThrow(/password: is empty/);
    await expect(buildPkcs12({ certificatePem: a.certificatePem, privateKeyPem: a.privateKeyPem, password: 'x', iterations: 1000 })).rejects.toThrow(/use at least 2048/);
  });

  test('an RSA key and no CA certificates: openssl reads one certificate and the matching key', async () => {
    const ca = await createRootCa({ commonName: 'RSA CA', keyAlgorithm: 'rsa-2048' });
    const leaf = await issueClientCertificate(ca, { commonName: 'Rsa', keyAlgorithm: 'rsa-2048' });
    const file = tmp.write('rsa.p12', '');
    fs.writeFileSync(file, await buildPkcs12({ certificatePem: leaf.certificatePem, privateKeyPem: leaf.privateKeyPem, password: PASSWORD, iterations: 2048 }));
    const { certs, key } = opensslExtract(file, pw);
    expect(certs).toHaveLength(1);
    expect(publicKeyOfKey(key)).toBe(publicKeyOfCert(certs[0]));
    expect(opensslResult(['pkcs12', '-info', '-noout', '-in', file, '-passin', `file:${pw}`]).output).toContain('MAC: sha256, Iteration 2048');
  });
});
