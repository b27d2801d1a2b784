import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { MtlsIngress, PkiStore } from 'cdk8s-mtls-ingress';

async function main(): Promise<void> {
  // The first synth creates pki/ (CA keys: never commit it); later ones reuse it and change nothing.
  const store = await PkiStore.open('pki');
  const pki = await store.ensure({
    servers: [{ name: 'api', names: ['api.shop.example.com'] }],
    clients: [{ commonName: 'partner-a' }, { commonName: 'partner-b' }],
    revoked: [{ commonName: 'partner-b', reason: 'affiliationChanged' }],
  });

  const app = new App();
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const api = new kplus.Deployment(chart, 'api', {
    containers: [{ image: 'nginxinc/nginx-unprivileged:1.27', portNumber: 8080, securityContext: { readOnlyRootFilesystem: false } }],
  });
  const service = api.exposeViaService({ name: 'api', ports: [{ port: 8080 }] });

  new MtlsIngress(chart, 'api-mtls', {
    host: 'api.shop.example.com',
    backend: { serviceName: service.name, port: 8080 },
    createNamespace: true,
    serverTls: pki.serverTls('api'),
    ...pki.clientTrust(),
  });
  app.synth();
}

main().catch((e: Error) => {
  // A failed check explains itself in the message; the stack trace would only bury it.
  console.error(e.message);
  process.exit(1);
});
