import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { MtlsIngress } from '../../lib';
import { PkiStore } from '../../lib/store';
import { cli, CLI, requireBuild, ROOT } from '../cli/cli';
import { scratchDir } from '../support/openssl';

// Secret hygiene: modes of what the store writes (even under umask 000), a warning naming the file and the
// chmod when a key or the store is found wider, pki/ and dist/ ignored by git, and no CA or client private key
// in synthesized output, also with an intermediate client CA (the example test covers the two-CA store).

beforeAll(requireBuild);

const tmp = scratchDir('mtls-secrets-');
afterAll(() => tmp.cleanup());
const modeOf = (path: string) => (fs.statSync(path).mode & 0o777).toString(8).padStart(4, '0');
const files = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).sort();

describe('file modes', () => {
  const dir = join(tmp.dir, 'pki');

  test('under umask 000, the CLI still writes the store 0700, keys 0600 and everything else 0644', () => {
    const run = (...args: string[]) => spawnSync('sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, CLI, ...args, '--dir', dir], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    for (const args of [['init', '--intermediate-cn', 'Issuing CA'], ['server', 'app.example.com'], ['client', 'Client001'], ['revoke', 'Client001']]) {
      expect(run(...args)).toMatchObject({ status: 0, stderr: '' });
    }
    const modes = Object.fromEntries(files(dir).map((f) => [f, modeOf(join(dir, f))]));
    const keys = Object.keys(modes).filter((f) => /(^|\/|\.)key\.pem$/.test(f));
    expect(keys).toHaveLength(5); // three CAs, one server, one client
    for (const [f, mode] of Object.entries(modes)) {
      const expected = fs.statSync(join(dir, f)).isDirectory() ? '0700' : keys.includes(f) ? '0600' : '0644';
      expect([f, mode]).toEqual([f, expected]);
    }
    expect(modeOf(dir)).toBe('0700');
  });

  test('a key found 0644 and a store found 0755: `mtls-pki list` warns, naming each and the chmod, and still lists', () => {
    const clientKey = files(dir).find((f) => /^clients\/Client001-.*\.key\.pem$/.test(f))!;
    fs.chmodSync(join(dir, clientKey), 0o644);
    fs.chmodSync(join(dir, 'client-intermediate-ca/key.pem'), 0o640);
    fs.chmodSync(dir, 0o755);
    try {
      const r = cli(['list', '--dir', dir]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Client001/);
      const warnings = r.stderr.trimEnd().split('\n');
      expect(warnings).toEqual(expect.arrayContaining([
        `mtls-pki: warning: ${dir} has mode 0755; the store holds private keys, so make it 0700: chmod 700 ${dir}`,
        `mtls-pki: warning: ${join(dir, clientKey)} is a private key with mode 0644; make it 0600: chmod 600 ${join(dir, clientKey)}`,
        `mtls-pki: warning: ${join(dir, 'client-intermediate-ca/key.pem')} is a private key with mode 0640; make it 0600: chmod 600 ${join(dir, 'client-intermediate-ca/key.pem')}`,
      ]));
      expect(warnings).toHaveLength(3);
    } finally {
      fs.chmodSync(join(dir, clientKey), 0o600);
      fs.chmodSync(join(dir, 'client-intermediate-ca/key.pem'), 0o600);
      fs.chmodSync(dir, 0o700);
    }
    expect(cli(['list', '--dir', dir])).toMatchObject({ status: 0, stderr: '' });
  });
});

test('pki/ and dist/ are ignored by git, and nothing under them is tracked', () => {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const paths = ['pki/', 'pki/client-ca/key.pem', 'pki/clients/Client001-0A.key.pem', 'dist/', 'dist/mtls-example.k8s.yaml'];
  const r = git('check-ignore', '--no-index', ...paths);
  expect(r.status).toBe(0);
  expect(r.stdout.trim().split('\n').sort()).toEqual([...paths].sort());
  expect(git('ls-files', '--', 'pki', 'dist')).toMatchObject({ status: 0, stdout: '' });
});

test('with an intermediate client CA: no CA or client private key in dist/, in any encoding; the server key only in its TLS Secret', async () => {
  const dir = join(tmp.dir, 'pki-intermediate');
  const store = await PkiStore.open(dir);
  const pki = await store.ensure({
    clientCa: { commonName: 'Root Client CA', intermediate: { commonName: 'Issuing Client CA' } },
    servers: [{ name: 'app', names: ['app.example.com'] }],
    clients: [{ commonName: 'Client001' }, { commonName: 'Client002' }],
    revoked: [{ commonName: 'Client001', reason: 'keyCompromise' }],
  });
  const outdir = join(tmp.dir, 'dist');
  const app = new App({ outdir });
  new MtlsIngress(new Chart(app, 'intermediate', { namespace: 'shop' }), 'mtls', {
    host: 'app.example.com', backend: { serviceName: 'app', port: 80 }, serverTls: pki.serverTls('app'), ...pki.clientTrust(), verifyDepth: 1,
  });
  app.synth();
  const dist = files(outdir).map((f) => fs.readFileSync(join(outdir, f), 'utf8')).join('\n');
  // what is decoded from the Secrets, too: a key could hide in any data value
  const decoded = [...dist.matchAll(/^ {2}[\w.]+: (\S{40,})$/gm)].map((m) => Buffer.from(m[1], 'base64').toString('utf8')).join('\n');
  const keys = files(dir).filter((f) => /key\.pem$/.test(f));
  expect(keys.filter((k) => /-ca\//.test(k))).toEqual(['client-ca/key.pem', 'client-intermediate-ca/key.pem', 'server-ca/key.pem']);
  for (const keyFile of keys) {
    const pem = fs.readFileSync(join(dir, keyFile), 'utf8');
    const body = pem.replace(/-----[^-]+-----|\s/g, '');
    const forms = [pem, body, Buffer.from(pem).toString('base64'), body.slice(10, 60), Buffer.from(body, 'base64').toString('hex').slice(20, 80)];
    const present = forms.some((f) => dist.includes(f) || decoded.includes(f));
    expect([keyFile, present]).toEqual([keyFile, /^servers\//.test(keyFile)]);
  }
  expect(decoded).toContain(pki.serverTls('app').privateKeyPem);
  // the trust bundle carries both client CAs and a CRL for each
  const trust = pki.clientTrust();
  expect(trust.clientCaPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  expect(trust.crlPem.match(/BEGIN X509 CRL/g)).toHaveLength(2);
  expect(decoded).toContain(trust.crlPem);
});
