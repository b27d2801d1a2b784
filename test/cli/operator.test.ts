import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import { PkiStore } from '../../lib/store';
import { seedChart } from '../support/chart';
import { openssl, scratchDir } from '../support/openssl';
import { cli, requireBuild } from './cli';
import { HAS_SCRIPT, pty } from './pty';

// What an operator meets: a store that keeps itself out of git, --out, expiry warnings, "did you mean", a server
// certificate revoked only on purpose (and `check` failing until a new one is issued), `check` saying what it read,
// a spec that does not quietly undo a revocation, and validities the store would renew on every run. The built
// binary where a real terminal, git or a separate process matters; `main(argv, io)` in-process otherwise.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-operator-');
afterAll(() => tmp.cleanup());
import { DAY } from '../fixtures';

/** `mtls-pki argv` in this process; stdin is not a terminal unless given. */
async function run(argv: readonly string[], stdin?: NonNullable<Parameters<typeof main>[1]['stdin']>) {
  let stdout = '';
  let stderr = '';
  const status = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' }, stdin,
  });
  return { status, stdout, stderr };
}

const quiet = { onWarning: () => undefined, onChange: () => undefined };

describe('a store in the user\'s app keeps itself out of git', () => {
  const app = join(tmp.dir, 'app');
  const git = (...args: string[]) => spawnSync('git', args, { cwd: app, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: tmp.dir } });

  test('init writes pki/.gitignore and says so; `git add .` then stages nothing under pki/', () => {
    fs.mkdirSync(app);
    expect(git('init', '-q').status).toBe(0);
    fs.writeFileSync(join(app, 'main.ts'), '// the cdk8s app\n');
    const r = cli(['init', '--dir', 'pki'], { cwd: app });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Kept out of git by pki/.gitignore ("*"): the store holds the CA private keys');
    expect(fs.readFileSync(join(app, 'pki/.gitignore'), 'utf8')).toMatch(/^#.*\n\*\n$/);
    expect(git('add', '.').status).toBe(0);
    expect(git('status', '--porcelain').stdout).toBe('A  main.ts\n');
    expect(git('check-ignore', 'pki/client-ca/key.pem').status).toBe(0);
  });

  test('an older store without it gets it on its next write (not on a read); one the user edited is left alone', async () => {
    const store = join(app, 'pki');
    fs.rmSync(join(store, '.gitignore'));
    expect((await run(['list', '--dir', store])).status).toBe(0);
    expect(fs.existsSync(join(store, '.gitignore'))).toBe(false);
    const issued = JSON.parse((await run(['client', 'Alice', '--json', '--dir', store])).stdout);
    expect(issued.changes).toContain(`wrote ${join(store, '.gitignore')} ("*"): git add never picks up the store's private keys`);
    expect(git('status', '--porcelain').stdout).toBe('A  main.ts\n');
    fs.writeFileSync(join(store, '.gitignore'), '*.key.pem\n');
    expect((await run(['client', 'Bob', '--dir', store])).status).toBe(0);
    expect(fs.readFileSync(join(store, '.gitignore'), 'utf8')).toBe('*.key.pem\n');
  });
});

