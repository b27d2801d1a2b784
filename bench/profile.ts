// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per function, and per bucket (Node's own
// start-up and module loader, pkijs/asn1js, our lib/pki code, GC, the rest), so BENCHMARKS.md can say where a
// whole-process run spends its time.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly buckets: readonly { readonly bucket: string; readonly ms: number }[];
  readonly top: readonly { readonly name: string; readonly ms: number }[];
}

function bucketOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === '(idle)') return 'idle (waiting: I/O, thread pool)';
  // the sources under tsx, or the build's bundle of them (scripts/bundle-pki.js)
  if (/node_modules\/(pkijs|asn1js|pvtsutils|pvutils|bytestreamjs|@noble|@peculiar)|\/lib\/pki\/pkijs-bundle\.js$/.test(url)) return 'pkijs / asn1js';
  if (/\/lib\/pki\//.test(url)) return 'lib/pki (ours)';
  if (/\/(lib|bench)\//.test(url) && !url.startsWith('node:')) return 'other project code (CLI, store)';
  if (url.startsWith('node:') || url === '' || /^(internal|node:internal)/.test(url)) return 'Node start-up, module loader, built-ins';
  return 'other';
}

export function summarizeProfile(path: string, topN = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byName = new Map<string, number>();
  const byBucket = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (!us) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(node_modules\/[^/]+|lib\/pki|lib\/cli|lib\/store|bench)\//, '$1/');
    const name = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
    byName.set(name, (byName.get(name) ?? 0) + us);
    const bucket = bucketOf(url, functionName);
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total / 1000,
    buckets: sorted(byBucket).map(([bucket, us]) => ({ bucket, ms: us / 1000 })),
    top: sorted(byName).slice(0, topN).map(([name, us]) => ({ name, ms: us / 1000 })),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const pct = (ms: number) => `${((ms / summary.totalMs) * 100).toFixed(0)}%`;
  return [
    `sampled ${summary.totalMs.toFixed(0)} ms of the process (after Node's own bootstrap, which the profiler does not see)`,
    '',
    '| bucket | self ms | share |', '|---|---:|---:|',
    ...summary.buckets.map((b) => `| ${b.bucket} | ${b.ms.toFixed(1)} | ${pct(b.ms)} |`),
    '',
    '| function (self time) | ms |', '|---|---:|',
    ...summary.top.map((t) => `| \`${t.name}\` | ${t.ms.toFixed(1)} |`),
  ].join('\n');
}

if (require.main === module) {
  process.stdout.write(`${formatProfile(summarizeProfile(process.argv[2], Number(process.argv[3] ?? 15)))}\n`);
}
