// Pure half of the e2e harness: Kubernetes objects in, nginx.conf text and the files ingress-nginx would write out.
// It mirrors what ingress-nginx (v1.x) does with the six auth-tls annotations and the auth-tls secret; see README.md
// beside this file for what is mirrored and what is not. No processes, no network, no disk writes here.
import { X509Certificate, createPrivateKey } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [k: string]: any;
}

/** The controller refuses the whole Ingress (an annotation failed validation): nothing is served for it. */
export class IngressRejectedError extends Error {
  constructor(readonly annotation: string, reason: string) {
    super(`ingress-nginx would reject the Ingress: annotation ${annotation}: ${reason}`);
    this.name = 'IngressRejectedError';
  }
}

/** Parse every *.yaml / *.yml file under a directory (recursively, sorted), or one file; multi-document aware. */
export function loadManifests(dirOrFile: string): K8sObject[] {
  const files: string[] = [];
  const walk = (p: string): void => {
    if (fs.statSync(p).isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    } else if (/\.ya?ml$/.test(p)) {
      files.push(p);
    }
  };
  walk(dirOrFile);
  return files.flatMap((f) => Yaml.load(f)).filter((d): d is K8sObject => !!d && typeof d === 'object' && 'kind' in d);
}

export const ANN = 'nginx.ingress.kubernetes.io/';
const DEFAULT_NS = 'default';

export type AuthTlsMode =
  | 'none' // no auth-tls-secret annotation: plain TLS ingress
  | 'denied' // secret missing / cross-namespace / unusable: `return 403;` for the whole host
  | 'disabled' // secret has tls.crt+tls.key but no ca.crt: NO client verification at all (fail-open)
  | 'enabled';

export interface AuthTlsState {
  mode: AuthTlsMode;
  /** why the mode is denied/disabled, in the controller's words where it has them */
  reason?: string;
  secret?: string;
  verifyClient: string;
  verifyDepth: number;
  errorPage: string;
  passCertificateToUpstream: boolean;
  matchCn: string;
  caPem?: string; // the bytes written to the ssl_client_certificate file
  crlPem?: string; // the bytes written to the ssl_crl file
  caFileName?: string; // file names as the controller picks them (ca-<ns>-<name>.pem, crl-<ns>-<name>.pem, ...)
  crlFileName?: string;
}

interface PemBlock { type: string; der: Buffer }

/** Like Go's encoding/pem loop: well-formed BEGIN/END blocks in order; junk between blocks is skipped. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2].split(/\r?\n/).filter((l) => !l.includes(':')).join('');
    if (!/^[A-Za-z0-9+/=\s]*$/.test(body)) continue;
    out.push({ type: m[1], der: Buffer.from(body, 'base64') });
  }
  return out;
}

function parseCertificates(pem: string): X509Certificate[] {
  const certs = pemBlocks(pem).map((b) => new X509Certificate(b.der)); // throws like x509.ParseCertificate
  if (certs.length === 0) throw new Error('error decoding CA certificate/s');
  return certs;
}

/** Structural DER check of a CertificateList: SEQUENCE { SEQUENCE tbs, SEQUENCE alg, BIT STRING sig }. */
function checkCrlDer(der: Buffer): void {
  const tlv = (off: number): { tag: number; end: number; start: number } => {
    if (off + 2 > der.length) throw new Error('x509: malformed crl');
    const tag = der[off];
    let len = der[off + 1];
    let start = off + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n < 1 || n > 4 || start + n > der.length) throw new Error('x509: malformed crl');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
      start += n;
    }
    if (start + len > der.length) throw new Error('x509: malformed crl');
    return { tag, start, end: start + len };
  };
  const outer = tlv(0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error('x509: malformed crl');
  const tags: number[] = [];
  for (let off = outer.start; off < outer.end; ) {
    const t = tlv(off);
    tags.push(t.tag);
    off = t.end;
  }
  if (tags.join(',') !== '48,48,3') throw new Error('x509: malformed crl');
}

