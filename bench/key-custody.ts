// The cost of each CA key posture, side by side: plain PKCS#8 files, encrypted files (PBKDF2, 600,000
// iterations), and keys in a PKCS#11 token (SoftHSM2, through node-webcrypto-p11).
//
//   npm run build && node build/bench/key-custody.js          5 alternating runs of each (~6 min on 2 cores)
//   node build/bench/key-custody.js --runs 5 --revoked 20000
//
// Measured in one process, wall clock, per posture:
// - "100 clients, one ensure": PkiStore.ensure with 100 new clients: the CA key is loaded once, 100 certificates signed.
// - "100 × issueClient": 100 separate PkiStore.issueClient calls: each loads the CA key again, as 100 runs of
//   `mtls-pki client` would (the token stays logged in within the process; a CLI run logs in each time).
// - "20k CRL": loading the CA key and signing a CRL of 20,000 entries (buildCrl).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

// SoftHSM2 reads its configuration when this process first initializes it: set it before anything loads.
const hsmDir = mkdtempSync(join(tmpdir(), 'bench-softhsm-'));
mkdirSync(join(hsmDir, 'tokens'));
writeFileSync(join(hsmDir, 'softhsm2.conf'), `directories.tokendir = ${join(hsmDir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
process.env.SOFTHSM2_CONF = join(hsmDir, 'softhsm2.conf');
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '246810';

/* eslint-disable import/first */
import { buildCrl, randomSerial, RevokedEntry } from '../lib/pki';
import { closePkcs11Tokens } from '../lib/pki/pkcs11';
import { CaKeyCustody, PkiStore } from '../lib/store';
import { loadStoreCa } from '../lib/store/ca-files';
import { passphraseOnce } from '../lib/store/ca-keys';
import { readState } from '../lib/store/state';
import { stats } from './timing';

const PASSPHRASE = 'bench passphrase, long enough';
type Posture = 'file' | 'encrypted' | 'softhsm';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

function custodyFor(posture: Posture, label: string): CaKeyCustody | undefined {
  if (posture === 'file') return undefined;
  if (posture === 'encrypted') return 'encrypted';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '13579111', '--pin', PIN], { stdio: 'pipe' });
  return `pkcs11:token=${label}?module-path=${MODULE}&pin-source=file:${join(hsmDir, 'pin')}`;
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<void> {
  const runs = option('runs', 5);
  const revoked = option('revoked', 20_000);
  writeFileSync(join(hsmDir, 'pin'), `${PIN}\n`, { mode: 0o600 });
  const entries: RevokedEntry[] = Array.from({ length: revoked }, (_, i) => ({
    serialHex: Buffer.from(randomSerial()).toString('hex').toUpperCase(), revokedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000), ...(i % 3 ? {} : { reason: 'keyCompromise' as const }),
  }));
  const postures: Posture[] = ['file', 'encrypted', 'softhsm'];
  const results = postures.map((posture) => ({ posture, batch: [] as number[], single: [] as number[], crl: [] as number[] }));
  // Runs alternate between the postures (in a rotating order), so that load from other processes falls on all alike.
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < postures.length; k++) {
      const row = results[(run + k) % postures.length];
      const { posture } = row;
      // A new token for each run: SoftHSM2 sees tokens made after it started only once it is finalized again.
      closePkcs11Tokens();
      const dir = join(hsmDir, `store-${posture}-${run}`);
      const caKeys = custodyFor(posture, `bench-${run}`);
      const open = () => PkiStore.open(dir, { passphrase: PASSPHRASE, onWarning: () => undefined });
      await (await open()).ensure({ ...(caKeys ? { caKeys } : {}) });
      row.batch.push(await time(async () => (await open()).ensure({ clients: Array.from({ length: 100 }, (_, i) => ({ commonName: `batch-${i}` })) })));
      row.single.push(await time(async () => {
        for (let i = 0; i < 100; i++) await (await open()).issueClient(`single-${i}`);
      }));
      const state = readState(dir)!;
      const access = { dir, displayDir: dir, passphrase: passphraseOnce(PASSPHRASE) };
      const now = new Date();
      row.crl.push(await time(async () => {
        const issuer = await loadStoreCa(access, state, 'client-ca');
        await buildCrl({ issuer, entries, crlNumber: 2n, thisUpdate: now, nextUpdate: new Date(now.getTime() + 90 * 86_400_000) });
      }));
      rmSync(dir, { recursive: true, force: true });
    }
    process.stderr.write(`run ${run + 1}/${runs} done\n`);
  }
  closePkcs11Tokens();
  const med = (xs: number[]) => stats(xs.map((ms) => ({ ms }))).medianMs;
  const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
  const base = results[0];
  const cell = (r: typeof base, key: 'batch' | 'single' | 'crl') => `${ms(med(r[key]))} [${ms(Math.min(...r[key]))}–${ms(Math.max(...r[key]))}]${r === base ? '' : ` (${(med(r[key]) / med(base[key])).toFixed(1)}×)`}`;
  console.log(`CA key custody, ec-p256 CAs, ${runs} alternating runs each, median [min–max] (node ${process.version}, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)})\n`);
  console.log(`| CA key | 100 clients, one ensure | 100 × issueClient | sign a ${revoked.toLocaleString('en')}-entry CRL (key load included) |`);
  console.log('|---|---:|---:|---:|');
  const names: Record<Posture, string> = { file: 'plain key.pem', encrypted: 'encrypted key.pem (PBKDF2 600k)', softhsm: 'SoftHSM2 token (PKCS#11)' };
  for (const r of results) console.log(`| ${names[r.posture]} | ${cell(r, 'batch')} | ${cell(r, 'single')} | ${cell(r, 'crl')} |`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
}).finally(() => rmSync(hsmDir, { recursive: true, force: true }));
