import * as fs from 'node:fs';
import { join, relative } from 'node:path';
import { PkiStore } from '../../lib/store';
import { scratchDir } from '../support/openssl';
import { cli, requireBuild, ROOT } from './cli';

// Start-up: a command loads what it uses and nothing else. pkijs (with asn1js, ~0.8 MB compiled, ~30 ms of a
// CLI process) is in build/lib/pki/pkijs-bundle.js, which the engine.js stub loads on first use; the command
// modules are loaded from lib/cli/catalog.ts when their command runs. The built CLI runs with a probe that lists
// the modules it loaded. BENCHMARKS.md has the times.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-startup-');
const store = join(tmp.dir, 'pki');
beforeAll(async () => {
  await (await PkiStore.open(store, { onChange: () => undefined })).ensure({ clients: [{ commonName: 'Client001' }], revoked: [{ commonName: 'Client001' }] });
});
afterAll(() => tmp.cleanup());

const BUNDLE = 'build/lib/pki/pkijs-bundle.js';
let runs = 0;

/** The modules of this package that `mtls-pki …args` loaded, relative to the checkout, in load order. */
function loadedBy(args: readonly string[]): string[] {
  const out = join(tmp.dir, `modules-${++runs}.txt`);
  const probe = join(ROOT, 'test/support/module-probe.js');
  const r = cli(args, { cwd: tmp.dir, env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${probe}`, MODULE_PROBE_OUT: out } });
  expect(r.stderr).not.toMatch(/internal error/);
  return fs.readFileSync(out, 'utf8').split('\n').filter((p) => p.startsWith(ROOT) && p !== probe).map((p) => relative(ROOT, p));
}

test('--help, --version and a mistyped command load the CLI\'s front module and nothing of the store or lib/pki', () => {
  const front = ['build/lib/cli/main.js', 'build/lib/cli/args.js', 'build/lib/util/did-you-mean.js', 'build/lib/cli/catalog.js', 'build/lib/cli/output.js', 'build/lib/pki/errors.js'];
  for (const args of [['--help'], ['--version'], ['lst'], []]) {
    expect([args, loadedBy(args).sort()]).toEqual([args, [...front].sort()]);
  }
});

test('a command\'s help and a store-less refusal load its module but not pkijs', () => {
  for (const args of [['list', '--help'], ['help', 'gencrl'], ['list', '--dir', join(tmp.dir, 'none')], ['check', '--help']]) {
    const loaded = loadedBy(args);
    expect([args, loaded.includes(`build/lib/cli/commands/${args[0] === 'help' ? args[1] : args[0]}.js`), loaded.includes(BUNDLE)]).toEqual([args, true, false]);
  }
});

test('only the commands that run are loaded; list reads the store\'s CA certificates and CRLs without pkijs', () => {
  const loaded = loadedBy(['list', '--dir', store]);
  expect(loaded.filter((p) => p.startsWith('build/lib/cli/commands/'))).toEqual(['build/lib/cli/commands/list.js']);
  // The probe sees the bundle when a command loads it: gencrl below does.
  expect(loaded).not.toContain(BUNDLE);
});

test('gencrl loads no store module but its crlnumber file, and check on files loads neither the store nor cdk8s', () => {
  const index = join(tmp.dir, 'index.txt');
  fs.writeFileSync(index, 'R\t301231235959Z\t250101000000Z,keyCompromise\t0A1B\tunknown\t/CN=Client009\n');
  fs.writeFileSync(join(tmp.dir, 'crlnumber'), '01\n');
  const ca = (file: string) => join(store, 'client-ca', file);
  const gencrl = loadedBy(['gencrl', '--index', index, '--ca-cert', ca('cert.pem'), '--ca-key', ca('key.pem'), '--out', join(tmp.dir, 'new.crl')]);
  expect(gencrl.filter((p) => p.startsWith('build/lib/store/'))).toEqual(['build/lib/store/crl-number.js']);
  expect(gencrl).toContain(BUNDLE);
  const check = loadedBy(['check', '--client-ca', join(store, 'client-trust', 'ca.crt'), '--crl', join(store, 'client-trust', 'ca.crl')]);
  expect(check.filter((p) => /^build\/(lib\/store|lib\/controllers|imports)\//.test(p))).toEqual([]);
  expect(check).toContain('build/lib/checks/check-files.js');
});
