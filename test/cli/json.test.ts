import * as fs from 'node:fs';
import { join } from 'node:path';
import { buildCrl, createRootCa } from '../../lib/pki';
import { scratchDir } from '../support/openssl';
import { cli, requireBuild, ROOT } from './cli';
import { DAY } from '../fixtures';

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
  const certKeys = ['kind', 'name', 'commonName', 'serialHex', 'issuer', 'subjectAltNames', 'notAfter', 'daysLeft', 'status', 'expiresSoon', 'current', 'revokedAt', 'reason', 'certFile', 'keyFile'];
  for (const c of value.certificates) expect(keys(c)).toEqual(certKeys);
  const [server, alice, bob] = value.certificates;
  expect(server).toMatchObject({ kind: 'server', name: 'app.example.com', issuer: 'server-ca', subjectAltNames: ['DNS:app.example.com'], status: 'valid', expiresSoon: false, current: true, revokedAt: null, reason: null });
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
  expect(store.value).toEqual({
    format: 'mtls-pki-check', version: 1, target: 'store', ok: true, errors: 0, warnings: 0, findings: [], storeWarnings: [],
    // The trust bundle (1 CA, 1 CRL), the server's chain (2) and key, and the clients' current certificates (Alice, Bob).
    checked: { files: [join(dir, 'client-trust/ca.crt'), join(dir, 'client-trust/ca.crl'), expect.stringMatching(/servers\/app\.example\.com-[0-9A-F]+\.chain\.pem$/), expect.stringMatching(/\.key\.pem$/)], objects: [], certificates: 5, crls: 1 },
  });

  const ca = await createRootCa({ commonName: 'Expiring CA' });
  const crl = await buildCrl({ issuer: ca, entries: [], crlNumber: 1n, thisUpdate: new Date(Date.now() - DAY), nextUpdate: new Date(Date.now() + 3 * DAY) });
  const files = cli(['check', '--json', '--client-ca', tmp.write('ca.pem', ca.certificatePem), '--crl', tmp.write('ca.crl', crl.pem)]);
  expect(files.status).toBe(1);
  const report = JSON.parse(files.stdout);
  expect(report).toMatchObject({ format: 'mtls-pki-check', version: 1, target: 'files', ok: false, errors: 1, warnings: 0, storeWarnings: [] });
  expect(report.findings).toEqual([{ code: 'MTLS035', severity: 'error', title: 'the CRL expires within the threshold', field: expect.any(String), message: expect.stringMatching(/expires at .* within the 7-day threshold/) }]);
  expect(report.checked).toEqual({ files: [join(tmp.dir, 'ca.pem'), join(tmp.dir, 'ca.crl')], objects: [], certificates: 1, crls: 1 });
  expect(documentedKeys('### `check --json`').sort()).toEqual([...keys(report), ...keys(report.findings[0]), ...keys(report.checked)].sort());
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

