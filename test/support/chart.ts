import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { MtlsIngress, MtlsIngressProps } from '../../lib';
import { K8sObject, loadManifests } from '../e2e/render-nginx';
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
    // Tests read warnings from `findings`; printing them too would only be noise in the test output.
    onWarning: () => undefined,
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

/** `app.synth()` of the seed chart into a temp outdir (an error finding throws), then the YAML read back as users apply it. */
export function synthSeedToDisk(overrides: Partial<MtlsIngressProps> = {}): { objects: K8sObject[]; mtls: MtlsIngress } {
  const dir = mkdtempSync(join(tmpdir(), 'seed-synth-'));
  try {
    const { app, mtls } = seedChart(overrides, dir);
    app.synth();
    return { objects: loadManifests(dir), mtls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
