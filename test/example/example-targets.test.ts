// `npm run synth -- --controller <name>`: the example's scenario for each controller target, from one PKI store,
// served as that controller renders it, checked by `mtls-pki check --manifests`, and valid against the schemas.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkManifests } from '../../lib';
import { cli, requireBuild } from '../cli/cli';
import { serveF5 } from '../e2e/f5-harness';
import { serveHaproxy } from '../e2e/haproxy-harness';
import { loadManifests } from '../e2e/nginx-harness';
import { E2E_TEST_TIMEOUT, probe, ServedEndpoint } from '../e2e/process-harness';
import { scratchDir } from '../support/openssl';
import { KubernetesSchemas } from '../support/schema';
import { DAY } from '../fixtures';

// Every test serves a real data plane and may reload it: see E2E_TEST_TIMEOUT.
jest.setTimeout(E2E_TEST_TIMEOUT);

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

/** Runs the example exactly as `npm run synth -- <args>` does, in `cwd` (so pki/ and dist/ land there). */
function synthExample(cwd: string, args: string[]): { status: number | null; stderr: string } {
  const env = { ...process.env };
  delete env.CDK8S_OUTDIR;
  delete env.MTLS_PKI_DIR;
  const r = spawnSync(tsx, [join(root, 'main.ts'), ...args], { cwd, env, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('`npm run synth -- --controller <name>` from one PKI store', () => {
  const tmp = scratchDir('mtls-example-targets-');
  const dist = join(tmp.dir, 'dist');
  const pem = (pattern: RegExp) => {
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    return readFileSync(walk(join(tmp.dir, 'pki')).find((f) => pattern.test(f))!, 'utf8');
  };
  const clients = () => ({
    caPem: pem(/server-ca\/.*cert/),
    c2: { certPem: pem(/clients\/Client002.*cert/), keyPem: pem(/clients\/Client002.*key/) },
    c1: { certPem: pem(/clients\/Client001.*cert/), keyPem: pem(/clients\/Client001.*key/) },
  });
  const answers = async (s: ServedEndpoint) => {
    const { caPem, c1, c2 } = clients();
    return [(await probe(s, { caPem })).status, (await probe(s, { caPem, ...c2 })).status, (await probe(s, { caPem, ...c1 })).status];
  };
  let defaultSecrets: Record<string, Record<string, string>>;
  const secretData = () => Object.fromEntries(loadManifests(dist).filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, o.data]));

  beforeAll(() => {
    expect(synthExample(tmp.dir, []).status).toBe(0);
    defaultSecrets = secretData();
  });
  afterAll(() => tmp.cleanup());

  test('an unknown name exits 2, lists the known ones, and writes nothing', () => {
    const empty = scratchDir('mtls-example-unknown-');
    try {
      const r = synthExample(empty.dir, ['--controller', 'kong']);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('"kong" is not a known controller; the known ones are ingress-nginx, f5-nginx, haproxy-ingress, envoy-gateway, contour, istio, traefik.');
      expect(readdirSync(empty.dir)).toEqual([]);
      expect(synthExample(empty.dir, ['--controller']).status).toBe(2);
      expect(synthExample(empty.dir, ['--verbose']).status).toBe(2);
    } finally {
      empty.cleanup();
    }
  });

  describe.each([
    ['haproxy-ingress', ['Deployment', 'Ingress', 'Secret', 'Secret', 'Service'], serveHaproxy, [496, 200, 495]],
    ['f5-nginx', ['Deployment', 'Ingress', 'Policy', 'Secret', 'Secret', 'Service'], serveF5, [400, 200, 400]],
  ] as const)('%s', (name, kinds, serve, expected) => {
    beforeAll(() => {
      const r = synthExample(tmp.dir, ['--controller', name]);
      expect([r.status, r.stderr]).toEqual([0, '']);
    });

    test('dist/ holds the target\'s objects, the same PEM as the default target\'s, and passes the schemas', () => {
      const objects = loadManifests(dist);
      expect(objects.map((o) => o.kind).sort()).toEqual([...kinds]);
      // the same store, so the same certificate, CA and CRL bytes: switching controllers keeps the PKI
      const now = secretData();
      for (const secret of Object.keys(defaultSecrets)) expect(Object.values(now[secret]).sort()).toEqual(Object.values(defaultSecrets[secret]).sort());
      expect(KubernetesSchemas.shared().violationsOf(objects)).toEqual([]);
    });

    test('`mtls-pki check --manifests dist/` understands it: no finding now, the CRL-expiry guard in a year', () => {
      requireBuild();
      const r = cli(['check', '--manifests', dist, '--dir', join(tmp.dir, 'pki')]);
      // It says what it read first: the target's objects (the Policy for F5), then the verdict.
      expect([r.status, r.stdout]).toEqual([0, expect.stringMatching(/^checked \S+dist: \d+ object\(s\) \([^)]*Secret\/odcp\/mtls-client-ca-secret[^)]*\); 3 certificate\(s\), 1 CRL\(s\) in their Secrets\nok: no findings\n$/)]);
      const late = checkManifests(dist, { now: new Date(Date.now() + 365 * DAY) }).map((f) => f.code);
      expect(late).toContain('MTLS034');
    });

    test(`served as ${name} renders it: no certificate ${expected[0]}, Client002 ${expected[1]}, revoked Client001 ${expected[2]}`, async () => {
      const s = await serve({ objects: loadManifests(dist) });
      try {
        expect(await answers(s)).toEqual([...expected]);
      } finally {
        await s.stop();
      }
    });
  });

  // No Envoy runs here: these targets' output is judged by the schemas and by check --manifests, not served.
  describe.each([
    ['envoy-gateway', ['ClientTrafficPolicy', 'Deployment', 'Gateway', 'HTTPRoute', 'Secret', 'Secret', 'Secret', 'Service']],
    ['contour', ['Deployment', 'HTTPProxy', 'Secret', 'Secret', 'Service']],
    ['istio', ['Deployment', 'Gateway', 'Secret', 'Service', 'VirtualService']],
  ] as const)('%s', (name, kinds) => {
    beforeAll(() => {
      const r = synthExample(tmp.dir, ['--controller', name]);
      expect([r.status, r.stderr]).toEqual([0, '']);
    });

    test('dist/ holds the target\'s objects, the same PEM bytes as the default target\'s (under its own keys), and passes the schemas', () => {
      const objects = loadManifests(dist);
      expect(objects.map((o) => o.kind).sort()).toEqual([...kinds]);
      const values = (secrets: Record<string, Record<string, string>>) => Object.values(secrets).flatMap((data) => Object.values(data)).sort();
      expect(values(secretData())).toEqual(values(defaultSecrets));
      expect(KubernetesSchemas.shared().violationsOf(objects)).toEqual([]);
    });

    test('`mtls-pki check --manifests dist/` understands it: no finding now, the CRL-expiry guard in a year', () => {
      requireBuild();
      const r = cli(['check', '--manifests', dist, '--dir', join(tmp.dir, 'pki')]);
      expect([r.status, r.stdout]).toEqual([0, expect.stringMatching(/^checked .*\nok: no findings\n$/s)]);
      expect(checkManifests(dist, { now: new Date(Date.now() + 365 * DAY) }).map((f) => f.code)).toContain('MTLS034');
    });
  });

  test('`--controller traefik` exits 1 naming the CRL gap, and leaves dist/ as it was', () => {
    const before = secretData();
    const r = synthExample(tmp.dir, ['--controller', 'traefik']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/MTLS100 error controller: is Traefik: Traefik cannot check a CRL.*revoked client certificate is admitted \(200\)/);
    expect(secretData()).toEqual(before);
  });

  test('`npm run synth` without --controller is ingress-nginx again, from the same store', () => {
    expect(synthExample(tmp.dir, []).status).toBe(0);
    expect(secretData()).toEqual(defaultSecrets);
    expect(existsSync(join(dist, 'mtls-example.k8s.yaml'))).toBe(true);
    expect(loadManifests(dist).some((o) => o.kind === 'Policy')).toBe(false);
  });
});
