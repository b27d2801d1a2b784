// `migrate` on the hand-made setup the project started from, as `kubectl get -o yaml` prints it: every target but
// ingress-nginx (a target added to CONTROLLER_NAMES gets these cases), checked against the real CRD and
// Kubernetes 1.33 schemas, openssl, and the manifest check.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { buildCrl, checkManifests, CONTROLLER_NAMES, ControllerTarget, createRootCa, Findings, IngressController, loadCertificateAuthority } from '../../lib';
import type { ManifestObject } from '../../lib/controllers/controller';
import { AUTH_TLS } from '../../lib/controllers/ingress-nginx';
import { migrate, MigrateOptions } from '../../lib/migrate';
import { FIXTURE_NOW, seedFixture } from '../fixtures';
import { seedChart, synthSeedToDisk } from '../support/chart';
import { openssl, scratchDir } from '../support/openssl';
import { KubernetesSchemas } from '../support/schema';

const FIXTURE = join(__dirname, '../fixtures/kubectl/odcp-mtls.yaml');
/** What synth refuses the seed with on a target (Traefik, which cannot check a CRL), or [] when it emits. */
function synthRefusal(target: ControllerTarget): string[] {
  try {
    return seedChart({ controller: target }).mtls.findings.filter((f) => f.severity === 'error').map((f) => f.code);
  } catch (e) {
    return [(e as Error).message];
  }
}
const TARGETS = CONTROLLER_NAMES.filter((n) => n !== 'ingress-nginx' && synthRefusal(IngressController.named(n)).length === 0);
const REFUSING = CONTROLLER_NAMES.filter((n) => n !== 'ingress-nginx' && !TARGETS.includes(n));
const schemas = KubernetesSchemas.shared();
const scratch = scratchDir('migrate-');
afterAll(() => scratch.cleanup());

type Mutable = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; data?: Record<string, string>; spec?: any; type?: string };
/** The fixture's List items, as plain objects to edit. */
const items = (): Mutable[] => (Yaml.load(FIXTURE)[0] as { items: Mutable[] }).items;
const named = (objects: Mutable[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
let written = 0;
/** Writes objects as kubectl does (a List), returns the path. */
function asKubectlList(objects: Mutable[]): string {
  return scratch.write(`in-${written++}.yaml`, Yaml.stringify({ apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } }));
}
const options = (to: string, more: Partial<MigrateOptions> = {}): MigrateOptions => ({ to: IngressController.named(to), allowLoss: false, allowNoCrl: false, now: FIXTURE_NOW, ...more });
const parsed = (yaml: string | undefined) => Yaml.load(scratch.write(`out-${written++}.yaml`, yaml ?? '')) as ManifestObject[];
/** The sha256 fingerprint openssl gives a PEM CRL: openssl parses it, not our code. */
const crlFingerprint = (pem: string) => openssl(['crl', '-noout', '-fingerprint', '-sha256'], { input: pem }).trim();

test('the fixture is the hand-made setup made of the fixed seed material, as kubectl prints it', () => {
  const objects = items();
  expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['Ingress odcp/mtls-test-ingress', 'Secret odcp/mtls-client-ca-secret', 'Secret odcp/mtls-server-secret']);
  expect(named(objects, 'Secret', 'mtls-client-ca-secret').data).toEqual({ 'ca.crl': b64(seedFixture('client-ca.crl')), 'ca.crt': b64(seedFixture('client-ca-cert.pem')) });
  expect(named(objects, 'Secret', 'mtls-server-secret').data).toEqual({ 'tls.crt': b64(seedFixture('server-cert-chain.pem')), 'tls.key': b64(seedFixture('server-key.pem')) });
  for (const noise of ['last-applied-configuration', 'managedFields:', 'resourceVersion:', 'uid:', '  status:\n    loadBalancer:']) expect(readFileSync(FIXTURE, 'utf8')).toContain(noise);
});

