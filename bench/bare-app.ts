// The baseline for the warm-synth benchmark: main.ts without our library. It emits the same objects (the
// same backend from cdk8s-plus-27, two Secrets and the Ingress from imports/k8s.ts) from PEM files already
// on disk, with no PKI store, no parsing and no checks. Run it with the same runner as main.ts (tsx).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { KubeIngress, KubeSecret } from '../imports/k8s';

const pki = process.env.MTLS_PKI_DIR ?? 'pki';
const read = (dir: string, suffix: string) => readFileSync(join(pki, dir, readdirSync(join(pki, dir)).find((f) => f.endsWith(suffix))!), 'utf8');
const b64 = (text: string) => Buffer.from(text).toString('base64');

const app = new App();
const chart = new Chart(app, 'mtls-example', { namespace: 'odcp' });
const backend = new kplus.Deployment(chart, 'backend', {
  metadata: { name: 'nginx-test' },
  replicas: 1,
  containers: [{ name: 'nginx', image: 'nginx:1.27', portNumber: 80, securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: false } }],
});
backend.exposeViaService({ name: 'nginx-test', ports: [{ port: 80, targetPort: 80 }] });
new KubeSecret(chart, 'server', { metadata: { name: 'mtls-server-secret' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(read('servers', '.chain.pem')), 'tls.key': b64(read('servers', '.key.pem')) } });
new KubeSecret(chart, 'ca', { metadata: { name: 'mtls-client-ca-secret' }, type: 'Opaque', data: { 'ca.crt': b64(read('client-trust', 'ca.crt')), 'ca.crl': b64(read('client-trust', 'ca.crl')) } });
new KubeIngress(chart, 'ingress', {
  metadata: { name: 'mtls-test-ingress', annotations: { 'nginx.ingress.kubernetes.io/auth-tls-secret': 'odcp/mtls-client-ca-secret', 'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on', 'nginx.ingress.kubernetes.io/auth-tls-verify-depth': '1', 'nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream': 'false' } },
  spec: {
    ingressClassName: 'nginx',
    rules: [{ host: 'mtls.dev.ityoudao.cn', http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'nginx-test', port: { number: 80 } } } }] } }],
    tls: [{ hosts: ['mtls.dev.ityoudao.cn'], secretName: 'mtls-server-secret' }],
  },
});
app.synth();