/** Only the first PEM block is looked at; it must be an `X509 CRL` that parses. The whole value is used. */
function checkCrl(crl: string, name: string): void {
  const first = pemBlocks(crl)[0];
  if (!first) throw new Error(`no valid PEM formatted block found in CRL ${name}`);
  if (first.type !== 'X509 CRL') {
    throw new Error(`CRL file ${name} contains invalid data, and must be created only with PEM formatted certificates`);
  }
  checkCrlDer(first.der);
}

/** Secret data (base64) overlaid with stringData, as the API server does. */
export function secretData(secret: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries<string>(secret.stringData ?? {})) out[k] = v;
  return out;
}

export function findSecret(objects: K8sObject[], ns: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === 'Secret' && o.metadata.name === name && (o.metadata.namespace ?? DEFAULT_NS) === ns);
}

export interface SslFiles { pemFile?: { name: string; content: string; cert: X509Certificate }; caFile?: { name: string; content: string }; crlFile?: { name: string; content: string } }

/** ingress-nginx's getPemCertificate(): which files a secret turns into, or the error that keeps it out of the store. */
export function secretToSslFiles(secret: K8sObject): SslFiles {
  const d = secretData(secret);
  const nsName = `${secret.metadata.namespace ?? DEFAULT_NS}-${secret.metadata.name}`;
  const ca = d['ca.crt'] ?? '';
  const crl = d['ca.crl'] ?? '';
  const out: SslFiles = {};
  if ('tls.crt' in d && 'tls.key' in d) {
    const first = pemBlocks(d['tls.crt'])[0];
    if (!first) throw new Error('no valid PEM formatted block found');
    if (first.type !== 'CERTIFICATE') throw new Error("no certificate PEM data found, make sure certificate content starts with 'BEGIN CERTIFICATE'");
    const cert = new X509Certificate(first.der);
    if (!cert.checkPrivateKey(createPrivateKey(d['tls.key']))) {
      throw new Error('certificate and private key does not have a matching public key');
    }
    // cert + "\n" + key, and with ca.crt the CA appended: this one file is then also the client-CA file.
    let content = `${d['tls.crt']}\n${d['tls.key']}`;
    if (ca.length > 0) {
      parseCertificates(ca);
      content += `\n${ca}`;
      out.caFile = { name: `${nsName}.pem`, content };
    }
    out.pemFile = { name: `${nsName}.pem`, content, cert };
  } else if (ca.length > 0) {
    parseCertificates(ca);
    out.caFile = { name: `ca-${nsName}.pem`, content: ca };
  } else {
    throw new Error(`secret ${nsName} contains no keypair or CA certificate`);
  }
  if (out.caFile && crl.length > 0) {
    checkCrl(crl, nsName);
    out.crlFile = { name: `crl-${nsName}.pem`, content: crl };
  }
  return out;
}

// Validators as ingress-nginx's annotation parser runs them (internal/ingress/annotations/{parser,authtls}).
const basicChars = /^[/\-._~a-zA-Z0-9:]*$/;
const verifyClientRe = /^(on|off|optional|optional_no_ca)$/;
const redirectRe = /^(@[A-Za-z0-9_-]+|((https?:\/\/)?[A-Za-z0-9\-.]+(:\d+)?)?(\/[A-Za-z0-9\-_.]+)*\/?)$/;
const goBools: Record<string, boolean> = { '1': true, t: true, T: true, TRUE: true, true: true, True: true, '0': false, f: false, F: false, FALSE: false, false: false, False: false };

const normalize = (v: string): string => v.split('\n').map((l) => l.trim()).join('\n');
const malicious = (v: string): boolean => /\r|\n/.test(v);

