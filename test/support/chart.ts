import { App, Chart } from 'cdk8s';
import { MtlsIngress, MtlsIngressProps } from '../../lib';
import { FIXTURE_NOW, SEED_HOST, seedFixture } from '../fixtures';

/** The seed's construct props from the fixed fixtures; override any of them. */
export function seedProps(overrides: Partial<MtlsIngressProps> = {}): MtlsIngressProps {
  return {
    host: SEED_HOST,
    backend: { serviceName: 'nginx-test', port: 80 },
    serverTls: { certificateChainPem: seedFixture('server-cert-chain.pem'), privateKeyPem: seedFixture('server-key.pem') },
    clientCaPem: seedFixture('client-ca-cert.pem'),
    crlPem: seedFixture('client-ca.crl'),
    ingressName: 'mtls-test-ingress',
    serverSecretName: 'mtls-server-secret',
    clientCaSecretName: 'mtls-client-ca-secret',
    now: FIXTURE_NOW,
    ...overrides,
  };
}

export function seedChart(overrides: Partial<MtlsIngressProps> = {}, outdir?: string): { app: App; chart: Chart; mtls: MtlsIngress } {
  const app = new App(outdir ? { outdir } : {});
  const chart = new Chart(app, 'seed', { namespace: 'odcp' });
  const mtls = new MtlsIngress(chart, 'mtls', seedProps(overrides));
  return { app, chart, mtls };
}

/** The codes of the findings, errors and warnings alike. */
export function codesOf(mtls: MtlsIngress): string[] {
  return mtls.findings.map((f) => f.code);
}
