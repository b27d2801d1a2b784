// Whole-process benchmark: our CRL generator and checker against openssl on the same inputs.
//
//   npm run build && node build/bench/run.js            1k/10k/20k/100k revoked entries, 7 runs each
//   node build/bench/run.js --smoke                      200 and 2,000 entries, 2 runs: a few seconds (CI)
//   options: --runs N, --sizes 1000,20000, --out DIR (default bench/out), --ours cli|bench, --profile
//
// Each pair runs in alternation (ours, openssl, openssl, ours, …) so that machine noise hits both alike.
// Times are wall-clock around the whole process; peak RSS comes from GNU time (`/usr/bin/time -v`; on
// Debian `apt-get install time` if it is missing, and the RSS column stays empty without it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { readCrls } from '../lib/pki/crl';
import { prepareInputs, SizeInputs } from './inputs';
import { formatProfile, summarizeProfile } from './profile';
import { alternate, hasGnuTime, measure, Run, TIME } from './timing';

export interface Row {
  task: 'gencrl' | 'check';
  size: number;
  tool: 'ours' | 'openssl';
  runs: number;
  minMs: number;
  medianMs: number;
  maxMs: number;
  peakRssMiB?: number;
  /** ours median / openssl median (on the ours row). */
  ratio?: number;
}

function root(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'lib'))) return dir;
  }
  throw new Error('cannot find the repository root');
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

function pair(task: Row['task'], size: number, runs: number, ours: () => Run, theirs: () => Run): Row[] {
  const r = alternate(runs, ours, theirs);
  return [
    { task, size, tool: 'ours', runs, ...r.ours, ratio: r.ratio },
    { task, size, tool: 'openssl', runs, ...r.theirs },
  ];
}

const f1 = (n: number | undefined) => (n === undefined ? '' : n.toFixed(1));

export function formatRows(rows: readonly Row[]): string {
  return [
    '| task | revoked | tool | runs | min ms | median ms | max ms | peak RSS MiB | ours/openssl (median) |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.task} | ${r.size} | ${r.tool} | ${r.runs} | ${f1(r.minMs)} | ${f1(r.medianMs)} | ${f1(r.maxMs)} | ${f1(r.peakRssMiB)} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`} |`),
  ].join('\n');
}