describe.each(TARGETS)('migrate --to %s', (to) => {
  const target = IngressController.named(to);

  test('the kubectl List: nothing lost, schema-valid output that keeps the CRL bytes, and check --manifests passes', () => {
    const result = migrate([FIXTURE], options(to));
    expect([result.ok, result.readFindings, result.untouched]).toEqual([true, [], []]);
    const [setup] = result.setups;
    expect(setup.carried.map((c) => c.from)).toEqual(['auth-tls-secret', 'auth-tls-verify-client', 'auth-tls-verify-depth', 'auth-tls-pass-certificate-to-upstream'].map((k) => `nginx.ingress.kubernetes.io/${k}`));
    expect([setup.lost, setup.refusals, setup.findings]).toEqual([[], [], []]);
    const objects = parsed(setup.yaml);
    expect(schemas.violationsOf(objects)).toEqual([]);
    // The Secret the target reads the CRL from: the CA Secret, Envoy Gateway's CRL Secret, Istio's one credential.
    const trust = objects.find((o) => o.kind === 'Secret' && o.data?.[target.secrets.clientTrust.crlKey] !== undefined)!;
    expect(trust?.type).toBe(target.secrets.clientTrust.type);
    const crl = Buffer.from(trust.data![target.secrets.clientTrust.crlKey], 'base64').toString('utf8');
    expect(crl).toBe(seedFixture('client-ca.crl'));
    expect(crlFingerprint(crl)).toBe(crlFingerprint(seedFixture('client-ca.crl')));
    const dir = join(scratch.dir, `check-${to}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'out.yaml'), setup.yaml!);
    expect(checkManifests(dir, { now: FIXTURE_NOW })).toEqual([]);
  });

  test('the same objects as several documents, and our own synth output for ingress-nginx, give what synth gives for the target', () => {
    const docs = scratch.write(`docs-${to}.yaml`, Yaml.stringify(...items()));
    const fromSynth = join(scratch.dir, `synth-${to}`);
    mkdirSync(fromSynth);
    writeFileSync(join(fromSynth, 'seed.k8s.yaml'), Yaml.stringify(...synthSeedToDisk().objects));
    const expected = synthSeedToDisk({ controller: target }).objects;
    for (const input of [docs, fromSynth]) {
      const result = migrate([input], options(to));
      expect(result.ok).toBe(true);
      expect(parsed(result.setups[0].yaml)).toEqual(expected);
    }
  });

  test('each setting the target cannot express, and every other ingress-nginx annotation, is refused; --allow-loss drops and lists them', () => {
    const objects = items();
    const ingress = named(objects, 'Ingress', 'mtls-test-ingress');
    Object.assign(ingress.metadata.annotations!, {
      'nginx.ingress.kubernetes.io/auth-tls-error-page': 'https://www.ityoudao.cn/',
      'nginx.ingress.kubernetes.io/auth-tls-match-cn': 'CN=Client00[0-9]',
      'nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream': 'true',
      'nginx.ingress.kubernetes.io/rewrite-target': '/',
      'nginx.ingress.kubernetes.io/ssl-redirect': 'false',
      'external-dns.alpha.kubernetes.io/hostname': 'mtls.dev.ityoudao.cn',
    });
    ingress.spec.rules[0].http.paths.push({ path: '/admin', pathType: 'Prefix', backend: { service: { name: 'admin', port: { number: 8080 } } } });
    const input = asKubectlList(objects);
    const settings = ['verifyClient', 'verifyDepth', 'errorPage', 'matchCn', 'passCertificateToUpstream'] as const;
    const unsupported = settings.filter((s) => s in target.unsupported).map((s) => AUTH_TLS.keyOf(s));
    const expectedLost = [...unsupported, 'nginx.ingress.kubernetes.io/rewrite-target', 'nginx.ingress.kubernetes.io/ssl-redirect', 'spec.rules[0].http.paths[1]'].sort();

    const refused = migrate([input], options(to));
    expect(refused.ok).toBe(false);
    expect(refused.setups[0].lost.map((l) => l.from).sort()).toEqual(expectedLost);
    for (const l of refused.setups[0].lost) expect(l.why.length).toBeGreaterThan(40);
    expect(refused.setups[0].carried.find((c) => c.from.startsWith('external-dns'))?.to).toBe('the same annotation on the route object');

    const allowed = migrate([input], options(to, { allowLoss: true }));
    expect([allowed.ok, allowed.setups[0].lost.map((l) => l.from).sort()]).toEqual([true, expectedLost]);
    const text = allowed.setups[0].yaml!;
    expect(text).not.toMatch(/rewrite-target|ssl-redirect|\/admin/);
    expect([text.includes('https://www.ityoudao.cn/'), text.includes('Client00[0-9]')]).toEqual([!('errorPage' in target.unsupported), !('matchCn' in target.unsupported)]);
    expect(text).toContain('external-dns.alpha.kubernetes.io/hostname: mtls.dev.ityoudao.cn');
    expect(schemas.violationsOf(parsed(text))).toEqual([]);
  });
});

/** A target that refuses the seed at synth, for its own reason, as a target that cannot check a CRL does. */
function refusingTarget(): ControllerTarget {
  const base = IngressController.named(TARGETS[0]);
  return Object.assign(Object.create(Object.getPrototypeOf(base)), base, {
    check: (findings: Findings) => findings.error('MTLS080', 'crlPem', 'is set, but this controller cannot check a CRL: a revoked client would get in.'),
  });
}

describe.each([...REFUSING.map((n): [string, () => ControllerTarget] => [n, () => IngressController.named(n)]), ['a target that cannot check a CRL', refusingTarget]])('migrate --to %s, which synth refuses', (_, target) => {
  test('is refused with what synth says, and nothing to write', () => {
    const result = migrate([FIXTURE], { ...options(TARGETS[0]), to: target() });
    expect(result.ok).toBe(false);
    const setup = result.setups[0];
    expect(setup.yaml).toBeUndefined();
    expect([...setup.findings.filter((f) => f.severity === 'error').map((f) => f.code), ...setup.refusals.map((r) => r.replace(/^Ingress odcp\/mtls-test-ingress: /, ''))]).toEqual(synthRefusal(target()));
  });
});

describe('the CRL is never lost', () => {
  const to = TARGETS[0];
  const caSecret = (objects: Mutable[]) => named(objects, 'Secret', 'mtls-client-ca-secret');

  test('an expired CRL is refused whatever the options, naming the Secret key and what clients would get', async () => {
    const ca = await loadCertificateAuthority(seedFixture('client-ca-cert.pem'), seedFixture('client-ca-key.pem'));
    const expired = await buildCrl({ issuer: ca, crlNumber: 2n, thisUpdate: new Date('2026-01-06T00:00:00Z'), nextUpdate: new Date('2026-02-05T00:00:00Z'), entries: [] });
    const objects = items();
    caSecret(objects).data!['ca.crl'] = b64(expired.pem);
    const result = migrate([asKubectlList(objects)], options(to, { allowLoss: true, allowNoCrl: true }));
    expect(result.ok).toBe(false);
    expect(result.setups[0].findings).toEqual([expect.objectContaining({ code: 'MTLS034', severity: 'error', field: 'Secret odcp/mtls-client-ca-secret ca.crl', message: expect.stringContaining('for every client') })]);
  });

  test('a CA in ca.crt without a CRL is refused (MTLS036)', async () => {
    const other = await createRootCa({ commonName: 'Second Client CA', notBefore: new Date('2026-01-05T00:00:00Z'), validityDays: 36500 });
    const objects = items();
    caSecret(objects).data!['ca.crt'] = b64(seedFixture('client-ca-cert.pem') + other.certificatePem);
    const result = migrate([asKubectlList(objects)], options(to, { allowLoss: true, allowNoCrl: true }));
    expect(result.ok).toBe(false);
    expect(result.setups[0].findings.map((f) => [f.code, f.field])).toEqual([['MTLS036', 'Secret odcp/mtls-client-ca-secret ca.crl']]);
  });

  test('a CA Secret without ca.crl is refused unless --allow-no-crl, which then warns (MTLS058)', () => {
    const objects = items();
    delete caSecret(objects).data!['ca.crl'];
    const input = asKubectlList(objects);
    const refused = migrate([input], options(to, { allowLoss: true }));
    expect([refused.ok, refused.setups[0].yaml]).toEqual([false, undefined]);
    expect(refused.setups[0].refusals).toEqual([expect.stringMatching(/^Secret odcp\/mtls-client-ca-secret has no ca.crl: .*--allow-no-crl/)]);
    const allowed = migrate([input], options(to, { allowNoCrl: true }));
    expect(allowed.ok).toBe(true);
    expect(allowed.setups[0].findings.map((f) => [f.code, f.severity])).toEqual([['MTLS058', 'warning']]);
    expect(allowed.setups[0].notes.some((n) => n.includes('--allow-no-crl was given'))).toBe(true);
  });
});

describe('reading the input', () => {
  const to = TARGETS[0];

  test('broken YAML is refused with the file and the line, not half read', () => {
    const lines = readFileSync(FIXTURE, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('ingressClassName: nginx'));
    lines[at] = lines[at].replace('  ingressClassName', '\tingressClassName');
    const bad = scratch.write('bad.yaml', lines.join('\n'));
    expect(() => migrate([bad], options(to))).toThrow(`${bad}:${at + 1}: is not valid YAML`);
  });

  test('a CA Secret in another namespace is written into the Ingress\'s, and the report says so', () => {
    const objects = items();
    named(objects, 'Secret', 'mtls-client-ca-secret').metadata.namespace = 'shared';
    named(objects, 'Ingress', 'mtls-test-ingress').metadata.annotations!['nginx.ingress.kubernetes.io/auth-tls-secret'] = 'shared/mtls-client-ca-secret';
    const result = migrate([asKubectlList(objects)], options(to));
    expect(result.ok).toBe(true);
    expect(result.setups[0].notes).toContainEqual(expect.stringMatching(/^Secret shared\/mtls-client-ca-secret is in another namespace .* written into "odcp"/));
    expect(result.setups[0].objects).toContain('Secret odcp/mtls-client-ca-secret');
  });

  test('no Ingress with auth-tls-secret: refused, saying what to give', () => {
    const objects = items().filter((o) => o.kind === 'Secret');
    expect(() => migrate([asKubectlList(objects)], options(to))).toThrow(/no Ingress with the nginx.ingress.kubernetes.io\/auth-tls-secret annotation; nothing to migrate/);
  });

  test('Secrets in another file are found; a link inside a folder is not followed, and the setup is refused', () => {
    const objects = items();
    const dir = join(scratch.dir, 'split');
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    writeFileSync(join(dir, 'ingress.yaml'), Yaml.stringify(objects[0], { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx-test', namespace: 'odcp' }, spec: { ports: [{ port: 80 }] } }));
    const secrets = join(dir, 'secrets', 'all.yaml');
    writeFileSync(secrets, Yaml.stringify(...objects.slice(1)));
    const joined = migrate([join(dir, 'ingress.yaml'), secrets], options(to));
    expect([joined.ok, joined.untouched]).toEqual([true, ['Service odcp/nginx-test']]);

    const linked = join(scratch.dir, 'linked');
    mkdirSync(linked);
    writeFileSync(join(linked, 'ingress.yaml'), Yaml.stringify(objects[0]));
    symlinkSync(secrets, join(linked, 'secrets.yaml'));
    const result = migrate([linked], options(to));
    expect(result.ok).toBe(false);
    expect(result.readFindings.map((f) => [f.code, f.field])).toEqual([['MTLS064', join(linked, 'secrets.yaml')], ['MTLS070', 'Ingress odcp/mtls-test-ingress auth-tls-secret']]);
    expect(result.setups[0].refusals).toHaveLength(2);
  });
});
