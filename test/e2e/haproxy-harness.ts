// haproxy half of the e2e harness: runs a real haproxy (Debian's 2.6, Lua built in) in master-worker mode on
// loopback, configured as HAProxy Ingress configures it (render-haproxy.ts), with the in-process echo upstream.
// Reloads are haproxy's own (SIGUSR2 to the master); the harness waits until a worker of the new generation
// answers on the control port and the old one has exited.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run, ServedProxy, serveProxy, writeFiles } from './process-harness';
import { HaproxyAuthState, renderHaproxy, RenderedHaproxy } from './render-haproxy';
import type { K8sObject } from './render-nginx';

export { parseHaproxyAuthTls, renderHaproxy } from './render-haproxy';
export type { HaproxyAuthState, RenderedHaproxy } from './render-haproxy';

export interface ServedHaproxy extends ServedProxy<RenderedHaproxy> {
  /** the haproxy.cfg currently live */
  cfg: string;
  /** how the auth-tls annotations and Secret were read for the live config */
  auth: HaproxyAuthState;
}

function haproxyBin(): string {
  if (process.env.HAPROXY_BIN) return process.env.HAPROXY_BIN;
  return fs.existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';
}

export async function serveHaproxy(opts: { objects: K8sObject[]; keepWorkDir?: boolean }): Promise<ServedHaproxy> {
  const bin = haproxyBin();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-haproxy-'));
  const configPath = path.join(workDir, 'haproxy.cfg');
  // The controller creates a self-signed "Fake CA" at start-up; nothing this harness serves is issued by it.
  const fake = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(workDir, 'fake-ca.key'), '-subj', '/CN=Fake CA', '-days', '30', '-out', path.join(workDir, 'fake-ca.pem')]);
  if (fake.code !== 0) throw new Error(`openssl could not make the fake CA: ${fake.stderr}`);
  const fakeCaPem = fs.readFileSync(path.join(workDir, 'fake-ca.pem'), 'utf8');
  const served = await serveProxy<RenderedHaproxy>({
    name: 'haproxy', workDir, configPath, reloadSignal: 'SIGUSR2', portTaken: /Address already in use|cannot bind socket/,
    // master-worker in the foreground: SIGUSR2 makes the master start new workers with the new config
    command: [bin, ['-W', '-db', '-f', configPath]],
    logs: (output) => output,
    async prepare(objects, target, ports) {
      const r = renderHaproxy({ ...ports, objects: objects as K8sObject[], dir: path.join(workDir, `gen-${ports.generation}`), fakeCaPem });
      writeFiles(r.files);
      fs.writeFileSync(target, r.cfg);
      const c = await run(bin, ['-c', '-f', target]);
      if (c.code !== 0) throw new Error(`haproxy -c failed (exit ${c.code}):\n${c.stdout}${c.stderr}\n--- ${target} ---\n${r.cfg}`);
      return r;
    },
  }, opts.objects, opts.keepWorkDir);
  return Object.defineProperties(served as ServedHaproxy, {
    cfg: { get: () => served.rendered.cfg, enumerable: true },
    auth: { get: () => served.rendered.auth, enumerable: true },
  });
}
