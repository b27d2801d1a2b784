import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { openssl, scratchDir } from '../support/openssl';
import { snapshot } from '../store/helpers';
import { cli, requireBuild } from './cli';

// Issue 13, part B, through the built CLI with real files: the store follows no link and uses no CA file it did
// not write (nor one an interrupted run left, unless store.json recorded that run's intent).

beforeAll(requireBuild);

const tmp = scratchDir('mtls-trust-');
afterAll(() => tmp.cleanup());
const ENV = { ...process.env, NO_COLOR: '1', MTLS_PKI_LOCK_TIMEOUT_MS: '20000' };

describe('the store trusts only files it wrote', () => {
  test('init refuses CA files planted as symbolic links ("left by an interrupted run"): exit 1, nothing adopted or written', () => {
    const dir = join(tmp.dir, 'planted');
    const elsewhere = join(tmp.dir, 'planted-ca');
    fs.mkdirSync(elsewhere);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(elsewhere, 'key.pem'), '-out', join(elsewhere, 'cert.pem'), '-days', '30', '-subj', '/CN=mtls-pki Client CA']);
    fs.mkdirSync(join(dir, 'client-ca'), { recursive: true });
    fs.symlinkSync(join(elsewhere, 'cert.pem'), join(dir, 'client-ca/cert.pem'));
    fs.symlinkSync(join(elsewhere, 'key.pem'), join(dir, 'client-ca/key.pem'));
    const r = cli(['init', '--dir', dir]);
    expect(r).toMatchObject({ status: 1, stdout: '' });
    expect(r.stderr).toBe(`mtls-pki: error: ${dir}/client-ca/cert.pem: is a symbolic link to ${elsewhere}/cert.pem. The store never follows links: whoever controls ${elsewhere}/cert.pem could read or replace what the store keeps there. Replace it with a real file: rm ${dir}/client-ca/cert.pem, then restore the real file from a backup. Nothing was read from it or written to it.\n`);
    expect(fs.readdirSync(dir)).toEqual(['client-ca']);
  });

  test('a store directory replaced by a link to a world-writable /tmp directory gets no private key: exit 1 naming the path and the fix', () => {
    const dir = join(tmp.dir, 'linked');
    expect(cli(['init', '--dir', dir]).status).toBe(0);
    const world = fs.mkdtempSync('/tmp/mtls-world-');
    try {
      fs.chmodSync(world, 0o1777);
      expect(fs.existsSync(join(dir, 'clients'))).toBe(false); // init makes no clients/ yet: someone makes it a link first
      fs.symlinkSync(world, join(dir, 'clients'));
      const r = cli(['client', 'Client001', '--dir', dir]);
      expect(r).toMatchObject({ status: 1, stdout: '' });
      expect(r.stderr).toBe(`mtls-pki: error: ${dir}/clients: is a symbolic link to ${world}. The store never follows links: ${world} is writable by every user, so the private keys and CA files the store keeps there would be theirs to read or replace. Replace it with a real directory: rm ${dir}/clients && mkdir -m 700 ${dir}/clients, then move back from ${world} only the files you know are the store's. Nothing was read from it or written to it.\n`);
      expect(fs.readdirSync(world)).toEqual([]);
      // The fix it names works.
      fs.rmSync(join(dir, 'clients'));
      fs.mkdirSync(join(dir, 'clients'), { mode: 0o700 });
      expect(cli(['client', 'Client001', '--dir', dir])).toMatchObject({ status: 0, stderr: '' });
    } finally {
      fs.rmSync(world, { recursive: true, force: true });
    }
  });

  test('a same-CN CA pair copied over the store\'s files: nothing is signed with it; list warns', () => {
    const dir = join(tmp.dir, 'swapped');
    expect(cli(['init', '--dir', dir]).status).toBe(0);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'client-ca/key.pem'), '-out', join(dir, 'client-ca/cert.pem'), '-days', '3650', '-subj', '/CN=mtls-pki Client CA']);
    const before = snapshot(dir);
    const r = cli(['client', 'mallory', '--dir', dir]);
    expect(r).toMatchObject({ status: 1, stderr: expect.stringMatching(new RegExp(`^mtls-pki: error: ${dir}/client-ca/cert.pem: is not the client-ca that store.json records: it holds "CN=mtls-pki Client CA" serial [0-9A-F]+ \\(SHA-256 [0-9a-f]{64}\\), but the store created or imported .*restore the original cert.pem and key.pem of client-ca from a backup\\. Nothing was signed or written\\.\\n$`)) });
    expect(cli(['crl', '--force', '--dir', dir]).status).toBe(1);
    expect(snapshot(dir)).toEqual(before);
    expect(cli(['list', '--dir', dir])).toMatchObject({ status: 0, stderr: expect.stringMatching(/warning: .*client-ca\/cert.pem: is not the client-ca that store.json records/) });
  });
  test('init killed by a full disk at each write point: the next init adopts exactly what store.json recorded, or starts afresh', () => {
    const outcomes: string[] = [];
    for (let n = 0; n <= 30; n++) {
      const dir = join(tmp.dir, `interrupted-${n}`);
      const r = cli(['init', '--dir', dir], { env: { ...ENV, MTLS_TEST_FAIL_WRITES: String(n) } });
      if (r.status === 0) {
        outcomes.push(`${n}: done`);
        break;
      }
      expect(r.stderr).toMatch(/the disk is full/);
      const again = cli(['init', '--dir', dir]);
      expect({ n, status: again.status }).toEqual({ n, status: 0 });
      const adopted = [...again.stderr.matchAll(/warning: adopted \S+\/(\S+)\/cert.pem and its key, written by an interrupted run/g)].map((m) => m[1]);
      expect(again.stderr.replace(/mtls-pki: warning: adopted .*\n/g, '')).toBe('');
      outcomes.push(`${n}: ${adopted.length ? `adopted ${adopted.join(', ')}` : 'fresh'}`);
      // Whatever happened, store.json pins the files now in the store, and no intent is left over.
      const state = JSON.parse(fs.readFileSync(join(dir, 'store.json'), 'utf8'));
      expect(state.pendingCas).toBeUndefined();
      for (const id of ['server-ca', 'client-ca']) {
        const der = openssl(['x509', '-in', join(dir, id, 'cert.pem'), '-outform', 'DER']).length; // readable by openssl
        expect(der).toBeGreaterThan(0);
        const fp = createHash('sha256').update(spawnSync('openssl', ['x509', '-in', join(dir, id, 'cert.pem'), '-outform', 'DER']).stdout).digest('hex');
        expect([id, state.cas[id].fingerprintSha256]).toEqual([id, fp]);
        expect(openssl(['pkey', '-in', join(dir, id, 'key.pem'), '-pubout'])).toBe(openssl(['x509', '-in', join(dir, id, 'cert.pem'), '-noout', '-pubkey']));
      }
      expect(cli(['list', '--dir', dir])).toMatchObject({ status: 0, stderr: '' });
    }
    expect(outcomes[outcomes.length - 1]).toMatch(/done$/);
    expect(outcomes.some((o) => /adopted/.test(o))).toBe(true); // the adoption path was reached, not only fresh starts
    console.log(`init interrupted at each write: ${outcomes.join('; ')}`);
  });
});
