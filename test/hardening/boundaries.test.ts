import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { MtlsIngress, MtlsIngressProps, SECRET_SIZE_LIMIT } from '../../lib';
import { buildCrl, createRootCa, issueServerCertificate } from '../../lib/pki';
import { PkiStore } from '../../lib/store';
import { CLI, requireBuild } from '../cli/cli';
import { scratchDir } from '../support/openssl';
import { snapshot } from '../store/helpers';
import { writeFakeClock } from './support';
import { DAY } from '../fixtures';

// The operational guards at their boundaries, through the two paths operators use: `mtls-pki check` (the CLI
// reads the clock, so it runs under a preload that pins Date to the second) and synth (the construct's `now`).
// CRL expiry: one second either side of the 7-day threshold (MTLS035) and of nextUpdate (MTLS034).
// Secret size: the auth-tls Secret at exactly 1 MiB, and one byte more (MTLS040).

beforeAll(requireBuild);

const SECOND = 1000;
const NEXT_UPDATE = Date.parse('2027-03-01T00:00:00Z');
const THRESHOLD = NEXT_UPDATE - 7 * DAY;
const HOST = 'app.example.com';
const POINTS = [
  ['threshold - 1 s', THRESHOLD - SECOND, []],
  ['threshold + 1 s', THRESHOLD + SECOND, ['MTLS035']],
  ['nextUpdate - 1 s', NEXT_UPDATE - SECOND, ['MTLS035']],
  ['nextUpdate + 1 s', NEXT_UPDATE + SECOND, ['MTLS034']],
] as const;

const tmp = scratchDir('mtls-bound-');
afterAll(() => tmp.cleanup());
let fakeClock: string;
let material: { serverTls: MtlsIngressProps['serverTls']; clientCaPem: string; crlPem: string };

beforeAll(async () => {
  fakeClock = writeFakeClock(tmp.dir);
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const serverCa = await createRootCa({ commonName: 'Boundary Server CA', notBefore });
  const clientCa = await createRootCa({ commonName: 'Boundary Client CA', notBefore });
  const server = await issueServerCertificate(serverCa, { names: [HOST], notBefore, validityDays: 3650 });
  const crl = await buildCrl({ issuer: clientCa, entries: [], crlNumber: 7n, thisUpdate: new Date('2026-12-01T00:00:00Z'), nextUpdate: new Date(NEXT_UPDATE) });
  material = { serverTls: { certificateChainPem: server.certificatePem + serverCa.certificatePem, privateKeyPem: server.privateKeyPem }, clientCaPem: clientCa.certificatePem, crlPem: crl.pem };
  fs.writeFileSync(join(tmp.dir, 'ca.pem'), material.clientCaPem);
  fs.writeFileSync(join(tmp.dir, 'ca.crl'), material.crlPem);
});

/** `mtls-pki check …` with the clock pinned to `now`. */
function checkAt(now: number, args: readonly string[]) {
  const r = spawnSync(process.execPath, ['-r', fakeClock, CLI, 'check', ...args], {
    cwd: tmp.dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', MTLS_FAKE_NOW: new Date(now).toISOString() },
  });
  return { status: r.status, codes: [...r.stdout.matchAll(/^(MTLS\d{3}) /gm)].map((m) => m[1]), stdout: r.stdout, stderr: r.stderr };
}

describe('CRL expiry in `mtls-pki check`, one second either side', () => {
  test.each(POINTS)('files, at %s', (_at, now, codes) => {
    const r = checkAt(now, ['--client-ca', 'ca.pem', '--crl', 'ca.crl']);
    expect({ status: r.status, codes: r.codes, stderr: r.stderr }).toEqual({ status: codes.length ? 1 : 0, codes: [...codes], stderr: '' });
    if (codes[0] === 'MTLS035') expect(r.stdout).toMatch(/MTLS035 error ca\.crl: from "CN=Boundary Client CA" expires at 2027-03-01T00:00:00\.000Z, in [0-9.]+ days, within the 7-day threshold/);
    if (codes[0] === 'MTLS034') expect(r.stdout).toMatch(/MTLS034 error ca\.crl: from "CN=Boundary Client CA" expired at 2027-03-01T00:00:00\.000Z\. nginx then rejects EVERY client certificate/);
  });

  test('the store (`mtls-pki check --dir`, as cron runs it): its own CRL judged the same way', async () => {
    const dir = join(tmp.dir, 'pki');
    await (await PkiStore.open(dir)).ensure({ now: new Date('2026-12-01T00:00:00Z') });
    const next = (await (await PkiStore.open(dir)).list()).crls[0].nextUpdate!;
    const at = (ms: number) => checkAt(Date.parse(next) + ms, ['--dir', dir]);
    expect(at(-7 * DAY - SECOND)).toMatchObject({ status: 0, codes: [] });
    expect(at(-7 * DAY + SECOND)).toMatchObject({ status: 1, codes: ['MTLS035'] });
    expect(at(SECOND)).toMatchObject({ status: 1, codes: ['MTLS034'] });
  });
});

