// Pure: Kubernetes objects in, haproxy.cfg text and the files HAProxy Ingress (v0.16.1) would write out. It
// mirrors what the controller does with the auth-tls annotations and their Secret: pkg/converters/ingress/
// annotations/host.go setAuthTLSConfig, pkg/controller/services/ssl.go getCertificate, pkg/haproxy/config.go
// (crt-list and frontend maps) and the HTTPS frontend and backend of rootfs/etc/templates/haproxy/haproxy.tmpl.
// The 421/495/496 answers come from Lua services written here (same status, reason and text as the controller's).
// What is mirrored and what is not: README.md beside this file. No processes, no network, no disk writes here.
import { X509Certificate, createPrivateKey } from 'crypto';
import * as path from 'path';
import { K8sObject, findSecret, pemBlocks, secretData } from './render-nginx';

const DEFAULT_NS = 'default';
/** The controller reads both prefixes (pkg/controller/config/options.go); the first one found wins. */
const PREFIXES = ['haproxy-ingress.github.io/', 'ingress.kubernetes.io/'];
const SSL_HEADERS = ['X-SSL-Client-CN', 'X-SSL-Client-DN', 'X-SSL-Client-SHA1', 'X-SSL-Client-SHA2', 'X-SSL-Client-Cert'];

export type HaproxyAuthMode =
  | 'none' // no auth-tls-secret, or auth-tls-verify-client off: no client verification, no X-SSL headers
  | 'fake-ca' // the Secret is missing or unusable and auth-tls-strict is true: a CA no client has (495/496 for all)
  | 'disabled' // the Secret is missing or unusable and auth-tls-strict is false: no client verification (fail-open)
  | 'enabled';

export interface HaproxyAuthState {
  mode: HaproxyAuthMode;
  /** the controller's error, in its words */
  reason?: string;
  /** always | optional | skip-check, as CAVerify */
  verify?: string;
  errorPage?: string;
  certHeader: boolean;
  strict: boolean;
  caFile?: { path: string; content: string };
  crlFile?: { path: string; content: string };
}

export interface HaproxyRenderInput {
  objects: K8sObject[];
  /** absolute directory the files will be written under (haproxy.cfg refers to them by absolute path) */
  dir: string;
  listenPort: number;
  upstreamPort: number;
  controlPort: number;
  generation: number;
  /** the self-signed "Fake CA" the controller creates at start-up, used for strict auth on a broken Secret */
  fakeCaPem: string;
}

export interface RenderedHaproxy {
  cfg: string;
  files: { path: string; content: string }[];
  host: string;
  ingress: K8sObject;
  auth: HaproxyAuthState;
}

const goBool = (v: string | undefined): boolean | undefined => (v === undefined ? undefined : ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v) ? true : ['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v) ? false : undefined);

/** checkValidCertPEM: every PEM block a CERTIFICATE that parses (trailing non-PEM data allowed after the first). */
function certificatesOf(pem: string): X509Certificate[] {
  const blocks = pemBlocks(pem);
  if (!blocks.length) throw new Error('no valid PEM formatted block found');
  return blocks.map((b) => {
    if (b.type !== 'CERTIFICATE') throw new Error(`expected PEM type 'CERTIFICATE', found '${b.type}'`);
    return new X509Certificate(b.der);
  });
}

/** Go's x509 Verify, as far as this needs it: the leaf chains up to a certificate of `roots` through `intermediates`. */
function chainsTo(leaf: X509Certificate, roots: X509Certificate[], intermediates: X509Certificate[]): boolean {
  let current = leaf;
  for (let i = 0; i <= intermediates.length; i++) {
    if (roots.some((r) => current.checkIssued(r) && current.verify(r.publicKey))) return true;
    const next = intermediates.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey));
    if (!next) return false;
    current = next;
  }
  return false;
}

interface CaFiles { caFile?: { name: string; content: string }; crlFile?: { name: string; content: string }; pemFile?: { name: string; content: string } }