describe('--out writes stable names for issued material', () => {
  const store = join(tmp.dir, 'out-store');
  beforeAll(async () => expect((await run(['init', '--dir', store])).status).toBe(0));

  test('client X --out DIR: X.crt and X.key (0600) in a new 0700 DIR; the key is the certificate\'s; --new replaces them', async () => {
    const out = join(tmp.dir, 'handover');
    const r = await run(['client', 'Client 7', '--out', out, '--dir', store]);
    expect(r).toMatchObject({ status: 0, stdout: expect.stringContaining(`wrote ${join(out, 'Client_7.crt')} and ${join(out, 'Client_7.key')} (0600, secret)`) });
    expect(r.stdout).toContain(`curl --cert ${join(out, 'Client_7.crt')} --key ${join(out, 'Client_7.key')}`);
    const mode = (p: string) => fs.statSync(p).mode & 0o777;
    expect([mode(out), mode(join(out, 'Client_7.crt')), mode(join(out, 'Client_7.key'))]).toEqual([0o700, 0o644, 0o600]);
    const subject = () => openssl(['x509', '-in', join(out, 'Client_7.crt'), '-noout', '-subject', '-serial']);
    expect(subject()).toMatch(/^subject=CN = Client 7\nserial=/);
    expect(openssl(['pkey', '-in', join(out, 'Client_7.key'), '-pubout'])).toBe(openssl(['x509', '-in', join(out, 'Client_7.crt'), '-noout', '-pubkey']));
    const before = subject();
    expect((await run(['client', 'Client 7', '--new', '--out', out, '--dir', store])).status).toBe(0);
    expect(subject()).not.toBe(before);
    expect(openssl(['pkey', '-in', join(out, 'Client_7.key'), '-pubout'])).toBe(openssl(['x509', '-in', join(out, 'Client_7.crt'), '-noout', '-pubkey']));
  });

  test('server … --out DIR: NAME.crt is leaf + server CA (openssl verifies it), NAME.key its key', async () => {
    const out = join(tmp.dir, 'tls');
    expect((await run(['server', 'api.example.com', '*.api.example.com', '--name', 'api', '--out', out, '--dir', store])).status).toBe(0);
    const crt = join(out, 'api.crt');
    expect(fs.readFileSync(crt, 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(openssl(['verify', '-CAfile', join(store, 'server-ca/cert.pem'), crt]).trim()).toBe(`${crt}: OK`);
    expect(openssl(['pkey', '-in', join(out, 'api.key'), '-pubout'])).toBe(openssl(['x509', '-in', crt, '-noout', '-pubkey']));
  });

  test('an --out that is a file is refused before anything is issued', async () => {
    const file = tmp.write('not-a-dir', 'x');
    const before = fs.readFileSync(join(store, 'store.json'), 'utf8');
    expect(await run(['client', 'Nobody', '--out', file, '--dir', store])).toMatchObject({ status: 1, stderr: expect.stringMatching(/not-a-dir: is a file; give --out a directory/) });
    expect(fs.readFileSync(join(store, 'store.json'), 'utf8')).toBe(before);
  });
});

describe('expiring client certificates are named in list and check, and renewed by `client`', () => {
  const store = join(tmp.dir, 'expiry-store');
  beforeAll(async () => {
    expect((await run(['init', '--dir', store])).status).toBe(0);
    // Issued 15 days ago for 40 days: 25 days (less five minutes) left.
    await (await PkiStore.open(store, { create: false, ...quiet })).issueClient('Soon', [], { validityDays: 40, now: new Date(Date.now() - 15 * DAY) });
    expect((await run(['client', 'Later', '--dir', store])).status).toBe(0);
  });

  test('list says "expires in N day(s)" instead of valid; --json has expiresSoon', async () => {
    const text = (await run(['list', '--dir', store])).stdout;
    expect(text).toMatch(/client +Soon .* 24 +expires in 24 day\(s\)\n/);
    expect(text).toMatch(/client +Later .* valid\n/);
    const listed = JSON.parse((await run(['list', '--json', '--dir', store])).stdout).certificates;
    expect(listed.map((c: { commonName: string; status: string; expiresSoon: boolean }) => [c.commonName, c.status, c.expiresSoon])).toEqual([['Soon', 'valid', true], ['Later', 'valid', false]]);
  });

  test('check warns (MTLS091) and still exits 0', async () => {
    const r = await run(['check', '--dir', store]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/MTLS091 warning \S+clients\/Soon-[0-9A-F]+\.cert\.pem: client certificate "Soon" \(serial [0-9A-F]+\) expires in 24 day\(s\), on \d{4}-\d\d-\d\d \(within 30 days\); then nginx answers 400 to that client: renew it with `mtls-pki client Soon`/);
    expect(r.stdout).toMatch(/0 error\(s\), 1 warning\(s\)\n$/);
  });

  test('client Soon renews it and says why; then list and check are quiet about it', async () => {
    const r = await run(['client', 'Soon', '--dir', store]);
    expect(r.stdout).toMatch(/^issued client certificate CN=Soon serial [0-9A-F]+, no SAN, expires \S+\n {2}renewed: serial [0-9A-F]+ expires in 24 day\(s\)\n/);
    expect((await run(['check', '--dir', store])).stdout).toMatch(/ok: no findings\n$/);
  });
});

describe('did you mean: commands, options, client CNs and server names', () => {
  const store = join(tmp.dir, 'dym-store');
  beforeAll(async () => {
    expect((await run(['init', '--dir', store])).status).toBe(0);
    expect((await run(['client', 'Client001', '--dir', store])).status).toBe(0);
  });

  test('an option, a command, a help topic', async () => {
    expect(await run(['list', '--jsno', '--dir', store])).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown option --jsno \(did you mean --json\?\)\./) });
    expect(await run(['list', '-json'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown option -json \(did you mean --json\?\); options are spelled --name/) });
    expect(await run(['lsit'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown command "lsit" \(did you mean list\?\)/) });
    expect(await run(['help', 'chek'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/there is no command "chek" \(did you mean check\?\)/) });
    expect((await run(['frobnicate'])).stderr).not.toMatch(/did you mean/);
  });

  test('a client CN to revoke, a server name for serverTls', async () => {
    expect(await run(['revoke', 'Clinet001', '--dir', store])).toMatchObject({ status: 1, stderr: expect.stringMatching(/no certificate with common name "Clinet001" in the store \(did you mean "Client001"\?\)/) });
    const s = await PkiStore.open(store, { create: false, ...quiet });
    await s.issueServer('web', ['web.example.com']);
    await expect(s.material().then((m) => m.serverTls('wbe'))).rejects.toThrow(/"wbe" is not a server certificate of this store \(did you mean "web"\?\)/);
  });
});

