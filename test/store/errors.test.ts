import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { CertificateFacts, UserInputError } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { issueWithUniqueSerial } from '../../lib/store/issue';
import { cli, requireBuild } from '../cli/cli';
import { scratchStore, snapshot } from './helpers';

describe('bad input is refused with the field and the fix, and nothing is written or lost', () => {
  const s = scratchStore();
  afterAll(() => s.cleanup());

  test('dir pointing at a file', async () => {
    const file = s.tmp.write('file', 'x');
    const attempt = PkiStore.open(file);
    await expect(attempt).rejects.toThrow(UserInputError);
    await expect(attempt).rejects.toMatchObject({ field: file, message: expect.stringMatching(/is a file, not a directory/) });
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  test('a non-empty directory that is not a store; a missing store when create is false', async () => {
    const other = join(s.tmp.dir, 'photos');
    fs.mkdirSync(other);
    fs.writeFileSync(join(other, 'cat.jpg'), 'meow');
    await expect(PkiStore.open(other)).rejects.toThrow(/is not empty \(cat.jpg\) and not a PKI store; give --dir a new or empty directory/);
    await expect(PkiStore.open(join(s.tmp.dir, 'nothing'), { create: false })).rejects.toThrow(/does not exist, so there is no PKI store here/);
    expect(fs.readdirSync(other)).toEqual(['cat.jpg']);
  });

  test.each([
    ['not JSON', '{"format": ', /store.json: is not valid JSON \(.+\)\. This file is the store's record .* nothing was changed\. Restore it from a backup/],
    ['another file', '{"name": "something"}', /store.json: is not an mtls-pki store file/],
    ['a newer version', '{"format": "mtls-pki-store", "version": 9}', /store.json: has version 9, but this mtls-pki reads version 1/],
    ['a damaged revocation', null, /store.json: has a damaged revocation record \(revocations\[0\]\)/],
  ])('a store.json that is %s', async (_what, text, message) => {
    const dir = join(s.tmp.dir, `damaged-${_what.replace(/\W/g, '')}`);
    await (await PkiStore.open(dir)).ensure({ clients: [{ commonName: 'x' }], revoked: [{ commonName: 'x' }] });
    const path = join(dir, 'store.json');
    const damaged = text ?? fs.readFileSync(path, 'utf8').replace(/"revokedAt": "[^"]+"/, '"revokedAt": "yesterday"');
    fs.writeFileSync(path, damaged);
    const before = snapshot(dir);
    await expect(PkiStore.open(dir)).rejects.toThrow(message);
    await expect(PkiStore.open(dir)).rejects.toBeInstanceOf(UserInputError);
    expect(snapshot(dir)).toEqual(before);
  });

  test('a store directory the user cannot write: the CLI says so, exit 1, and the store is unchanged', async () => {
    requireBuild();
    const dir = join(s.tmp.dir, 'readonly');
    await (await PkiStore.open(dir)).ensure({ clients: [{ commonName: 'x' }] });
    const before = snapshot(dir);
    const asRoot = process.getuid?.() === 0;
    // Permission bits do not bind root, so as root the CLI runs as "nobody", owning a store it may read but not write.
    const nobody = 65534;
    if (asRoot) {
      fs.chmodSync(s.tmp.dir, 0o755);
      execFileSync('chown', ['-R', `${nobody}:${nobody}`, dir]);
    }
    fs.chmodSync(dir, 0o500);
    try {
      const r = cli(['revoke', 'x', '--dir', dir], asRoot ? { uid: nobody, gid: nobody } : {});
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^mtls-pki: error: \S+readonly\/\.lock: cannot create the lock file: permission denied\. Run as the store's owner, or give --dir a directory you can write\.\n$/);
    } finally {
      fs.chmodSync(dir, 0o700);
      if (asRoot) execFileSync('chown', ['-R', '0:0', dir]);
    }
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('serial uniqueness per CA', () => {
  const facts = (serialHex: string) => ({ facts: { serialHex } as CertificateFacts });

  test('a serial the CA already used is drawn again', async () => {
    const draws = ['0A', '0B', '0C'];
    const issued = await issueWithUniqueSerial(new Set(['0A', '0B']), async () => facts(draws.shift()!));
    expect(issued.facts.serialHex).toBe('0C');
  });

  test('a generator that only repeats is a hard error, not a duplicate', async () => {
    await expect(issueWithUniqueSerial(new Set(['0A']), async () => facts('0A'), 3)).rejects.toThrow(/could not draw an unused serial number in 3 attempts/);
  });

  test('serials issued by the store are unique across its certificates', async () => {
    const s = scratchStore();
    try {
      const store = await s.open();
      await store.ensure({ clients: Array.from({ length: 20 }, (_, i) => ({ commonName: `c${i}` })), servers: [{ name: 'w', names: ['w.example.com'] }] });
      const serials = (await store.list()).certificates.map((c) => c.serialHex);
      expect(new Set(serials).size).toBe(21);
      for (const serial of serials) expect(serial).toMatch(/^[0-7][0-9A-F]{31}$/); // 16 bytes, top bit clear
    } finally {
      s.cleanup();
    }
  });
});