/** Parse the auth-tls annotations of an Ingress the way the controller does (throws IngressRejectedError). */
export function parseAuthTls(ing: K8sObject, objects: K8sObject[], opts: { allowCrossNamespaceResources?: boolean } = {}): AuthTlsState {
  const anns = ing.metadata.annotations ?? {};
  const ingNs = ing.metadata.namespace ?? DEFAULT_NS;
  const base: AuthTlsState = { mode: 'none', verifyClient: 'on', verifyDepth: 1, errorPage: '', passCertificateToUpstream: false, matchCn: '' };
  const raw = (n: string): string | undefined => (anns[ANN + n] === undefined || anns[ANN + n] === '' ? undefined : anns[ANN + n]);
  const reject = (n: string, why: string): never => { throw new IngressRejectedError(ANN + n, why); };
  const regexValid = (n: string, re: RegExp): boolean => {
    const v = raw(n)!.replace(/ /g, '');
    return re.test(v) && !malicious(v);
  };

  const secretRef = raw('auth-tls-secret');
  if (secretRef === undefined) return base;
  if (!regexValid('auth-tls-secret', basicChars)) reject('auth-tls-secret', `value ${secretRef} is invalid`);
  const parts = normalize(secretRef).split('/');
  if (parts.length !== 2) return { ...base, mode: 'denied', reason: `invalid format (namespace/name) found in '${secretRef}'` };
  const ns = parts[0] || ingNs;
  if (!opts.allowCrossNamespaceResources && ns !== ingNs) return { ...base, mode: 'denied', reason: 'cross namespace secrets are not supported' };
  const secret = findSecret(objects, ns, parts[1]);
  if (!secret) return { ...base, mode: 'denied', reason: `error obtaining certificate: local SSL certificate ${ns}/${parts[1]} was not found` };
  let files: SslFiles;
  try {
    files = secretToSslFiles(secret);
  } catch (e) {
    return { ...base, mode: 'denied', reason: `error obtaining certificate: ${(e as Error).message}` };
  }

  const st: AuthTlsState = { ...base, secret: `${ns}/${parts[1]}` };
  const vc = raw('auth-tls-verify-client');
  if (vc !== undefined && regexValid('auth-tls-verify-client', verifyClientRe) && verifyClientRe.test(normalize(vc))) st.verifyClient = normalize(vc);
  const vd = raw('auth-tls-verify-depth');
  if (vd !== undefined && /^[+-]?\d+$/.test(vd) && Number(vd) !== 0) st.verifyDepth = Number(vd);
  const ep = raw('auth-tls-error-page');
  if (ep !== undefined) {
    if (!regexValid('auth-tls-error-page', redirectRe)) reject('auth-tls-error-page', `value ${ep} is invalid`);
    st.errorPage = normalize(ep);
  }
  const pc = raw('auth-tls-pass-certificate-to-upstream');
  if (pc !== undefined) {
    if (!(pc in goBools)) reject('auth-tls-pass-certificate-to-upstream', `value ${pc} is not a bool`);
    st.passCertificateToUpstream = goBools[pc];
  }
  const cn = raw('auth-tls-match-cn');
  if (cn !== undefined) {
    if (!cn.startsWith('CN=')) reject('auth-tls-match-cn', "missing prefix 'CN='");
    try {
      new RegExp(cn.slice(3));
    } catch (e) {
      reject('auth-tls-match-cn', `not a valid regex: ${(e as Error).message}`);
    }
    st.matchCn = normalize(cn);
  }
  if (!files.caFile) return { ...st, mode: 'disabled', reason: `Secret "${st.secret}" has no 'ca.crt' key, mutual authentication disabled` };
  return { ...st, mode: 'enabled', caPem: files.caFile.content, caFileName: files.caFile.name, crlPem: files.crlFile?.content, crlFileName: files.crlFile?.name };
}

/** Where a renderer puts things, and the ports it must use (the nginx process harness provides them). */
export interface NginxRenderContext {
  /** absolute directory the files will be written under (the conf refers to them by absolute path) */
  dir: string;
  listenPort: number;
  upstreamPort: number;
  controlPort: number;
  generation: number;
  /** absolute directory holding client_body/proxy/... temp dirs */
  tempDir: string;
  /** main-context error_log, at level info: nginx logs client certificate verify errors at info */
  errorLog: string;
  runAsRoot?: boolean;
}

