// haproxy half of the e2e harness: runs a real haproxy (Debian's 2.6, Lua built in) in master-worker mode on
// loopback, configured as HAProxy Ingress configures it (render-haproxy.ts), with the in-process echo upstream.
// Reloads are haproxy's own (SIGUSR2 to the master); the harness waits until a worker of the new generation
// answers on the control port and the old one has exited.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { control, freePort, gone, run, ServedEndpoint, startUpstream, stopChild, track, waitUntil } from './process-harness';
import { HaproxyAuthState, renderHaproxy, RenderedHaproxy } from './render-haproxy';
import type { K8sObject } from './render-nginx';

export { parseHaproxyAuthTls, renderHaproxy } from './render-haproxy';
export type { HaproxyAuthState, RenderedHaproxy } from './render-haproxy';

export interface ServedHaproxy extends ServedEndpoint {
  /** re-render from new objects, `haproxy -c`, SIGUSR2, and wait until the new config answers */
  reload(objects: K8sObject[]): Promise<void>;
  stop(): Promise<void>;
  rendered: RenderedHaproxy;
  /** the haproxy.cfg currently live */
  cfg: string;
  /** how the auth-tls annotations and Secret were read for the live config */
  auth: HaproxyAuthState;
  /** what haproxy printed so far (-db: logs and alerts on stderr) */
  output(): string;
}

function haproxyBin(): string {
  if (process.env.HAPROXY_BIN) return process.env.HAPROXY_BIN;
  return fs.existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';
}

export async function serveHaproxy(opts: { objects: K8sObject[]; keepWorkDir?: boolean }): Promise<ServedHaproxy> {
  const bin = haproxyBin();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-haproxy-'));
  const cfgPath = path.join(workDir, 'haproxy.cfg');
  // The controller creates a self-signed "Fake CA" at start-up; nothing this harness serves is issued by it.
  const fake = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(workDir, 'fake-ca.key'), '-subj', '/CN=Fake CA', '-days', '30', '-out', path.join(workDir, 'fake-ca.pem')]);
  if (fake.code !== 0) throw new Error(`openssl could not make the fake CA: ${fake.stderr}`);
  const fakeCaPem = fs.readFileSync(path.join(workDir, 'fake-ca.pem'), 'utf8');
  let generation = 0;
  let child: ChildProcess | undefined;
  let childExited = false;
  let output = '';
  let exited: Promise<void> = Promise.resolve();
  const up = await startUpstream();
  let listenPort = 0;
  let controlPort = 0;

  const prepare = async (objects: K8sObject[], target: string): Promise<RenderedHaproxy> => {
    generation += 1;
    const r = renderHaproxy({ objects, dir: path.join(workDir, `gen-${generation}`), listenPort, upstreamPort: up.port, controlPort, generation, fakeCaPem });
    for (const f of r.files) {
      fs.mkdirSync(path.dirname(f.path), { recursive: true });
      fs.writeFileSync(f.path, f.content, { mode: 0o600 });
    }
    fs.writeFileSync(target, r.cfg);
    const c = await run(bin, ['-c', '-f', target]);
    if (c.code !== 0) throw new Error(`haproxy -c failed (exit ${c.code}):\n${c.stdout}${c.stderr}\n--- ${target} ---\n${r.cfg}`);
    return r;
  };

  const waitFor = (gen: number, what: string, oldPid?: number): Promise<void> => waitUntil(
    async () => {
      const c = await control(controlPort);
      return !!c && c.gen === gen && (oldPid === undefined || gone(oldPid));
    },
    () => childExited, `haproxy did not ${what}`, () => output,
  );

  const stopHaproxy = async (): Promise<void> => {
    const c = child;
    child = undefined;
    await stopChild(c, exited);
  };

  let rendered: RenderedHaproxy | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      listenPort = await freePort();
      controlPort = await freePort();
      rendered = await prepare(opts.objects, cfgPath);
      const c = spawn(bin, ['-W', '-db', '-f', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
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
        await stopHaproxy();
        if (attempt >= 3 || !/Address already in use|cannot bind socket/.test(output)) throw e;
      }
    }
  } catch (e) {
    await stopHaproxy();
    await up.close();
    if (!opts.keepWorkDir && !process.env.HARNESS_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
    throw e;
  }

  const served: ServedHaproxy = {
    port: listenPort,
    host: rendered!.host,
    url: (p = '/') => `https://${served.host}:${listenPort}${p}`,
    upstreamUrl: (p = '/') => `http://127.0.0.1:${up.port}${p}`,
    upstreamRequests: () => [...up.requests],
    workDir,
    rendered: rendered!,
    get cfg() { return served.rendered.cfg; },
    get auth() { return served.rendered.auth; },
    output: () => output,
    async reload(objects) {
      if (!child) throw new Error('haproxy is not running');
      const next = `${cfgPath}.next`;
      const r = await prepare(objects, next); // throws (old config stays live) when haproxy -c refuses it
      const before = await control(controlPort);
      fs.renameSync(next, cfgPath);
      child.kill('SIGUSR2');
      await waitFor(generation, `reload to generation ${generation}`, before?.pid);
      served.host = r.host;
      served.rendered = r;
    },
    async stop() {
      await stopHaproxy();
      await up.close();
      if (!opts.keepWorkDir && !process.env.HARNESS_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
  return served;
}
