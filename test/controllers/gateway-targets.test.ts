// The Gateway-era targets (Envoy Gateway, Contour, Istio) and Traefik: the objects each emits for the seed, with
// the seed's PEM byte for byte under the keys its controller reads, read back by `check --manifests` with no
// finding, and the CRL-expiry guard in each target's own words. Schema validation of every option combination:
// test/schema/emitted-targets.test.ts. No Envoy runs here: what the data planes do is not proven by these tests.
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { checkManifests, IngressController, MtlsIngressProps } from '../../lib';
import { FIXTURE_NOW } from '../fixtures';
import { seedChart, seedProps } from '../support/chart';
import { scratchDir } from '../support/openssl';

const b64 = (o: any, key: string) => Buffer.from(o.data[key], 'base64').toString('utf8');
const synth = (overrides: Partial<MtlsIngressProps>) => {
  const { chart, mtls } = seedChart(overrides);
  return { objects: Testing.synth(chart) as any[], mtls };
};
const named = (objects: any[], kind: string, name?: string) => objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

describe('Envoy Gateway', () => {
  test('a Gateway with an HTTPS listener, an HTTPRoute, and a ClientTrafficPolicy on that listener naming the CA and one Secret per CRL', () => {
    const { objects, mtls } = synth({ controller: IngressController.envoyGateway() });
    expect(mtls.findings).toEqual([]);
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      'Secret mtls-server-secret', 'Secret mtls-client-ca-secret', 'Secret mtls-client-ca-secret-crl-1',
      'Gateway mtls-test-ingress-gateway', 'HTTPRoute mtls-test-ingress', 'ClientTrafficPolicy mtls-test-ingress-mtls',
    ]);
    expect(Object.keys(objects[1].data)).toEqual(['ca.crt']);
    expect(b64(objects[1], 'ca.crt')).toBe(seedProps().clientCaPem);
    expect(b64(objects[2], 'ca.crl')).toBe(seedProps().crlPem);
    expect(named(objects, 'Gateway').spec.listeners).toEqual([{
      name: 'https', protocol: 'HTTPS', port: 443, hostname: 'mtls.dev.ityoudao.cn',
      tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', group: '', name: 'mtls-server-secret' }] },
    }]);
    expect(named(objects, 'HTTPRoute').spec).toEqual({
      parentRefs: [{ name: 'mtls-test-ingress-gateway', sectionName: 'https' }], hostnames: ['mtls.dev.ityoudao.cn'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'nginx-test', port: 80 }] }],
    });
    expect(named(objects, 'ClientTrafficPolicy').spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'mtls-test-ingress-gateway', sectionName: 'https' }],
      tls: { clientValidation: { caCertificateRefs: [{ kind: 'Secret', group: '', name: 'mtls-client-ca-secret' }], crl: { refs: [{ kind: 'Secret', group: '', name: 'mtls-client-ca-secret-crl-1' }] } } },
    });
  });

  test('a shared Gateway: no Gateway; the policy and the Secrets in its namespace, the route in the app\'s, attached by sectionName', () => {
    const { objects } = synth({ controller: IngressController.envoyGateway({ gateway: { name: 'edge', namespace: 'infra', listener: 'https-mtls' } }) });
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Secret infra/mtls-server-secret', 'Secret infra/mtls-client-ca-secret', 'Secret infra/mtls-client-ca-secret-crl-1',
      'HTTPRoute odcp/mtls-test-ingress', 'ClientTrafficPolicy infra/mtls-test-ingress-mtls',
    ]);
    expect(named(objects, 'HTTPRoute').spec.parentRefs).toEqual([{ name: 'edge', namespace: 'infra', sectionName: 'https-mtls' }]);
    expect(named(objects, 'ClientTrafficPolicy').spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', sectionName: 'https-mtls' }]);
  });

  test('leafOnlyCrl and verifyClient "optional" write onlyVerifyLeafCertificate and mode VerifyIfGiven', () => {
    const { objects } = synth({ controller: IngressController.envoyGateway({ leafOnlyCrl: true, version: 'v1.9.0' }), verifyClient: 'optional' });
    const validation = named(objects, 'ClientTrafficPolicy').spec.tls.clientValidation;
    expect([validation.mode, validation.crl.onlyVerifyLeafCertificate]).toEqual(['VerifyIfGiven', true]);
  });
});

