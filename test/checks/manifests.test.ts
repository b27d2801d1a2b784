import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFiles, checkManifests, checkSecretSize, Findings, SECRET_SIZE_LIMIT } from '../../lib';
import { seedChart } from '../support/chart';
import { scratchDir } from '../support/openssl';

const DAY = 86_400_000;
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
    expect(checkManifests(tmp.dir, { now: new Date('2026-06-01T00:00:00Z') })).toEqual([]);
  });

  test('the CRL expiry is judged at its boundaries: one second either side of the threshold and of nextUpdate', () => {
    const codesAt = (ms: number) => checkManifests(tmp.dir, { now: new Date(ms) }).map((f) => f.code);
    expect(codesAt(CRL_NEXT_UPDATE - 7 * DAY - 1000)).toEqual([]);
    expect(codesAt(CRL_NEXT_UPDATE - 7 * DAY + 1000)).toContain('MTLS035');
    expect(codesAt(CRL_NEXT_UPDATE - 1000)).toContain('MTLS035');
    expect(codesAt(CRL_NEXT_UPDATE + 1000)).toContain('MTLS034');
  });

  test('a CA Secret without ca.crt is the controller\'s fail-open state: MTLS070', () => {
    const yaml = readFileSync(file, 'utf8');
    const broken = join(tmp.dir, 'broken');
    require('node:fs').mkdirSync(broken);
    writeFileSync(join(broken, 'app.yaml'), yaml.replace(/^ {2}ca\.crt: .*\n/m, ''));
    const findings = checkManifests(broken, { now: new Date('2026-06-01T00:00:00Z') });
    expect(findings).toEqual([expect.objectContaining({ code: 'MTLS070', severity: 'error', message: expect.stringMatching(/mutual authentication disabled/) })]);
  });

  test('a folder without an mTLS Ingress is a usage error, not a silent pass', () => {
    const empty = scratchDir();
    try {
      writeFileSync(join(empty.dir, 'x.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
      expect(() => checkManifests(empty.dir)).toThrow(/holds no Ingress with the nginx\.ingress\.kubernetes\.io\/auth-tls-secret annotation/);
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
      clientCa: join(dir, 'client-ca-cert.pem'), crl: join(dir, 'client-ca.crl'), hosts: ['mtls.dev.ityoudao.cn'], now: new Date('2026-06-01T00:00:00Z'),
    })).toEqual([]);
    expect(checkFiles({ clientCa: join(dir, 'nope.pem') })).toEqual([expect.objectContaining({ code: 'MTLS020', message: expect.stringMatching(/nope\.pem" does not exist/) })]);
  });

  test('the seed\'s incomplete chain, from files', () => {
    const dir = join(__dirname, '..', 'fixtures', 'seed');
    const findings = checkFiles({ serverChain: join(dir, 'server-cert.pem'), serverKey: join(dir, 'server-key.pem'), hosts: ['mtls.dev.ityoudao.cn'], now: new Date('2026-06-01T00:00:00Z') });
    expect(findings.map((f) => f.code)).toEqual(['MTLS002']);
    expect(findings[0].field).toMatch(/server-cert\.pem$/);
  });
});
