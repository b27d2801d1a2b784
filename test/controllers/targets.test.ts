// Each controller target: the objects it emits for the seed, in the Secret shapes it declares, valid against the
// Kubernetes 1.33 schema and the controllers' own CRDs, and read back by `check --manifests` with no finding.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { checkManifests, CONTROLLER_NAMES, ControllerTarget, IngressController, MtlsIngressProps } from '../../lib';
import { FIXTURE_NOW } from '../fixtures';
import { seedChart, seedProps } from '../support/chart';
import { scratchDir } from '../support/openssl';
import { KubernetesSchemas } from '../support/schema';

const schemas = KubernetesSchemas.shared();
const b64 = (o: any, key: string) => Buffer.from(o.data[key], 'base64').toString('utf8');

const targets: [string, () => ControllerTarget, string[]][] = [
  ['ingress-nginx', () => IngressController.ingressNginx(), ['Secret', 'Secret', 'Ingress']],
  ['f5-nginx (Ingress)', () => IngressController.f5Nginx(), ['Secret', 'Secret', 'Policy', 'Ingress']],
  ['f5-nginx (VirtualServer)', () => IngressController.f5Nginx({ resource: 'virtualServer' }), ['Secret', 'Secret', 'Policy', 'VirtualServer']],
  ['haproxy-ingress', () => IngressController.haproxyIngress(), ['Secret', 'Secret', 'Ingress']],
  ['haproxy-ingress (certificate header)', () => IngressController.haproxyIngress({ certificateHeader: true }), ['Secret', 'Secret', 'Ingress']],
];