describe('Contour', () => {
  test('an HTTPProxy naming one Opaque Secret as caSecret (ca.crt) and crlSecret (crl.pem, not ca.crl)', () => {
    const { objects, mtls } = synth({ controller: IngressController.contour() });
    expect(mtls.findings).toEqual([]);
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual(['Secret mtls-server-secret', 'Secret mtls-client-ca-secret', 'HTTPProxy mtls-test-ingress']);
    expect([objects[1].type, Object.keys(objects[1].data).sort()]).toEqual(['Opaque', ['ca.crt', 'crl.pem']]);
    expect(b64(objects[1], 'crl.pem')).toBe(seedProps().crlPem);
    expect(objects[2].spec).toEqual({
      ingressClassName: 'contour',
      virtualhost: { fqdn: 'mtls.dev.ityoudao.cn', tls: { secretName: 'mtls-server-secret', clientValidation: { caSecret: 'mtls-client-ca-secret', crlSecret: 'mtls-client-ca-secret' } } },
      routes: [{ conditions: [{ prefix: '/' }], services: [{ name: 'nginx-test', port: 80 }] }],
    });
  });

  test('without a CRL no crlSecret; leafOnlyCrl and "optional" write crlOnlyVerifyLeafCert and optionalClientCertificate', () => {
    expect(synth({ controller: IngressController.contour(), crlPem: undefined }).objects[2].spec.virtualhost.tls.clientValidation).toEqual({ caSecret: 'mtls-client-ca-secret' });
    const { objects } = synth({ controller: IngressController.contour({ leafOnlyCrl: true, version: 'v1.33.6' }), verifyClient: 'optional' });
    expect(objects[2].spec.virtualhost.tls.clientValidation).toEqual({ caSecret: 'mtls-client-ca-secret', crlSecret: 'mtls-client-ca-secret', crlOnlyVerifyLeafCert: true, optionalClientCertificate: true });
  });
});

describe('Istio', () => {
  test('one credential Secret with tls.crt, tls.key, ca.crt and ca.crl in the gateway pods\' namespace, a MUTUAL Gateway and a VirtualService', () => {
    const { objects, mtls } = synth({ controller: IngressController.istio() });
    expect(mtls.findings).toEqual([]);
    expect(mtls.serverSecret).toBe(mtls.clientCaSecret);
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Secret istio-system/mtls-server-secret', 'Gateway odcp/mtls-test-ingress-gateway', 'VirtualService odcp/mtls-test-ingress',
    ]);
    const credential = objects[0];
    expect([credential.type, Object.keys(credential.data).sort()]).toEqual(['kubernetes.io/tls', ['ca.crl', 'ca.crt', 'tls.crt', 'tls.key']]);
    // never the other key style: cacert or crl next to ca.* makes Istio drop the CRL
    expect(b64(credential, 'ca.crl')).toBe(seedProps().crlPem);
    expect(b64(credential, 'tls.crt')).toBe(seedProps().serverTls.certificateChainPem);
    expect(objects[1].spec).toEqual({
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['mtls.dev.ityoudao.cn'], tls: { mode: 'MUTUAL', credentialName: 'mtls-server-secret' } }],
    });
    expect(objects[2].spec).toEqual({
      hosts: ['mtls.dev.ityoudao.cn'], gateways: ['odcp/mtls-test-ingress-gateway'],
      http: [{ match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'nginx-test.odcp.svc.cluster.local', port: { number: 80 } } }] }],
    });
  });

  test('the class selects the gateway pods; "optional" is OPTIONAL_MUTUAL; an Exact path is an exact uri match; another gateway namespace', () => {
    const { objects } = synth({ controller: IngressController.istio({ gatewayNamespace: 'edge' }), ingressClassName: 'internal', verifyClient: 'optional', path: '/api', pathType: 'Exact' });
    expect(objects[0].metadata.namespace).toBe('edge');
    expect([objects[1].spec.selector, objects[1].spec.servers[0].tls.mode, objects[2].spec.http[0].match]).toEqual([{ istio: 'internal' }, 'OPTIONAL_MUTUAL', [{ uri: { exact: '/api' } }]]);
  });
});

