import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { buildCrl, checkFiles, checkManifests, checkSecretSize, Findings, loadCertificateAuthority, SECRET_SIZE_LIMIT } from '../../lib';
import { CLI, requireBuild } from '../cli/cli';
import { DAY, FIXTURE_NOW, seedFixture } from '../fixtures';
import { seedChart } from '../support/chart';
import { scratchDir } from '../support/openssl';

const CRL_NEXT_UPDATE = new Date('2124-01-01T00:00:00Z').getTime();

describe('checkManifests on synthesized YAML (mtls-pki check --manifests)', () => {
  const tmp = scratchDir();
  let file: string;
  beforeAll(() => {
    seedChart({}, tmp.dir).app.synth();
    file = join(tmp.dir, 'seed.k8s.yaml');
  });
  afterAll(() => tmp.cleanup());

  test('the seed output has no findings', () => {
    expect(checkManifests(tmp.dir, { now: FIXTURE_NOW })).toEqual([]);
  });

  test('the CRL expiry is judged at its boundaries: one second either side of the threshold and of nextUpdate', () => {
    const codesAt = (ms: number) => checkManifests(tmp.dir, { now: new Date(ms) }).map((f) => f.code);
    expect(codesAt(CRL_NEXT_UPDATE - 7 * DAY - 1000)).toEqual([]);
    expect(codesAt(CRL_NEXT_UPDATE - 7 * DAY + 1000)).toContain('MTLS035');
    expect(codesAt(CRL_NEXT_UPDATE - 1000)).toContain('MTLS035');
    expect(codesAt(CRL_NEXT_UPDATE + 1000)).toContain('MTLS034');
  });

  test('kubectl\'s kind: List is read item by item; a syntax error is refused with the file and line, not half read', () => {
    const list = join(tmp.dir, 'as-list');
    mkdirSync(list);
    const objects = Yaml.load(file);
    writeFileSync(join(list, 'list.yaml'), Yaml.stringify({ apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } }));
    expect(checkManifests(list, { now: new Date('2124-01-01T00:00:00Z') }).map((f) => f.code)).toContain('MTLS034');
    // The same text with one tab for indentation: cdk8s's Yaml.load returned a salvaged document for it.
    const text = readFileSync(file, 'utf8').split('\n');
    const at = text.findIndex((l) => l.startsWith('  name: mtls-client-ca-secret'));
    text[at] = text[at].replace('  ', '\t');
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, text.join('\n'));
    expect(Yaml.load(bad).length).toBeGreaterThan(0);
    expect(() => checkManifests(bad)).toThrow(`${bad}:${at + 1}: is not valid YAML: Tabs are not allowed as indentation.`);
  });

  test('a CA Secret without ca.crt is the controller\'s fail-open state: MTLS070', () => {
    const yaml = readFileSync(file, 'utf8');
    const broken = join(tmp.dir, 'broken');
    require('node:fs').mkdirSync(broken);
    writeFileSync(join(broken, 'app.yaml'), yaml.replace(/^ {2}ca\.crt: .*\n/m, ''));
    const findings = checkManifests(broken, { now: FIXTURE_NOW });
    expect(findings).toEqual([expect.objectContaining({ code: 'MTLS070', severity: 'error', message: expect.stringMatching(/mutual authentication disabled/) })]);
  });

  /** The seed output, changed by `mutate`, written as YAML to a folder of its own. */
  const rewritten = (name: string, mutate: (objects: any[]) => void): string => {
    const objects = Yaml.load(file);
    mutate(objects);
    mkdirSync(join(tmp.dir, name));
    Yaml.save(join(tmp.dir, name, 'app.yaml'), objects);
    return join(tmp.dir, name);
  };
  const ingressOf = (objects: any[]) => objects.find((o) => o.kind === 'Ingress');
  const findingsIn = (dir: string) => checkManifests(dir, { now: FIXTURE_NOW }).map((f) => [f.code, f.severity, f.field, f.message]);

  test('fail-open settings in deployed YAML are named: optional (MTLS056), no ca.crl (MTLS058)', () => {
    const optional = rewritten('optional', (o) => { ingressOf(o).metadata.annotations['nginx.ingress.kubernetes.io/auth-tls-verify-client'] = 'optional'; });
    expect(findingsIn(optional)).toEqual([['MTLS056', 'warning', 'verifyClient', expect.stringMatching(/clients without a certificate reach the backend with ssl-client-verify: NONE; the backend must check it/)]]);
    const noCrl = rewritten('no-crl', (o) => { delete o.find((x) => x.metadata.name === 'mtls-client-ca-secret').data['ca.crl']; });
    expect(findingsIn(noCrl)).toEqual([['MTLS058', 'warning', 'Secret odcp/mtls-client-ca-secret ca.crl', expect.stringMatching(/revocation checking is off.*admits a revoked client certificate \(200\)/)]]);
  });

  test('an unanchored auth-tls-match-cn is a warning (MTLS057) naming what it admits and the anchored form; the construct\'s is not', () => {
    const unanchored = rewritten('unanchored', (o) => { ingressOf(o).metadata.annotations['nginx.ingress.kubernetes.io/auth-tls-match-cn'] = 'CN=Client002'; });
    expect(findingsIn(unanchored)).toEqual([['MTLS057', 'warning', 'matchCn', expect.stringContaining('admits "CN=Client002-evil", and "CN=x\\,CN=Client002"')]]);
    expect(findingsIn(unanchored)[0][3]).toContain('"CN=[^\\s\\S]|^CN=(?:Client002)(?:,|\\+|$)"');

    const dir = join(tmp.dir, 'anchored');
    seedChart({ matchCn: 'CN=Client00[0-9]' }, dir).app.synth();
    expect(findingsIn(dir)).toEqual([]);
    // an anchored-looking value whose pattern closes the group early still has an unanchored branch
    const escaped = rewritten('escaped', (o) => { ingressOf(o).metadata.annotations['nginx.ingress.kubernetes.io/auth-tls-match-cn'] = 'CN=[^\\s\\S]|^CN=(?:a)|(b)(?:,|\\+|$)'; });
    expect(findingsIn(escaped).map((f) => f[0])).toEqual(['MTLS057']);
  });

  test('stringData is honoured as the API server merges it (it wins over data), and a key in both is a warning (MTLS059)', async () => {
    const ca = await loadCertificateAuthority(seedFixture('client-ca-cert.pem'), seedFixture('client-ca-key.pem'), 'seed client CA');
    const expired = (await buildCrl({ issuer: ca, entries: [], crlNumber: 9n, thisUpdate: new Date('2026-01-01T00:00:00Z'), nextUpdate: new Date('2026-02-01T00:00:00Z') })).pem;
    const caSecret = (o: any[]) => o.find((x) => x.metadata.name === 'mtls-client-ca-secret');
    // data keeps the seed's valid CRL; stringData overrides it with an expired one, which is what nginx would get
    const both = rewritten('string-data', (o) => { caSecret(o).stringData = { 'ca.crl': expired }; });
    expect(findingsIn(both).map((f) => f.slice(0, 3))).toEqual([
      ['MTLS059', 'warning', 'Secret odcp/mtls-client-ca-secret ca.crl'],
      ['MTLS034', 'error', 'Secret odcp/mtls-client-ca-secret ca.crl'],
    ]);
    expect(findingsIn(both)[0][3]).toMatch(/set in both data and stringData\. The API server writes the stringData value over the data one/);
    // stringData alone is read as the Secret's value: ca.crt moved there is still found (no MTLS070)
    const moved = rewritten('string-data-only', (o) => {
      const secret = caSecret(o);
      secret.stringData = { 'ca.crt': Buffer.from(secret.data['ca.crt'], 'base64').toString('utf8') };
      delete secret.data['ca.crt'];
    });
    expect(findingsIn(moved)).toEqual([]);
  });

  test('symbolic links are not followed: a folder with a link loop is checked, and each link is reported (MTLS064)', () => {
    requireBuild();
    const dir = join(tmp.dir, 'loop');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'app.yaml'), readFileSync(file));
    symlinkSync('.', join(dir, 'self'));
    symlinkSync('..', join(dir, 'sub', 'up'));
    // A child process: a walk that followed the loop would never return, and no test timer could stop it in-process.
    const r = spawnSync(process.execPath, [CLI, 'check', '--manifests', dir], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`MTLS064 warning ${join(dir, 'self')}: is a symbolic link; it was not followed`);
    expect(r.stdout).toContain(`MTLS064 warning ${join(dir, 'sub', 'up')}: is a symbolic link`);
    expect(r.stdout).toMatch(/^0 error\(s\), 2 warning\(s\)$/m); // and app.yaml itself was checked and passed
    expect(checkManifests(join(dir, 'app.yaml'), { now: FIXTURE_NOW })).toEqual([]);
  });

  test('a folder without an mTLS Ingress is a usage error, not a silent pass', () => {
    const empty = scratchDir();
    try {
      writeFileSync(join(empty.dir, 'x.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
      expect(() => checkManifests(empty.dir)).toThrow(/holds no mTLS setup of a known controller \(an Ingress with the nginx\.ingress\.kubernetes\.io\/auth-tls-secret or haproxy-ingress\.github\.io\/auth-tls-secret annotation, an F5 Policy with ingressMTLS that an Ingress or VirtualServer names, an Envoy Gateway ClientTrafficPolicy/);
    } finally {
      empty.cleanup();
    }
  });
});

describe('the 1 MiB Secret guard at its boundary', () => {
  test('exactly 1 MiB passes; one byte more fails', () => {
    const at = (bytes: number) => {
      const f = new Findings();
      checkSecretSize(f, 'crlPem', 'ca', { 'ca.crt': 'x'.repeat(1000), 'ca.crl': 'y'.repeat(bytes - 1000) }, 10);
      return f.all.map((x) => x.code);
    };
    expect(at(SECRET_SIZE_LIMIT)).toEqual([]);
    expect(at(SECRET_SIZE_LIMIT + 1)).toEqual(['MTLS040']);
  });
});

describe('checkFiles (mtls-pki check on PEM files)', () => {
  test('the seed fixtures pass, and a missing file names its path', () => {
    const dir = join(__dirname, '..', 'fixtures', 'seed');
    expect(checkFiles({
      serverChain: join(dir, 'server-cert-chain.pem'), serverKey: join(dir, 'server-key.pem'),
      clientCa: join(dir, 'client-ca-cert.pem'), crl: join(dir, 'client-ca.crl'), hosts: ['mtls.dev.ityoudao.cn'], now: FIXTURE_NOW,
    })).toEqual([]);
    expect(checkFiles({ clientCa: join(dir, 'nope.pem') })).toEqual([expect.objectContaining({ code: 'MTLS020', message: expect.stringMatching(/nope\.pem" does not exist/) })]);
  });

  test('a client CA without --crl: revocation checking is off, and check says so (MTLS058 warning)', () => {
    const dir = join(__dirname, '..', 'fixtures', 'seed');
    expect(checkFiles({ clientCa: join(dir, 'client-ca-cert.pem'), now: FIXTURE_NOW }))
      .toEqual([expect.objectContaining({ code: 'MTLS058', severity: 'warning', field: 'crl', message: expect.stringMatching(/revocation checking is off/) })]);
  });

  test('the seed\'s incomplete chain, from files', () => {
    const dir = join(__dirname, '..', 'fixtures', 'seed');
    const findings = checkFiles({ serverChain: join(dir, 'server-cert.pem'), serverKey: join(dir, 'server-key.pem'), hosts: ['mtls.dev.ityoudao.cn'], now: FIXTURE_NOW });
    expect(findings.map((f) => f.code)).toEqual(['MTLS002']);
    expect(findings[0].field).toMatch(/server-cert\.pem$/);
  });
});
