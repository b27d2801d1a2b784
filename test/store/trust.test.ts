import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRootCa, UserInputError } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { scratchDir } from '../support/openssl';
import { scratchStore, snapshot } from './helpers';

// The store trusts only files it wrote: it follows no symbolic link inside the store, uses a CA only when its
// certificate is the one store.json pinned (and the key belongs to it), and adopts CA files an interrupted run
// left only when store.json recorded that run's intent to write exactly those files.

/** A directory in /tmp that every user may write (mode 1777, like /tmp itself). */
function worldWritableDir() {
  const d = scratchDir('mtls-world-');
  fs.chmodSync(d.dir, 0o1777);
  expect(fs.statSync(d.dir).mode & 0o7777).toBe(0o1777);
  expect(d.dir.startsWith(tmpdir())).toBe(true);
  return d;
}

const stateOf = (dir: string) => JSON.parse(fs.readFileSync(join(dir, 'store.json'), 'utf8'));

describe('symbolic links in the store are refused, never followed', () => {
  test('CA files planted as links before the first run are not adopted; nothing is written', async () => {
    const s = scratchStore();
    const elsewhere = scratchDir('mtls-planted-');
    try {
      const planted = await createRootCa({ commonName: 'mtls-pki Client CA' });
      fs.mkdirSync(join(s.dir, 'client-ca'), { recursive: true });
      fs.symlinkSync(elsewhere.write('cert.pem', planted.certificatePem), join(s.dir, 'client-ca/cert.pem'));
      fs.symlinkSync(elsewhere.write('key.pem', planted.privateKeyPem), join(s.dir, 'client-ca/key.pem'));
      const before = snapshot(s.dir);
      const attempt = (await s.open()).ensure();
      await expect(attempt).rejects.toBeInstanceOf(UserInputError);
      await expect(attempt).rejects.toThrow(new RegExp(`^${join(s.dir, 'client-ca/cert.pem')}: is a symbolic link to ${join(elsewhere.dir, 'cert.pem')}\\. The store never follows links.*Replace it with a real file: rm .*Nothing was read from it or written to it\\.$`));
      expect(snapshot(s.dir)).toEqual(before);
      expect(fs.existsSync(join(s.dir, 'store.json'))).toBe(false);
      expect(s.warnings).toEqual([]);
    } finally {
      s.cleanup();
      elsewhere.cleanup();
    }
  });

  test('a store directory replaced by a link to a world-writable directory receives no private key', async () => {
    const s = scratchStore();
    const world = worldWritableDir();
    try {
      const store = await s.open();
      await store.ensure({ clients: [{ commonName: 'alice' }] });
      fs.renameSync(join(s.dir, 'clients'), join(s.tmp.dir, 'clients-moved'));
      fs.symlinkSync(world.dir, join(s.dir, 'clients'));
      const before = snapshot(s.dir);
      for (const attempt of [() => store.issueClient('bob'), () => store.ensure({ clients: [{ commonName: 'bob' }] }), () => store.revoke({ commonName: 'alice' })]) {
        await expect(attempt()).rejects.toThrow(new RegExp(`^${join(s.dir, 'clients')}: is a symbolic link to ${world.dir}\\. The store never follows links: ${world.dir} is writable by every user, so the private keys and CA files the store keeps there would be theirs to read or replace\\. Replace it with a real directory: rm ${join(s.dir, 'clients')} && mkdir -m 700 ${join(s.dir, 'clients')}`));
      }
      expect(fs.readdirSync(world.dir)).toEqual([]);
      expect(snapshot(s.dir)).toEqual(before);
      await expect(PkiStore.open(s.dir)).rejects.toThrow(/clients: is a symbolic link/); // opening checks too
    } finally {
      s.cleanup();
      world.cleanup();
    }
  });

  test('a CA directory, a key, store.json or the store itself as a link: refused with the path and the fix', async () => {
    const s = scratchStore();
    const world = worldWritableDir();
    try {
      const store = await s.open();
      await store.ensure({ clients: [{ commonName: 'alice' }] });
      const moved = join(s.tmp.dir, 'moved');
      fs.mkdirSync(moved);
      const swap = (rel: string) => {
        fs.renameSync(join(s.dir, rel), join(moved, rel.replace(/\//g, '_')));
        fs.symlinkSync(join(moved, rel.replace(/\//g, '_')), join(s.dir, rel));
        return () => {
          fs.rmSync(join(s.dir, rel));
          fs.renameSync(join(moved, rel.replace(/\//g, '_')), join(s.dir, rel));
        };
      };
      for (const rel of ['client-ca', 'client-ca/key.pem', 'client-ca/crl.pem', 'store.json']) {
        const undo = swap(rel);
        const kind = rel.endsWith('.pem') || rel.endsWith('.json') ? 'file' : 'directory';
        await expect(PkiStore.open(s.dir).then((opened) => opened.refreshCrls({ force: true }))).rejects.toThrow(`${join(s.dir, rel)}: is a symbolic link to ${join(moved, rel.replace(/\//g, '_'))}. The store never follows links: whoever controls`);
        await expect(store.refreshCrls({ force: true })).rejects.toThrow(`Replace it with a real ${kind}`);
        undo();
      }
      // A client key swapped for a link: issuing a p12 from it would read through it, so reading refuses.
      const key = (await store.list()).certificates[0].keyFile!;
      swap(key);
      const material = await store.material();
      expect(() => material.client('alice')).toThrow(`${join(s.dir, key)}: is a symbolic link`);
      // The store directory itself: give --dir the real directory.
      const link = join(s.tmp.dir, 'link');
      fs.symlinkSync(s.dir, link);
      await expect(PkiStore.open(link)).rejects.toThrow(`${link}: is a symbolic link to ${s.dir}. The store never follows links: whoever controls ${s.dir} could read or replace what the store keeps there. Replace it with a real directory: give --dir the real directory instead`);
    } finally {
      s.cleanup();
      world.cleanup();
    }
  });
});

test('a .lock planted as a link (here to a FIFO, which would block a reader forever) is refused, not read', async () => {
  const s = scratchStore();
  try {
    const store = await s.open();
    await store.ensure();
    const fifo = join(s.tmp.dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    fs.symlinkSync(fifo, join(s.dir, '.lock'));
    await expect(store.refreshCrls({ force: true })).rejects.toThrow(`${join(s.dir, '.lock')}: is a symbolic link to ${fifo}.`);
  } finally {
    s.cleanup();
  }
});

describe('CA files are pinned by the fingerprints in store.json', () => {
  test('a same-CN CA pair copied over the store\'s files signs nothing and is not trusted', async () => {
    const s = scratchStore();
    try {
      const store = await s.open();
      await store.ensure({ clients: [{ commonName: 'alice' }] });
      const original = stateOf(s.dir).cas['client-ca'];
      const impostor = await createRootCa({ commonName: 'mtls-pki Client CA' });
      fs.writeFileSync(join(s.dir, 'client-ca/cert.pem'), impostor.certificatePem);
      fs.writeFileSync(join(s.dir, 'client-ca/key.pem'), impostor.privateKeyPem);
      const before = snapshot(s.dir);
      const pinned = new RegExp(`client-ca/cert.pem: is not the client-ca that store.json records: it holds "CN=mtls-pki Client CA" serial ${impostor.facts.serialHex} \\(SHA-256 ${impostor.facts.fingerprintSha256}\\), but the store created or imported "CN=mtls-pki Client CA" serial ${original.serialHex} \\(SHA-256 ${original.fingerprintSha256}\\)\\. .*restore the original cert.pem and key.pem of client-ca from a backup`);
      await expect(store.issueClient('mallory')).rejects.toThrow(pinned);
      await expect(store.refreshCrls({ force: true })).rejects.toThrow(pinned);
      await expect(store.revoke({ commonName: 'alice' })).rejects.toThrow(pinned);
      const material = await store.material();
      expect(() => material.clientTrust()).toThrow(pinned); // never handed to nginx as the trust anchor
      expect(snapshot(s.dir)).toEqual(before);
      await store.list();
      expect(s.warnings).toEqual([expect.stringMatching(pinned)]);
    } finally {
      s.cleanup();
    }
  });

  test('the right certificate with another key is refused by the key check', async () => {
    const s = scratchStore();
    try {
      const store = await s.open();
      await store.ensure();
      fs.writeFileSync(join(s.dir, 'server-ca/key.pem'), (await createRootCa({ commonName: 'x' })).privateKeyPem);
      await expect(store.issueServer('web', ['web.example'])).rejects.toThrow(/server-ca key: does not belong to the CA certificate "CN=mtls-pki Server CA"/);
    } finally {
      s.cleanup();
    }
  });
});

describe('files an interrupted run left are adopted only when store.json recorded the intent to write them', () => {
  /** The state an interrupted first run leaves: client-ca's files written, its record not yet saved, its intent saved. */
  async function interrupted(keep: 'both' | 'key') {
    const s = scratchStore();
    await (await s.open()).ensure();
    const state = stateOf(s.dir);
    const ca = state.cas['client-ca'];
    const certificatePem = fs.readFileSync(join(s.dir, 'client-ca/cert.pem'), 'utf8');
    delete state.cas['client-ca'];
    delete state.crls['client-ca'];
    state.pendingCas = { 'client-ca': { certificatePem, issuer: null } };
    fs.writeFileSync(join(s.dir, 'store.json'), `${JSON.stringify(state, null, 2)}\n`);
    fs.rmSync(join(s.dir, 'client-ca/crl.pem'));
    if (keep === 'key') fs.rmSync(join(s.dir, 'client-ca/cert.pem'));
    return { s, ca, certificatePem };
  }

  test.each(['both', 'key'] as const)('the recorded files (%s) are adopted, with a warning, and the intent is cleared', async (keep) => {
    const { s, ca, certificatePem } = await interrupted(keep);
    try {
      await (await s.open()).ensure();
      expect(stateOf(s.dir).cas['client-ca']).toEqual(ca);
      expect(stateOf(s.dir).pendingCas).toBeUndefined();
      expect(fs.readFileSync(join(s.dir, 'client-ca/cert.pem'), 'utf8')).toBe(certificatePem);
      expect(s.warnings).toEqual([expect.stringMatching(/adopted .*client-ca\/cert.pem and its key, written by an interrupted run \(store.json recorded them\)/)]);
    } finally {
      s.cleanup();
    }
  });

  test('other files under the CA\'s names are refused, and nothing is written', async () => {
    const { s } = await interrupted('both');
    try {
      // Another same-CN certificate in place of the recorded one.
      const other = await createRootCa({ commonName: 'mtls-pki Client CA' });
      fs.writeFileSync(join(s.dir, 'client-ca/cert.pem'), other.certificatePem);
      fs.writeFileSync(join(s.dir, 'client-ca/key.pem'), other.privateKeyPem);
      let before = snapshot(s.dir);
      await expect((await s.open()).ensure()).rejects.toThrow(/client-ca\/cert.pem: is not the certificate that the interrupted run recorded in store.json before writing client-ca, so the store did not write it and will not use it\. Nothing was adopted or written: move .*client-ca away/);
      expect(snapshot(s.dir)).toEqual(before);

      // The recorded certificate, with a key that is not its own.
      fs.writeFileSync(join(s.dir, 'client-ca/cert.pem'), stateOf(s.dir).pendingCas['client-ca'].certificatePem);
      before = snapshot(s.dir);
      await expect((await s.open()).ensure()).rejects.toThrow(/client-ca\/key.pem: does not belong to the certificate that the interrupted run recorded/);
      expect(snapshot(s.dir)).toEqual(before);

      // No intent at all: files someone put there by hand.
      const state = stateOf(s.dir);
      delete state.pendingCas;
      fs.writeFileSync(join(s.dir, 'store.json'), `${JSON.stringify(state, null, 2)}\n`);
      before = snapshot(s.dir);
      await expect((await s.open()).ensure()).rejects.toThrow(/client-ca\/cert.pem: exists, but store.json neither lists client-ca nor records that a run was creating it/);
      expect(snapshot(s.dir)).toEqual(before);
      expect(s.warnings).toEqual([]);
    } finally {
      s.cleanup();
    }
  });

  test('CA files copied into a new store by hand are refused, not adopted (import-openssl is the way)', async () => {
    const s = scratchStore();
    try {
      const mine = await createRootCa({ commonName: 'mtls-pki Server CA' });
      fs.mkdirSync(join(s.dir, 'server-ca'), { recursive: true });
      fs.writeFileSync(join(s.dir, 'server-ca/cert.pem'), mine.certificatePem);
      fs.writeFileSync(join(s.dir, 'server-ca/key.pem'), mine.privateKeyPem, { mode: 0o600 });
      const before = snapshot(s.dir);
      await expect((await s.open()).ensure()).rejects.toThrow(/server-ca\/cert.pem: exists, but store.json neither lists server-ca nor records that a run was creating it.*import it with `mtls-pki import-openssl`/);
      expect(snapshot(s.dir)).toEqual(before);
      expect(fs.readFileSync(join(s.dir, 'server-ca/key.pem'), 'utf8')).toBe(mine.privateKeyPem);
    } finally {
      s.cleanup();
    }
  });
});
