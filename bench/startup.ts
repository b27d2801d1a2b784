// Start-up of the CLI against Node's own: whole processes, run round-robin (each round in a rotated order, so
// load from other processes falls on every command alike), after one untimed warm-up of each. Medians.
//
//   npm run build && node build/bench/startup.js [--runs 21] [--baseline DIR]
//
// --baseline DIR adds the same CLI rows for another built checkout (e.g. a `git worktree` of an older commit).
//
// `mtls-pki --help` loads the CLI's front modules only (lib/cli/catalog.ts); the pkijs bundle row is what a
// command that parses a certificate adds (lib/pki/engine.ts loads it on first use). BENCHMARKS.md has results.
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { measure, Run, stats } from './timing';

const repo = resolve(__dirname, '..', '..');

function commands(baseline: string | undefined): { label: string; argv: string[] }[] {
  const cliRows = (dir: string, tag: string) => [
    { label: `\`mtls-pki --help\`${tag}`, argv: ['node', join(dir, 'build', 'lib', 'cli', 'main.js'), '--help'] },
    { label: `\`mtls-pki --version\`${tag}`, argv: ['node', join(dir, 'build', 'lib', 'cli', 'main.js'), '--version'] },
  ];
  return [
    { label: '`node -e 0`', argv: ['node', '-e', '0'] },
    ...cliRows(repo, ''),
    ...(baseline ? cliRows(resolve(baseline), ` (${baseline})`) : []),
    { label: '`node -e "require(\'./build/lib/pki/pkijs-bundle.js\')"`', argv: ['node', '-e', `require(${JSON.stringify(join(repo, 'build/lib/pki/pkijs-bundle.js'))})`] },
  ];
}

const option = (name: string) => {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
};

function main(): void {
  const runs = Number(option('--runs') ?? 21);
  const COMMANDS = commands(option('--baseline'));
  const times: Run[][] = COMMANDS.map(() => []);
  const once = (i: number) => measure(COMMANDS[i].argv, (status) => status === 0, { cwd: repo });
  COMMANDS.forEach((_, i) => once(i));
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < COMMANDS.length; k++) {
      const i = (r + k) % COMMANDS.length;
      times[i].push(once(i));
    }
  }
  const base = stats(times[0]).medianMs;
  console.log(`# CLI start-up: ${runs} round-robin runs each, node ${process.version}\n`);
  console.log('| process | min ms | median ms | max ms | median − `node -e 0` |');
  console.log('|---|---:|---:|---:|---:|');
  COMMANDS.forEach((c, i) => {
    const s = stats(times[i]);
    console.log(`| ${c.label} | ${s.minMs.toFixed(1)} | ${s.medianMs.toFixed(1)} | ${s.maxMs.toFixed(1)} | ${i === 0 ? '' : `${s.medianMs >= base ? '+' : ''}${(s.medianMs - base).toFixed(1)}`} |`);
  });
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

main();