/** getCertificate: a key pair makes it a server certificate (ca.crt appended, ca.crl ignored); else the CA path. */
function secretFiles(secret: K8sObject): CaFiles {
  const d = secretData(secret);
  const ns = secret.metadata.namespace ?? DEFAULT_NS;
  const name = secret.metadata.name;
  const [crt, key, ca, crl] = [d['tls.crt'] ?? '', d['tls.key'] ?? '', d['ca.crt'] ?? '', d['ca.crl'] ?? ''];
  if (crt && key) {
    const leaf = certificatesOf(crt)[0];
    if (!leaf.checkPrivateKey(createPrivateKey(key))) throw new Error('tls: private key does not match public key');
    let content = crt;
    let caFile: CaFiles['caFile'];
    if (ca) {
      if (!chainsTo(leaf, certificatesOf(ca), certificatesOf(crt))) throw new Error('failed to verify certificate chain: x509: certificate signed by unknown authority');
      content = `${crt}${ca}\n`;
      caFile = { name: `certs/${ns}_${name}.pem`, content: `${content}\n${key}` };
    }
    return { pemFile: { name: `certs/${ns}_${name}.pem`, content: `${content}\n${key}` }, caFile };
  }
  if (ca) {
    certificatesOf(ca);
    if (crl) {
      // checkValidPEM(crl, "X509 CRL"): block types only; the CRL itself is left to haproxy
      const blocks = pemBlocks(crl);
      if (!blocks.length) throw new Error('no valid PEM formatted block found');
      const other = blocks.find((b) => b.type !== 'X509 CRL');
      if (other) throw new Error(`expected PEM type(s) 'X509 CRL', found '${other.type}'`);
    }
    return { caFile: { name: `cacerts/ca_${ns}_${name}.pem`, content: ca }, ...(crl ? { crlFile: { name: `crl/ca_${ns}_${name}_crl.pem`, content: crl } } : {}) };
  }
  throw new Error(`secret '${ns}/${name}' have neither ca.crt nor tls.crt/tls.key pair`);
}

