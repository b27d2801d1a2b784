// Synth benchmarks for the example app, whole process, alternating runs:
//   warm: `tsx main.ts` on an existing store vs a bare cdk8s app emitting the same objects (bench/bare-app.ts)
//   cold: `tsx main.ts` with RSA-4096 on an empty store vs the seed's openssl script (bench/seed-openssl.sh)
//   pki:  the PKI work alone on a cold store, in process (bench/pki-cold.ts), EC P-256 and RSA-4096
//
//   npm run build && node build/bench/synth.js [--runs N] [--smoke]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { alternate, measure, Stats } from './timing';

function root(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'lib'))) return dir;
  }
  throw new Error('cannot find the repository root');
}

const f1 = (n: number | undefined) => (n === undefined ? '' : n.toFixed(1));
const row = (name: string, s: Stats, ratio?: number) => `| ${name} | ${f1(s.minMs)} | ${f1(s.medianMs)} | ${f1(s.maxMs)} | ${f1(s.peakRssMiB)} | ${ratio === undefined ? '' : `${ratio.toFixed(2)}×`} |`;

function main(): void {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const runsAt = args.indexOf('--runs');
  const runs = runsAt === -1 ? (smoke ? 1 : 7) : Number(args[runsAt + 1]);
  const repo = root();
  const tsx = join(repo, 'node_modules', '.bin', 'tsx');
  const env = { ...process.env, CDK8S_OUTDIR: 'dist' };
  const scratch = () => mkdtempSync(join(tmpdir(), 'mtls-synth-bench-'));

  const warmDir = scratch();
  measure([tsx, join(repo, 'main.ts')], (c) => c === 0, { cwd: warmDir, env });
  const warm = alternate(runs,
    () => measure([tsx, join(repo, 'main.ts')], (c) => c === 0, { cwd: warmDir, env }),
    () => measure([tsx, join(repo, 'bench', 'bare-app.ts')], (c) => c === 0, { cwd: warmDir, env }));

  // Smoke mode (CI) proves the script works without spending seconds on RSA-4096 keys.
  const coldRuns = Math.max(3, Math.min(runs, 5));
  const cold = smoke ? undefined : alternate(coldRuns,
    () => { const d = scratch(); try { return measure([tsx, join(repo, 'main.ts')], (c) => c === 0, { cwd: d, env: { ...env, MTLS_KEY_ALGORITHM: 'rsa-4096' } }); } finally { rmSync(d, { recursive: true, force: true }); } },
    () => { const d = scratch(); try { return measure([join(repo, 'bench', 'seed-openssl.sh'), d], (c) => c === 0); } finally { rmSync(d, { recursive: true, force: true }); } },
    false);

  const pki = (alg: string, n: number) => JSON.parse(spawnSync('node', [join(repo, 'build', 'bench', 'pki-cold.js'), alg, String(n)], { encoding: 'utf8' }).stdout) as Stats;
  const ec = pki('ec-p256', smoke ? 2 : 9);
  const rsa = smoke ? undefined : pki('rsa-4096', 3);
  rmSync(warmDir, { recursive: true, force: true });

  const lines = [
    `# Synth benchmark${smoke ? ' (smoke)' : ''}: ${runs} alternating warm runs${cold ? `, ${coldRuns} cold runs` : ''}`,
    '',
    '| what | min ms | median ms | max ms | peak RSS MiB | ratio (median) |',
    '|---|---:|---:|---:|---:|---:|',
    row('warm synth: tsx main.ts (store exists, nothing changed)', warm.ours, warm.ratio),
    row('warm synth: tsx bench/bare-app.ts (same objects, no library)', warm.theirs),
    ...(cold ? [
      row('cold synth, RSA-4096: tsx main.ts on an empty store (5 keys)', cold.ours, cold.ratio),
      row('cold, RSA-4096: the seed\'s openssl script (4 keys)', cold.theirs),
    ] : []),
    row('PKI work only, cold, EC P-256 (in process)', ec),
    ...(rsa ? [row('PKI work only, cold, RSA-4096 (in process)', rsa)] : []),
    '',
    `${warm.ratio <= 1.2 ? 'MET ' : 'MISS'}  warm synth ≤ 1.2× the bare app: ${warm.ratio.toFixed(2)}×`,
    ...(cold ? [`${cold.ratio <= 1 ? 'MET ' : 'MISS'}  cold RSA-4096 synth no slower than the seed's openssl script: ${cold.ratio.toFixed(2)}×`] : []),
    `${ec.medianMs < 500 ? 'MET ' : 'MISS'}  cold EC P-256 PKI work under 500 ms: ${f1(ec.medianMs)} ms`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
