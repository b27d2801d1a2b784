import * as fs from 'node:fs';
import { join } from 'node:path';
import { buildCrl, createRootCa } from '../../lib/pki';
import { scratchDir } from '../support/openssl';
import { cli, requireBuild, ROOT } from './cli';

// The --json shapes of list, check and crl: exactly the keys docs/CLI.md documents, every key present (null when
// empty), so that scripts and jq filters written against the documentation keep working.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-json-');
afterAll(() => tmp.cleanup());
const dir = join(tmp.dir, 'pki');
const inStore = (...args: string[]) => cli([...args, '--dir', dir]);
const json = (...args: string[]) => {
  const r = inStore(...args);
  expect(r.stdout.endsWith('}\n')).toBe(true);
  return { status: r.status, stderr: r.stderr, value: JSON.parse(r.stdout) };
};
const keys = (o: object) => Object.keys(o);
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/;

/** The keys docs/CLI.md lists for a shape: the names in its ```json block under the heading `name`. */
function documentedKeys(heading: string): string[] {
  const doc = fs.readFileSync(join(ROOT, 'docs/CLI.md'), 'utf8');
  const at = doc.indexOf(heading);
  expect(at).toBeGreaterThan(-1);
  const block = /```json\n([\s\S]*?)```/.exec(doc.slice(at))![1];
  return [...new Set([...block.matchAll(/"(\w+)"\s*:/g)].map((m) => m[1]))];
}

beforeAll(() => {
  for (const args of [['init'], ['server', 'app.example.com'], ['client', 'Alice', 'alice@example.com'], ['client', 'Bob'], ['revoke', 'Bob', '--reason', 'keyCompromise']]) {
    expect(inStore(...args).status).toBe(0);
  }
});

test('list --json: format mtls-pki-list v1 with exactly the documented keys', () => {
  const { status, value, stderr } = json('list', '--json');
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  expect(keys(value)).toEqual(['format', 'version', 'dir', 'now', 'settings', 'cas', 'certificates', 'crls', 'warnings']);
  expect(value).toMatchObject({ format: 'mtls-pki-list', version: 1, dir, settings: { crlValidityDays: 90, crlRefreshBeforeDays: 30 }, warnings: [] });
  expect(value.now).toMatch(ISO);
  expect(value.cas.map(keys)).toEqual([
    ['id', 'subject', 'commonName', 'serialHex', 'keyAlgorithm', 'issuer', 'notAfter', 'daysLeft'],
    ['id', 'subject', 'commonName', 'serialHex', 'keyAlgorithm', 'issuer', 'notAfter', 'daysLeft'],
  ]);
  expect(value.cas.map((c: { id: string; issuer: string | null }) => [c.id, c.issuer])).toEqual([['server-ca', null], ['client-ca', null]]);
  const certKeys = ['kind', 'name', 'commonName', 'serialHex', 'issuer', 'subjectAltNames', 'notAfter', 'daysLeft', 'status', 'revokedAt', 'reason', 'certFile', 'keyFile'];
  for (const c of value.certificates) expect(keys(c)).toEqual(certKeys);
  const [server, alice, bob] = value.certificates;
  expect(server).toMatchObject({ kind: 'server', name: 'app.example.com', issuer: 'server-ca', subjectAltNames: ['DNS:app.example.com'], status: 'valid', revokedAt: null, reason: null });
  expect(server.certFile).toMatch(/^servers\/app\.example\.com-[0-9A-F]+\.chain\.pem$/);
  expect(alice).toMatchObject({ kind: 'client', commonName: 'Alice', subjectAltNames: ['email:alice@example.com'], status: 'valid', revokedAt: null });
  expect(bob).toMatchObject({ commonName: 'Bob', status: 'revoked', reason: 'keyCompromise', revokedAt: expect.stringMatching(ISO) });
  expect(bob.serialHex).toMatch(/^[0-9A-F]+$/);
  expect(value.crls).toEqual([{ ca: 'client-ca', file: 'client-ca/crl.pem', number: '2', thisUpdate: expect.stringMatching(ISO), nextUpdate: expect.stringMatching(ISO), daysLeft: 89, entries: 1, refreshDue: false }]);
  expect(documentedKeys('### `list --json`').sort()).toEqual([...new Set([...keys(value), ...keys(value.settings), ...keys(value.cas[0]), ...certKeys, ...keys(value.crls[0])])].sort());
});

test('check --json: format mtls-pki-check v1, for the store, files and manifests; the exit code follows "ok"', async () => {
  const store = json('check', '--json');
  expect(store.status).toBe(0);
  expect(store.value).toEqual({ format: 'mtls-pki-check', version: 1, target: 'store', ok: true, errors: 0, warnings: 0, findings: [], storeWarnings: [] });

  const ca = await createRootCa({ commonName: 'Expiring CA' });
  const crl = await buildCrl({ issuer: ca, entries: [], crlNumber: 1n, thisUpdate: new Date(Date.now() - 86_400_000), nextUpdate: new Date(Date.now() + 3 * 86_400_000) });
  const files = cli(['check', '--json', '--client-ca', tmp.write('ca.pem', ca.certificatePem), '--crl', tmp.write('ca.crl', crl.pem)]);
  expect(files.status).toBe(1);
  const report = JSON.parse(files.stdout);
  expect(report).toMatchObject({ format: 'mtls-pki-check', version: 1, target: 'files', ok: false, errors: 1, warnings: 0, storeWarnings: [] });
  expect(report.findings).toEqual([{ code: 'MTLS035', severity: 'error', title: 'the CRL expires within the threshold', field: expect.any(String), message: expect.stringMatching(/expires at .* within the 7-day threshold/) }]);
  expect(documentedKeys('### `check --json`').sort()).toEqual([...keys(report), ...keys(report.findings[0])].sort());
});

test('crl --json: format mtls-pki-crl v1; with --out the file is written too', () => {
  const out = join(tmp.dir, 'out.crl');
  const { status, value } = json('crl', '--json', '--out', out);
  expect(status).toBe(0);
  expect(value).toEqual({
    format: 'mtls-pki-crl', version: 1, out,
    crls: [{ ca: 'client-ca', file: 'client-ca/crl.pem', number: '2', thisUpdate: expect.stringMatching(ISO), nextUpdate: expect.stringMatching(ISO), entries: 1, changed: false, reason: null }],
    pruned: [],
    adopted: [],
    forgotten: [],
  });
  expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(join(dir, 'client-trust/ca.crl'), 'utf8'));
  const forced = json('crl', '--json', '--force').value;
  expect(forced.crls[0]).toMatchObject({ number: '3', changed: true, reason: 'forced' });
  expect(forced.out).toBeNull();
  // The pruned, adopted and forgotten entries (empty here; store-trust.test.ts fills them) are documented too.
  expect(documentedKeys('### `crl --json`').sort()).toEqual([...new Set([...keys(value), ...keys(value.crls[0]), 'issuer', 'serialHex', 'commonName', 'revokedAt', 'crlNumber', 'note'])].sort());
});
