import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkManifests, PkiStore } from '../../lib';
import { loadManifests, probe, serveIngress, ServedIngress } from '../e2e/nginx-harness';
import { scratchDir } from '../support/openssl';
import { KubernetesSchemas } from '../support/schema';

// Each synth here is a whole tsx (or cdk8s-cli) process that compiles main.ts, and one test serves the output with
// nginx: seconds on a quiet machine, up to a minute or more at load 8 on 2 cores.
jest.setTimeout(180_000);

const root = join(__dirname, '..', '..');

/** Runs the example exactly as `npm run synth` does, in `cwd` (so pki/ and dist/ land there); returns its stderr. */
function synthExample(cwd: string): string {
  const env = { ...process.env };
  delete env.CDK8S_OUTDIR;
  delete env.MTLS_PKI_DIR;
  const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'main.ts')], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw Object.assign(new Error(`synth failed (${r.status}): ${r.stderr}`), { status: r.status, stderr: r.stderr });
  return r.stderr;
}

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path, 'base64');
    }
  };
  walk(dir);
  return out;
}

describe('the example app (main.ts) reproduces the seed from its PKI store', () => {
  const tmp = scratchDir('mtls-example-');
  let first: Record<string, string>;
  let firstStderr: string;
  beforeAll(() => {
    firstStderr = synthExample(tmp.dir);
    first = { ...snapshotTree(join(tmp.dir, 'dist')), ...Object.fromEntries(Object.entries(snapshotTree(join(tmp.dir, 'pki'))).map(([k, v]) => [`pki/${k}`, v])) };
  });
  afterAll(() => tmp.cleanup());

  test('it emits the seed\'s objects in namespace odcp, plus the nginx-test backend', () => {
    const objects = loadManifests(join(tmp.dir, 'dist'));
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/odcp/nginx-test', 'Ingress/odcp/mtls-test-ingress', 'Secret/odcp/mtls-client-ca-secret', 'Secret/odcp/mtls-server-secret', 'Service/odcp/nginx-test',
    ]);
    const ingress = objects.find((o) => o.kind === 'Ingress')!;
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/auth-tls-secret': 'odcp/mtls-client-ca-secret',
      'nginx.ingress.kubernetes.io/auth-tls-verify-depth': '1',
      'nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream': 'false',
    });
    expect(checkManifests(join(tmp.dir, 'dist'))).toEqual([]);
  });

  test('every object in dist/ passes the Kubernetes 1.33 schema strictly: no field the API server would drop, none missing', () => {
    const objects = loadManifests(join(tmp.dir, 'dist'));
    expect(objects.length).toBe(5);
    expect(KubernetesSchemas.shared().violationsOf(objects)).toEqual([]);
  });

  test('the first synth says, on stderr, each PKI change it made, with why', () => {
    expect(firstStderr.split('\n')).toEqual([
      expect.stringMatching(/^mtls-pki: created server-ca "Aispeech Server Cert Authority" \(ec-p256, serial [0-9A-F]+, valid until \d{4}-\d\d-\d\d\)$/),
      expect.stringMatching(/^mtls-pki: created client-ca "Aispeech Client Cert Authority" /),
      expect.stringMatching(/^mtls-pki: issued server certificate "mtls" \(serial [0-9A-F]+, DNS:mtls\.dev\.ityoudao\.cn, valid until \S+\)$/),
      expect.stringMatching(/^mtls-pki: issued client certificate "Client001" /),
      expect.stringMatching(/^mtls-pki: issued client certificate "Client002" /),
      expect.stringMatching(/^mtls-pki: revoked client certificate "Client001" \(serial [0-9A-F]+, keyCompromise\): the spec lists it under revoked$/),
      expect.stringMatching(/^mtls-pki: published the client-ca CRL #1 \(1 revoked, next update .*\): the CA had none yet$/),
      'mtls-pki: wrote pki/.gitignore ("*"): git add never picks up the store\'s private keys',
      '',
    ]);
  });

  test('a second synth changes no byte in dist/ or pki/ (kubectl apply is a no-op, nginx does not reload), and says nothing', () => {
    expect(synthExample(tmp.dir)).toBe('');
    const second = { ...snapshotTree(join(tmp.dir, 'dist')), ...Object.fromEntries(Object.entries(snapshotTree(join(tmp.dir, 'pki'))).map(([k, v]) => [`pki/${k}`, v])) };
    expect(second).toEqual(first);
  });

  test('no CA or client private key appears in dist/, in any encoding; the server key is only in its TLS Secret', () => {
    const dist = readdirSync(join(tmp.dir, 'dist')).map((f) => readFileSync(join(tmp.dir, 'dist', f), 'utf8')).join('\n');
    const keys = Object.keys(first).filter((f) => f.startsWith('pki/') && /key/.test(f));
    expect(keys.length).toBeGreaterThanOrEqual(5);
    for (const keyFile of keys) {
      const pem = readFileSync(join(tmp.dir, keyFile), 'utf8');
      const der = pem.replace(/-----[^-]+-----|\s/g, '');
      const forms = [pem, der, Buffer.from(pem).toString('base64'), der.slice(10, 60)];
      const present = forms.some((f) => dist.includes(f));
      expect([keyFile, present]).toEqual([keyFile, /servers\//.test(keyFile)]);
    }
  });

  test('keys are 0600 and the store directory 0700', () => {
    expect(statSync(join(tmp.dir, 'pki')).mode & 0o777).toBe(0o700);
    for (const f of Object.keys(first).filter((k) => k.startsWith('pki/') && /key/.test(k))) expect([f, statSync(join(tmp.dir, f)).mode & 0o777]).toEqual([f, 0o600]);
  });

  test('dist/ is 0700 and its files 0600, since the TLS Secret holds the server key; an older 0755/0644 dist/ is narrowed', () => {
    const dist = join(tmp.dir, 'dist');
    const modes = () => [modeOf(dist), ...readdirSync(dist).map((f) => `${f} ${modeOf(join(dist, f))}`)];
    expect(modes()).toEqual(['700', 'mtls-example.k8s.yaml 600']);
    chmodSync(dist, 0o755);
    chmodSync(join(dist, 'mtls-example.k8s.yaml'), 0o644);
    synthExample(tmp.dir);
    expect(modes()).toEqual(['700', 'mtls-example.k8s.yaml 600']);
  });

  describe('served by a real nginx as ingress-nginx would', () => {
    let served: ServedIngress;
    const pki = (pattern: RegExp) => readFileSync(join(tmp.dir, Object.keys(first).find((k) => pattern.test(k))!), 'utf8');
    beforeAll(async () => { served = await serveIngress({ objects: loadManifests(join(tmp.dir, 'dist')) }); });
    afterAll(async () => { await served?.stop(); });

    test('Client002 → 200 with SUCCESS; revoked Client001 → 400; no certificate → 400', async () => {
      const caPem = pki(/server-ca\/.*cert/);
      const ok = await probe(served, { caPem, certPem: pki(/clients\/Client002.*cert/), keyPem: pki(/clients\/Client002.*key/) });
      expect([ok.status, ok.upstream?.headers['ssl-client-verify'], ok.upstream?.headers['ssl-client-subject-dn']]).toEqual([200, 'SUCCESS', 'CN=Client002']);
      expect((await probe(served, { caPem, certPem: pki(/clients\/Client001.*cert/), keyPem: pki(/clients\/Client001.*key/) })).status).toBe(400);
      expect((await probe(served, { caPem })).status).toBe(400);
    });
  });
});

describe('`npx cdk8s synth` (the cdk8s CLI, through cdk8s.yaml) works as the README says', () => {
  test('it writes the same objects, offline with --no-check-upgrade', () => {
    const tmp = scratchDir('mtls-cdk8s-cli-');
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, MTLS_PKI_DIR: join(tmp.dir, 'pki') };
      delete env.CDK8S_OUTDIR;
      const out = execFileSync(join(root, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade', '--output', join(tmp.dir, 'dist')], { cwd: root, env, encoding: 'utf8', stdio: 'pipe' });
      expect(out).toMatch(/mtls-example\.k8s\.yaml/);
      const kinds = loadManifests(join(tmp.dir, 'dist')).map((o) => `${o.kind}/${o.metadata.name}`).sort();
      expect(kinds).toEqual(['Deployment/nginx-test', 'Ingress/mtls-test-ingress', 'Secret/mtls-client-ca-secret', 'Secret/mtls-server-secret', 'Service/nginx-test']);
      expect(statSync(join(tmp.dir, 'pki')).mode & 0o777).toBe(0o700);
      expect([modeOf(join(tmp.dir, 'dist')), modeOf(join(tmp.dir, 'dist', 'mtls-example.k8s.yaml'))]).toEqual(['700', '600']);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('keyless synth: the CA keys stay on the operator\'s machine, CI synthesizes from the store\'s other files', () => {
  test('the same bytes in dist/ without the CA keys; a revocation whose CRL was not shipped stops synth, naming mtls-pki crl, and writes nothing', async () => {
    const operator = scratchDir('mtls-example-operator-');
    const ci = scratchDir('mtls-example-ci-');
    try {
      synthExample(operator.dir);
      // What reaches CI: the store without the CA keys (as a checkout would have it, with key.pem ignored).
      cpSync(join(operator.dir, 'pki'), join(ci.dir, 'pki'), { recursive: true });
      for (const id of ['server-ca', 'client-ca']) rmSync(join(ci.dir, 'pki', id, 'key.pem'));
      synthExample(ci.dir);
      expect(snapshotTree(join(ci.dir, 'dist'))).toEqual(snapshotTree(join(operator.dir, 'dist')));

      // The operator revokes a client, but only store.json reaches CI, not the CRL signed with it.
      const store = await PkiStore.open(join(operator.dir, 'pki'), { onWarning: () => undefined });
      await store.issueClient('Client003');
      await store.revoke({ commonName: 'Client003' });
      cpSync(join(operator.dir, 'pki', 'store.json'), join(ci.dir, 'pki', 'store.json'));
      const before = { ...snapshotTree(join(ci.dir, 'dist')), ...snapshotTree(join(ci.dir, 'pki')) };
      let failure: { status: number; stderr: string } | undefined;
      try {
        synthExample(ci.dir);
      } catch (e) {
        failure = e as { status: number; stderr: string };
      }
      expect(failure?.status).toBe(1);
      expect(String(failure?.stderr)).toMatch(/pki\/client-ca\/crl\.pem: must be signed anew \(revocations changed\), but pki\/client-ca\/key\.pem is not on this machine.*run mtls-pki crl.*Nothing was written\./);
      expect({ ...snapshotTree(join(ci.dir, 'dist')), ...snapshotTree(join(ci.dir, 'pki')) }).toEqual(before);

      // Shipping the CRL the operator signed makes CI synthesize again, with Client003 on it.
      cpSync(join(operator.dir, 'pki'), join(ci.dir, 'pki'), { recursive: true });
      for (const id of ['server-ca', 'client-ca']) rmSync(join(ci.dir, 'pki', id, 'key.pem'));
      synthExample(ci.dir);
      synthExample(operator.dir);
      expect(snapshotTree(join(ci.dir, 'dist'))).toEqual(snapshotTree(join(operator.dir, 'dist')));
    } finally {
      operator.cleanup();
      ci.cleanup();
    }
  });
});

describe('`npm run synth` with a broken input', () => {
  test('exits 1 with every finding on stderr, no stack trace, and leaves dist/ as it was, modes included', () => {
    const tmp = scratchDir('mtls-example-broken-');
    try {
      synthExample(tmp.dir);
      chmodSync(join(tmp.dir, 'dist'), 0o755); // as an older synth left it
      const dist = { ...snapshotTree(join(tmp.dir, 'dist')), mode: modeOf(join(tmp.dir, 'dist')) };
      // The seed's second error, made by hand: the chain file loses its CA certificate.
      const servers = join(tmp.dir, 'pki', 'servers');
      const chainFile = join(servers, readdirSync(servers).find((f) => f.endsWith('.chain.pem'))!);
      const chain = readFileSync(chainFile, 'utf8');
      require('node:fs').writeFileSync(chainFile, chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + 26));
      let failure: { status: number; stderr: string } | undefined;
      try {
        synthExample(tmp.dir);
      } catch (e) {
        failure = e as { status: number; stderr: string };
      }
      expect(failure?.status).toBe(1);
      expect(String(failure?.stderr)).toMatch(/MTLS002 error serverTls\.certificateChainPem: the chain is incomplete/);
      expect(String(failure?.stderr)).not.toMatch(/^\s+at /m);
      expect({ ...snapshotTree(join(tmp.dir, 'dist')), mode: modeOf(join(tmp.dir, 'dist')) }).toEqual(dist);
    } finally {
      tmp.cleanup();
    }
  });
});
