import * as fs from 'node:fs';
import { join } from 'node:path';
import { snapshot } from '../store/helpers';
import { certificateSpkiHex, findPrivateKeys } from '../support/key-scan';
import { openssl, opensslResult, scratchDir } from '../support/openssl';
import { softHsm } from '../support/softhsm';
import { cli, requireBuild } from './cli';
import { pty } from './pty';

// The operator's commands on the three key postures, each result judged by openssl and OpenSC.

beforeAll(requireBuild);

const ENV = { ...process.env, NO_COLOR: '1', MTLS_PKI_LOCK_TIMEOUT_MS: '20000' };

test('init --ca-key-uri, then client, revoke and crl: signed in SoftHSM2, verified by openssl, no CA key on disk', () => {
  const hsm = softHsm();
  const tmp = scratchDir();
  try {
    const token = hsm.initToken('cli');
    const dir = join(tmp.dir, 'pki');
    const run = (args: string[]) => cli([...args, '--dir', dir], { env: ENV });
    const init = run(['init', '--ca-key-uri', hsm.uri(token)]);
    expect(init.stderr).toBe('');
    expect(init.status).toBe(0);
    expect(run(['client', 'alice']).status).toBe(0);
    expect(run(['client', 'bob']).status).toBe(0);
    const revoke = run(['revoke', 'bob', '--reason', 'keyCompromise']);
    expect([revoke.status, revoke.stderr]).toEqual([0, '']);
    const crl = run(['crl', '--force', '--out', join(tmp.dir, 'ca.crl')]);
    expect([crl.status, crl.stderr]).toEqual([0, '']);

    for (const id of ['server-ca', 'client-ca']) expect(fs.existsSync(join(dir, id, 'key.pem'))).toBe(false);
    const caSpkis = ['server-ca', 'client-ca'].map((id) => certificateSpkiHex(fs.readFileSync(join(dir, id, 'cert.pem'), 'utf8')));
    const keys = findPrivateKeys(dir);
    expect(keys.length).toBeGreaterThan(0); // alice's and bob's keys, which the store keeps
    expect(keys.filter((k) => caSpkis.includes(k.spkiHex))).toEqual([]);

    const objects = hsm.tool(token, ['--list-objects', '--type', 'privkey']);
    for (const label of ['server-ca', 'client-ca']) {
      expect(objects).toMatch(new RegExp(`Private Key Object; EC\\s+label:\\s+${label}\\s+ID:\\s+\\w+\\s+Usage:\\s+sign\\s+Access:\\s+sensitive, always sensitive, never extractable`));
    }

    const cert = (cn: string) => fs.readdirSync(join(dir, 'clients')).find((f) => f.startsWith(`${cn}-`) && f.endsWith('.cert.pem'))!;
    const verify = (cn: string) => opensslResult(['verify', '-CAfile', join(dir, 'client-trust/ca.crt'), '-CRLfile', join(tmp.dir, 'ca.crl'), '-crl_check', join(dir, 'clients', cert(cn))]);
    expect(verify('alice')).toMatchObject({ status: 0 });
    expect(verify('bob').output).toMatch(/certificate revoked/);
    expect(openssl(['crl', '-in', join(tmp.dir, 'ca.crl'), '-noout', '-text'])).toMatch(/CRL Number:\s+3[\s\S]*Key Compromise/);
  } finally {
    tmp.cleanup();
    hsm.cleanup();
  }
});

