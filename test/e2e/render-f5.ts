// Pure: Kubernetes objects in, nginx.conf text and the files F5 NGINX Ingress Controller (v5.5.4) would write out.
// It mirrors what the controller does with a Policy's spec.ingressMTLS attached to an Ingress (nginx.org/policies)
// or to a VirtualServer (spec.policies): internal/configs/policy.go addIngressMTLSConfig, configurator.go
// AddOrUpdateSecret, version1/nginx.ingress.tmpl and version2/nginx.virtualserver.tmpl (server block). What is
// mirrored and what is not: README.md beside this file. No processes, no network, no disk writes here.
import { X509Certificate, createPrivateKey } from 'crypto';
import * as path from 'path';
import { K8sObject, NginxRenderContext, findSecret, nginxShell, pemBlocks, q, secretData } from './render-nginx';

const DEFAULT_NS = 'default';
const POLICY_API = 'k8s.nginx.org/v1';
const VERIFY_CLIENT = ['on', 'off', 'optional', 'optional_no_ca'];

export type F5MtlsMode =
  | 'none' // no Policy with ingressMTLS among the route's policies
  | 'rejected' // a Policy is missing, invalid or refers to a bad Secret: `return 500;` for the whole server
  | 'ignored' // the Ingress has no TLS for the host: the IngressMTLS policy is skipped (fail-open)
  | 'enabled';

export interface F5MtlsState {
  mode: F5MtlsMode;
  /** the controller's warning, in its words */
  reason?: string;
  policy?: string;
  verifyClient?: string;
  verifyDepth?: number;
  /** the files ssl_client_certificate and ssl_crl name, and what they hold */
  caFile?: { path: string; content: string };
  crlFile?: { path: string; content?: string };
}

export interface F5RenderInput extends NginxRenderContext {
  objects: K8sObject[];
}

export interface RenderedF5 {
  conf: string;
  files: { path: string; content: string }[];
  host: string;
  route: K8sObject;
  mtls: F5MtlsState;
}

/** The one Ingress or VirtualServer in the objects. */
function findRoute(objects: K8sObject[]): K8sObject {
  const routes = objects.filter((o) => (o.kind === 'Ingress' && o.apiVersion === 'networking.k8s.io/v1') || (o.kind === 'VirtualServer' && o.apiVersion === POLICY_API));
  if (routes.length !== 1) throw new Error(`expected exactly one Ingress or VirtualServer, found [${routes.map((r) => `${r.kind}/${r.metadata.name}`).join(', ')}]`);
  return routes[0];
}

/** ValidateCASecret: type nginx.org/ca, and ca.crt whose first PEM block is a CERTIFICATE that parses. */
function caSecretError(secret: K8sObject): string | undefined {
  const data = secretData(secret);
  if (!('ca.crt' in data)) return 'CA secret must have the data field ca.crt';
  const first = pemBlocks(data['ca.crt'])[0];
  if (!first || first.type !== 'CERTIFICATE') return 'the data field ca.crt must hold a valid CERTIFICATE PEM block';
  try {
    new X509Certificate(first.der);
  } catch (e) {
    return `failed to validate certificate: ${(e as Error).message}`;
  }
  return undefined;
}

/** validateIngressMTLS: an invalid Policy is left out of the controller's cache, so it counts as missing. */
function policyError(m: any): string | undefined {
  if (!m.clientCertSecret) return 'clientCertSecret: Required value';
  if (m.verifyClient !== undefined && m.verifyClient !== '' && !VERIFY_CLIENT.includes(m.verifyClient)) return `verifyClient: Unsupported value: "${m.verifyClient}"`;
  if (m.verifyDepth !== undefined && (!Number.isInteger(m.verifyDepth) || m.verifyDepth < 0)) return 'verifyDepth: must be greater than or equal to 0';
  return undefined;
}

