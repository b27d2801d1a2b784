import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './support/openssl';

// The benchmark's smoke mode (tiny sizes, two runs) as a test, so that bench/ keeps working: it builds the
// inputs, runs our gencrl/check and openssl's in alternation, checks both CRLs list every entry and that
// openssl verifies ours, and prints the table. It runs the compiled build, as `npm test` builds first.
const root = join(__dirname, '..');
const runner = join(root, 'build', 'bench', 'run.js');

describe('bench --smoke', () => {
  const tmp = scratchDir('mtls-bench-');
  afterAll(() => tmp.cleanup());

  test('produces a row per task, size and tool, and the scaling table', () => {
    if (!existsSync(runner)) throw new Error(`${runner} is missing: run \`npm run build\` first (npm test does).`);
    const r = spawnSync(process.execPath, [runner, '--smoke', '--out', tmp.dir], { cwd: root, encoding: 'utf8', timeout: 110_000 });
    expect(r.stderr.replace(/^note: GNU time is missing.*\n/m, '')).toBe('');
    expect(r.status).toBe(0);
    for (const task of ['gencrl', 'check']) {
      for (const size of [200, 2000]) {
        expect(r.stdout).toMatch(new RegExp(`^\\| ${task} \\| ${size} \\| ours \\| 2 \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]* \\| [\\d.]+× \\|$`, 'm'));
        expect(r.stdout).toMatch(new RegExp(`^\\| ${task} \\| ${size} \\| openssl \\| 2 \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]* \\|  \\|$`, 'm'));
      }
    }
    expect(r.stdout).toMatch(/^\| gencrl \| ours \| -?[\d.]+ \|$/m);
    const saved = JSON.parse(readFileSync(join(tmp.dir, 'results-smoke.json'), 'utf8')) as { rows: { task: string; size: number; tool: string; medianMs: number }[] };
    expect(saved.rows).toHaveLength(8);
    expect(saved.rows.every((row) => row.medianMs > 0)).toBe(true);
  }, 120_000);
});

describe('bench/synth --smoke', () => {
  test('times the warm example against the bare app and the cold EC P-256 PKI work', () => {
    const synth = join(root, 'build', 'bench', 'synth.js');
    if (!existsSync(synth)) throw new Error(`${synth} is missing: run \`npm run build\` first (npm test does).`);
    const r = spawnSync(process.execPath, [synth, '--smoke'], { cwd: root, encoding: 'utf8', timeout: 110_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\| warm synth: tsx main\.ts .*\| [\d.]+ \| [\d.]+× \|$/m);
    expect(r.stdout).toMatch(/^\| warm synth: tsx bench\/bare-app\.ts .*\| [\d.]+ \|  \|$/m);
    expect(r.stdout).toMatch(/^(MET |MISS) {2}warm synth ≤ 1\.2× the bare app: [\d.]+×$/m);
    expect(r.stdout).toMatch(/^\| PKI work only, cold, EC P-256 \(in process\) \| [\d.]+ \| [\d.]+ \|/m);
  }, 120_000);
});
