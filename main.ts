// The example app: the seed's hand-made setup (../shared/seed), as code.
//
//   npm run synth          creates the PKI store in pki/ on first run, then writes dist/mtls-example.k8s.yaml
//   npm run synth -- --controller haproxy-ingress     the same setup for another controller (f5-nginx, envoy-gateway,
//                                                     contour, istio; traefik exits 1: it cannot check a CRL)
//   kubectl apply -f dist/
//
// Re-running changes nothing (same keys, same bytes), so `kubectl apply` is a no-op and nginx does not
// reload. Revoking a client is a one-line change below (or `mtls-pki revoke`), then synth and apply.
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { CONTROLLER_NAMES, ControllerTarget, IngressController, MtlsIngress } from './lib';
import { PkiStore } from './lib/store';

const NAMESPACE = 'odcp';
const HOST = 'mtls.dev.ityoudao.cn';
const BACKEND = 'nginx-test';

/** `--controller <name>` (default ingress-nginx); anything else is a usage error, exit 2, before anything is written. */
function controllerOf(args: readonly string[]): ControllerTarget {
  const usage = (why: string): never => {
    process.stderr.write(`main.ts: usage error: ${why}\nusage: npm run synth [-- --controller <name>], names: ${CONTROLLER_NAMES.join(', ')}\n`);
    process.exit(2);
  };
  let name = 'ingress-nginx';
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s);
    if (flag !== '--controller') usage(`unknown argument "${args[i]}".`);
    const value = inline ?? args[++i];
    if (value === undefined) usage('--controller needs a name.');
    name = value!;
  }
  if (!(CONTROLLER_NAMES as readonly string[]).includes(name)) usage(`"${name}" is not a known controller; the known ones are ${CONTROLLER_NAMES.join(', ')}.`);
  return IngressController.named(name);
}

async function main(): Promise<void> {
  const controller = controllerOf(process.argv.slice(2));
  const store = await PkiStore.open(process.env.MTLS_PKI_DIR ?? 'pki');
  const pki = await store.ensure({
    serverCa: { commonName: 'Aispeech Server Cert Authority' },
    clientCa: { commonName: 'Aispeech Client Cert Authority' },
    servers: [{ name: 'mtls', names: [HOST] }],
    clients: [{ commonName: 'Client001' }, { commonName: 'Client002' }],
    revoked: [{ commonName: 'Client001', reason: 'keyCompromise' }],
    ...(process.env.MTLS_KEY_ALGORITHM ? { keyAlgorithm: process.env.MTLS_KEY_ALGORITHM as never } : {}),
  });

  const app = new App();
  const chart = new Chart(app, 'mtls-example', { namespace: NAMESPACE });

  // The backend the seed tested against: a plain nginx behind a Service named nginx-test, port 80.
  const backend = new kplus.Deployment(chart, 'backend', {
    metadata: { name: BACKEND },
    replicas: 1,
    containers: [{
      name: 'nginx',
      image: 'nginx:1.27',
      portNumber: 80,
      // The stock nginx image starts as root and writes its cache; cdk8s-plus defaults forbid both.
      securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: false },
    }],
  });
  backend.exposeViaService({ name: BACKEND, ports: [{ port: 80, targetPort: 80 }] });

  new MtlsIngress(chart, 'mtls', {
    controller,
    host: HOST,
    backend: { serviceName: BACKEND, port: 80 },
    serverTls: pki.serverTls('mtls'),
    ...pki.clientTrust(),
    ingressName: 'mtls-test-ingress',
    serverSecretName: 'mtls-server-secret',
    clientCaSecretName: 'mtls-client-ca-secret',
    verifyDepth: 1,
    passCertificateToUpstream: false,
  });

  synthOwnerOnly(app);
}

/**
 * `app.synth()`, owner-only: dist/ holds the server's private key (tls.key in the TLS Secret), so like pki/ the
 * folder is 0700 and its files 0600, and other users of the machine cannot read it before it is sealed. cdk8s
 * writes the files itself: the umask covers the files it creates, and the folder (an older synth may have left it
 * 0755 with 0644 files) is narrowed before anything is written, but only once validation passed, so that a
 * failing synth leaves dist/ exactly as it was.
 */
function synthOwnerOnly(app: App): void {
  const valid = app.node.findAll().every((c) => c.node.validate().length === 0);
  if (valid && existsSync(app.outdir)) chmodSync(app.outdir, 0o700);
  const umask = process.umask(0o077);
  try {
    app.synth(); // when invalid, this throws with every finding before it writes a file
  } finally {
    process.umask(umask);
  }
  for (const entry of readdirSync(app.outdir, { withFileTypes: true })) {
    if (entry.isFile()) chmodSync(join(app.outdir, entry.name), 0o600);
  }
}

main().catch((e: Error) => {
  // Findings and bad input are explained in the message; a stack trace would only bury it.
  process.stderr.write(`${e.name === 'UserInputError' || e.message.startsWith('Validation failed') ? e.message : e.stack}\n`);
  process.exit(1);
});