/** Marginal cost per entry between consecutive sizes: flat columns mean linear scaling. */
export function formatScaling(rows: readonly Row[]): string {
  const sizes = [...new Set(rows.map((r) => r.size))].sort((a, b) => a - b);
  const lines = ['| task | tool | ' + sizes.slice(1).map((s, i) => `µs/entry ${sizes[i]}→${s}`).join(' | ') + ' |', `|---|---|${sizes.slice(1).map(() => '---:').join('|')}|`];
  for (const task of ['gencrl', 'check'] as const) {
    for (const tool of ['ours', 'openssl'] as const) {
      const med = (s: number) => rows.find((r) => r.task === task && r.tool === tool && r.size === s)?.medianMs;
      const cells = sizes.slice(1).map((s, i) => {
        const [a, b] = [med(sizes[i]), med(s)];
        return a === undefined || b === undefined ? '' : (((b - a) * 1000) / (s - sizes[i])).toFixed(2);
      });
      if (cells.some((c) => c)) lines.push(`| ${task} | ${tool} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

function targets(rows: readonly Row[]): string[] {
  const get = (task: Row['task'], size: number, tool: Row['tool']) => rows.find((r) => r.task === task && r.size === size && r.tool === tool);
  const out: string[] = [];
  const verdict = (ok: boolean | undefined, text: string) => ok !== undefined && out.push(`${ok ? 'MET ' : 'MISS'}  ${text}`);
  const g20 = get('gencrl', 20000, 'ours');
  const g100 = get('gencrl', 100000, 'ours');
  const c20 = get('check', 20000, 'ours');
  verdict(g20 && g20.ratio! <= 1.5, `gencrl 20k within 1.5× openssl's time: ${g20?.ratio?.toFixed(2)}×`);
  verdict(g100 && g100.ratio! < 1, `gencrl 100k faster than openssl: ${g100?.ratio?.toFixed(2)}×`);
  verdict(g20?.peakRssMiB === undefined ? undefined : g20.peakRssMiB <= 100, `gencrl 20k peak RSS ≤ 100 MiB: ${f1(g20?.peakRssMiB)} MiB`);
  verdict(c20 && c20.medianMs <= 400, `check (parse + verify) of a 20k CRL ≤ 400 ms: ${f1(c20?.medianMs)} ms`);
  return out;
}

function machine(): string {
  const version = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  const free = spawnSync('free', ['-h'], { encoding: 'utf8' }).stdout.trim();
  return [
    `node ${process.version}, ${version('openssl', ['version'])}`,
    `nproc ${cpus().length} (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`,
    free ? `free -h:\n${free}` : '',
  ].filter(Boolean).join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const repo = root();
  const sizes = (option(args, 'sizes') ?? (smoke ? '200,2000' : '1000,10000,20000,100000')).split(',').map(Number);
  const runs = Number(option(args, 'runs') ?? (smoke ? 2 : 7));
  const out = option(args, 'out') ?? join(repo, 'bench', 'out');
  const cli = join(repo, 'build', 'lib', 'cli', 'main.js');
  const useCli = option(args, 'ours') !== 'bench' && existsSync(cli);
  const gencrlEntry = useCli ? [cli, 'gencrl'] : [join(repo, 'build', 'bench', 'gencrl-cli.js')];
  if (!existsSync(gencrlEntry[0])) throw new Error(`${gencrlEntry[0]} is missing: run \`npm run build\` first.`);
  if (!hasGnuTime) process.stderr.write(`note: GNU time is missing (${TIME}); peak RSS is not measured. On Debian: apt-get install time\n`);

  const inputs = prepareInputs(out, sizes);
  const gencrlOurs = (s: SizeInputs) => ['node', ...gencrlEntry, '--index', s.index, '--ca-cert', inputs.caCert, '--ca-key', inputs.caKey, '--out', s.outOurs, '--crlnumber', s.crlNumberOurs, '--days', '30'];
  const gencrlOpenssl = (s: SizeInputs) => ['openssl', 'ca', '-batch', '-config', s.config, '-gencrl', '-cert', inputs.caCert, '-keyfile', inputs.caKey, '-out', s.outOpenssl];
  const checkOurs = (s: SizeInputs) => (useCli ? ['node', cli, 'check', '--client-ca', inputs.caCert, '--crl', s.outOpenssl] : ['node', join(repo, 'build', 'bench', 'check-cli.js'), inputs.caCert, s.outOpenssl]);
  const checkOpenssl = (s: SizeInputs) => ['openssl', 'crl', '-in', s.outOpenssl, '-noout', '-verify', '-CAfile', inputs.caCert];

  process.stdout.write(`# CRL benchmark${smoke ? ' (smoke)' : ''}: ${runs} alternating runs per tool, sizes ${sizes.join(', ')}\n`);
  process.stdout.write(`ours: node ${gencrlEntry.map((p) => p.replace(`${repo}/`, '')).join(' ')} … | openssl: openssl ca -gencrl …\n\n`);
  const rows: Row[] = [];
  for (const s of inputs.sizes) {
    rows.push(...pair('gencrl', s.size, runs, () => measure(gencrlOurs(s), (c) => c === 0), () => measure(gencrlOpenssl(s), (c) => c === 0)));
    // Both CRLs must list every entry, and ours must verify under openssl.
    for (const file of [s.outOurs, s.outOpenssl]) {
      const count = readCrls(readFileSync(file, 'utf8'), file)[0].entries.length;
      if (count !== s.size) throw new Error(`${file} lists ${count} entries, expected ${s.size}`);
    }
    measure(['openssl', 'crl', '-in', s.outOurs, '-noout', '-verify', '-CAfile', inputs.caCert], (c) => c === 0);
    // `check` exits 1 when it has findings (say, a CRL that expires soon); the work is the same.
    rows.push(...pair('check', s.size, runs, () => measure(checkOurs(s), (c) => c === 0 || c === 1), () => measure(checkOpenssl(s), (c) => c === 0)));
  }
  const report = [
    formatRows(rows), '', 'Marginal cost per revoked entry (median difference between sizes):', '', formatScaling(rows), '',
    ...(smoke ? [] : targets(rows)), '', machine(),
  ].join('\n');
  process.stdout.write(`${report}\n`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, smoke ? 'results-smoke.md' : 'results.md'), `${report}\n`);
  writeFileSync(join(out, smoke ? 'results-smoke.json' : 'results.json'), `${JSON.stringify({ machine: machine(), rows }, null, 2)}\n`);

  if (args.includes('--profile')) {
    const s = inputs.sizes.find((x) => x.size === 20000) ?? inputs.sizes[inputs.sizes.length - 1];
    const profDir = join(out, 'prof');
    rmSync(profDir, { recursive: true, force: true });
    const argv = gencrlOurs(s);
    measure([argv[0], '--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profDir, ...argv.slice(1)], (c) => c === 0);
    const file = spawnSync('ls', [profDir], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    process.stdout.write(`\nProfile of one gencrl run at ${s.size} entries (${join(profDir, file)}):\n\n${formatProfile(summarizeProfile(join(profDir, file)))}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
