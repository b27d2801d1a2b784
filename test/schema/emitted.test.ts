// What MtlsIngress emits passes the Kubernetes 1.33 schema, strictly (no field the API server would drop).
import { Testing } from 'cdk8s';
import { MtlsIngressProps } from '../../lib';
import { seedChart } from '../support/chart';
import { KubernetesSchemas } from '../support/schema';

const schemas = KubernetesSchemas.shared();

describe('every object MtlsIngress emits passes the Kubernetes 1.33 schema', () => {
  const variants: [string, Partial<MtlsIngressProps>][] = [
    ['the seed', {}],
    ['without a CRL', { crlPem: undefined }],
    ['default names, every optional annotation', {
      ingressName: undefined, serverSecretName: undefined, clientCaSecretName: undefined,
      errorPage: 'https://www.ityoudao.cn/', matchCn: 'CN=Client00[0-9]', passCertificateToUpstream: true, verifyClient: 'optional',
    }],
    ['hosts as a list, a named port, Prefix path, labels, extra annotations, own namespace and class', {
      host: undefined, hosts: ['mtls.dev.ityoudao.cn'], backend: { serviceName: 'nginx-test', port: 'http' },
      path: '/api', pathType: 'Prefix', labels: { app: 'web' }, annotations: { 'example.com/owner': 'team-a' }, namespace: 'other', ingressClassName: 'nginx-internal', verifyDepth: 2,
    }],
  ];

  test.each(variants)('%s', (_, overrides) => {
    const objects = Testing.synth(seedChart(overrides).chart);
    expect(objects.map((o) => o.kind).sort()).toEqual(['Ingress', 'Secret', 'Secret']);
    expect(schemas.violationsOf(objects)).toEqual([]);
  });

  test('the same check fails on the same output with one field misspelt and one value of the wrong type', () => {
    const objects = Testing.synth(seedChart().chart);
    const ingress = objects.find((o) => o.kind === 'Ingress');
    ingress.spec.tls[0].secretname = ingress.spec.tls[0].secretName;
    ingress.spec.rules[0].http.paths[0].backend.service.port.number = '80';
    expect(schemas.violationsOf(objects)).toEqual([
      'Ingress odcp/mtls-test-ingress spec.rules[0].http.paths[0].backend.service.port.number: must be integer, got string "80"',
      'Ingress odcp/mtls-test-ingress spec.tls[0].secretname: unknown field (the API server drops it; kubectl apply --validate=strict refuses it)',
    ]);
  });
});
