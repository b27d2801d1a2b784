import * as fs from 'node:fs';
import { join } from 'node:path';
import { PkiStore } from '../../lib/store';
import { closePkcs11Tokens } from '../../lib/pki/pkcs11';
import { certificateSpkiHex, findPrivateKeys } from '../support/key-scan';
import { openssl, opensslResult } from '../support/openssl';
import { softHsm } from '../support/softhsm';
import { scratchStore, SEED_SPEC, snapshot } from './helpers';
import { DAY } from '../fixtures';

// The three postures of the CA keys (plain files, encrypted files, a PKCS#11 token), and the store without
// its CA keys at all: synth works from what was published, and anything that must sign refuses, writing nothing.

const PASSPHRASE = 'four words, twelve characters';

describe('CA keys encrypted at rest', () => {
  test('the keys are ENCRYPTED PRIVATE KEY that openssl reads with the passphrase; without it or with a wrong one, signing is refused and nothing is written', async () => {
    const s = scratchStore();
    try {
      await (await PkiStore.open(s.dir, { passphrase: PASSPHRASE })).ensure({ ...SEED_SPEC, caKeys: 'encrypted' });
      for (const id of ['server-ca', 'client-ca']) {
        const key = fs.readFileSync(join(s.dir, id, 'key.pem'), 'utf8');
        expect(key).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
        expect(openssl(['pkey', '-in', join(s.dir, id, 'key.pem'), '-passin', `pass:${PASSPHRASE}`, '-pubout'])).toBe(openssl(['x509', '-in', join(s.dir, id, 'cert.pem'), '-noout', '-pubkey']));
        expect(opensslResult(['pkey', '-in', join(s.dir, id, 'key.pem'), '-passin', 'pass:wrong passphrase', '-noout']).status).not.toBe(0);
      }
      const before = snapshot(s.dir);
      const none = await PkiStore.open(s.dir, { onWarning: () => undefined });
      await expect(none.issueClient('Client003')).rejects.toThrow(/CA keys are encrypted, and no passphrase was given\. Give it with --passphrase-file FILE .*MTLS_PKI_PASSPHRASE_FILE/);
      await expect(none.revoke({ commonName: 'Client002' })).rejects.toThrow(/no passphrase was given/);
      const wrong = await PkiStore.open(s.dir, { passphrase: 'not the passphrase at all', onWarning: () => undefined });
      await expect(wrong.issueClient('Client003')).rejects.toThrow(/client-ca key: cannot be decrypted with this passphrase: it is the wrong one/);
      expect(snapshot(s.dir)).toEqual(before);
      // Synth needs no signature, so no passphrase: the material is there.
      expect((await none.ensure(SEED_SPEC)).clientTrust().crlPem).toContain('BEGIN X509 CRL');
      expect(snapshot(s.dir)).toEqual(before);

      const right = await PkiStore.open(s.dir, { passphrase: async () => PASSPHRASE, onWarning: () => undefined });
      expect((await right.issueClient('Client003')).created).toBe(true);
    } finally {
      s.cleanup();
    }
  });

  test('convertKeys encrypts an existing store and decrypts it again; a wrong passphrase or a short one changes nothing', async () => {
    const s = scratchStore();
    try {
      await (await s.open()).ensure(SEED_SPEC);
      const plainKey = fs.readFileSync(join(s.dir, 'client-ca', 'key.pem'), 'utf8');
      await expect((await s.open()).convertKeys({ to: 'encrypted', passphrase: 'short' })).rejects.toThrow(/passphrase: has 5 characters; use at least 12/);
      const results = await (await PkiStore.open(s.dir, { passphrase: PASSPHRASE, onWarning: () => undefined })).convertKeys({ to: 'encrypted', passphrase: PASSPHRASE, iterations: 4096 });
      expect(results.map((r) => [r.ca, r.changed])).toEqual([['server-ca', true], ['client-ca', true]]);
      expect(JSON.parse(fs.readFileSync(join(s.dir, 'store.json'), 'utf8')).settings.caKeys).toBe('encrypted');
      expect(openssl(['pkey', '-in', join(s.dir, 'client-ca', 'key.pem'), '-passin', `pass:${PASSPHRASE}`])).toBe(plainKey);

      const before = snapshot(s.dir);
      await expect((await PkiStore.open(s.dir, { passphrase: 'the wrong passphrase', onWarning: () => undefined })).convertKeys({ to: 'plain' })).rejects.toThrow(/cannot be decrypted with this passphrase/);
      expect(snapshot(s.dir)).toEqual(before);
      await (await PkiStore.open(s.dir, { passphrase: PASSPHRASE, onWarning: () => undefined })).convertKeys({ to: 'plain' });
      expect(fs.readFileSync(join(s.dir, 'client-ca', 'key.pem'), 'utf8')).toBe(plainKey);
      expect(JSON.parse(fs.readFileSync(join(s.dir, 'store.json'), 'utf8')).settings.caKeys).toBeUndefined();
      expect(fs.statSync(join(s.dir, 'client-ca', 'key.pem')).mode & 0o777).toBe(0o600);
    } finally {
      s.cleanup();
    }
  });
});