describe.each(targets)('%s', (_, controller, kinds) => {
  const synth = (overrides: Partial<MtlsIngressProps> = {}) => {
    const { chart, mtls } = seedChart({ controller: controller(), ...overrides });
    return { objects: Testing.synth(chart), mtls };
  };

  test('emits its objects, in the Secret shapes it declares, with the seed PEM byte for byte', () => {
    const { objects, mtls } = synth();
    expect(mtls.findings).toEqual([]);
    expect(objects.map((o) => o.kind)).toEqual(kinds);
    expect(mtls.objects.map((o) => o.kind)).toEqual(kinds);
    const shapes = mtls.controller.secrets;
    const [server, ca] = objects;
    expect([server.type, Object.keys(server.data).sort()]).toEqual([shapes.serverTls.type, [shapes.serverTls.certificateKey, shapes.serverTls.privateKeyKey].sort()]);
    expect([ca.type, Object.keys(ca.data).sort()]).toEqual([shapes.clientTrust.type, [shapes.clientTrust.caKey, shapes.clientTrust.crlKey].sort()]);
    expect(b64(ca, shapes.clientTrust.caKey)).toBe(seedProps().clientCaPem);
    expect(b64(ca, shapes.clientTrust.crlKey)).toBe(seedProps().crlPem);
    for (const key of shapes.clientTrust.forbiddenKeys) expect(Object.keys(ca.data)).not.toContain(key);
    expect(ca.stringData).toBeUndefined();
  });

  test.each([
    ['the seed', {}],
    ['without a CRL, default names, labels, extra annotations, optional', { crlPem: undefined, ingressName: undefined, serverSecretName: undefined, clientCaSecretName: undefined, labels: { app: 'web' }, annotations: { 'example.com/owner': 'team-a' }, verifyClient: 'optional' as const }],
    ['Exact path, verifyDepth 2, own class', { path: '/api', pathType: 'Exact' as const, verifyDepth: 2, ingressClassName: 'edge' }],
  ])('every object passes the Kubernetes 1.33 schema and the CRDs strictly: %s', (__, overrides) => {
    const { objects } = synth(overrides as Partial<MtlsIngressProps>);
    expect(objects.length).toBe(kinds.length);
    expect(schemas.violationsOf(objects)).toEqual([]);
    for (const o of objects) expect(schemas.sourceOf(o.apiVersion, o.kind)).toBeDefined();
  });

  test('check --manifests reads the synthesized YAML back through the same tables and finds nothing', () => {
    const tmp = scratchDir();
    try {
      seedChart({ controller: controller() }, tmp.dir).app.synth();
      expect(readdirSync(tmp.dir)).toEqual(['seed.k8s.yaml']);
      expect(checkManifests(tmp.dir, { now: FIXTURE_NOW })).toEqual([]);
      // and it does check them: the CRL's expiry is judged, in the target's own words
      const late = checkManifests(join(tmp.dir, 'seed.k8s.yaml'), { now: new Date('2124-01-02T00:00:00Z') });
      const refusal = controller().dataPlane.refusal;
      expect(late.filter((f) => f.code === 'MTLS034').map((f) => f.message)).toEqual([expect.stringContaining(`rejects EVERY client certificate ("CRL has expired"): ${refusal} for every client`)]);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('the targets declare what the README and `npm run synth -- --controller` name', () => {
  test('every name resolves to its target, and an unknown one is refused with the list', () => {
    expect(CONTROLLER_NAMES).toEqual(['ingress-nginx', 'f5-nginx', 'haproxy-ingress', 'envoy-gateway', 'contour', 'istio', 'traefik']);
    for (const name of CONTROLLER_NAMES) expect(IngressController.named(name).name).toBe(name);
    expect(() => IngressController.named('nginx-gateway-fabric')).toThrow('"nginx-gateway-fabric" is not a known controller; the known ones are ingress-nginx, f5-nginx, haproxy-ingress, envoy-gateway, contour, istio, traefik.');
  });

  test('minimum versions: ingress-nginx v1.0.0, F5 v5.5.0 for an Ingress and v3.1.0 for a VirtualServer, HAProxy Ingress v0.16.0', () => {
    expect([IngressController.ingressNginx(), IngressController.f5Nginx(), IngressController.f5Nginx({ resource: 'virtualServer' }), IngressController.haproxyIngress()].map((t) => t.minimumVersion))
      .toEqual(['v1.0.0', 'v5.5.0', 'v3.1.0', 'v0.16.0']);
  });

  test('the annotations each target writes', () => {
    const annotations = (t: ControllerTarget, o: Partial<MtlsIngressProps> = {}) => Testing.synth(seedChart({ controller: t, ...o }).chart).find((x) => x.kind === 'Ingress')?.metadata.annotations;
    expect(annotations(IngressController.haproxyIngress({ certificateHeader: true }), { errorPage: 'https://errors.example.com/mtls' })).toEqual({
      'haproxy-ingress.github.io/auth-tls-secret': 'odcp/mtls-client-ca-secret',
      'haproxy-ingress.github.io/auth-tls-verify-client': 'on',
      'haproxy-ingress.github.io/auth-tls-strict': 'true',
      'haproxy-ingress.github.io/auth-tls-error-page': 'https://errors.example.com/mtls',
      'haproxy-ingress.github.io/auth-tls-cert-header': 'true',
    });
    expect(annotations(IngressController.haproxyIngress())).not.toHaveProperty(['haproxy-ingress.github.io/auth-tls-cert-header']);
    // F5: the Policy first, then the user's own policies (the list is merged, not overwritten)
    expect(annotations(IngressController.f5Nginx({ policyName: 'mtls' }), { annotations: { 'nginx.org/policies': 'rate-limit, mtls' } })).toEqual({ 'nginx.org/policies': 'mtls,rate-limit' });
  });

  test('the F5 Policy and VirtualServer', () => {
    const objects = Testing.synth(seedChart({ controller: IngressController.f5Nginx({ resource: 'virtualServer' }), verifyDepth: 2, passCertificateToUpstream: true, path: '/api', pathType: 'Exact' }).chart);
    expect(objects.find((o) => o.kind === 'Policy')).toEqual({
      apiVersion: 'k8s.nginx.org/v1', kind: 'Policy', metadata: { name: 'mtls-test-ingress-mtls', namespace: 'odcp' },
      spec: { ingressMTLS: { clientCertSecret: 'mtls-client-ca-secret', verifyClient: 'on', verifyDepth: 2 } },
    });
    expect(objects.find((o) => o.kind === 'VirtualServer').spec).toEqual({
      ingressClassName: 'nginx', host: 'mtls.dev.ityoudao.cn', tls: { secret: 'mtls-server-secret' }, policies: [{ name: 'mtls-test-ingress-mtls' }],
      upstreams: [{ name: 'backend', service: 'nginx-test', port: 80 }],
      routes: [{
        path: '=/api',
        action: {
          proxy: {
            upstream: 'backend',
            requestHeaders: {
              set: [
                { name: 'ssl-client-verify', value: '${ssl_client_verify}' }, { name: 'ssl-client-subject-dn', value: '${ssl_client_s_dn}' },
                { name: 'ssl-client-issuer-dn', value: '${ssl_client_i_dn}' }, { name: 'ssl-client-cert', value: '${ssl_client_escaped_cert}' },
              ],
            },
          },
        },
      }],
    });
  });
});