describe('revoking a server certificate takes intent, and check fails until a new one is issued', () => {
  const store = join(tmp.dir, 'server-store');
  beforeAll(async () => {
    expect((await run(['init', '--dir', store])).status).toBe(0);
    expect((await run(['server', 'app.example.com', '--dir', store])).status).toBe(0);
  });
  const status = async () => JSON.parse((await run(['list', '--json', '--dir', store])).stdout).certificates.map((c: { status: string }) => c.status);

  test('without a terminal and without --server: exit 2 naming --server, nothing revoked', () => {
    const r = cli(['revoke', 'app.example.com', '--dir', store]);
    expect(r).toMatchObject({ status: 2, stderr: expect.stringMatching(/usage error: "app\.example\.com" is the server certificate .* add --server \(stdin is not a terminal to ask on\)\. Nothing was revoked\./) });
    return expect(status()).resolves.toEqual(['valid']);
  });

  test('on a terminal, "n" keeps it (exit 1)', async () => {
    expect(HAS_SCRIPT).toBe(true);
    const r = await pty(['revoke', 'app.example.com', '--dir', store], { answers: [{ when: /\[y\/N\] $/, type: 'n\r' }] });
    expect(r.output).toMatch(/Revoke it\? Clients that check the server CA's CRL refuse the server until a new certificate is deployed\. \[y\/N\] n\n/);
    expect(r).toMatchObject({ status: 1, output: expect.stringMatching(/not confirmed: app\.example\.com \(serial [0-9A-F]+\) stays valid/) });
    expect(await status()).toEqual(['valid']);
  });

  test('on a terminal, "y" revokes it; check then fails with MTLS090; `server` issues a new one and check passes', async () => {
    const r = await pty(['revoke', 'app.example.com', '--reason', 'keyCompromise', '--dir', store], { answers: [{ when: /\[y\/N\] $/, type: 'y\r' }] });
    expect(r).toMatchObject({ status: 0, output: expect.stringMatching(/revoked app\.example\.com serial [0-9A-F]+ \(server-ca\)[\s\S]*CRL \S+server-ca\/crl\.pem: #1, 1 revoked[\s\S]*the server still serves it: issue and deploy a new one, mtls-pki server app\.example\.com/) });
    const check = await run(['check', '--dir', store]);
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(/MTLS090 error \S+servers\/app\.example\.com-[0-9A-F]+\.chain\.pem: server certificate "app\.example\.com" \(serial [0-9A-F]+\) was revoked \d{4}-\d\d-\d\d \(keyCompromise\), but it is still the one the store hands out/);
    expect(check.stdout).not.toMatch(/ok: no findings/);
    const again = await run(['server', 'app.example.com', '--dir', store]);
    expect(again.stdout).toMatch(/^issued server certificate .*\n {2}re-issued: serial [0-9A-F]+ was revoked \(keyCompromise\)\n/);
    expect(await run(['check', '--dir', store])).toMatchObject({ status: 0, stdout: expect.stringMatching(/ok: no findings\n$/) });
  });

  test('--server revokes without asking', async () => {
    expect(await run(['revoke', 'app.example.com', '--server', '--dir', store])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^revoked app\.example\.com/) });
    expect(await status()).toEqual(['revoked', 'revoked']);
  });
});

describe('check says what it checked', () => {
  test('files: their names, and how many certificates and CRLs they hold; --json has the same', async () => {
    const store = join(tmp.dir, 'files-store');
    expect((await run(['init', '--dir', store])).status).toBe(0);
    const [ca, crl] = [join(store, 'client-trust/ca.crt'), join(store, 'client-trust/ca.crl')];
    expect((await run(['check', '--client-ca', ca, '--crl', crl])).stdout).toBe(`checked ${ca}, ${crl}: 1 certificate(s), 1 CRL(s)\nok: no findings\n`);
  });

  test('manifests: the objects read, and the certificates and CRLs in their Secrets', async () => {
    const dist = join(tmp.dir, 'dist');
    seedChart({}, dist).app.synth();
    const r = await run(['check', '--manifests', dist]);
    expect(r.stdout.split('\n')[0]).toBe(`checked ${dist}: 3 object(s) (Secret/odcp/mtls-server-secret, Secret/odcp/mtls-client-ca-secret, Ingress/odcp/mtls-test-ingress); 3 certificate(s), 1 CRL(s) in their Secrets`);
    expect(JSON.parse((await run(['check', '--manifests', dist, '--json'])).stdout).checked).toEqual({
      files: [dist], objects: ['Secret/odcp/mtls-server-secret', 'Secret/odcp/mtls-client-ca-secret', 'Ingress/odcp/mtls-test-ingress'], certificates: 3, crls: 1,
    });
  });
});

describe('a spec does not quietly undo a revocation made outside it', () => {
  test('mtls-pki revoke partner-a, then a synth whose spec still lists partner-a: refused, naming reissueIfRevoked; with it, a new certificate', async () => {
    const dir = join(tmp.dir, 'spec-store');
    const spec = { clients: [{ commonName: 'partner-a' }, { commonName: 'partner-b' }] };
    const changes: string[] = [];
    const store = await PkiStore.open(dir, { onWarning: () => undefined, onChange: (m) => changes.push(m) });
    await store.ensure(spec);
    expect(await run(['revoke', 'partner-a', '--reason', 'keyCompromise', '--dir', dir])).toMatchObject({ status: 0 });
    const before = fs.readFileSync(join(dir, 'store.json'), 'utf8');
    await expect(store.ensure(spec)).rejects.toThrow(/^clients\[0\]: "partner-a" is revoked \(serial [0-9A-F]+, \d{4}-\d\d-\d\d, keyCompromise\), but this spec does not revoke it: it was revoked outside the spec .* reissueIfRevoked: true/);
    expect(fs.readFileSync(join(dir, 'store.json'), 'utf8')).toBe(before);
    changes.length = 0;
    await store.ensure({ clients: [{ commonName: 'partner-a', reissueIfRevoked: true }, { commonName: 'partner-b' }] });
    expect(changes).toEqual([expect.stringMatching(/^re-issued client certificate "partner-a" \(serial [0-9A-F]+, no SAN, valid until \S+\): serial [0-9A-F]+ was revoked \(keyCompromise\)$/)]);
    const listed = (await store.list()).certificates.filter((c) => c.commonName === 'partner-a').map((c) => c.status);
    expect(listed).toEqual(['revoked', 'valid']);
  });
});

describe('a validity the store would renew on every run is refused', () => {
  test('--days 30 (exit 1, nothing issued); 31 is fine; a spec with validityDays: 30 names its field', async () => {
    const dir = join(tmp.dir, 'days-store');
    expect((await run(['init', '--dir', dir])).status).toBe(0);
    expect(await run(['server', 'a.example.com', '--days', '30', '--dir', dir])).toMatchObject({ status: 1, stderr: expect.stringMatching(/^mtls-pki: error: --days: 30 days is not more than the 30-day renewal threshold: .*every deploy would reload nginx\. Give more than 30 days \(the default is 397\)/) });
    expect(await run(['client', 'c', '--days', '7', '--dir', dir])).toMatchObject({ status: 1, stderr: expect.stringMatching(/--days: 7 days is not more than the 30-day renewal threshold/) });
    expect(JSON.parse((await run(['list', '--json', '--dir', dir])).stdout).certificates).toEqual([]);
    expect((await run(['client', 'c', '--days', '31', '--dir', dir])).status).toBe(0);
    const store = await PkiStore.open(dir, { create: false, ...quiet });
    await expect(store.ensure({ servers: [{ name: 'a', names: ['a.example.com'], validityDays: 30 }] })).rejects.toThrow(/^servers\[0\]\.validityDays: 30 days is not more than the 30-day renewal threshold/);
  });
});
