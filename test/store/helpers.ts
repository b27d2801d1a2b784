import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { PkiSpec, PkiStore } from '../../lib/store';
import { scratchDir } from '../support/openssl';

/** Every file and directory under `dir` with its mode and content hash: equal snapshots mean equal bytes. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(join(dir, rel)).sort()) {
      const path = join(rel, name);
      const st = fs.statSync(join(dir, path));
      if (st.isDirectory()) {
        out[`${path}/`] = (st.mode & 0o777).toString(8);
        walk(path);
      } else {
        out[path] = `${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(fs.readFileSync(join(dir, path))).digest('hex')}`;
      }
    }
  };
  walk('');
  return out;
}

export const mode = (path: string) => (fs.statSync(path).mode & 0o777).toString(8);

/** The seed's scenario as a spec: one server, Client001 (revoked) and Client002. */
export const SEED_SPEC: PkiSpec = {
  serverCa: { commonName: 'Aispeech Server Cert Authority' },
  clientCa: { commonName: 'Aispeech Client Cert Authority' },
  servers: [{ name: 'mtls.dev.ityoudao.cn', names: ['mtls.dev.ityoudao.cn'] }],
  clients: [{ commonName: 'Client001' }, { commonName: 'Client002' }],
  revoked: [{ commonName: 'Client001', reason: 'keyCompromise' }],
};

/** A scratch directory whose `store` subdirectory does not exist yet, and a quiet way to open it. */
export function scratchStore() {
  const tmp = scratchDir('mtls-store-');
  const dir = join(tmp.dir, 'pki');
  const warnings: string[] = [];
  const changes: string[] = [];
  return {
    tmp,
    dir,
    warnings,
    /** What the store's onChange said, one line per change to the PKI. */
    changes,
    open: (options: { create?: boolean } = {}) => PkiStore.open(dir, { ...options, onWarning: (m) => warnings.push(m), onChange: (m) => changes.push(m) }),
    cleanup: () => tmp.cleanup(),
  };
}