export interface RenderInput extends NginxRenderContext {
  objects: K8sObject[];
  ingressName?: string;
  /** which rule host to serve; default: the first TLS host, else the first rule host */
  host?: string;
  allowCrossNamespaceResources?: boolean;
}

export interface RenderedNginx {
  conf: string;
  files: { path: string; content: string }[];
  host: string;
  ingress: K8sObject;
  authTls: AuthTlsState;
}

export function findIngress(objects: K8sObject[], name?: string): K8sObject {
  const ings = objects.filter((o) => o.kind === 'Ingress' && (name === undefined || o.metadata.name === name));
  if (ings.length !== 1) {
    const all = objects.filter((o) => o.kind === 'Ingress').map((o) => o.metadata.name);
    throw new Error(`expected exactly one Ingress${name ? ` named ${name}` : ''}, found [${all.join(', ')}]`);
  }
  if (ings[0].apiVersion !== 'networking.k8s.io/v1') throw new Error(`Ingress ${ings[0].metadata.name} is ${ings[0].apiVersion}, not networking.k8s.io/v1`);
  return ings[0];
}

/** A string as an nginx.conf argument: double-quoted, with backslashes and quotes escaped. */
export const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function renderNginx(input: RenderInput): RenderedNginx {
  const ing = findIngress(input.objects, input.ingressName);
  const ns = ing.metadata.namespace ?? DEFAULT_NS;
  const rules: any[] = ing.spec?.rules ?? [];
  const tls: any[] = ing.spec?.tls ?? [];
  const host: string | undefined = input.host ?? tls[0]?.hosts?.[0] ?? rules.find((r) => r.host)?.host;
  if (!host) throw new Error(`Ingress ${ing.metadata.name} names no host`);
  const tlsEntry = tls.find((t) => (t.hosts ?? []).includes(host));
  if (!tlsEntry?.secretName) throw new Error(`Ingress ${ing.metadata.name} has no spec.tls entry for ${host}: ingress-nginx would serve it with its default fake certificate`);
  const serverSecret = findSecret(input.objects, ns, tlsEntry.secretName);
  if (!serverSecret) throw new Error(`TLS secret ${ns}/${tlsEntry.secretName} not found: ingress-nginx would serve its default fake certificate`);
  const serverFiles = secretToSslFiles(serverSecret);
  if (!serverFiles.pemFile) throw new Error(`TLS secret ${ns}/${tlsEntry.secretName} has no tls.crt/tls.key`);
  if (!serverFiles.pemFile.cert.checkHost(host, { subject: 'never' })) {
    throw new Error(`SSL certificate ${ns}/${tlsEntry.secretName} is not valid for ${host} (no matching SAN): ingress-nginx would serve its default fake certificate`);
  }

  const auth = parseAuthTls(ing, input.objects, input);
  const sslDir = path.join(input.dir, 'ssl');
  const files: { path: string; content: string }[] = [];
  const put = (name: string, content: string): string => {
    const p = path.join(sslDir, name);
    if (!files.some((f) => f.path === p)) files.push({ path: p, content });
    return p;
  };
  const serverPem = put(serverFiles.pemFile.name, serverFiles.pemFile.content);

  const srv: string[] = [
    `listen 127.0.0.1:${input.listenPort} ssl;`,
    `server_name ${host};`,
    `ssl_certificate ${serverPem};`,
    `ssl_certificate_key ${serverPem};`,
  ];
  if (auth.matchCn) srv.push(`if ($ssl_client_s_dn !~ ${q(auth.matchCn)}) {`, `    return 403 "client certificate unauthorized";`, '}');
  if (auth.mode === 'denied') {
    srv.push(`# ${auth.reason}`, 'return 403;');
  } else if (auth.mode === 'enabled') {
    srv.push(`ssl_client_certificate ${put(auth.caFileName!, auth.caPem!)};`, `ssl_verify_client ${auth.verifyClient};`, `ssl_verify_depth ${auth.verifyDepth};`);
    if (auth.crlPem !== undefined) srv.push(`ssl_crl ${put(auth.crlFileName!, auth.crlPem)};`);
    if (auth.errorPage) srv.push(`error_page 495 496 = ${auth.errorPage};`);
  }

  const paths: { path: string; type: string; backend: string }[] = [];
  for (const r of rules.filter((r) => (r.host ?? host) === host)) {
    for (const p of r.http?.paths ?? []) {
      const svc = p.backend?.service;
      paths.push({ path: p.path ?? '/', type: p.pathType ?? 'ImplementationSpecific', backend: svc ? `${svc.name}:${svc.port?.number ?? svc.port?.name}` : 'resource' });
    }
  }
  if (!paths.some((p) => p.path === '/')) paths.push({ path: '/', type: 'Prefix', backend: 'default-backend' });
  const seen = new Set<string>();
  for (const p of paths) {
    const locs = p.type === 'Exact' ? [`= ${p.path}`] : p.type === 'Prefix' && p.path !== '/' ? [`= ${p.path.replace(/\/$/, '')}`, `${p.path.replace(/\/$/, '')}/`] : [p.path];
    for (const loc of locs.filter((l) => !seen.has(l))) {
      seen.add(loc);
      srv.push(`location ${loc} {`, ...location(auth, input.upstreamPort, p.backend).map((l) => `    ${l}`), '}');
    }
  }

  const conf = nginxShell(input, `Ingress ${ns}/${ing.metadata.name}, auth-tls ${auth.mode}${auth.reason ? ` (${auth.reason})` : ''}`, srv);
  return { conf, files, host, ingress: ing, authTls: auth };
}