describe('every other command takes --json, with exactly the documented keys', () => {
  const other = join(tmp.dir, 'other');
  const run = (...args: string[]) => {
    const r = cli([...args, '--json']);
    expect([args.join(' '), r.status, r.stderr]).toEqual([args.join(' '), 0, '']);
    return JSON.parse(r.stdout);
  };

  test('init --json: the CAs (created, then kept), the trust files, the CRLs, the .gitignore and the changes', () => {
    const first = run('init', '--dir', other);
    expect(keys(first)).toEqual(['format', 'version', 'dir', 'cas', 'clientTrust', 'crls', 'gitignore', 'changes']);
    expect(first).toMatchObject({ format: 'mtls-pki-init', version: 1, dir: other, gitignore: join(other, '.gitignore'), clientTrust: { caFile: join(other, 'client-trust/ca.crt'), crlFile: join(other, 'client-trust/ca.crl') } });
    expect(first.cas.map((c: { id: string; created: boolean }) => [c.id, c.created])).toEqual([['server-ca', true], ['client-ca', true]]);
    expect(first.crls).toEqual([{ ca: 'client-ca', file: join(other, 'client-ca/crl.pem'), number: '1', nextUpdate: expect.stringMatching(ISO) }]);
    expect(first.changes).toEqual([
      expect.stringMatching(/^created server-ca "mtls-pki Server CA" \(ec-p256, serial [0-9A-F]+, valid until \d{4}-\d\d-\d\d\)$/),
      expect.stringMatching(/^created client-ca "mtls-pki Client CA"/),
      expect.stringMatching(/^published the client-ca CRL #1 \(0 revoked, next update .*\): the CA had none yet$/),
      expect.stringMatching(/^wrote .*other\/\.gitignore/),
    ]);
    const again = run('init', '--dir', other);
    expect(again.cas.map((c: { created: boolean }) => c.created)).toEqual([false, false]);
    expect(again.changes).toEqual([]);
    expect(documentedKeys('### `init --json`').sort()).toEqual([...new Set([...keys(first), ...keys(first.cas[0]), ...keys(first.clientTrust), ...keys(first.crls[0])])].sort());
  });

  test('server --json and client --json: one shape; created, verb and why; the store files and --out', () => {
    const server = run('server', 'api.example.com', '--dir', other);
    const issueKeys = ['format', 'version', 'kind', 'name', 'commonName', 'serialHex', 'issuer', 'subjectAltNames', 'notAfter', 'created', 'verb', 'why', 'files', 'out', 'p12', 'changes'];
    expect(keys(server)).toEqual(issueKeys);
    expect(server).toMatchObject({ format: 'mtls-pki-issue', kind: 'server', name: 'api.example.com', created: true, verb: 'issued', why: null, out: null, p12: null });
    expect(server.files).toEqual({ cert: expect.stringMatching(/servers\/api\.example\.com-[0-9A-F]+\.cert\.pem$/), key: expect.stringMatching(/\.key\.pem$/), chain: expect.stringMatching(/\.chain\.pem$/) });
    const forced = run('server', 'api.example.com', '--force', '--dir', other);
    expect(forced).toMatchObject({ created: true, verb: 're-issued', why: `a new key was asked for (serial ${server.serialHex} stays valid until it expires or is revoked)` });
    const out = join(tmp.dir, 'handover');
    const client = run('client', 'Carol', '--out', out, '--dir', other);
    expect(client).toMatchObject({ kind: 'client', commonName: 'Carol', created: true, out: { cert: join(out, 'Carol.crt'), key: join(out, 'Carol.key') }, files: { chain: null } });
    expect(run('client', 'Carol', '--dir', other)).toMatchObject({ created: false, verb: null, why: null, changes: [] });
    expect(documentedKeys('### `server --json` and `client --json`').sort()).toEqual([...new Set([...keys(client), ...keys(client.files), ...keys(client.out)])].sort());
  });

  test('revoke --json: the record, whether it was revoked already, and the CRLs as this run left them', () => {
    const revoked = run('revoke', 'Carol', '--reason', 'superseded', '--dir', other);
    expect(keys(revoked)).toEqual(['format', 'version', 'kind', 'commonName', 'serialHex', 'issuer', 'revokedAt', 'reason', 'alreadyRevoked', 'crls', 'changes']);
    expect(revoked).toMatchObject({ format: 'mtls-pki-revoke', kind: 'client', commonName: 'Carol', reason: 'superseded', alreadyRevoked: false });
    expect(revoked.crls).toEqual([{ ca: 'client-ca', file: join(other, 'client-ca/crl.pem'), number: '2', nextUpdate: expect.stringMatching(ISO), entries: 1, changed: true, reason: 'revocations changed' }]);
    expect(revoked.changes).toEqual([expect.stringMatching(/^re-signed the client-ca CRL #2 \(1 revoked, .*\): the revoked set changed$/)]);
    expect(run('revoke', 'Carol', '--dir', other)).toMatchObject({ alreadyRevoked: true, reason: 'superseded', changes: [] });
    expect(documentedKeys('### `revoke --json`').sort()).toEqual([...new Set([...keys(revoked), ...keys(revoked.crls[0])])].sort());
  });

  test('gencrl --json and import-openssl --json', async () => {
    const ca = await createRootCa({ commonName: 'Openssl CA' });
    const index = tmp.write('index.txt', 'R\t351231000000Z\t240101000000Z,keyCompromise\t1A\tunknown\t/CN=Old\n');
    tmp.write('crlnumber', '10\n');
    const [cert, key] = [tmp.write('oca.pem', ca.certificatePem), tmp.write('oca.key', ca.privateKeyPem)];
    const gen = run('gencrl', '--index', index, '--ca-cert', cert, '--ca-key', key, '--out', join(tmp.dir, 'gen.crl'));
    expect(gen).toEqual({ format: 'mtls-pki-gencrl', version: 1, out: join(tmp.dir, 'gen.crl'), issuer: 'CN=Openssl CA', number: '16', thisUpdate: expect.stringMatching(ISO), nextUpdate: expect.stringMatching(ISO), entries: 1, crlnumberFile: join(tmp.dir, 'crlnumber') });
    expect(documentedKeys('### `gencrl --json`').sort()).toEqual(keys(gen).sort());
    const imported = run('import-openssl', '--dir', join(tmp.dir, 'imported'), '--index', index, '--ca-cert', cert, '--ca-key', key);
    expect(imported).toMatchObject({ format: 'mtls-pki-import-openssl', version: 1, ca: 'client-ca', adoptedCa: true, certificatesAdded: 1, revocationsAdded: 1, keptRevoked: [] });
    expect(imported.crls).toEqual([expect.objectContaining({ ca: 'client-ca', number: '17', entries: 1, changed: true, reason: 'new' })]);
    expect(imported.changes[0]).toMatch(/^adopted client-ca "Openssl CA" \(serial [0-9A-F]+, valid until .*\) from .*index\.txt$/);
    expect(documentedKeys('### `import-openssl --json`').sort()).toEqual([...new Set([...keys(imported), ...keys(imported.crls[0])])].sort());
  });
});
