// The objects every target emits the same way: the two Secrets in the shapes its controller reads, and (for
// Ingress-based targets) the Ingress itself. Each target adds its own annotations or custom resources.
import type { Construct } from 'constructs';
import { KubeIngress, KubeSecret } from '../../imports/k8s';
import type { MtlsIntent, SecretShapes } from './controller';

/** Secret `data` as kubectl writes it: base64 of the exact bytes, never `stringData` (GitOps diffs). */
export function base64Values(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
}

/** name, namespace, the intent's labels, and annotations when there are any. */
export function objectMeta(intent: MtlsIntent, name: string, annotations?: Readonly<Record<string, string>>) {
  return {
    name, namespace: intent.namespace, ...(intent.labels ? { labels: { ...intent.labels } } : {}),
    ...(annotations && Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
  };
}

/** What the server TLS Secret and the client CA Secret hold, under the key names of `shapes`. */
export function secretValuesFor(intent: Pick<MtlsIntent, 'serverTls' | 'clientCaPem' | 'crlPem'>, shapes: SecretShapes) {
  const { serverTls: tls, clientTrust: trust } = shapes;
  return {
    server: { [tls.certificateKey]: intent.serverTls?.certificateChainPem ?? '', [tls.privateKeyKey]: intent.serverTls?.privateKeyPem ?? '' },
    clientTrust: { [trust.caKey]: intent.clientCaPem ?? '', ...(intent.crlPem !== undefined ? { [trust.crlKey]: intent.crlPem } : {}) },
  };
}

/** The two Secrets, with the construct ids `ServerSecret` and `ClientCaSecret`. */
export function emitSecrets(scope: Construct, intent: MtlsIntent, shapes: SecretShapes, clientCaAnnotations?: Readonly<Record<string, string>>) {
  const values = secretValuesFor(intent, shapes);
  return {
    serverSecret: new KubeSecret(scope, 'ServerSecret', { metadata: objectMeta(intent, intent.names.serverSecret), type: shapes.serverTls.type, data: base64Values(values.server) }),
    clientCaSecret: new KubeSecret(scope, 'ClientCaSecret', {
      metadata: objectMeta(intent, intent.names.clientCaSecret, clientCaAnnotations), type: shapes.clientTrust.type, data: base64Values(values.clientTrust),
    }),
  };
}

/** The Ingress (construct id `Ingress`): one rule per host, one TLS entry for all of them. */
export function emitIngress(scope: Construct, intent: MtlsIntent, ingressClassName: string, annotations: Readonly<Record<string, string>>): KubeIngress {
  const { backend, path, pathType, hosts } = intent;
  return new KubeIngress(scope, 'Ingress', {
    metadata: objectMeta(intent, intent.names.route, { ...intent.annotations, ...annotations }),
    spec: {
      ingressClassName: intent.ingressClassName ?? ingressClassName,
      rules: hosts.map((host) => ({
        host,
        http: { paths: [{ path, pathType, backend: { service: { name: backend.serviceName, port: typeof backend.port === 'number' ? { number: backend.port } : { name: backend.port } } } }] },
      })),
      tls: [{ hosts: [...hosts], secretName: intent.names.serverSecret }],
    },
  });
}