/** Synthesizes one MtlsIngress into `outdir`; returns the error message, or undefined when synth succeeded. */
function synthInto(outdir: string, props: Partial<MtlsIngressProps>): string | undefined {
  const app = new App({ outdir });
  new MtlsIngress(new Chart(app, 'bounds', { namespace: 'bounds' }), 'mtls', { host: HOST, backend: { serviceName: 'app', port: 80 }, ...material, ...props });
  try {
    app.synth();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('CRL expiry in synth, one second either side', () => {
  let stderr: jest.SpyInstance;
  beforeAll(() => { stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true); });
  afterAll(() => stderr.mockRestore());

  test.each(POINTS)('at %s', (at, now, codes) => {
    const outdir = join(tmp.dir, `synth-${at.replace(/ \+ /, ' plus ').replace(/ - /, ' minus ').replace(/\W+/g, '-')}`);
    const error = synthInto(outdir, { now: new Date(now) });
    if (codes.length === 0) {
      expect(error).toBeUndefined();
      expect(fs.readFileSync(join(outdir, 'bounds.k8s.yaml'), 'utf8')).toMatch(/cdk8s-mtls-ingress\/crl-next-update: "?2027-03-01T00:00:00\.000Z/);
    } else {
      expect(error).toMatch(new RegExp(`\\[bounds/mtls\\] ${codes[0]} error crlPem: `));
      expect([...error!.matchAll(/\] (MTLS\d{3}) error/g)].map((m) => m[1])).toEqual([...codes]);
      expect(fs.readdirSync(outdir)).toEqual([]); // nothing written
    }
  });
});

describe('the 1 MiB Secret guard through the construct, one byte either side', () => {
  let stderr: jest.SpyInstance;
  beforeAll(() => { stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true); });
  afterAll(() => stderr.mockRestore());

  test('a ca.crt + ca.crl of exactly 1 MiB synthesizes; one byte more fails with MTLS040 and writes nothing', async () => {
    // A real CRL just under the limit (21,000 entries), then trailing newlines, which PEM readers skip, to land on the byte.
    const clientCa = await createRootCa({ commonName: 'Boundary Client CA' });
    const entries = Array.from({ length: 21_000 }, (_, i) => ({ serialHex: (0x4000_0000_0000_0000_0000_0000_0000_0000n + BigInt(i) * 0x1_0000_0001n).toString(16).toUpperCase(), revokedAt: new Date('2026-12-01T00:00:00Z') }));
    const crl = (await buildCrl({ issuer: clientCa, entries, crlNumber: 9n, thisUpdate: new Date('2026-12-01T00:00:00Z'), nextUpdate: new Date(NEXT_UPDATE) })).pem;
    const base = Buffer.byteLength(clientCa.certificatePem) + Buffer.byteLength(crl);
    expect(base).toBeLessThan(SECRET_SIZE_LIMIT);
    expect(base).toBeGreaterThan(SECRET_SIZE_LIMIT - 64 * 1024);
    const padded = (total: number) => crl + '\n'.repeat(total - base);
    const props = (total: number) => ({ clientCaPem: clientCa.certificatePem, crlPem: padded(total), now: new Date('2026-12-15T00:00:00Z') });

    const at = join(tmp.dir, 'secret-at-limit');
    expect(synthInto(at, props(SECRET_SIZE_LIMIT))).toBeUndefined();
    const written = fs.readFileSync(join(at, 'bounds.k8s.yaml'), 'utf8');
    const data = /name: mtls-client-ca[\s\S]*?ca\.crl: (\S+)/.exec(written) ?? /ca\.crl: (\S+)[\s\S]*?name: mtls-client-ca/.exec(written);
    expect(Buffer.from(data![1], 'base64').length + Buffer.byteLength(clientCa.certificatePem)).toBe(SECRET_SIZE_LIMIT);

    const over = join(tmp.dir, 'secret-over-limit');
    fs.mkdirSync(over);
    const before = snapshot(tmp.dir);
    const error = synthInto(over, props(SECRET_SIZE_LIMIT + 1));
    expect(error).toMatch(/MTLS040 error crlPem: Secret "mtls-client-ca" would hold 1048577 bytes of data, 1 over Kubernetes' 1 MiB \(1048576 bytes\) limit, so the API server rejects it\. The CRL holds 21000 entries .*drop at least 1 by pruning/);
    expect([...error!.matchAll(/\] (MTLS\d{3}) error/g)].map((m) => m[1])).toEqual(['MTLS040']);
    expect(snapshot(tmp.dir)).toEqual(before);
  });
});
