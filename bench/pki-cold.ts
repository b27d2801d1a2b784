// In-process cost of the example's PKI work on a cold store (two CAs, a server and two client certificates,
// one revocation, the CRL), without Node or tsx start-up: `node build/bench/pki-cold.js [keyAlgorithm] [runs]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyAlgorithm } from '../lib/pki';
import { PkiStore } from '../lib/store';
import { stats } from './timing';

async function main(): Promise<void> {
  const keyAlgorithm = (process.argv[2] ?? 'ec-p256') as KeyAlgorithm;
  const runs = Number(process.argv[3] ?? 7);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-pki-cold-'));
    const start = process.hrtime.bigint();
    const store = await PkiStore.open(join(dir, 'pki'));
    const pki = await store.ensure({
      serverCa: { commonName: 'Aispeech Server Cert Authority' },
      clientCa: { commonName: 'Aispeech Client Cert Authority' },
      servers: [{ name: 'mtls', names: ['mtls.dev.ityoudao.cn'] }],
      clients: [{ commonName: 'Client001' }, { commonName: 'Client002' }],
      revoked: [{ commonName: 'Client001', reason: 'keyCompromise' }],
      keyAlgorithm,
    });
    pki.clientTrust();
    times.push({ ms: Number(process.hrtime.bigint() - start) / 1e6 });
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify({ keyAlgorithm, runs, ...stats(times) })}\n`);
}

main().catch((e: Error) => { process.stderr.write(`${e.stack}\n`); process.exitCode = 1; });
