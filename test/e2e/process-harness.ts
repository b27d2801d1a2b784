// The process parts every e2e harness shares, whatever serves the traffic (nginx as ingress-nginx or F5 renders
// it, haproxy as HAProxy Ingress renders it): free loopback ports, child processes that die with the test
// process, waiting for events, the in-process echo upstream, and the probes (node's TLS client and real curl).
import { ChildProcess, execFile, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as path from 'path';

export interface EchoedRequest { id?: string; method: string; url: string; headers: http.IncomingHttpHeaders }

/** What a probe needs of a served proxy. */
export interface ServedEndpoint {
  port: number;
  host: string;
  /** https://<host>:<port><path>; resolve <host> to 127.0.0.1 yourself (probe/curlProbe do) */
  url(path?: string): string;
  /** plain-http URL on the echo upstream, e.g. to point an error page at it */
  upstreamUrl(path?: string): string;
  upstreamRequests(): EchoedRequest[];
  workDir: string;
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

/** Children of a process (Linux /proc); used to SIGKILL workers along with their master. */
export function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Registers a child (a proxy's master process) to be SIGKILLed with its children if the test process exits first. */
export function track(child: ChildProcess): void {
  live.add(child);
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

/** Ends a tracked child: SIGTERM, then SIGKILL for it and its children if it has not exited after 5 s. */
export async function stopChild(c: ChildProcess | undefined, exited: Promise<void>): Promise<void> {
  if (!c) return;
  if (c.exitCode === null && c.signalCode === null) {
    c.kill('SIGTERM');
    const t = setTimeout(() => {
      for (const w of childPids(c.pid!)) try { process.kill(w, 'SIGKILL'); } catch { /* gone */ }
      c.kill('SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(t);
  }
  live.delete(c);
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

export function run(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long waitUntil waits at most; every test that serves a data plane has a larger budget (E2E_TEST_TIMEOUT). */
export const WAIT_DEADLINE_MS = 60_000;
/** The jest timeout of a test that serves a data plane: room for one full wait, probes and a second reload. */
export const E2E_TEST_TIMEOUT = 180_000;

/**
 * Polls `ready` until it holds (the event), `abort` says the process died, or WAIT_DEADLINE_MS pass. While
 * nothing has changed for `nudge.everyMs`, calls `nudge.send()` again (a reload signal the process may have
 * missed).
 */
export async function waitUntil(ready: () => Promise<boolean>, abort: () => boolean, what: string, details: () => string, nudge?: { readonly everyMs: number; send(): void }): Promise<void> {
  // A data plane answers within a second when it can (haproxy reloads took 0.8-4.7 s at load 5 on 2 cores); the
  // deadline only ends the wait for one that never will, and is shorter than the test's own timeout so that this
  // error, with the process's log, is what a failure shows.
  const start = Date.now();
  let nudged = start;
  while (Date.now() - start < WAIT_DEADLINE_MS && !abort()) {
    if (await ready()) return;
    if (nudge && Date.now() - nudged >= nudge.everyMs) {
      nudge.send();
      nudged = Date.now();
    }
    await pause(25);
  }
  throw new Error(`${what}${abort() ? ' (it exited)' : ` in ${WAIT_DEADLINE_MS / 1000} s`}:\n${details()}`);
}

/** GET a control endpoint that answers "<generation> <worker pid>", or undefined while nothing answers. */
export function control(port: number, urlPath = '/__harness'): Promise<{ gen: number; pid: number } | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 1000 }, (res) => {
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

/** Whether a pid has exited (or is a zombie waiting to be reaped). */
export function gone(pid: number): boolean {
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

export interface EchoUpstream { server: http.Server; port: number; requests: EchoedRequest[]; close(): Promise<void> }

/** The backend: answers 200 with a JSON summary of the request, and records every request it got. */
export function startUpstream(): Promise<EchoUpstream> {
  const requests: EchoedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ id: req.headers[PROBE_HEADER] as string | undefined, method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    const pick = (h: string): string | null => (req.headers[h] as string | undefined) ?? null;
    const identity = Object.fromEntries(Object.keys(req.headers).filter((h) => /^(x-)?ssl-client-/.test(h)).sort().map((h) => [h, pick(h)]));
    const body = JSON.stringify({
      path: req.url, backend: pick('x-harness-backend'),
      'ssl-client-verify': pick('ssl-client-verify'), 'ssl-client-subject-dn': pick('ssl-client-subject-dn'),
      'ssl-client-issuer-dn': pick('ssl-client-issuer-dn'), 'ssl-client-cert': pick('ssl-client-cert'), ...identity,
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      server, port: (server.address() as net.AddressInfo).port, requests,
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      },
    }));
  });
}

function flatten(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** One HTTPS request with node's TLS stack: SNI = served.host, connected to 127.0.0.1, no session reuse. */
export function probe(served: ServedEndpoint, opts: ProbeOptions = {}): Promise<ProbeResult> {
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
export async function curlProbe(served: ServedEndpoint, opts: ProbeOptions = {}): Promise<CurlResult> {
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

/** Writes a renderer's files, 0600, creating their folders. */
export function writeFiles(files: readonly { path: string; content: string }[]): void {
  for (const f of files) {
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    fs.writeFileSync(f.path, f.content, { mode: 0o600 });
  }
}

/** What differs between data planes: how a config is rendered and tested, how the process starts and reloads. */
export interface ProxyDriver<R extends { host: string }> {
  /** "nginx" or "haproxy", for messages */
  readonly name: string;
  readonly workDir: string;
  /** where the live config is; a reload tests `<configPath>.next` first, then renames it over */
  readonly configPath: string;
  /** Renders generation `generation` into its own files, writes the config to `target`, and tests it (throws when refused). */
  prepare(objects: K8sObjectLike[], target: string, ports: { generation: number; listenPort: number; controlPort: number; upstreamPort: number }): Promise<R>;
  /** The command that runs the proxy in the foreground with `configPath`. */
  readonly command: readonly [string, readonly string[]];
  readonly reloadSignal: NodeJS.Signals;
  /** Its logs, for errors; and whether they say a port was taken (then it is started again on other ports). */
  logs(output: string): string;
  readonly portTaken: RegExp;
}

type K8sObjectLike = { kind: string; metadata: { name: string } };

export interface ServedProxy<R> extends ServedEndpoint {
  /** re-render from new objects, test, reload, and wait until the new config answers and the old worker is gone */
  reload(objects: K8sObjectLike[]): Promise<void>;
  stop(): Promise<void>;
  /** what the renderer returned for the live config */
  rendered: R;
  /** what the process printed so far */
  output(): string;
}

/** Starts a proxy with what `driver` renders from `objects`, on free loopback ports, with the echo upstream. */
export async function serveProxy<R extends { host: string }>(driver: ProxyDriver<R>, objects: K8sObjectLike[], keepWorkDir = false): Promise<ServedProxy<R>> {
  const { name, workDir, configPath } = driver;
  let generation = 0;
  let child: ChildProcess | undefined;
  let childExited = false;
  let output = '';
  let exited: Promise<void> = Promise.resolve();
  const up = await startUpstream();
  let listenPort = 0;
  let controlPort = 0;
  const prepare = (o: K8sObjectLike[], target: string) => driver.prepare(o, target, { generation: ++generation, listenPort, controlPort, upstreamPort: up.port });
  const waitFor = (gen: number, what: string, oldPid?: number, resend?: () => void): Promise<void> => {
    let last: { gen: number; pid: number } | undefined;
    return waitUntil(
      async () => {
        last = await control(controlPort);
        return !!last && last.gen === gen && (oldPid === undefined || gone(oldPid));
      },
      () => childExited, `${name} did not ${what}`,
      () => `the control port last answered ${last ? `generation ${last.gen} from pid ${last.pid}` : 'nothing'}${oldPid === undefined ? '' : `; the old worker ${oldPid} is ${gone(oldPid) ? 'gone' : 'still running'}`}\n${driver.logs(output)}`,
      // haproxy's master can miss a SIGUSR2 that comes while it is still settling after the previous reload (seen
      // once in three suite runs at load 5): the worker keeps the old generation. The signal only says "read the
      // config again", and the config is the same, so sending it again is harmless.
      resend && { everyMs: 10_000, send: resend },
    );
  };
  const stopProcess = async (): Promise<void> => {
    const c = child;
    child = undefined;
    await stopChild(c, exited);
  };
  const cleanUp = async () => {
    await stopProcess();
    await up.close();
    if (!keepWorkDir && !process.env.HARNESS_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
  };

  let rendered: R | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      listenPort = await freePort();
      controlPort = await freePort();
      rendered = await prepare(objects, configPath);
      const c = spawn(driver.command[0], [...driver.command[1]], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      childExited = false;
      track(c);
      c.stdout!.on('data', (d) => (output += d));
      c.stderr!.on('data', (d) => (output += d));
      exited = new Promise((r) => c.once('exit', () => { childExited = true; r(); }));
      try {
        await waitFor(generation, 'start');
        break;
      } catch (e) {
        await stopProcess();
        if (attempt >= 3 || !driver.portTaken.test(driver.logs(output))) throw e;
      }
    }
  } catch (e) {
    await cleanUp();
    throw e;
  }

  const served: ServedProxy<R> = {
    port: listenPort,
    host: rendered!.host,
    url: (p = '/') => `https://${served.host}:${listenPort}${p}`,
    upstreamUrl: (p = '/') => `http://127.0.0.1:${up.port}${p}`,
    upstreamRequests: () => [...up.requests],
    workDir,
    rendered: rendered!,
    output: () => output,
    async reload(next) {
      if (!child) throw new Error(`${name} is not running`);
      const nextPath = `${configPath}.next`;
      const r = await prepare(next, nextPath); // throws (the old config stays live) when the proxy refuses it
      const before = await control(controlPort);
      fs.renameSync(nextPath, configPath);
      child.kill(driver.reloadSignal);
      await waitFor(generation, `reload to generation ${generation}`, before?.pid, () => child?.kill(driver.reloadSignal));
      served.host = r.host;
      served.rendered = r;
    },
    stop: cleanUp,
  };
  return served;
}
