// Process half of the e2e harness: runs a real nginx (Debian's 1.22.1 in CI) on loopback with the config that
// render-nginx.ts produces from synthesized manifests, plus an in-process echo upstream. See README.md beside this file.
import { ChildProcess, execFile, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { renderNginx } from './render-nginx';
import type { AuthTlsState, K8sObject, RenderedNginx } from './render-nginx';

export { IngressRejectedError, loadManifests, parseAuthTls, renderNginx } from './render-nginx';
export type { AuthTlsState, K8sObject, RenderedNginx } from './render-nginx';

export interface EchoedRequest { id?: string; method: string; url: string; headers: http.IncomingHttpHeaders }

export interface ServeOptions {
  objects: K8sObject[];
  ingressName?: string;
  /** rule host to serve (default: first TLS host) */
  host?: string;
  /** the controller ConfigMap's allow-cross-namespace-resources (default false, as in ingress-nginx) */
  allowCrossNamespaceResources?: boolean;
  /** keep the temp dir after stop() (also when HARNESS_KEEP=1) */
  keepWorkDir?: boolean;
}

export interface ServedIngress {
  port: number;
  host: string;
  /** https://<host>:<port><path>; resolve <host> to 127.0.0.1 yourself (probe/curlProbe do) */
  url(path?: string): string;
  /** plain-http URL on the echo upstream, e.g. to point auth-tls-error-page at it */
  upstreamUrl(path?: string): string;
  upstreamRequests(): EchoedRequest[];
  /** re-render from new objects, `nginx -t`, SIGHUP, and wait until the new config answers */
  reload(objects: K8sObject[]): Promise<void>;
  stop(): Promise<void>;
  /** the nginx.conf currently live */
  nginxConf: string;
  /** how the auth-tls annotations/secret were read for the live config */
  authTls: AuthTlsState;
  workDir: string;
  /** nginx's error.log so far (client verify errors are logged at info level) */
  errorLog(): string;
}

export interface ProbeOptions {
  /** PEM of the CA that signed the server certificate; verification is ON unless insecure is set */
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  path?: string;
  headers?: Record<string, string>;
  /** only when a test explicitly wants to skip server verification */
  insecure?: boolean;
}

export interface ProbeResult { status: number; headers: Record<string, string>; body: string; upstream?: EchoedRequest }

const PROBE_HEADER = 'x-harness-probe';
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function nginxBin(): string {
  if (process.env.NGINX_BIN) return process.env.NGINX_BIN;
  return fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
}

/** Children of a process (Linux /proc); used to SIGKILL nginx workers along with their master. */
function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) {
      if (c.pid === undefined) continue;
      for (const w of childPids(c.pid)) try { process.kill(w, 'SIGKILL'); } catch { /* gone */ }
      try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function run(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** GET the control endpoint: "<generation> <worker pid>", or undefined while nothing answers. */
function control(port: number): Promise<{ gen: number; pid: number } | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/__harness', agent: false, timeout: 1000 }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => {
        const [gen, pid] = b.trim().split(' ').map(Number);
        resolve(res.statusCode === 200 ? { gen, pid } : undefined);
      });
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

function gone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}

function startUpstream(): Promise<{ server: http.Server; port: number; requests: EchoedRequest[] }> {
  const requests: EchoedRequest[] = [];
  const server = http.createServer((req, res) => {
    const rec: EchoedRequest = { id: req.headers[PROBE_HEADER] as string | undefined, method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(rec);
    req.resume();
    const pick = (h: string): string | null => (req.headers[h] as string | undefined) ?? null;
    const body = JSON.stringify({
      path: req.url,
      backend: pick('x-harness-backend'),
      'ssl-client-verify': pick('ssl-client-verify'),
      'ssl-client-subject-dn': pick('ssl-client-subject-dn'),
      'ssl-client-issuer-dn': pick('ssl-client-issuer-dn'),
      'ssl-client-cert': pick('ssl-client-cert'),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, requests }));
  });
}

