// createNamespace: the Namespace object, for `kubectl apply -f dist/` on a cluster where the namespace does not
// exist yet. kubectl applies a file's documents in order, so the Namespace must come before every namespaced
// object of the chart, the user's own workloads included, or the first apply fails with `namespaces "…" not found`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { MtlsIngress } from '../../lib';
import { seedProps } from '../support/chart';
import { scratchDir } from '../support/openssl';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}
const kinds = (objects: Manifest[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

/** A chart whose workload is declared before the MtlsIngress, as a user would: Deployment, Service, then the Ingress. */
function shopChart(app: App, extra: Parameters<typeof seedProps>[0] = {}): Chart {
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const api = new kplus.Deployment(chart, 'api', {
    metadata: { name: 'api' },
    containers: [{ image: 'nginxinc/nginx-unprivileged:1.27', portNumber: 8080, securityContext: { ensureNonRoot: false } }],
  });
  const service = api.exposeViaService({ name: 'api', ports: [{ port: 8080 }] });
  new MtlsIngress(chart, 'mtls', { ...seedProps({ backend: { serviceName: service.name, port: 8080 } }), createNamespace: true, ...extra });
  return chart;
}

test('off by default: no Namespace object', () => {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  new MtlsIngress(chart, 'mtls', seedProps());
  expect(kinds(Testing.synth(chart))).toEqual(['Secret/mtls-server-secret', 'Secret/mtls-client-ca-secret', 'Ingress/mtls-test-ingress']);
});

test('createNamespace: the Namespace comes first, before the workload declared ahead of the MtlsIngress', () => {
  const objects = Testing.synth(shopChart(Testing.app())) as Manifest[];
  expect(kinds(objects)).toEqual(['Namespace/shop', 'Deployment/api', 'Service/api', 'Secret/mtls-server-secret', 'Secret/mtls-client-ca-secret', 'Ingress/mtls-test-ingress']);
  expect(objects[0]).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  for (const o of objects.slice(1)) expect(o.metadata.namespace).toBe('shop');
});

test('…and in the file app.synth() writes, which is what kubectl applies in order', () => {
  const tmp = scratchDir();
  try {
    const app = new App({ outdir: join(tmp.dir, 'dist') });
    shopChart(app);
    app.synth();
    const file = join(tmp.dir, 'dist', 'shop.k8s.yaml');
    expect(kinds(Yaml.load(file) as Manifest[])[0]).toBe('Namespace/shop');
    expect(readFileSync(file, 'utf8')).toMatch(/^apiVersion: v1\nkind: Namespace\nmetadata:\n {2}name: shop\n---\n/);
  } finally {
    tmp.cleanup();
  }
});

test('the namespace prop names it, and the labels prop labels it like the other objects', () => {
  const objects = Testing.synth(shopChart(Testing.app(), { namespace: 'edge', labels: { team: 'payments' } })) as Manifest[];
  expect(objects[0]).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'edge', labels: { team: 'payments' } } });
  expect(objects.filter((o) => o.metadata.namespace === 'edge').map((o) => o.kind)).toEqual(['Secret', 'Secret', 'Ingress']);
});

test('without any namespace there is no Namespace object, and MTLS062 says why synth fails', () => {
  const chart = new Chart(Testing.app(), 'no-namespace');
  const mtls = new MtlsIngress(chart, 'mtls', { ...seedProps(), createNamespace: true });
  expect(mtls.findings.map((f) => f.code)).toContain('MTLS062');
  expect(mtls.node.children.map((c) => c.node.id)).not.toContain('Namespace');
});
