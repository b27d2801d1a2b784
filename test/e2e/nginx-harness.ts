// nginx half of the e2e harness: runs a real nginx (Debian's 1.22.1 in CI) on loopback with a config rendered
// from synthesized manifests, plus an in-process echo upstream. `serveNginx` runs any renderer's config (the F5
// harness uses it too); `serveIngress` serves what render-nginx.ts renders as ingress-nginx would. See README.md.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { control, freePort, gone, run, ServedEndpoint, startUpstream, stopChild, track, waitUntil } from './process-harness';
import { renderNginx } from './render-nginx';
import type { AuthTlsState, K8sObject, NginxRenderContext, RenderedNginx } from './render-nginx';

export { IngressRejectedError, loadManifests, parseAuthTls, renderNginx } from './render-nginx';
export type { AuthTlsState, K8sObject, NginxRenderContext, RenderedNginx } from './render-nginx';
export { curlProbe, freePort, probe } from './process-harness';
export type { CurlResult, EchoedRequest, ProbeOptions, ProbeResult } from './process-harness';

/** What a renderer returns: the conf (with the control server of nginxShell), its files, and the host served. */
export interface NginxRendering { conf: string; files: { path: string; content: string }[]; host: string }

export interface ServedNginx<R extends NginxRendering> extends ServedEndpoint {
  /** re-render from new objects, `nginx -t`, SIGHUP, and wait until the new config answers */
  reload(objects: K8sObject[]): Promise<void>;
  stop(): Promise<void>;
  /** what the renderer returned for the live config */
  rendered: R;
  /** nginx's error.log so far (client verify errors are logged at info level) */
  errorLog(): string;
}

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

export interface ServedIngress extends ServedNginx<RenderedNginx> {
  /** the nginx.conf currently live */
  nginxConf: string;
  /** how the auth-tls annotations/secret were read for the live config */
  authTls: AuthTlsState;
}

function nginxBin(): string {
  if (process.env.NGINX_BIN) return process.env.NGINX_BIN;
  return fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
}

/** Runs nginx with what `render` makes of the objects; reloads re-render. */
export async function serveNginx<R extends NginxRendering>(opts: {
  objects: K8sObject[]; keepWorkDir?: boolean; render(objects: K8sObject[], ctx: NginxRenderContext): R;
}): Promise<ServedNginx<R>> {
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
  const readLog = (): string => (fs.existsSync(errorLogPath) ? fs.readFileSync(errorLogPath, 'utf8') : '');

  /** Render into a fresh gen-N dir, write conf to `target`, and `nginx -t` it (with its own pid file). */
  const prepare = async (objects: K8sObject[], target: string): Promise<R> => {
    generation += 1;
    const r = opts.render(objects, { dir: path.join(workDir, `gen-${generation}`), tempDir, listenPort, upstreamPort: up.port, controlPort, generation, runAsRoot, errorLog: errorLogPath });
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

  const waitFor = (gen: number, what: string, oldPid?: number): Promise<void> => waitUntil(
    async () => {
      const c = await control(controlPort);
      return !!c && c.gen === gen && (oldPid === undefined || gone(oldPid));
    },
    () => childExited, `nginx did not ${what}`, () => `${childOutput}\n--- error.log ---\n${readLog()}`,
  );

  const stopNginx = async (): Promise<void> => {
    const c = child;
    child = undefined;
    await stopChild(c, exited);
  };

  let rendered: R | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      listenPort = await freePort();
      controlPort = await freePort();
      rendered = await prepare(opts.objects, confPath);
      const c = spawn(bin, [...common, '-c', confPath, '-g', `daemon off; pid ${workDir}/nginx.pid;`], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      childExited = false;
      track(c);
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
    await up.close();
    if (!opts.keepWorkDir && !process.env.HARNESS_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
    throw e;
  }

  const served: ServedNginx<R> = {
    port: listenPort,
    host: rendered!.host,
    url: (p = '/') => `https://${served.host}:${listenPort}${p}`,
    upstreamUrl: (p = '/') => `http://127.0.0.1:${up.port}${p}`,
    upstreamRequests: () => [...up.requests],
    rendered: rendered!,
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
      served.rendered = r;
    },
    async stop() {
      await stopNginx();
      await up.close();
      if (!opts.keepWorkDir && !process.env.HARNESS_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
  return served;
}

/** nginx configured as ingress-nginx configures it for the Ingress in `opts.objects` (render-nginx.ts). */
export async function serveIngress(opts: ServeOptions): Promise<ServedIngress> {
  const inner = await serveNginx({ objects: opts.objects, keepWorkDir: opts.keepWorkDir, render: (objects, ctx) => renderNginx({ ...opts, ...ctx, objects }) });
  return Object.defineProperties(inner as ServedIngress, {
    nginxConf: { get: () => inner.rendered.conf, enumerable: true },
    authTls: { get: () => inner.rendered.authTls, enumerable: true },
  });
}
