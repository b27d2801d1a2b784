import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { MtlsIngress, MtlsMaterial } from 'cdk8s-mtls-ingress';

const app = new App();
const chart = new Chart(app, 'shop', { namespace: 'shop' });

// The workload behind the Ingress, exposed as the Service "api". If yours is deployed some other way, drop these
// two statements and put its Service's name in `backend`: it must exist in the same namespace, or nginx answers 503.
const api = new kplus.Deployment(chart, 'api', {
  // nginx, as a non-root user; it writes temporary files, and cdk8s-plus makes the root filesystem read-only.
  containers: [{ image: 'nginxinc/nginx-unprivileged:1.27', portNumber: 8080, securityContext: { readOnlyRootFilesystem: false } }],
});
const service = api.exposeViaService({ name: 'api', ports: [{ port: 8080 }] });

new MtlsIngress(chart, 'api-mtls', {
  host: 'api.shop.example.com',
  backend: { serviceName: service.name, port: 8080 },
  createNamespace: true, // writes the Namespace "shop" first; leave it out if the namespace is managed elsewhere
  // PEM from anywhere: files made with openssl, Vault, cert-manager exports, or the PKI store (next example).
  ...MtlsMaterial.fromFiles({
    serverCertificateChain: 'certs/server-cert-chain.pem', // leaf first, then its CA
    serverKey: 'certs/server-key.pem',
    clientCa: 'certs/client-ca-cert.pem',
    crl: 'certs/client-ca.crl',
  }),
});
app.synth();