describe('a store without its CA keys (keyless synth)', () => {
  test('synthesizes the same material and writes nothing; a pending revocation is refused, naming mtls-pki crl, and nothing is written', async () => {
    const s = scratchStore();
    try {
      const keyed = await (await s.open()).ensure(SEED_SPEC);
      for (const id of ['server-ca', 'client-ca']) fs.rmSync(join(s.dir, id, 'key.pem'));
      const before = snapshot(s.dir);
      const keyless = await (await s.open()).ensure(SEED_SPEC);
      expect(keyless.clientTrust()).toEqual(keyed.clientTrust());
      expect(keyless.serverTls('mtls.dev.ityoudao.cn')).toEqual(keyed.serverTls('mtls.dev.ityoudao.cn'));
      expect(snapshot(s.dir)).toEqual(before);

      const pending = { ...SEED_SPEC, revoked: [...SEED_SPEC.revoked!, { commonName: 'Client002' }] };
      const refusal = (await s.open()).ensure(pending);
      await expect(refusal).rejects.toThrow(/client-ca\/crl\.pem: must be signed anew \(revocations changed\), but \S*\/pki\/client-ca\/key\.pem is not on this machine, so client-ca cannot sign here\. .*run mtls-pki crl --dir \S+ \(after revoking "Client002" there too, e\.g\. mtls-pki revoke Client002 --dir .*Nothing was written\./);
      expect(snapshot(s.dir)).toEqual(before);
      await expect((await s.open()).revoke({ commonName: 'Client002' })).rejects.toThrow(/must be signed anew \(revocations changed\)/);
      expect(snapshot(s.dir)).toEqual(before);
      await expect((await s.open()).issueClient('Client003')).rejects.toThrow(/client-ca: .*key\.pem is not on this machine, so client-ca cannot sign here\. The store works without its CA keys/);
      expect(snapshot(s.dir)).toEqual(before);
      // A CRL that is due needs the key too.
      await expect((await s.open()).ensure({ ...SEED_SPEC, now: new Date(Date.now() + 70 * DAY) })).rejects.toThrow(/must be signed anew \(due for refresh\)/);
      expect(snapshot(s.dir)).toEqual(before);
    } finally {
      s.cleanup();
    }
  });
});

describe('CA keys in a PKCS#11 token (SoftHSM2)', () => {
  afterAll(closePkcs11Tokens);

  test('no file under the store holds a CA private key; issuing, revoking and CRLs sign in the token; an existing key pair is adopted', async () => {
    const hsm = softHsm();
    const s = scratchStore();
    try {
      const token = hsm.initToken('store');
      const spec = { ...SEED_SPEC, caKeys: hsm.uri(token, 'prod') as `pkcs11:${string}` };
      const pki = await (await s.open()).ensure(spec);
      for (const id of ['server-ca', 'client-ca']) expect(fs.existsSync(join(s.dir, id, 'key.pem'))).toBe(false);
      const state = JSON.parse(fs.readFileSync(join(s.dir, 'store.json'), 'utf8'));
      expect(state.cas['client-ca'].keyUri).toMatch(new RegExp(`^pkcs11:token=${token};object=prod-client-ca\\?module-path=`));
      expect(hsm.tool(token, ['--list-objects', '--type', 'privkey'])).toMatch(/label:\s+prod-server-ca[\s\S]*never extractable[\s\S]*label:\s+prod-client-ca[\s\S]*never extractable|label:\s+prod-client-ca[\s\S]*never extractable[\s\S]*label:\s+prod-server-ca[\s\S]*never extractable/);

      await (await s.open()).revoke({ commonName: 'Client002' });
      await (await s.open()).issueClient('Client003');
      const found = findPrivateKeys(s.dir);
      const caSpkis = ['server-ca', 'client-ca'].map((id) => certificateSpkiHex(fs.readFileSync(join(s.dir, id, 'cert.pem'), 'utf8')));
      // The scanner finds keys: the leaf keys the store keeps, in PEM and as base64 DER inside the PEM.
      const leafSpki = certificateSpkiHex(pki.client('Client002').certificatePem);
      expect(found.filter((k) => k.spkiHex === leafSpki).map((k) => k.form).sort()).toEqual(['base64', 'pem']);
      expect(found.filter((k) => caSpkis.includes(k.spkiHex))).toEqual([]);

      const crl = join(s.dir, 'client-trust', 'ca.crl');
      const chain = join(s.dir, 'client-trust', 'ca.crt');
      const client3 = (await (await s.open()).material()).client('Client003');
      fs.writeFileSync(join(hsm.dir, 'c3.pem'), client3.certificatePem);
      fs.writeFileSync(join(hsm.dir, 'c2.pem'), pki.client('Client002').certificatePem);
      expect(openssl(['verify', '-CAfile', chain, '-CRLfile', crl, '-crl_check', join(hsm.dir, 'c3.pem')])).toMatch(/OK/);
      expect(opensslResult(['verify', '-CAfile', chain, '-CRLfile', crl, '-crl_check', join(hsm.dir, 'c2.pem')]).output).toMatch(/certificate revoked/);

      // A second store on the same token adopts the key pairs it finds under the labels.
      const other = scratchStore();
      try {
        await (await other.open()).ensure({ caKeys: spec.caKeys });
        expect(other.warnings.join('\n')).toMatch(/adopted the key pair pkcs11:token=.*;object=prod-client-ca already in the token/);
        expect(certificateSpkiHex(fs.readFileSync(join(other.dir, 'client-ca', 'cert.pem'), 'utf8'))).toBe(caSpkis[1]);
      } finally {
        other.cleanup();
      }
    } finally {
      s.cleanup();
      hsm.cleanup();
    }
  });

  test('on a machine without the token, the store synthesizes and refuses to sign, naming the token', async () => {
    const hsm = softHsm();
    const s = scratchStore();
    try {
      const token = hsm.initToken('gone');
      await (await s.open()).ensure({ ...SEED_SPEC, caKeys: hsm.uri(token) as `pkcs11:${string}` });
      closePkcs11Tokens();
      // This machine has no such token: rewrite the recorded URIs as a CI runner would see them.
      const path = join(s.dir, 'store.json');
      fs.writeFileSync(path, fs.readFileSync(path, 'utf8').replace(/token=gone-[0-9a-f]+/g, 'token=not-here'));
      const before = snapshot(s.dir);
      await (await s.open()).ensure(SEED_SPEC);
      expect(snapshot(s.dir)).toEqual(before);
      await expect((await s.open()).issueClient('Client003')).rejects.toThrow(/client-ca's key is in pkcs11:token=not-here;object=client-ca, which cannot be reached on this machine: .* has no token labelled "not-here"/);
      expect(snapshot(s.dir)).toEqual(before);
    } finally {
      s.cleanup();
      hsm.cleanup();
    }
  });
});
