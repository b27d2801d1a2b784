// Every object the Gateway-era targets and Traefik emit, in every option combination they offer, passes its
// schema strictly: custom resources against the openAPIV3Schema of their CRD in shared/crds (Gateway API v1.6.1,
// Envoy Gateway v1.9.0, Contour v1.33.6, Istio 1.30.3, Traefik v3.7.9), Secrets against Kubernetes 1.33. That proves
// the API server accepts every field and shape (an unknown field, a wrong type or a missing required field fails);
// it does not prove what the controllers or Envoy then do (no Envoy runs here), nor the CRDs' CEL rules.
import { Testing } from 'cdk8s';
import { ControllerTarget, IngressController, MtlsIngressProps } from '../../lib';
import { seedChart } from '../support/chart';
import { KubernetesSchemas } from '../support/schema';

const schemas = KubernetesSchemas.shared();

const common: [string, Partial<MtlsIngressProps>][] = [
  ['the seed', {}],
  ['without a CRL', { crlPem: undefined }],
  ['default names, labels, extra annotations, own class, verifyDepth 2', {
    ingressName: undefined, serverSecretName: undefined, clientCaSecretName: undefined, labels: { app: 'web' }, annotations: { 'example.com/owner': 'team-a' }, ingressClassName: 'edge', verifyDepth: 2,
  }],
  ['a Prefix path, the namespace as a prop', { path: '/api', pathType: 'Prefix', namespace: 'other' }],
];

const variants: [string, () => ControllerTarget, [string, Partial<MtlsIngressProps>][]][] = [
  ['envoy-gateway', () => IngressController.envoyGateway(), [...common, ['an Exact path', { path: '/api', pathType: 'Exact' }]]],
  ['envoy-gateway, shared Gateway', () => IngressController.envoyGateway({ gateway: { name: 'edge', namespace: 'infra', listener: 'https-mtls' }, policyName: 'edge-mtls' }), common],
  ['envoy-gateway, leaf-only CRL, optional, v1.9.0', () => IngressController.envoyGateway({ leafOnlyCrl: true, version: 'v1.9.0' }), [['optional', { verifyClient: 'optional' }]]],
  ['contour', () => IngressController.contour(), common],
  ['contour, leaf-only CRL, optional, v1.33.6', () => IngressController.contour({ leafOnlyCrl: true, version: 'v1.33.6' }), [['optional', { verifyClient: 'optional' }]]],
  ['istio', () => IngressController.istio(), [...common, ['two hosts, an Exact path', { host: undefined, hosts: ['mtls.dev.ityoudao.cn', 'mtls2.dev.ityoudao.cn'], path: '/api', pathType: 'Exact' }]]],
  ['istio, own gateway namespace and name, optional', () => IngressController.istio({ gatewayNamespace: 'edge', gatewayName: 'edge-gw' }), [['optional', { verifyClient: 'optional' }]]],
  ['traefik, no revocation accepted', () => IngressController.traefik({ acceptNoRevocation: true }), [
    ...common,
    ['a named port, two hosts, an Exact path, optional, own entry points', { backend: { serviceName: 'nginx-test', port: 'http' }, host: undefined, hosts: ['mtls.dev.ityoudao.cn', 'mtls2.dev.ityoudao.cn'], path: '/api', pathType: 'Exact', verifyClient: 'optional' }],
  ]],
];

const cases = variants.flatMap(([target, controller, props]) => props.map(([name, overrides]) => [`${target}: ${name}`, controller, overrides] as const));
let validated = 0;

test.each(cases)('%s: every object passes its CRD or the Kubernetes 1.33 schema', (_, controller, overrides) => {
  // Each object's toJson(), not synth: the seed certificate names one host, and the two-host shapes are judged here.
  const objects = seedChart({ controller: controller(), ...overrides }).mtls.objects.map((o) => o.toJson());
  expect(objects.length).toBeGreaterThanOrEqual(3);
  for (const o of objects) expect([o.kind, schemas.sourceOf(o.apiVersion, o.kind)]).toEqual([o.kind, expect.any(String)]);
  expect(schemas.violationsOf(objects)).toEqual([]);
  validated += objects.length;
});

// Runs after the cases above (jest runs a file's tests in order): the figure the README quotes.
test('the count: 26 option combinations over 4 targets, 107 objects validated', () => {
  expect([cases.length, new Set(variants.map(([t]) => t.split(',')[0])).size, validated]).toEqual([26, 4, 107]);
});

test('the same validation fails on a field a controller does not know and on a missing required one', () => {
  const objects = Testing.synth(seedChart({ controller: IngressController.contour() }).chart);
  const proxy = objects.find((o) => o.kind === 'HTTPProxy');
  proxy.spec.virtualhost.tls.clientValidation.crlKey = 'ca.crl';
  delete proxy.spec.virtualhost.fqdn;
  const policy = Testing.synth(seedChart({ controller: IngressController.envoyGateway() }).chart).find((o) => o.kind === 'ClientTrafficPolicy');
  policy.spec.tls.clientValidation.crl.refs[0].nam = policy.spec.tls.clientValidation.crl.refs[0].name;
  delete policy.spec.tls.clientValidation.crl.refs[0].name;
  expect(schemas.violationsOf([proxy, policy])).toEqual([
    expect.stringMatching(/^HTTPProxy odcp\/mtls-test-ingress spec\.virtualhost(: .*fqdn|\.fqdn: )/),
    'HTTPProxy odcp/mtls-test-ingress spec.virtualhost.tls.clientValidation.crlKey: unknown field (the API server drops it; kubectl apply --validate=strict refuses it)',
    expect.stringMatching(/^ClientTrafficPolicy odcp\/mtls-test-ingress-mtls spec\.tls\.clientValidation\.crl\.refs\[0\]/),
    expect.stringMatching(/^ClientTrafficPolicy odcp\/mtls-test-ingress-mtls spec\.tls\.clientValidation\.crl\.refs\[0\]\.nam: unknown field/),
  ]);
});
