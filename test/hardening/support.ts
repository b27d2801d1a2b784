import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { CliResult } from '../cli/cli';

// Shared by the hardening tests: what every refusal must look like, and small process helpers.

/** A stack frame line as node prints it ("    at fn (file:1:2)"). A refusal must never show one. */
export const STACK_LINE = /^\s{4}at /m;

/**
 * A refusal as users must see it: exit 1 (a refusal or a finding) or 2 (a usage error), the message on stderr
 * (or, for `check`, the finding on stdout), no stack trace, and no "internal error".
 */
export function expectRefusal(r: CliResult, message: RegExp, status?: 1 | 2): void {
  const text = `${r.stderr}${r.stdout}`;
  const got = status === undefined && (r.status === 1 || r.status === 2) ? 'exit 1 or 2' : `exit ${r.status}`;
  expect({ status: got, text }).toEqual({ status: status === undefined ? 'exit 1 or 2' : `exit ${status}`, text: expect.stringMatching(message) });
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toMatch(/internal error/);
}

/** Whether `mount -t tmpfs` works here (root with CAP_SYS_ADMIN); returns the reason when it does not. */
export function tmpfsUnavailable(probeDir: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probeDir], { encoding: 'utf8' });
  if (r.status !== 0) return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  spawnSync('umount', [probeDir]);
  return undefined;
}

/** Every file under `dir` whose name marks it as an interrupted atomic write or a lock. */
export function leftovers(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => /(^|\/)\..*\.tmp-\d+-[0-9a-f]{8}$|(^|\/)\.lock(\.break)?$/.test(f)).sort();
}

/** A small deterministic PRNG (mulberry32), so a failing random run can be replayed with its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes a JavaScript preload that pins Date (and Date.now) to MTLS_FAKE_NOW, for judging boundaries to the second. */
export function writeFakeClock(dir: string): string {
  const path = join(dir, 'fake-now.js');
  fs.writeFileSync(path, `'use strict';
const fixed = Date.parse(process.env.MTLS_FAKE_NOW);
if (Number.isNaN(fixed)) throw new Error('MTLS_FAKE_NOW is not a date');
const RealDate = Date;
class FakeDate extends RealDate {
  constructor(...args) { if (args.length === 0) super(fixed); else super(...args); }
  static now() { return fixed; }
}
globalThis.Date = FakeDate;
`);
  return path;
}