export async function serveIngress(opts: ServeOptions): Promise<ServedIngress> {
  installExitHook();
  const bin = nginxBin();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-nginx-'));
  const tempDir = path.join(workDir, 'tmp');
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(tempDir, d), { recursive: true });
  const confPath = path.join(workDir, 'nginx.conf');
  const errorLogPath = path.join(workDir, 'error.log');
  const common = ['-p', `${workDir}/`, '-e', errorLogPath];
  const runAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let generation = 0;
  let child: ChildProcess | undefined;
  let childExited = false;
  let childOutput = '';
  let exited: Promise<void> = Promise.resolve();
  const up = await startUpstream();
  let listenPort = 0;
  let controlPort = 0;

  /** Render into a fresh gen-N dir, write conf to `target`, and `nginx -t` it (with its own pid file). */
  const prepare = async (objects: K8sObject[], target: string) => {
    generation += 1;
    const r = renderNginx({ ...opts, objects, dir: path.join(workDir, `gen-${generation}`), tempDir, listenPort, upstreamPort: up.port, controlPort, generation, runAsRoot, errorLog: errorLogPath });
    for (const f of r.files) {
      fs.mkdirSync(path.dirname(f.path), { recursive: true });
      fs.writeFileSync(f.path, f.content, { mode: 0o600 });
    }
    fs.writeFileSync(target, r.conf);
    const t = await run(bin, ['-t', ...common, '-c', target, '-g', `daemon off; pid ${workDir}/nginx-test.pid;`]);
    if (t.code !== 0) {
      const err = new Error(`nginx -t failed (exit ${t.code}):\n${t.stderr}\n--- ${target} ---\n${r.conf}`);
      (err as any).nginxOutput = t.stderr;
      throw err;
    }
    return r;
  };

  const waitFor = async (gen: number, what: string, oldPid?: number): Promise<void> => {
    // nginx answers within a second when it can; the deadline only ends the wait for one that never will, and is
    // far beyond what a loaded machine (load 8 on 2 cores) takes.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !childExited) {
      const c = await control(controlPort);
      if (c && c.gen === gen && (oldPid === undefined || gone(oldPid))) return;
      await sleep(25);
    }
    throw new Error(`nginx did not ${what}${childExited ? ' (it exited)' : ' in 60 s'}:\n${childOutput}\n--- error.log ---\n${readLog()}`);
  };

  const readLog = (): string => (fs.existsSync(errorLogPath) ? fs.readFileSync(errorLogPath, 'utf8') : '');

  const stopNginx = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) {
      if (c) live.delete(c);
      return;
    }
    const done = exited;
    c.kill('SIGTERM');
    const t = setTimeout(() => {
      for (const w of childPids(c.pid!)) try { process.kill(w, 'SIGKILL'); } catch { /* gone */ }
      c.kill('SIGKILL');
    }, 5000);
    await done;
    clearTimeout(t);
    live.delete(c);
  };

  let rendered: RenderedNginx | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      listenPort = await freePort();
      controlPort = await freePort();
      rendered = await prepare(opts.objects, confPath);
      const c = spawn(bin, [...common, '-c', confPath, '-g', `daemon off; pid ${workDir}/nginx.pid;`], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      childExited = false;
      live.add(c);
      c.stdout!.on('data', (d) => (childOutput += d));
      c.stderr!.on('data', (d) => (childOutput += d));
      exited = new Promise((r) => c.once('exit', () => { childExited = true; r(); }));
      try {
        await waitFor(generation, 'start');
        break;
      } catch (e) {
        await stopNginx();
        if (attempt >= 3 || !/Address already in use/.test(childOutput + readLog())) throw e;
      }
    }
  } catch (e) {
    await stopNginx();
    up.server.close();
    if (!opts.keepWorkDir && !process.env.HARNESS_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
    throw e;
  }

  const served: ServedIngress = {
    port: listenPort,
    host: rendered!.host,
    url: (p = '/') => `https://${served.host}:${listenPort}${p}`,
    upstreamUrl: (p = '/') => `http://127.0.0.1:${up.port}${p}`,
    upstreamRequests: () => [...up.requests],
    nginxConf: rendered!.conf,
    authTls: rendered!.authTls,
    workDir,
    errorLog: readLog,
    async reload(objects) {
      if (!child) throw new Error('nginx is not running');
      const next = `${confPath}.next`;
      const r = await prepare(objects, next); // throws (old config stays live) on rejection or a failing nginx -t
      const before = await control(controlPort);
      fs.renameSync(next, confPath);
      child.kill('SIGHUP');
      await waitFor(generation, `reload to generation ${generation}`, before?.pid);
      served.host = r.host;
      served.nginxConf = r.conf;
      served.authTls = r.authTls;
    },
    async stop() {
      await stopNginx();
      up.server.closeAllConnections();
      await new Promise<void>((r) => up.server.close(() => r()));
      if (!opts.keepWorkDir && !process.env.HARNESS_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
  return served;
}

function flatten(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** One HTTPS request with node's TLS stack: SNI = served.host, connected to 127.0.0.1, no session reuse. */
export function probe(served: ServedIngress, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: served.port,
        servername: served.host,
        path: opts.path ?? '/',
        method: 'GET',
        headers: { host: served.host, ...opts.headers, [PROBE_HEADER]: id },
        ca: opts.caPem,
        cert: opts.certPem,
        key: opts.keyPem,
        rejectUnauthorized: !opts.insecure,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: flatten(res.headers), body, upstream: served.upstreamRequests().find((r) => r.id === id) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
    req.end();
  });
}

export interface CurlResult { status: number; body: string; exitCode: number; stderr: string; upstream?: EchoedRequest }

/** The seed's check with real curl: `curl --resolve host:port:127.0.0.1 --cacert ... [--cert --key]`, never -k unless asked. */
export async function curlProbe(served: ServedIngress, opts: ProbeOptions = {}): Promise<CurlResult> {
  const id = randomUUID();
  const dir = fs.mkdtempSync(path.join(served.workDir, 'curl-'));
  const file = (name: string, content: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const args = ['-sS', '--resolve', `${served.host}:${served.port}:127.0.0.1`, '-o', path.join(dir, 'body'), '-w', '%{http_code}', '-H', `${PROBE_HEADER}: ${id}`];
  if (opts.caPem) args.push('--cacert', file('ca.pem', opts.caPem));
  if (opts.certPem) args.push('--cert', file('cert.pem', opts.certPem));
  if (opts.keyPem) args.push('--key', file('key.pem', opts.keyPem));
  if (opts.insecure) args.push('-k');
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(served.url(opts.path ?? '/'));
  const r = await run('curl', args); // async: the echo upstream lives in this process
  const bodyPath = path.join(dir, 'body');
  return {
    status: Number(r.stdout.trim()) || 0,
    body: fs.existsSync(bodyPath) ? fs.readFileSync(bodyPath, 'utf8') : '',
    exitCode: r.code,
    stderr: r.stderr,
    upstream: served.upstreamRequests().find((u) => u.id === id),
  };
}