test('init --encrypt-keys: the store cannot sign without the passphrase; keys decrypt refuses a wrong one and writes nothing', () => {
  const tmp = scratchDir();
  try {
    const dir = join(tmp.dir, 'pki');
    const pass = tmp.write('pass', 'a passphrase of several words\n');
    const wrong = tmp.write('wrong', 'another passphrase entirely\n');
    fs.chmodSync(pass, 0o600);
    fs.chmodSync(wrong, 0o600);
    const run = (args: string[], env: NodeJS.ProcessEnv = ENV) => cli([...args, '--dir', dir], { env });
    expect(run(['init', '--encrypt-keys']).stderr).toMatch(/CA keys are to be encrypted, and stdin is not a terminal.*--passphrase-file FILE or MTLS_PKI_PASSPHRASE_FILE=FILE/);
    expect(fs.existsSync(join(dir, 'client-ca', 'key.pem'))).toBe(false);
    expect(run(['init', '--encrypt-keys', '--passphrase-file', pass]).status).toBe(0);
    expect(fs.readFileSync(join(dir, 'client-ca', 'key.pem'), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(openssl(['asn1parse', '-in', join(dir, 'client-ca', 'key.pem')])).toMatch(/PBES2[\s\S]*PBKDF2[\s\S]*hmacWithSHA256[\s\S]*aes-256-cbc/);
    expect(opensslResult(['pkey', '-in', join(dir, 'client-ca', 'key.pem'), '-passin', `file:${pass}`, '-noout']).status).toBe(0);

    const before = snapshot(dir);
    const without = run(['client', 'alice']);
    expect([without.status, without.stderr]).toEqual([1, expect.stringMatching(/CA keys are encrypted, and stdin is not a terminal to ask for the passphrase/)]);
    const wrongOne = run(['client', 'alice', '--passphrase-file', wrong]);
    expect([wrongOne.status, wrongOne.stderr]).toEqual([1, expect.stringMatching(/client-ca key: cannot be decrypted with this passphrase: it is the wrong one/)]);
    const decrypt = run(['keys', 'decrypt', '--passphrase-file', wrong]);
    expect(decrypt.status).toBe(1);
    expect(snapshot(dir)).toEqual(before);
    // What needs no signature needs no passphrase.
    expect(run(['list']).status).toBe(0);
    expect(run(['crl']).status).toBe(0);
    expect(snapshot(dir)).toEqual(before);

    expect(run(['client', 'alice'], { ...ENV, MTLS_PKI_PASSPHRASE_FILE: pass }).status).toBe(0);
    const plain = run(['keys', 'decrypt', '--passphrase-file', pass, '--json']);
    expect(JSON.parse(plain.stdout).keys).toEqual([
      { ca: 'server-ca', file: 'server-ca/key.pem', changed: true }, { ca: 'client-ca', file: 'client-ca/key.pem', changed: true },
    ]);
    expect(fs.readFileSync(join(dir, 'client-ca', 'key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(run(['keys', 'encrypt', '--passphrase-file', pass]).stdout).toMatch(/client-ca: client-ca\/key\.pem encrypted/);
    expect(run(['client', 'bob']).status).toBe(1);
  } finally {
    tmp.cleanup();
  }
});

test('on a terminal, init --encrypt-keys asks for the passphrase twice without echo, and client asks once', async () => {
  const tmp = scratchDir();
  try {
    const dir = join(tmp.dir, 'pki');
    const secret = 'typed passphrase 12345';
    const init = await pty(['init', '--encrypt-keys', '--dir', dir], { answers: [
      { when: /New passphrase for the CA keys: $/, type: `${secret}\r` },
      { when: /The same passphrase again: $/, type: `${secret}\r` },
    ] });
    expect(init.status).toBe(0);
    expect(init.output).not.toContain(secret);
    expect(opensslResult(['pkey', '-in', join(dir, 'client-ca', 'key.pem'), '-passin', `pass:${secret}`, '-noout']).status).toBe(0);
    const client = await pty(['client', 'alice', '--dir', dir], { answers: [{ when: /Passphrase for the CA keys: $/, type: `${secret}\r` }] });
    expect([client.status, client.output]).toEqual([0, expect.not.stringContaining(secret)]);
    expect(client.output.match(/Passphrase for the CA keys/g)).toHaveLength(1);
  } finally {
    tmp.cleanup();
  }
});