/** The Ingress's annotation under the first prefix that has it. */
function annotation(ing: K8sObject, key: string): string | undefined {
  for (const prefix of PREFIXES) {
    const v = ing.metadata.annotations?.[`${prefix}${key}`];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** setAuthTLSConfig and GetCASecretPath. */
export function parseHaproxyAuthTls(ing: K8sObject, objects: K8sObject[], fakeCaPem: string): HaproxyAuthState {
  const ns = ing.metadata.namespace ?? DEFAULT_NS;
  const strict = goBool(annotation(ing, 'auth-tls-strict')) ?? true;
  const certHeader = goBool(annotation(ing, 'auth-tls-cert-header')) ?? false;
  const ref = annotation(ing, 'auth-tls-secret');
  const verifyClient = annotation(ing, 'auth-tls-verify-client') ?? '';
  const none: HaproxyAuthState = { mode: 'none', certHeader, strict };
  if (!ref || verifyClient === 'off') return none;
  let files: CaFiles | undefined;
  let reason: string | undefined;
  const [secretNs, secretName] = ref.includes('/') ? ref.split('/', 2) : [ns, ref];
  if (secretNs !== ns) {
    reason = `trying to read secret '${ref}' cross namespaces '${secretNs}' and '${ns}', but cross-namespace reading is disabled`;
  } else {
    const secret = findSecret(objects, secretNs, secretName);
    try {
      if (!secret) throw new Error(`secrets "${secretName}" not found`);
      files = secretFiles(secret);
      if (!files.caFile) throw new Error(`secret '${secretNs}/${secretName}' does not have key 'ca.crt'`);
    } catch (e) {
      reason = (e as Error).message;
      files = undefined;
    }
  }
  const verify = { optional_no_ca: 'skip-check', optional: 'optional', on: 'always' }[verifyClient] ?? 'always';
  const state = { certHeader, strict, verify, errorPage: annotation(ing, 'auth-tls-error-page') };
  if (files?.caFile) return { ...state, mode: 'enabled', caFile: { path: files.caFile.name, content: files.caFile.content }, crlFile: files.crlFile && { path: files.crlFile.name, content: files.crlFile.content } };
  if (strict) return { ...state, mode: 'fake-ca', reason, caFile: { path: 'cacerts/ca__fake-default.pem', content: fakeCaPem } };
  return { ...none, mode: 'disabled', reason };
}

export function renderHaproxy(input: HaproxyRenderInput): RenderedHaproxy {
  const ings = input.objects.filter((o) => o.kind === 'Ingress' && o.apiVersion === 'networking.k8s.io/v1');
  if (ings.length !== 1) throw new Error(`expected exactly one Ingress, found [${ings.map((i) => i.metadata.name).join(', ')}]`);
  const ing = ings[0];
  const ns = ing.metadata.namespace ?? DEFAULT_NS;
  const tls: { hosts?: string[]; secretName?: string }[] = ing.spec?.tls ?? [];
  const host = tls[0]?.hosts?.[0] ?? ing.spec?.rules?.[0]?.host;
  if (!host) throw new Error(`Ingress ${ing.metadata.name} names no host`);
  const serverSecret = tls.find((t) => t.hosts?.includes(host))?.secretName;
  const secret = serverSecret ? findSecret(input.objects, ns, serverSecret) : undefined;
  if (!secret) throw new Error(`no TLS Secret for ${host}: HAProxy Ingress would serve its default certificate`);
  const server = secretFiles(secret);
  if (!server.pemFile) throw new Error(`TLS Secret ${ns}/${serverSecret} has no tls.crt/tls.key`);

  const files: { path: string; content: string }[] = [];
  const put = (name: string, content: string): string => {
    const p = path.join(input.dir, name);
    if (!files.some((f) => f.path === p)) files.push({ path: p, content });
    return p;
  };
  const auth = parseHaproxyAuthTls(ing, input.objects, input.fakeCaPem);
  const hasAuth = auth.mode === 'enabled' || auth.mode === 'fake-ca';
  const serverPem = put(server.pemFile.name, server.pemFile.content);

  // crt-list: the default certificate for no SNI match, then one line per host with custom TLS (always `verify optional`)
  const bind = hasAuth ? ['ca-file', put(auth.caFile!.path, auth.caFile!.content), 'verify', 'optional', ...(auth.crlFile ? ['crl-file', put(auth.crlFile.path, auth.crlFile.content)] : [])] : [];
  const crtList = put('maps/_front_bind_crt.list', `${serverPem} !*\n${serverPem}${bind.length ? ` [${bind.join(' ')}]` : ''} ${host}\n`);

  // frontend maps (config.go): auth and need-crt lists, and the error-page maps
  const mapFile = (name: string, lines: string[]): string => put(`maps/${name}`, lines.map((l) => `${l}\n`).join(''));
  const checkCrt = hasAuth && auth.verify !== 'skip-check';
  const needCrt = hasAuth && auth.verify === 'always';
  const authList = mapFile('_front_tls_auth__exact.list', checkCrt ? [host] : []);
  const needList = mapFile('_front_tls_needcrt__exact.list', needCrt ? [host] : []);
  const invalidPages = hasAuth && auth.errorPage ? mapFile('_front_tls_invalidcrt_pages__exact.map', [`${host} ${auth.errorPage}`]) : undefined;
  const missingPages = needCrt && auth.errorPage ? mapFile('_front_tls_missingcrt_pages__exact.map', [`${host} ${auth.errorPage}`]) : undefined;

  const paths = (ing.spec?.rules ?? []).filter((r: { host?: string }) => r.host === host).flatMap((r: any) => r.http?.paths ?? []);
  const backends = new Map<string, { service: string; port: string }>();
  const exact: string[] = [];
  const begin: string[] = [];
  for (const p of paths) {
    const svc = p.backend?.service;
    const port = String(svc?.port?.number ?? svc?.port?.name);
    const id = `${ns}_${svc?.name}_${port}`;
    backends.set(id, { service: svc?.name, port });
    (p.pathType === 'Exact' ? exact : begin).push(`${host}#${p.path ?? '/'} ${id}`);
  }
  const exactMap = mapFile('_front_https_host__exact.map', exact);
  const beginMap = mapFile('_front_https_host__begin.map', begin.sort().reverse()); // longest prefix first
  const lua = put('lua/responses.lua', RESPONSES_LUA);

  const f: string[] = [
    'frontend _front_https',
    '    mode http',
    `    bind 127.0.0.1:${input.listenPort} ssl alpn h2,http/1.1 crt-list ${crtList} ca-ignore-err all crt-ignore-err all`,
    '    http-request set-var(req.path) path',
    '    http-request set-var(req.host) hdr(host),field(1,:),lower',
    '    http-request set-var(req.base) var(req.host),concat(\\#,req.path)',
    `    http-request set-var(req.hostbackend) var(req.base),map_str(${exactMap})`,
    `    http-request set-var(req.hostbackend) var(req.base),map_beg(${beginMap}) if !{ var(req.hostbackend) -m found }`,
    '    http-request set-header X-Forwarded-Proto https',
    ...SSL_HEADERS.map((h) => `    http-request del-header ${h}`),
  ];
  if (hasAuth) {
    f.push(
      '    acl tls-has-crt ssl_c_used',
      ...(needCrt ? [`    acl tls-need-crt ssl_fc_sni -i -m str -f ${needList}`, `    acl tls-host-need-crt var(req.host) -i -m str -f ${needList}`] : []),
      '    acl tls-has-invalid-crt ssl_c_verify gt 0',
      ...(checkCrt ? [`    acl tls-check-crt ssl_fc_sni -i -m str -f ${authList}`] : []),
    );
    if (needCrt) {
      f.push(missingPages
        ? `    http-request set-var(req.tls_nocrt_redir) ssl_fc_sni,lower,map_str(${missingPages},_internal) if !tls-has-crt tls-need-crt`
        : '    http-request set-var(req.tls_nocrt_redir) str(_internal) if !tls-has-crt tls-need-crt');
    }
    if (checkCrt) {
      f.push(invalidPages
        ? `    http-request set-var(req.tls_invalidcrt_redir) ssl_fc_sni,lower,map_str(${invalidPages},_internal) if tls-has-invalid-crt tls-check-crt`
        : '    http-request set-var(req.tls_invalidcrt_redir) str(_internal) if tls-has-invalid-crt tls-check-crt');
      if (missingPages) f.push('    http-request redirect location %[var(req.tls_nocrt_redir)] code 303 if { var(req.tls_nocrt_redir) -m found } !{ var(req.tls_nocrt_redir) -m str _internal }');
      if (invalidPages) f.push('    http-request redirect location %[var(req.tls_invalidcrt_redir)] code 303 if { var(req.tls_invalidcrt_redir) -m found } !{ var(req.tls_invalidcrt_redir) -m str _internal }');
    }
    f.push('    http-request use-service lua.send-421 if tls-has-crt { ssl_fc_has_sni } !{ ssl_fc_sni,strcmp(req.host) eq 0 }');
    if (checkCrt) {
      if (needCrt) {
        f.push('    http-request use-service lua.send-496 if { var(req.tls_nocrt_redir) -m str _internal }', '    http-request use-service lua.send-421 if !tls-has-crt tls-host-need-crt');
      }
      f.push('    http-request use-service lua.send-495 if { var(req.tls_invalidcrt_redir) -m str _internal }');
    }
  }
  f.push('    use_backend %[var(req.hostbackend)] if { var(req.hostbackend) -m found }', '    default_backend _default_backend');

  const b: string[] = [];
  for (const [id, svc] of backends) {
    b.push(`backend ${id}`, '    mode http');
    if (hasAuth) {
      // ssl-redirect is on by default, so the headers are set without the `if local-offload` condition
      b.push(
        '    http-request set-header X-SSL-Client-CN   %{+Q}[ssl_c_s_dn(cn)]',
        '    http-request set-header X-SSL-Client-DN   %{+Q}[ssl_c_s_dn]',
        '    http-request set-header X-SSL-Client-SHA1 %{+Q}[ssl_c_sha1,hex]',
        ...(auth.certHeader ? ['    http-request set-header X-SSL-Client-Cert %{+Q}[ssl_c_der,base64]'] : []),
      );
    }
    b.push(`    http-request set-header x-harness-backend "${svc.service}:${svc.port}"`, `    server srv001 127.0.0.1:${input.upstreamPort}`);
  }

  const cfg = [
    `# generation ${input.generation}: Ingress ${ns}/${ing.metadata.name} (HAProxy Ingress), auth-tls ${auth.mode}${auth.reason ? ` (${auth.reason})` : ''}`,
    'global',
    `    lua-load ${lua}`,
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    ...f,
    ...b,
    'backend _default_backend',
    '    mode http',
    '    http-request return status 404 content-type text/plain string "default backend - 404"',
    '# harness control endpoint: tells which config generation the answering worker runs',
    'frontend _harness_control',
    '    mode http',
    `    bind 127.0.0.1:${input.controlPort}`,
    `    http-request return status 200 content-type text/plain lf-string "${input.generation} %pid"`,
    '',
  ].join('\n');
  return { cfg, files, host, ingress: ing, auth };
}

/** The controller's send-421/495/496 services: same status, reason and message (global.go), written here. */
const RESPONSES_LUA = [
  ['421', 'Misdirected Request', 'Request sent to a non-authoritative server.'],
  ['495', 'SSL Certificate Error', 'An invalid certificate has been provided.'],
  ['496', 'SSL Certificate Required', 'A client certificate must be provided.'],
].map(([code, reason, text]) => `core.register_service("send-${code}", "http", function(applet)
    local body = "<html><body><h1>${code} ${reason}</h1>\\n${text}\\n</body></html>\\n"
    applet:set_status(${code}, "${reason}")
    applet:add_header("Content-Type", "text/html")
    applet:add_header("Cache-Control", "no-cache")
    applet:add_header("Content-Length", tostring(#body))
    applet:start_response()
    applet:send(body)
end)
`).join('');
