// Reading an Ingress back from manifests, the same way for every Ingress-based target.
import type { DeployedMtls, ManifestObject, ReadContext, SecretShapes } from './controller';
import { checkSecretShape } from './secret-shape';

/** The hosts of the Ingress rules. */
export function ingressHosts(ingress: ManifestObject): string[] {
  return (ingress.spec?.rules ?? []).map((r: { host?: string }) => r.host).filter((h: unknown): h is string => typeof h === 'string' && h !== '');
}

/** The backend, path and pathType of the first rule's first path (the construct writes one per host, all alike). */
export function firstBackend(ingress: ManifestObject): Pick<DeployedMtls, 'backend' | 'path' | 'pathType'> {
  const first = ingress.spec?.rules?.[0]?.http?.paths?.[0];
  const service = first?.backend?.service;
  return {
    backend: { serviceName: service?.name ?? '', port: service?.port?.number ?? service?.port?.name ?? 0 },
    path: first?.path ?? '/', pathType: first?.pathType ?? 'ImplementationSpecific',
  };
}

/** The TLS Secrets the Ingress names that are in the folder, with the PEM under the shape's keys. */
export function serverTlsOfIngress(context: ReadContext, ingress: ManifestObject, shapes: SecretShapes): DeployedMtls['serverTls'] {
  const namespace = ingress.metadata?.namespace ?? '';
  const hosts = ingressHosts(ingress);
  return (ingress.spec?.tls ?? []).flatMap((tls: { secretName?: string; hosts?: string[] }) => {
    const secret = tls.secretName === undefined ? undefined : context.secret(namespace, tls.secretName);
    if (!secret) return [];
    const field = `Secret ${namespace}/${tls.secretName}`;
    const values = context.secretValues(secret, field);
    return [{
      field, secretName: tls.secretName!, hosts: tls.hosts ?? hosts,
      chainPem: values[shapes.serverTls.certificateKey] ?? '', keyPem: values[shapes.serverTls.privateKeyKey] ?? '',
    }];
  });
}

/** e.g. `HTTPProxy odcp/web`: how findings name an object read from manifests. */
export function whereOf(o: ManifestObject): string {
  return `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? '(unnamed)'}`;
}

/** Whether the object is of `kind` in the API group `group` (any version). */
export function isKind(o: ManifestObject, group: string, kind: string): boolean {
  return o.kind === kind && typeof o.apiVersion === 'string' && o.apiVersion.startsWith(`${group}/`);
}

/**
 * The server TLS Secret `namespace/secretName` as a route names it, if it is in the folder and of a type the
 * controller reads (MTLS081 otherwise); its PEM under the shape's keys.
 */
export function serverTlsOfSecret(
  context: ReadContext, namespace: string, secretName: string, hosts: readonly string[], shapes: SecretShapes, controller: string,
): DeployedMtls['serverTls'] {
  const secret = context.secret(namespace, secretName);
  if (!secret) return [];
  const field = `Secret ${namespace}/${secretName}`;
  if (!checkSecretShape(context.findings, field, secret, {}, shapes.serverTls, controller, 'does not serve the host with it')) return [];
  const values = context.secretValues(secret, field);
  return [{ field, secretName, hosts, chainPem: values[shapes.serverTls.certificateKey] ?? '', keyPem: values[shapes.serverTls.privateKeyKey] ?? '' }];
}