describe('Traefik, with revocation off by choice', () => {
  test('a CA Secret without ca.crl (nothing would read it), a TLSOption with clientAuth marked as accepted, and an IngressRoute using it', () => {
    const { objects, mtls } = synth({ controller: IngressController.traefik({ acceptNoRevocation: true }) });
    expect(mtls.findings.map((f) => [f.code, f.severity])).toEqual([['MTLS101', 'warning']]);
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual(['Secret mtls-server-secret', 'Secret mtls-client-ca-secret', 'TLSOption mtls-test-ingress-mtls', 'IngressRoute mtls-test-ingress']);
    expect(Object.keys(objects[1].data)).toEqual(['ca.crt']);
    expect(objects[1].metadata.annotations).toBeUndefined(); // no crl-next-update: no CRL is deployed
    expect(objects[2].metadata.annotations).toEqual({ 'cdk8s-mtls-ingress/accept-no-revocation': 'true' });
    expect(objects[2].spec).toEqual({ clientAuth: { secretNames: ['mtls-client-ca-secret'], clientAuthType: 'RequireAndVerifyClientCert' } });
    expect(objects[3].spec).toEqual({
      entryPoints: ['websecure'],
      routes: [{ match: '(Host(`mtls.dev.ityoudao.cn`)) && PathPrefix(`/`)', kind: 'Rule', services: [{ name: 'nginx-test', port: 80 }] }],
      tls: { secretName: 'mtls-server-secret', options: { name: 'mtls-test-ingress-mtls', namespace: 'odcp' } },
    });
  });
});

describe.each([
  ['envoy-gateway', () => IngressController.envoyGateway(), /Envoy Gateway then rejects the ClientTrafficPolicy \(Accepted=False, "CRL is expired"\) and answers 500 on every route of the listener/],
  ['contour', () => IngressController.contour(), /Contour does not look at the CRL's dates; Envoy then refuses every client certificate \("CRL has expired"\): the TLS handshake fails for every client/],
  ['istio', () => IngressController.istio(), /Istio does not look at the CRL's dates; Envoy then refuses every client certificate/],
] as const)('check --manifests reads %s back', (_, controller, expiry) => {
  test('through the same fields it writes: no finding now; the CRL-expiry guard in the target\'s own words a century later', () => {
    const tmp = scratchDir();
    try {
      seedChart({ controller: controller() }, tmp.dir).app.synth();
      expect(checkManifests(tmp.dir, { now: FIXTURE_NOW })).toEqual([]);
      const late = checkManifests(join(tmp.dir, 'seed.k8s.yaml'), { now: new Date('2124-01-02T00:00:00Z') });
      const expired = late.filter((f) => f.code === 'MTLS034');
      expect(expired.map((f) => f.message)).toEqual([expect.stringMatching(expiry)]);
      // and the server certificate was found through the route's own reference: it is judged too
      expect(checkManifests(tmp.dir, { now: FIXTURE_NOW, serverMinValidityDays: 100_000 }).map((f) => f.code)).toEqual(['MTLS009']);
    } finally {
      tmp.cleanup();
    }
  });
});

test('check --manifests on a shared Gateway\'s setup: the Gateway is not in the folder, so its listener cannot be checked, and says so; the CA and CRL are', () => {
  const tmp = scratchDir();
  try {
    seedChart({ controller: IngressController.envoyGateway({ gateway: { name: 'edge', namespace: 'infra', listener: 'https-mtls' } }) }, tmp.dir).app.synth();
    expect(checkManifests(tmp.dir, { now: FIXTURE_NOW }).map((f) => [f.code, f.severity, f.field])).toEqual([
      ['MTLS082', 'warning', 'ClientTrafficPolicy infra/mtls-test-ingress-mtls spec.targetRefs'],
    ]);
    const late = checkManifests(tmp.dir, { now: new Date('2124-01-02T00:00:00Z') });
    expect(late.filter((f) => f.code === 'MTLS034').map((f) => f.field)).toEqual(['ClientTrafficPolicy infra/mtls-test-ingress-mtls spec.tls.clientValidation.crl.refs (1 reference)']);
  } finally {
    tmp.cleanup();
  }
});

test('the CRL-expiry guard at synth speaks of the target too: 500 on every route for Envoy Gateway, a failed handshake for Contour', () => {
  const late = { now: new Date('2124-01-02T00:00:00Z') };
  const expiry = (c: ReturnType<typeof IngressController.named>) => seedChart({ controller: c, ...late }).mtls.findings.filter((f) => f.code === 'MTLS034').map((f) => f.message);
  expect(expiry(IngressController.envoyGateway())).toEqual([expect.stringContaining('answers 500 on every route of the listener, for every client, whatever its certificate')]);
  expect(expiry(IngressController.contour())).toEqual([expect.stringContaining('the TLS handshake fails for every client')]);
  expect(expiry(IngressController.ingressNginx())).toEqual([expect.stringContaining('nginx then rejects EVERY client certificate ("CRL has expired"): 400 for every client')]);
});
