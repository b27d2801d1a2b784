import * as fs from 'node:fs';
import { join } from 'node:path';
import { readCertificates, readCrls, UserInputError } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { openssl, opensslResult } from '../support/openssl';
import { mode, scratchStore, SEED_SPEC, snapshot } from './helpers';

describe('PkiStore.ensure', () => {
  const s = scratchStore();
  afterAll(() => s.cleanup());

  test('the seed scenario: two CAs, a server, Client001 revoked and Client002 valid, checked by openssl verify -crl_check', async () => {
    const store = await s.open();
    const material = await store.ensure(SEED_SPEC);
    const trust = material.clientTrust();
    const c1 = material.client('Client001');
    const c2 = material.client('Client002');
    expect(c1.revoked).toBe(true);
    expect(c2.revoked).toBe(false);
    const w = (name: string, text: string) => s.tmp.write(name, text);
    w('ca.crt', trust.clientCaPem);
    w('ca.crl', trust.crlPem);
    w('c1.pem', c1.certificatePem);
    w('c2.pem', c2.certificatePem);
    const revoked = opensslResult(['verify', '-crl_check', '-CAfile', 'ca.crt', '-CRLfile', 'ca.crl', 'c1.pem'], { cwd: s.tmp.dir });
    expect(revoked.status).not.toBe(0);
    expect(revoked.output).toMatch(/certificate revoked/);
    expect(openssl(['verify', '-crl_check', '-CAfile', 'ca.crt', '-CRLfile', 'ca.crl', 'c2.pem'], { cwd: s.tmp.dir }).trim()).toBe('c2.pem: OK');
    expect(openssl(['crl', '-in', 'ca.crl', '-noout', '-text'], { cwd: s.tmp.dir })).toMatch(/Key Compromise/);

    // The server Secret's tls.crt is leaf + server CA (the seed's server-cert-chain.pem), and the key matches.
    const tls = material.serverTls('mtls.dev.ityoudao.cn');
    const chain = readCertificates(tls.certificateChainPem);
    expect(chain.map((c) => c.subject)).toEqual(['CN=mtls.dev.ityoudao.cn', 'CN=Aispeech Server Cert Authority']);
    expect(chain[0].subjectAltNames).toEqual([{ kind: 'dns', value: 'mtls.dev.ityoudao.cn' }]);
    w('server.pem', tls.certificateChainPem);
    w('server.key', tls.privateKeyPem);
    w('server-ca.pem', material.serverCaPem);
    expect(openssl(['verify', '-CAfile', 'server-ca.pem', 'server.pem'], { cwd: s.tmp.dir }).trim()).toBe('server.pem: OK');
    expect(openssl(['x509', '-in', 'server.pem', '-noout', '-pubkey'], { cwd: s.tmp.dir })).toBe(openssl(['pkey', '-in', 'server.key', '-pubout'], { cwd: s.tmp.dir }));
  });

  test('a second ensure, also after re-opening, changes no byte of the store and never re-keys', async () => {
    const before = snapshot(s.dir);
    await (await s.open()).ensure(SEED_SPEC);
    await (await PkiStore.open(s.dir, { create: false })).ensure(SEED_SPEC);
    expect(snapshot(s.dir)).toEqual(before);
    // the same spec without names (defaults) also reuses the CAs rather than comparing default CNs
    await (await s.open()).ensure({ clients: [{ commonName: 'Client002' }] });
    expect(snapshot(s.dir)).toEqual(before);
  });

  test('private keys are 0600 and directories 0700, created so; wider modes are reported as warnings', async () => {
    const files = Object.keys(snapshot(s.dir));
    const keys = files.filter((f) => /key\.pem$/.test(f));
    expect(keys).toHaveLength(5); // two CAs, one server, two clients
    for (const k of keys) expect(mode(join(s.dir, k))).toBe('600');
    for (const d of files.filter((f) => f.endsWith('/'))) expect(mode(join(s.dir, d))).toBe('700');
    expect(mode(s.dir)).toBe('700');
    expect(s.warnings).toEqual([]);

    const caKey = join(s.dir, 'client-ca/key.pem');
    fs.chmodSync(caKey, 0o644);
    fs.chmodSync(s.dir, 0o755);
    try {
      const warnings: string[] = [];
      await PkiStore.open(s.dir, { onWarning: (m) => warnings.push(m) });
      expect(warnings).toEqual([
        expect.stringMatching(/pki has mode 0755; .* chmod 700/),
        expect.stringMatching(/client-ca\/key\.pem is a private key with mode 0644; make it 0600/),
      ]);
    } finally {
      fs.chmodSync(caKey, 0o600);
      fs.chmodSync(s.dir, 0o700);
    }
  });

  test('revocations survive re-opening and an ensure whose spec no longer lists them; a new certificate needs reissueIfRevoked', async () => {
    const store = await s.open();
    // Client001 is listed but not revoked by this spec: its revocation happened outside it, so a new certificate
    // is not minted silently. The refusal names the choice and writes nothing.
    const before = snapshot(s.dir);
    await expect(store.ensure({ clients: [{ commonName: 'Client001' }, { commonName: 'Client002' }] }))
      .rejects.toThrow(/^clients\[0\]: "Client001" is revoked \(serial [0-9A-F]+, \d{4}-\d\d-\d\d, keyCompromise\), but this spec does not revoke it.*reissueIfRevoked: true.*revoked: \[\{ commonName: 'Client001' \}\].*Nothing was written\.$/);
    expect(snapshot(s.dir)).toEqual(before);
    const material = await store.ensure({ clients: [{ commonName: 'Client001', reissueIfRevoked: true }, { commonName: 'Client002' }] });
    expect(material.client('Client002').revoked).toBe(false);
    const listing = await (await s.open()).list();
    expect(listing.certificates.filter((c) => c.status === 'revoked').map((c) => c.commonName)).toEqual(['Client001']);
    const [crl] = readCrls(material.clientTrust().crlPem);
    const revokedSerial = listing.certificates.find((c) => c.status === 'revoked')!.serialHex;
    expect(crl.entries.map((e) => e.serialHex)).toEqual([revokedSerial]);
    expect(crl.crlNumber).toBe(1n); // the revoked set did not change, so neither did the CRL
    // With reissueIfRevoked, a new certificate is issued; the old one stays revoked.
    expect(material.client('Client001')).toMatchObject({ revoked: false, serialHex: expect.not.stringMatching(revokedSerial) });
    expect(listing.certificates.filter((c) => c.commonName === 'Client001').map((c) => c.status)).toEqual(['revoked', 'valid']);
  });

  test('revoking by CN in the spec revokes every certificate with that CN; the CRL lists both', async () => {
    const store = await s.open();
    const material = await store.ensure({ revoked: [{ commonName: 'Client001' }] });
    expect(readCrls(material.clientTrust().crlPem)[0].entries).toHaveLength(2);
    expect((await store.list()).certificates.filter((c) => c.commonName === 'Client001').every((c) => c.status === 'revoked')).toBe(true);
  });

  test('a server is re-issued (new key) when its names change, and reused otherwise', async () => {
    const store = await s.open();
    const first = (await store.ensure({ servers: [{ name: 'api', names: ['api.example.com'] }] })).serverTls('api');
    const again = (await store.ensure({ servers: [{ name: 'api', names: ['api.example.com'] }] })).serverTls('api');
    expect(again).toEqual(first);
    const widened = (await store.ensure({ servers: [{ name: 'api', names: ['api.example.com', '*.api.example.com', '10.0.0.7'] }] })).serverTls('api');
    expect(widened.privateKeyPem).not.toBe(first.privateKeyPem);
    expect(readCertificates(widened.certificateChainPem)[0].subjectAltNames.map((n) => `${n.kind}:${n.value}`)).toEqual(['dns:api.example.com', 'dns:*.api.example.com', 'ip:10.0.0.7']);
    expect((await store.list()).certificates.filter((c) => c.name === 'api').map((c) => c.status)).toEqual(['replaced', 'valid']);
  });

  test('key algorithms: the spec default, per-entry overrides, and what the store records', async () => {
    const store = await s.open();
    await store.ensure({ clients: [{ commonName: 'rsa-client', keyAlgorithm: 'rsa-2048' }, { commonName: 'p384-client', keyAlgorithm: 'ec-p384' }] });
    const listing = await store.list();
    expect(listing.certificates.filter((c) => c.commonName.endsWith('-client')).map((c) => c.commonName)).toEqual(['rsa-client', 'p384-client']);
    const material = await store.material();
    const key = (cn: string) => material.client(cn).privateKeyPem;
    expect(openssl(['pkey', '-noout', '-text'], { input: key('rsa-client') })).toMatch(/Private-Key: \(2048 bit/);
    expect(openssl(['pkey', '-noout', '-text'], { input: key('p384-client') })).toMatch(/NIST CURVE: P-384/);
  });

  test('a CA is never replaced: another CN for an existing CA is refused and nothing changes', async () => {
    const before = snapshot(s.dir);
    const store = await s.open();
    await expect(store.ensure({ clientCa: { commonName: 'Another Client CA' } })).rejects.toThrow(/clientCa.commonName: asks for "Another Client CA", but the store already has client-ca "Aispeech Client Cert Authority"/);
    expect(snapshot(s.dir)).toEqual(before);
  });

  test('a bad spec is refused before anything is written, naming the field', async () => {
    const fresh = scratchStore();
    try {
      const store = await fresh.open();
      const attempt = store.ensure({ servers: [{ name: 'web', names: ['Web.Example.com'] }] });
      await expect(attempt).rejects.toThrow(UserInputError);
      await expect(attempt).rejects.toThrow(/servers\[0\]\.names\[0\]: "Web.Example.com" has uppercase letters; write "web.example.com"/);
      await expect(store.ensure({ crl: { validityDays: 10, refreshBeforeDays: 30 } })).rejects.toThrow(/crl.refreshBeforeDays: 30 is not less than the CRL validity of 10 days/);
      await expect(store.ensure({ revoked: [{ commonName: 'Nobody' }] })).rejects.toThrow(/revoked\[0\]: no certificate with common name "Nobody"/);
      expect(fs.existsSync(join(fresh.dir, 'store.json'))).toBe(false);
    } finally {
      fresh.cleanup();
    }
  });
});
