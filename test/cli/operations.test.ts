import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { buildCrl, loadCertificateAuthority } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { seedChart } from '../support/chart';
import { seedFixture } from '../fixtures';
import { openssl, scratchDir } from '../support/openssl';
import { ROOT, cli, requireBuild } from './cli';

// docs/operations.md tells operators to run these commands; each test finds the command in the document and
// runs it (with --dir for the test's store), so the runbook and the CLI cannot drift apart unnoticed.

beforeAll(requireBuild);

const operations = fs.readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
const tmp = scratchDir('mtls-ops-');
afterAll(() => tmp.cleanup());
const dir = join(tmp.dir, 'pki');
const inStore = (...args: string[]) => cli([...args, '--dir', dir]);
import { DAY } from '../fixtures';

/** The arguments of a documented `mtls-pki …` command (in a code block, or inline in backticks), without its comment. */
function documented(prefix: string): string[] {
  const at = operations.indexOf(`mtls-pki ${prefix}`);
  if (at === -1) throw new Error(`docs/operations.md no longer documents \`mtls-pki ${prefix}\``);
  const rest = operations.slice(at + 'mtls-pki '.length);
  return rest.slice(0, rest.search(/[`\n]/)).replace(/\s+(#|>|\|\|).*$/, '').trim().split(/\s+/);
}

beforeAll(() => {
  expect(inStore('init').status).toBe(0);
  expect(inStore('server', 'mtls.dev.ityoudao.cn').status).toBe(0);
  for (const cn of ['Client001', 'Client002']) expect(inStore('client', cn).status).toBe(0);
});

test('"Revoke a client": mtls-pki revoke Client002 --reason keyCompromise', () => {
  const args = documented('revoke');
  expect(args).toEqual(['revoke', 'Client002', '--reason', 'keyCompromise']);
  expect(inStore(...args)).toMatchObject({ status: 0, stdout: expect.stringMatching(/^revoked Client002 .*reason keyCompromise/) });
});

test('"Rotate the server certificate": server <host> --force gives a new key and certificate under the same server CA', () => {
  const args = documented('server');
  expect(args).toEqual(['server', 'mtls.dev.ityoudao.cn', '--force']);
  const before = JSON.parse(inStore('list', '--json').stdout).certificates.find((c: { kind: string }) => c.kind === 'server');
  const r = inStore(...args);
  expect(r).toMatchObject({ status: 0, stdout: expect.stringMatching(/^issued server certificate CN=mtls.dev.ityoudao.cn serial ([0-9A-F]+)/) });
  const chain = /chain \(tls.crt\): (\S+)/.exec(r.stdout)![1];
  const key = /key {3}\(tls.key\): (\S+)/.exec(r.stdout)![1];
  const serial = /serial ([0-9A-F]+)/.exec(r.stdout)![1];
  expect(serial).not.toBe(before.serialHex);
  const pub = (args: string[], file: string) => openssl([...args, '-in', file]);
  expect(pub(['pkey', '-pubout'], key)).not.toBe(pub(['pkey', '-pubout'], join(dir, before.keyFile)));
  expect(pub(['pkey', '-pubout'], key)).toBe(pub(['x509', '-noout', '-pubkey'], chain));
  expect(openssl(['verify', '-CAfile', join(dir, 'server-ca/cert.pem'), chain]).trim()).toBe(`${chain}: OK`);
  // --renew, the earlier spelling, still works.
  expect(inStore('server', 'mtls.dev.ityoudao.cn', '--renew')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^issued server certificate/) });
});

test('"Revoke a client": crl --prune-expired drops an entry once its certificate expired and a later CRL listed it', async () => {
  const args = documented('crl --prune');
  expect(args).toEqual(['crl', '--prune-expired']);
  // A client that expired 8 days ago, revoked before that, and listed on a CRL issued after it expired.
  const t0 = new Date(Date.now() - 39 * DAY);
  const store = await PkiStore.open(dir, { create: false, onWarning: () => undefined, onChange: () => undefined });
  const { record } = await store.issueClient('Expired', [], { validityDays: 31, now: t0 });
  await store.revoke({ commonName: 'Expired' }, 'superseded', new Date(t0.getTime() + DAY));
  await store.refreshCrls({ force: true, now: new Date(t0.getTime() + 32 * DAY) });

  const kept = JSON.parse(inStore('crl', '--json').stdout);
  expect(kept.pruned).toEqual([]);
  expect(kept.crls[0].entries).toBe(2); // Client002 and Expired
  const r = JSON.parse(inStore(...args, '--json').stdout);
  expect(r.pruned).toEqual([expect.objectContaining({ serialHex: record.serialHex, commonName: 'Expired', reason: 'superseded' })]);
  expect(r.crls[0]).toMatchObject({ ca: 'client-ca', entries: 1, changed: true });
  expect(openssl(['crl', '-in', join(dir, 'client-trust/ca.crl'), '-noout', '-text'])).not.toContain(record.serialHex);
  // The text form says what it pruned; --prune, the earlier spelling, still works (and finds nothing more).
  expect(inStore('crl', '--prune')).toMatchObject({ status: 0, stderr: expect.stringMatching(/unchanged/) });
});

test('"Back up and restore the store": a restored older backup makes crl exit 1; crl --adopt-published keeps the revocation; --forget drops one on purpose', () => {
  // The documented procedure, with tar in place of tar | gpg: back up, revoke, restore, keep the newest CRL, run crl.
  const store = join(tmp.dir, 'restore', 'pki');
  fs.mkdirSync(store, { recursive: true });
  const at = (...args: string[]) => cli([...args, '--dir', store]);
  expect(at('init').status).toBe(0);
  for (const cn of ['Client001', 'Client002']) expect(at('client', cn).status).toBe(0);
  const backup = join(tmp.dir, 'restore', 'pki.tgz');
  expect(spawnSync('tar', ['-C', store, '-czf', backup, '.']).status).toBe(0);
  expect(at('revoke', 'Client001').status).toBe(0);
  expect(at('revoke', 'Client002').status).toBe(0);
  const serials = JSON.parse(at('list', '--json').stdout).certificates.map((c: { serialHex: string }) => c.serialHex);
  const broken = join(tmp.dir, 'restore', 'pki.broken');
  fs.renameSync(store, broken);
  fs.mkdirSync(store, { mode: 0o700 });
  expect(spawnSync('tar', ['-C', store, '-xzf', backup]).status).toBe(0);
  fs.copyFileSync(join(broken, 'client-ca/crl.pem'), join(store, 'client-ca/crl.pem'));

  expect(documented('crl                       #')).toEqual(['crl']);
  const refused = at('crl');
  expect(refused).toMatchObject({ status: 1, stdout: '' });
  for (const serial of serials) expect(refused.stderr).toContain(`serial ${serial} (`);

  // Forget Client002 on purpose and adopt Client001 back, as the two documented commands (run together).
  const forget = documented('crl --forget');
  expect(forget).toEqual(['crl', '--forget', '4AA7…', '--why', '"revoked', 'by', 'mistake,', 'ticket', 'OPS-1234"']);
  const adopt = documented('crl --adopt-published');
  expect(adopt).toEqual(['crl', '--adopt-published']);
  const r = at(...adopt, '--forget', serials[1], '--why', 'revoked by mistake, ticket OPS-1234');
  expect(r).toMatchObject({ status: 0, stderr: expect.stringMatching(new RegExp(`adopted serial ${serials[0]} .*it stays revoked\n.*forgot serial ${serials[1]} .*because: revoked by mistake, ticket OPS-1234`, 's')) });
  const text = openssl(['crl', '-in', join(store, 'client-trust/ca.crl'), '-noout', '-text']);
  expect(text).toContain(`Serial Number: ${serials[0]}`);
  expect(text).not.toContain(serials[1]);
  expect(at('crl')).toMatchObject({ status: 0, stderr: expect.stringMatching(/\(unchanged\)/) });
});

describe('"Keep the CRL fresh": check --manifests dist/ --json in cron fails (exit 1) 7 days before a CRL expires', () => {
  const dist = join(tmp.dir, 'dist');
  const args = documented('check');

  /** Synthesizes the seed app into dist/, with its CA Secret's ca.crl replaced by one that expires in `days`. */
  async function synthWithCrlExpiringIn(days: number): Promise<void> {
    fs.rmSync(dist, { recursive: true, force: true });
    seedChart({}, dist).app.synth();
    const ca = await loadCertificateAuthority(seedFixture('client-ca-cert.pem'), seedFixture('client-ca-key.pem'));
    const crl = await buildCrl({ issuer: ca, entries: [], crlNumber: 99n, thisUpdate: new Date(Date.now() - DAY), nextUpdate: new Date(Date.now() + days * DAY) });
    const file = join(dist, fs.readdirSync(dist).find((f) => f.endsWith('.yaml'))!);
    const yaml = fs.readFileSync(file, 'utf8');
    expect(yaml).toMatch(/^ {2}ca\.crl: /m);
    fs.writeFileSync(file, yaml.replace(/^( {2}ca\.crl: ).*$/m, `$1${Buffer.from(crl.pem).toString('base64')}`));
  }

  test('the documented command', () => {
    expect(args).toEqual(['check', '--manifests', 'dist/', '--json']);
  });

  test('a CRL with 30 days left: exit 0, "ok": true', async () => {
    await synthWithCrlExpiringIn(30);
    const r = cli(args, { cwd: tmp.dir });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'mtls-pki-check', target: 'manifests', ok: true, errors: 0 });
  });

  test('a CRL with 6 days left: exit 1, and the JSON names MTLS035', async () => {
    await synthWithCrlExpiringIn(6);
    const r = cli(args, { cwd: tmp.dir });
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: false, errors: 1 });
    expect(report.findings).toEqual([expect.objectContaining({ code: 'MTLS035', severity: 'error', title: 'the CRL expires within the threshold', message: expect.stringMatching(/within the 7-day threshold/) })]);
    expect(r.stderr).toBe('');
  });
});

test('"Keep keys out of git": list warns when a key file is wider than 0600 or the store directory wider than 0700', () => {
  expect(inStore('list')).toMatchObject({ status: 0, stderr: '' });
  const key = JSON.parse(inStore('list', '--json').stdout).certificates.find((c: { commonName: string }) => c.commonName === 'Client001').keyFile;
  fs.chmodSync(join(dir, key), 0o644);
  fs.chmodSync(dir, 0o755);
  try {
    const r = inStore('list');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`mtls-pki: warning: ${dir} has mode 0755; the store holds private keys, so make it 0700: chmod 700 ${dir}\n`);
    expect(r.stderr).toContain(`mtls-pki: warning: ${join(dir, key)} is a private key with mode 0644; make it 0600: chmod 600 ${join(dir, key)}\n`);
    expect(JSON.parse(inStore('list', '--json').stdout).warnings).toEqual([expect.stringMatching(/has mode 0755/), expect.stringMatching(/is a private key with mode 0644/)]);
  } finally {
    fs.chmodSync(join(dir, key), 0o600);
    fs.chmodSync(dir, 0o700);
  }
  expect(inStore('list')).toMatchObject({ status: 0, stderr: '' });
});

test('"Keep keys out of git": the CA key files it names are where `mtls-pki init` puts the client CA keys, 0600', () => {
  const section = operations.slice(operations.indexOf('## Keep keys out of git'), operations.indexOf('\n## ', operations.indexOf('## Keep keys out of git') + 3));
  const named = [...section.matchAll(/`pki\/([^`]+key\.pem)`/g)].map((m) => m[1]);
  expect(named).toEqual(['client-ca/key.pem', 'client-intermediate-ca/key.pem']);
  expect(section).toContain('`pki/.gitignore` (`*`)');
  const withIntermediate = join(tmp.dir, 'pki-intermediate');
  expect(cli(['init', '--intermediate-cn', 'Issuing Client CA', '--dir', withIntermediate]).status).toBe(0);
  for (const file of named) {
    const key = fs.readFileSync(join(withIntermediate, file), 'utf8');
    expect([file, fs.statSync(join(withIntermediate, file)).mode & 0o777]).toEqual([file, 0o600]);
    // The private key of the CA certificate next to it.
    expect(openssl(['pkey', '-pubout'], { input: key })).toBe(openssl(['x509', '-noout', '-pubkey', '-in', join(withIntermediate, file.replace('key.pem', 'cert.pem'))]));
  }
});
