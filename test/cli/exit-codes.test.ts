import * as fs from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../lib/cli/main';
import { scratchDir } from '../support/openssl';
import { cli, requireBuild, runMain } from './cli';

// The exit codes of every command, in one table: 0 done, 1 a finding or a refusal (the command was understood;
// the inputs or the store do not allow it), 2 a usage error (the command line itself is wrong). Usage errors
// print "mtls-pki: usage error:" and point at --help; refusals print "mtls-pki: error:" and no stack trace.
// The tables run main() in this process; a sample of every command runs the built binary too, which must exit
// and print exactly as main() returns and writes.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-exit-');
afterAll(() => tmp.cleanup());
const dir = join(tmp.dir, 'pki');
const missing = join(tmp.dir, 'missing');

beforeAll(async () => {
  for (const args of [['init'], ['client', 'Client001'], ['server', 'app.example.com']]) expect((await runMain([...args, '--dir', dir])).status).toBe(0);
  tmp.write('empty-dir-marker', '');
  fs.mkdirSync(join(tmp.dir, 'no-ingress'));
  tmp.write('no-ingress/x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
});

const USAGE: readonly (readonly string[])[] = [
  [],
  ['nosuch'],
  ['--dir', 'pki', 'list'],
  ['help', 'nosuch'],
  ['list', '--jsn'],
  ['list', 'extra'],
  ['list', '--json=yes'],
  ['list', '--dir='],
  ['init', '--key', 'dsa-1024'],
  ['init', '--crl-days', '0'],
  ['init', '--crl-days', '5000'],
  ['init', '--server-ca-cn'],
  ['server'],
  ['server', 'a.example.com', '--days', 'ten'],
  ['server', 'a.example.com', '--days', '40000'],
  ['server', 'a.example.com', '--name', 'x', '--name', 'y'],
  ['client'],
  ['client', 'X', '--p12', 'x.p12'],
  ['client', 'X', '--password-file', 'pw'],
  ['revoke'],
  ['revoke', 'A', '--serial', '01'],
  ['revoke', 'A', '--reason', 'bogus'],
  ['crl', '--out'],
  ['crl', '--force=yes'],
  ['crl', 'extra'],
  ['gencrl'],
  ['gencrl', '--index', 'i', '--ca-cert', 'c', '--ca-key', 'k', '--out', 'o', '--days', '5', '--crldays', '6'],
  ['import-openssl'],
  ['import-openssl', '--index', 'i', '--ca-cert', 'c', '--ca-key', 'k', '--as', 'neither'],
  ['check', '--manifests', 'dist', '--client-ca', 'ca.pem'],
  ['check', '--crl-min-days', 'abc'],
  ['migrate', '--to', 'haproxy-ingress'],
  ['migrate', 'in.yaml'],
  ['migrate', '--to', 'traefk', 'in.yaml'],
  ['migrate', '--to', 'ingress-nginx', 'in.yaml'],
];

const REFUSED: readonly (readonly string[])[] = [
  ['list', '--dir', missing],
  ['check', '--dir', missing],
  ['client', 'X', '--dir', missing],
  ['init', '--client-ca-cn', 'Another CA', '--dir', dir],
  ['server', 'not a host!', '--dir', dir],
  ['client', 'X', 'host.example.com', '--dir', dir],
  ['revoke', 'Nobody', '--dir', dir],
  ['revoke', '--serial', 'ABCDEF', '--dir', dir],
  ['revoke', '--cert', join(tmp.dir, 'nope.pem'), '--dir', dir],
  ['crl', '--out', join(missing, 'x.crl'), '--dir', dir],
  ['gencrl', '--index', join(tmp.dir, 'nope'), '--ca-cert', 'c', '--ca-key', 'k', '--out', join(tmp.dir, 'o.crl')],
  ['import-openssl', '--index', join(tmp.dir, 'nope'), '--ca-cert', 'c', '--ca-key', 'k', '--dir', dir],
  ['check', '--client-ca', join(tmp.dir, 'nope.pem')],
  ['check', '--manifests', join(tmp.dir, 'no-ingress')],
  ['migrate', '--to', 'haproxy-ingress', join(tmp.dir, 'no-ingress')],
];

const OK: readonly (readonly string[])[] = [
  ['--help'], ['-h'], ['help'], ['help', 'client'], ['--version'], ['-V'], ['version'],
  ...COMMANDS.flatMap((c) => [[c.name, '--help'], [c.name, '-h']]),
  ['list', '--dir', dir], ['list', '--json', '--dir', dir], ['check', '--dir', dir], ['check', '--json', '--dir', dir],
  ['crl', '--dir', dir], ['crl', '--json', '--dir', dir], ['init', '--dir', dir],
  ['server', 'app.example.com', '--dir', dir], ['client', 'Client001', '--dir', dir],
  ['revoke', 'Client001', '--dir', dir], ['revoke', 'Client001', '--dir', dir],
];

// Every command once, read-only or a refusal, so that the binary and main() see the same store.
const BINARY_SAMPLE: readonly (readonly string[])[] = [
  [], ['--version'], ['help', 'client'], ['list', '--jsn'],
  ['init', '--dir', dir], ['server', 'app.example.com', '--dir', dir], ['client', 'Client001', '--dir', dir],
  ['revoke', 'Nobody', '--dir', dir], ['crl', '--dir', dir], ['list', '--dir', dir], ['check', '--dir', dir],
  ['gencrl', '--index', join(tmp.dir, 'nope'), '--ca-cert', 'c', '--ca-key', 'k', '--out', join(tmp.dir, 'o.crl')],
  ['import-openssl', '--index', join(tmp.dir, 'nope'), '--ca-cert', 'c', '--ca-key', 'k', '--dir', dir],
  ['keys', 'decrypt', '--dir', dir], // the store's keys are plain already: nothing to do
  ['migrate', '--to', 'traefk', join(tmp.dir, 'nope.yaml')], // a misspelt target: usage error
];

describe('the built binary exits and prints as main() does', () => {
  test('the sample covers every command and every exit code', async () => {
    expect(COMMANDS.map((c) => c.name).filter((name) => !BINARY_SAMPLE.some((a) => a[0] === name))).toEqual([]);
    // One at a time: runMain changes the process's working directory and restores it when the command ends, so
    // overlapping runs could leave this jest worker in tmp.dir, which is gone once this file ends.
    const statuses: (number | null)[] = [];
    for (const a of BINARY_SAMPLE) statuses.push((await runMain(a, { cwd: tmp.dir })).status);
    expect([...new Set(statuses)].sort()).toEqual([0, 1, 2]);
  });

  test.each(BINARY_SAMPLE.map((a) => [a.join(' ').replaceAll(tmp.dir, '$TMP') || '(no arguments)', a]))('mtls-pki %s', async (_, args) => {
    const inProcess = await runMain(args as string[], { cwd: tmp.dir });
    expect(cli(args as string[], { cwd: tmp.dir })).toEqual(inProcess);
  });
});

describe('exit 2: usage errors', () => {
  test.each(USAGE.map((a) => [a.join(' ') || '(no arguments)', a]))('mtls-pki %s', async (_, args) => {
    const r = await runMain(args as string[], { cwd: tmp.dir });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    if (args.length) expect(r.stderr).toMatch(/^mtls-pki: usage error: .+\nRun `mtls-pki (\S+ )?--help` for the usage\.\n$/);
    else expect(r.stderr).toMatch(/^Usage: mtls-pki <command>/);
  });

  test('nothing was written by any of them', () => {
    expect(fs.existsSync(join(tmp.dir, 'pki')) && fs.readdirSync(tmp.dir).sort()).toEqual(['empty-dir-marker', 'no-ingress', 'pki']);
  });
});

describe('exit 1: refusals and findings', () => {
  test.each(REFUSED.map((a) => [a.join(' ').replaceAll(tmp.dir, '$TMP'), a]))('mtls-pki %s', async (_, args) => {
    const r = await runMain(args as string[], { cwd: tmp.dir });
    expect(r.status).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/mtls-pki: error: |MTLS\d{3} error/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});

describe('exit 0', () => {
  test.each(OK.map((a) => [a.join(' ').replaceAll(tmp.dir, '$TMP'), a]))('mtls-pki %s', async (_, args) => {
    const r = await runMain(args as string[], { cwd: tmp.dir });
    expect(r).toMatchObject({ status: 0 });
    expect(r.stderr).not.toMatch(/error/);
  });
});
