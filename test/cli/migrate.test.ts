// `mtls-pki migrate` as users run it (build/lib/cli/main.js): the report on stderr, the manifests on stdout or in
// --out (0700, files 0600), nothing written when refused, --json, and the usage errors.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { scratchDir } from '../support/openssl';
import { KubernetesSchemas } from '../support/schema';
import { CLI, cli, requireBuild } from './cli';

beforeAll(requireBuild);

const FIXTURE = join(__dirname, '../fixtures/kubectl/odcp-mtls.yaml');
const tmp = scratchDir('mtls-migrate-cli-');
afterAll(() => tmp.cleanup());
const mode = (path: string) => fs.statSync(path).mode & 0o777;

/** The fixture with `nginx.ingress.kubernetes.io/<key>: <value>` added to the Ingress. */
function withAnnotation(key: string, value: string): string {
  const text = fs.readFileSync(FIXTURE, 'utf8').replace('      nginx.ingress.kubernetes.io/auth-tls-secret:', `      nginx.ingress.kubernetes.io/${key}: "${value}"\n      nginx.ingress.kubernetes.io/auth-tls-secret:`);
  return tmp.write(`${key}.yaml`, text);
}

test('to stdout: the manifests on stdout (strictly schema-valid), the report on stderr', () => {
  const r = cli(['migrate', '--to', 'f5-nginx', FIXTURE]);
  expect(r.status).toBe(0);
  const objects = Yaml.load(tmp.write('f5.yaml', r.stdout));
  expect(objects.map((o: { kind: string }) => o.kind)).toEqual(['Secret', 'Secret', 'Policy', 'Ingress']);
  expect(KubernetesSchemas.shared().violationsOf(objects)).toEqual([]);
  expect(r.stderr).toContain('migrate to F5 NGINX Ingress Controller (f5-nginx, v5.5.0 or newer): read 3 object(s)');
  expect(r.stderr).toMatch(/carried {6}nginx\.ingress\.kubernetes\.io\/auth-tls-secret "odcp\/mtls-client-ca-secret" → Secret odcp\/mtls-client-ca-secret \(nginx\.org\/ca, ca\.crt \+ ca\.crl\)/);
  expect(r.stderr).toMatch(/note {9}Secret odcp\/mtls-client-ca-secret changes type from "Opaque" to "nginx\.org\/ca"/);
});

test('--out: a new 0700 directory with one 0600 file, which check --manifests passes', () => {
  const out = join(tmp.dir, 'out');
  const r = cli(['migrate', '--to', 'haproxy-ingress', FIXTURE, '--out', out]);
  expect([r.status, r.stdout]).toEqual([0, '']);
  const file = join(out, 'odcp-mtls-test-ingress.yaml');
  expect(fs.readdirSync(out)).toEqual(['odcp-mtls-test-ingress.yaml']);
  expect([mode(out), mode(file)]).toEqual([0o700, 0o600]);
  expect(r.stderr).toContain(`wrote ${file} (0600`);
  const check = cli(['check', '--manifests', out]);
  expect([check.status, check.stdout]).toEqual([0, expect.stringContaining('ok: no findings')]);
  const again = cli(['migrate', '--to', 'haproxy-ingress', FIXTURE, '--out', out]);
  expect([again.status, again.stderr]).toEqual([1, expect.stringContaining('is not empty; give a new or empty directory')]);
});

test('a loss is refused, nothing written; --allow-loss writes and lists it as dropped', () => {
  const input = withAnnotation('auth-tls-match-cn', 'CN=Client002');
  const out = join(tmp.dir, 'lossy');
  const refused = cli(['migrate', '--to', 'haproxy-ingress', input, '--out', out]);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(/NOT CARRIED {2}nginx\.ingress\.kubernetes\.io\/auth-tls-match-cn "CN=Client002": HAProxy Ingress has no annotation that matches the client CN/);
  expect(refused.stderr).toContain('mtls-pki: refused: nothing was written (1 setting(s) cannot be carried over; pass --allow-loss to migrate without them).');
  expect(fs.existsSync(out)).toBe(false);
  const allowed = cli(['migrate', '--to', 'haproxy-ingress', input, '--out', out, '--allow-loss']);
  expect(allowed.status).toBe(0);
  expect(allowed.stderr).toMatch(/dropped {6}nginx\.ingress\.kubernetes\.io\/auth-tls-match-cn/);
  expect(fs.readFileSync(join(out, 'odcp-mtls-test-ingress.yaml'), 'utf8')).not.toContain('Client002');
});

test('--json: the report and the manifests for scripts; with --out, the file path and no key material', () => {
  const r = cli(['migrate', '--to', 'haproxy-ingress', FIXTURE, '--json']);
  expect(r.status).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j).toMatchObject({ format: 'mtls-pki-migrate', version: 1, to: 'haproxy-ingress', ok: true, inputs: [FIXTURE], untouched: [], out: null });
  expect(j.setups[0].carried.map((c: { from: string }) => c.from)).toContain('nginx.ingress.kubernetes.io/auth-tls-verify-depth');
  expect(j.files).toEqual([{ source: 'Ingress odcp/mtls-test-ingress', path: null, yaml: expect.stringContaining('kind: Ingress') }]);
  const out = join(tmp.dir, 'json-out');
  const withOut = JSON.parse(cli(['migrate', '--to', 'haproxy-ingress', FIXTURE, '--json', '--out', out]).stdout);
  expect(withOut.files).toEqual([{ source: 'Ingress odcp/mtls-test-ingress', path: join(out, 'odcp-mtls-test-ingress.yaml'), yaml: null }]);
  const lossy = cli(['migrate', '--to', 'f5-nginx', withAnnotation('auth-tls-error-page', 'https://www.ityoudao.cn/'), '--json']);
  expect(lossy.status).toBe(1);
  expect(JSON.parse(lossy.stdout)).toMatchObject({ ok: false, files: [], setups: [{ lost: [{ from: 'nginx.ingress.kubernetes.io/auth-tls-error-page', value: 'https://www.ityoudao.cn/' }] }] });
});

test('usage errors: an unknown target lists the known ones and the nearest; bad YAML names the file and line', () => {
  const typo = cli(['migrate', '--to', 'haproxy', FIXTURE]);
  expect([typo.status, typo.stderr]).toEqual([2, expect.stringContaining('--to "haproxy" is not a known controller (did you mean haproxy-ingress?); the known ones are f5-nginx, haproxy-ingress')]);
  const bad = tmp.write('bad.yaml', 'apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n\tmetadata: {}\n');
  const r = cli(['migrate', '--to', 'f5-nginx', bad]);
  expect([r.status, r.stdout, r.stderr]).toEqual([1, '', `mtls-pki: error: ${bad}:5: is not valid YAML: Tabs are not allowed as indentation. Fix the file (it was not read at all, so nothing in it was used).\n`]);
});

test('loading the CLI loads neither the migration nor cdk8s: the other commands start as fast as before', () => {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(CLI)}); console.log(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' });
  const loaded: string[] = JSON.parse(r.stdout);
  // the command table is loaded, the migrate command's module only when it runs (lib/cli/catalog.ts)
  expect(loaded.some((p) => p.endsWith(join('cli', 'catalog.js')))).toBe(true);
  expect(loaded.filter((p) => /[\\/]cli[\\/]commands[\\/]migrate\.js$|[\\/]lib[\\/]migrate[\\/]|[\\/]node_modules[\\/]cdk8s[\\/]|[\\/]lib[\\/]constructs[\\/]/.test(p))).toEqual([]);
});