export function renderF5(input: F5RenderInput): RenderedF5 {
  const route = findRoute(input.objects);
  const ns = route.metadata.namespace ?? DEFAULT_NS;
  const isIngress = route.kind === 'Ingress';
  const secretsDir = path.join(input.dir, 'secrets');
  const files: { path: string; content: string }[] = [];
  const put = (name: string, content: string): string => {
    const p = path.join(secretsDir, name);
    if (!files.some((f) => f.path === p)) files.push({ path: p, content });
    return p;
  };

  const tlsEntries: { hosts?: string[]; secretName?: string }[] = isIngress ? route.spec?.tls ?? [] : [{ hosts: [route.spec?.host], secretName: route.spec?.tls?.secret }];
  const host: string | undefined = isIngress ? tlsEntries[0]?.hosts?.[0] ?? route.spec?.rules?.[0]?.host : route.spec?.host;
  if (!host) throw new Error(`${route.kind} ${route.metadata.name} names no host`);
  const tlsEntry = tlsEntries.find((t) => (t.hosts ?? []).includes(host));
  const serverSecret = tlsEntry?.secretName ? findSecret(input.objects, ns, tlsEntry.secretName) : undefined;
  if (!serverSecret) throw new Error(`${route.kind} ${route.metadata.name}: no TLS Secret for ${host} in the objects; the controller would not serve it with its certificate`);
  if (serverSecret.type !== 'kubernetes.io/tls') throw new Error(`Secret ${ns}/${serverSecret.metadata.name}: TLS Secret must be of the type kubernetes.io/tls`);
  const tls = secretData(serverSecret);
  if (!new X509Certificate(pemBlocks(tls['tls.crt'])[0].der).checkPrivateKey(createPrivateKey(tls['tls.key']))) throw new Error('failed to validate TLS cert and key');
  const serverPem = put(`${ns}-${serverSecret.metadata.name}`, `${tls['tls.crt']}\n${tls['tls.key']}`);

  // Policies, in the order the route lists them (generatePolicies): the first error returns 500 for everything.
  const refs: { namespace: string; name: string }[] = isIngress
    ? String(route.metadata.annotations?.['nginx.org/policies'] ?? '').split(',').map((p) => p.trim()).filter(Boolean)
      .map((p) => (p.includes('/') ? { namespace: p.split('/')[0], name: p.split('/')[1] } : { namespace: ns, name: p }))
    : (route.spec?.policies ?? []).map((p: { name: string; namespace?: string }) => ({ namespace: p.namespace || ns, name: p.name }));
  let mtls: F5MtlsState = { mode: 'none' };
  for (const ref of refs) {
    const key = `${ref.namespace}/${ref.name}`;
    const policy = input.objects.find((o) => o.kind === 'Policy' && o.apiVersion === POLICY_API && (o.metadata.namespace ?? DEFAULT_NS) === ref.namespace && o.metadata.name === ref.name);
    const m = policy?.spec?.ingressMTLS;
    const invalid = policy && m ? policyError(m) : undefined;
    if (!policy || invalid) {
      mtls = { mode: 'rejected', reason: `Policy ${key} is missing or invalid${invalid ? ` (${invalid})` : ''}` };
      break;
    }
    if (!m) continue;
    if (mtls.mode === 'enabled') {
      mtls = { ...mtls, reason: `Multiple ingressMTLS policies are not allowed. IngressMTLS policy ${key} will be ignored` };
      continue;
    }
    const secretKey = `${ref.namespace}/${m.clientCertSecret}`;
    const secret = findSecret(input.objects, ref.namespace, m.clientCertSecret);
    if (!secret) {
      mtls = { mode: 'rejected', reason: `IngressMTLS policy "${key}" references a non-existent secret ${secretKey}` };
      break;
    }
    if (secret.type && secret.type !== 'nginx.org/ca') {
      mtls = { mode: 'rejected', reason: `IngressMTLS policy ${key} references a secret ${secretKey} of a wrong type '${secret.type}', must be 'nginx.org/ca'` };
      break;
    }
    const bad = caSecretError(secret);
    if (bad) {
      mtls = { mode: 'rejected', reason: `IngressMTLS policy "${key}" references an invalid secret ${secretKey}: ${bad}` };
      break;
    }
    const data = secretData(secret);
    const base = `${ref.namespace}-${secret.metadata.name}`;
    const caFile = { path: put(`${base}-ca.crt`, data['ca.crt']), content: data['ca.crt'] };
    const crlInSecret = { path: put(`${base}-ca.crl`, data['ca.crl'] ?? ''), content: data['ca.crl'] };
    mtls = {
      mode: 'enabled', policy: key, verifyClient: m.verifyClient || 'on', verifyDepth: m.verifyDepth ?? 1, caFile,
      // crlFileName wins over ca.crl: a file the controller expects someone else to put in /etc/nginx/secrets
      crlFile: m.crlFileName ? { path: path.join(secretsDir, m.crlFileName) } : 'ca.crl' in data ? crlInSecret : undefined,
      ...(m.crlFileName && 'ca.crl' in data ? { reason: `Both ca.crl in the Secret and ingressMTLS.crlFileName fields cannot be used. ca.crl in ${secretKey} will be ignored and ${key} will be applied` } : {}),
    };
  }
  if (isIngress && mtls.mode === 'enabled' && !tlsEntry) {
    mtls = { mode: 'ignored', reason: `IngressMTLS policy is ignored for host "${host}" because TLS is not enabled for that host` };
  }

  const srv = [`listen 127.0.0.1:${input.listenPort} ssl;`, `ssl_certificate ${serverPem};`, `ssl_certificate_key ${serverPem};`];
  if (mtls.mode === 'rejected') srv.push(`# ${mtls.reason}`, 'return 500;');
  srv.push(`server_name ${host};`);
  if (mtls.mode === 'enabled') {
    srv.push(`ssl_client_certificate ${mtls.caFile!.path};`);
    if (mtls.crlFile) srv.push(`ssl_crl ${mtls.crlFile.path};`);
    srv.push(`ssl_verify_client ${mtls.verifyClient};`, `ssl_verify_depth ${mtls.verifyDepth};`);
  }
  for (const loc of isIngress ? ingressLocations(route, host) : virtualServerLocations(route)) {
    srv.push(`location ${loc.path} {`, ...location(input.upstreamPort, loc.backend, loc.headers).map((l) => `    ${l}`), '}');
  }
  const conf = nginxShell(input, `${route.kind} ${ns}/${route.metadata.name} (F5 NGINX Ingress Controller), ingressMTLS ${mtls.mode}${mtls.reason ? ` (${mtls.reason})` : ''}`, srv);
  return { conf, files, host, route, mtls };
}

