// The default target's output, byte for byte: the YAML `app.synth()` writes, recorded before controller targets
// existed. The object snapshot in mtls-ingress.test.ts sorts keys; this one does not, so any change of order,
// quoting or layout in what ingress-nginx users deploy fails here.
import { seedChart } from '../support/chart';

const variants: [string, Parameters<typeof seedChart>[0]][] = [
  ['the seed', {}],
  ['without a CRL', { crlPem: undefined }],
  ['default names, every optional annotation, labels, extra annotations, hosts list, named port', {
    ingressName: undefined, serverSecretName: undefined, clientCaSecretName: undefined, host: undefined, hosts: ['mtls.dev.ityoudao.cn'],
    errorPage: 'https://www.ityoudao.cn/', passCertificateToUpstream: true, verifyClient: 'optional', verifyDepth: 2,
    labels: { app: 'web', tier: 'edge' }, annotations: { 'example.com/owner': 'team-a' }, backend: { serviceName: 'nginx-test', port: 'http' },
    path: '/api', pathType: 'Prefix', ingressClassName: 'nginx-internal',
  }],
];

describe('the default target (ingress-nginx) writes the same bytes as before targets existed', () => {
  test.each(variants)('%s', (_, overrides) => {
    expect(seedChart(overrides).app.synthYaml()).toMatchSnapshot();
  });
});