/** The whole nginx.conf around one server block: temp paths, logs at info, and the harness control server. */
export function nginxShell(
  input: Pick<NginxRenderContext, 'generation' | 'runAsRoot' | 'errorLog' | 'tempDir' | 'controlPort'>, comment: string, serverLines: string[],
): string {
  const t = input.tempDir;
  return [
    `# generation ${input.generation}: ${comment}`,
    ...(input.runAsRoot ? ['user root;'] : []),
    'worker_processes 1;',
    `error_log ${input.errorLog} info;`,
    'events { worker_connections 256; }',
    'http {',
    `    access_log ${path.join(path.dirname(input.errorLog), 'access.log')};`,
    `    client_body_temp_path ${t}/client_body;`,
    `    proxy_temp_path ${t}/proxy;`,
    `    fastcgi_temp_path ${t}/fastcgi;`,
    `    uwsgi_temp_path ${t}/uwsgi;`,
    `    scgi_temp_path ${t}/scgi;`,
    '    default_type text/plain;',
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    ssl_session_tickets off;',
    '    server {',
    ...serverLines.map((l) => `        ${l}`),
    '    }',
    '    # harness control endpoint: tells which config generation the answering worker runs',
    '    server {',
    `        listen 127.0.0.1:${input.controlPort};`,
    `        location = /__harness { return 200 "${input.generation} $pid"; }`,
    '    }',
    '}',
    '',
  ].join('\n');
}

function location(auth: AuthTlsState, upstreamPort: number, backend: string): string[] {
  const l = [
    `proxy_pass http://127.0.0.1:${upstreamPort};`,
    'proxy_set_header Host $host;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    `proxy_set_header x-harness-backend ${q(backend)};`,
  ];
  // As in nginx.tmpl: these headers are set only when a CA file is configured. Without it (fail-open), whatever the
  // client sent under these names reaches the upstream untouched.
  if (auth.mode === 'enabled') {
    if (auth.passCertificateToUpstream) l.push('proxy_set_header ssl-client-cert $ssl_client_escaped_cert;');
    l.push('proxy_set_header ssl-client-verify $ssl_client_verify;', 'proxy_set_header ssl-client-subject-dn $ssl_client_s_dn;', 'proxy_set_header ssl-client-issuer-dn $ssl_client_i_dn;');
  }
  return l;
}
