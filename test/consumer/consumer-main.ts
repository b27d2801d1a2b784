// A program of the consumer test's app (consumer-main.ts beside the example's main.ts), compiled by the
// template's `npm run compile` and run with node: the seed's openssl files beside a cdk8s-plus-33 workload, the
// findings of the construct and of checkManifests on its output, and, with SERVER_CHAIN / SERVER_KEY pointing at
// the CA's files, a synth that must fail.
import { FIXTURE_NOW, SEED_HOST } from '../fixtures';
import { PKG } from './app';

export const CONSUMER_MAIN_TS = `import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { checkManifests, Finding, formatFinding, MtlsIngress, MtlsIngressProps, MtlsMaterial } from '${PKG.name}';

const outdir = process.env.OUTDIR ?? 'seed-dist';

function main(): void {
  const app = new App({ outdir });
  const shop = new Chart(app, 'shop', { namespace: 'shop' });
  const api = new kplus.Deployment(shop, 'api', {
    containers: [{ image: 'nginxinc/nginx-unprivileged:1.27', portNumber: 8080 }],
  });
  const service = api.exposeViaService({ ports: [{ port: 8080 }] });
  const props: MtlsIngressProps = {
    host: '${SEED_HOST}',
    backend: { serviceName: service.name, port: 8080 },
    now: new Date('${FIXTURE_NOW.toISOString()}'),
    ...MtlsMaterial.fromFiles({
      serverCertificateChain: process.env.SERVER_CHAIN ?? 'seed/server-cert-chain.pem',
      serverKey: process.env.SERVER_KEY ?? 'seed/server-key.pem',
      clientCa: 'seed/client-ca-cert.pem',
      crl: 'seed/client-ca.crl',
    }),
  };
  const ingress = new MtlsIngress(shop, 'mtls', props);
  const findings: readonly Finding[] = ingress.findings;
  app.synth();
  const deployed = checkManifests(outdir); // the real clock: the seed's material is valid until 2124
  console.log(JSON.stringify({ construct: findings.map(formatFinding), manifests: deployed.map(formatFinding) }));
}

try {
  main();
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
`;