interface Loc { path: string; backend: string; headers: { name: string; value: string }[] }

/** generateIngressPath: `= path` for Exact, the path itself otherwise. */
function ingressLocations(route: K8sObject, host: string): Loc[] {
  return (route.spec?.rules ?? []).filter((r: { host?: string }) => r.host === host).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => ({
    path: p.pathType === 'Exact' ? `= ${p.path}` : p.path ?? '/',
    backend: `${p.backend?.service?.name}:${p.backend?.service?.port?.number ?? p.backend?.service?.port?.name}`,
    headers: [],
  })));
}

/** One location per route; action.proxy.requestHeaders.set become proxy_set_header lines, NGINX variables kept. */
function virtualServerLocations(route: K8sObject): Loc[] {
  const upstreams = new Map((route.spec?.upstreams ?? []).map((u: any) => [u.name, `${u.service}:${u.port}`]));
  return (route.spec?.routes ?? []).map((r: any) => {
    const upstream = r.action?.pass ?? r.action?.proxy?.upstream;
    return { path: r.path, backend: String(upstreams.get(upstream) ?? upstream), headers: r.action?.proxy?.requestHeaders?.set ?? [] };
  });
}

function location(upstreamPort: number, backend: string, headers: { name: string; value: string }[]): string[] {
  const names = new Set(headers.map((h) => h.name.toLowerCase()));
  return [
    'proxy_http_version 1.1;',
    ...headers.map((h) => `proxy_set_header ${h.name} ${q(h.value)};`),
    ...(names.has('host') ? [] : ['proxy_set_header Host $host;']),
    'proxy_set_header X-Real-IP $remote_addr;',
    'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    'proxy_set_header X-Forwarded-Host $host;',
    'proxy_set_header X-Forwarded-Port $server_port;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    `proxy_set_header x-harness-backend ${q(backend)};`,
    `proxy_pass http://127.0.0.1:${upstreamPort};`,
  ];
}
