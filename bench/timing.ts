// Whole-process timing shared by the benchmarks: wall clock around a spawned command, peak RSS from GNU time,
// and alternating runs so that noise from other processes falls on both sides of a comparison alike.
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Run { ms: number; rssMiB?: number }
export interface Stats { minMs: number; medianMs: number; maxMs: number; peakRssMiB?: number }

export const TIME = '/usr/bin/time';
export const hasGnuTime = existsSync(TIME) && spawnSync(TIME, ['-v', 'true'], { encoding: 'utf8' }).stderr.includes('Maximum resident set size');

export function measure(argv: string[], accept: (status: number) => boolean, options: Pick<SpawnSyncOptions, 'cwd' | 'env'> = {}): Run {
  const full = hasGnuTime ? [TIME, '-v', ...argv] : argv;
  const start = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error || !accept(r.status ?? -1)) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.error?.message ?? ''}${r.stdout}${r.stderr}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  return { ms, rssMiB: rss ? Number(rss[1]) / 1024 : undefined };
}

export function stats(runs: readonly Run[]): Stats {
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  const mid = Math.floor(ms.length / 2);
  const rss = runs.map((r) => r.rssMiB).filter((x): x is number => x !== undefined);
  return { minMs: ms[0], medianMs: ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2, maxMs: ms[ms.length - 1], peakRssMiB: rss.length ? Math.max(...rss) : undefined };
}

/**
 * Runs `ours` and `theirs` alternately (ours, theirs, theirs, ours, …) `runs` times each, after one untimed
 * warm-up of each unless `warmUp` is false (cold runs must each start from scratch).
 */
export function alternate(runs: number, ours: () => Run, theirs: () => Run, warmUp = true): { ours: Stats; theirs: Stats; ratio: number } {
  if (warmUp) {
    ours();
    theirs();
  }
  const a: Run[] = [];
  const b: Run[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      a.push(ours());
      b.push(theirs());
    } else {
      b.push(theirs());
      a.push(ours());
    }
  }
  const o = stats(a);
  const t = stats(b);
  return { ours: o, theirs: t, ratio: o.medianMs / t.medianMs };
}
