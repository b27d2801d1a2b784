import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { MtlsIngress, MtlsMaterial } from 'cdk8s-mtls-ingress';

// Fixed PEM fixtures and a fixed `now`: the snapshot changes when the manifests do, never with the clock.
// The snapshot holds the fixture's server key (in the TLS Secret), so use test-only material here.
const fixture = (name: string) => join(__dirname, 'certs', name);

test('the mTLS Ingress and its Secrets', () => {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  const mtls = new MtlsIngress(chart, 'api-mtls', {
    host: 'api.shop.example.com',
    backend: { serviceName: 'api', port: 8080 },
    now: new Date('2026-06-01T00:00:00Z'),
    ...MtlsMaterial.fromFiles({
      serverCertificateChain: fixture('server-cert-chain.pem'),
      serverKey: fixture('server-key.pem'),
      clientCa: fixture('client-ca-cert.pem'),
      crl: fixture('client-ca.crl'),
    }),
  });
  expect(mtls.findings).toEqual([]);
  expect(Testing.synth(chart)).toMatchSnapshot();
});
