// nginx half of the e2e harness: runs a real nginx (Debian's 1.22.1 in CI) on loopback with a config rendered
// from synthesized manifests, plus an in-process echo upstream. `serveNginx` runs any renderer's config (the F5
// harness uses it too); `serveIngress` serves what render-nginx.ts renders as ingress-nginx would. See README.md.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run, ServedProxy, serveProxy, writeFiles } from './process-harness';
import { renderNginx } from './render-nginx';
import type { AuthTlsState, K8sObject, NginxRenderContext, RenderedNginx } from './render-nginx';

export { IngressRejectedError, loadManifests, parseAuthTls, renderNginx } from './render-nginx';
export type { AuthTlsState, K8sObject, NginxRenderContext, RenderedNginx } from './render-nginx';
export { curlProbe, freePort, probe } from './process-harness';
export type { CurlResult, EchoedRequest, ProbeOptions, ProbeResult } from './process-harness';

/** What a renderer returns: the conf (with the control server of nginxShell), its files, and the host served. */
export interface NginxRendering { conf: string; files: { path: string; content: string }[]; host: string }

export interface ServedNginx<R extends NginxRendering> extends ServedProxy<R> {
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
  const configPath = path.join(workDir, 'nginx.conf');
  const errorLogPath = path.join(workDir, 'error.log');
  const common = ['-p', `${workDir}/`, '-e', errorLogPath];
  const runAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const readLog = (): string => (fs.existsSync(errorLogPath) ? fs.readFileSync(errorLogPath, 'utf8') : '');
  const served = await serveProxy<R>({
    name: 'nginx', workDir, configPath, reloadSignal: 'SIGHUP', portTaken: /Address already in use/,
    command: [bin, [...common, '-c', configPath, '-g', `daemon off; pid ${workDir}/nginx.pid;`]],
    logs: (output) => `${output}\n--- error.log ---\n${readLog()}`,
    /** Render into a fresh gen-N dir, write conf to `target`, and `nginx -t` it (with its own pid file). */
    async prepare(objects, target, ports) {
      const r = opts.render(objects as K8sObject[], { ...ports, dir: path.join(workDir, `gen-${ports.generation}`), tempDir, runAsRoot, errorLog: errorLogPath });
      writeFiles(r.files);
      fs.writeFileSync(target, r.conf);
      const t = await run(bin, ['-t', ...common, '-c', target, '-g', `daemon off; pid ${workDir}/nginx-test.pid;`]);
      if (t.code !== 0) {
        const err = new Error(`nginx -t failed (exit ${t.code}):\n${t.stderr}\n--- ${target} ---\n${r.conf}`);
        (err as any).nginxOutput = t.stderr;
        throw err;
      }
      return r;
    },
  }, opts.objects, opts.keepWorkDir);
  return Object.assign(served, { errorLog: readLog });
}

/** nginx configured as ingress-nginx configures it for the Ingress in `opts.objects` (render-nginx.ts). */
export async function serveIngress(opts: ServeOptions): Promise<ServedIngress> {
  const inner = await serveNginx({ objects: opts.objects, keepWorkDir: opts.keepWorkDir, render: (objects, ctx) => renderNginx({ ...opts, ...ctx, objects }) });
  return Object.defineProperties(inner as ServedIngress, {
    nginxConf: { get: () => inner.rendered.conf, enumerable: true },
    authTls: { get: () => inner.rendered.authTls, enumerable: true },
  });
}
