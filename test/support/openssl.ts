import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs the real openssl CLI; throws with its stderr when it fails. */
export function openssl(args: string[], options: { cwd?: string; input?: string } = {}): string {
  return execFileSync('openssl', args, { cwd: options.cwd, input: options.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs openssl and returns its exit status and combined output, for asserting failures too. */
export function opensslResult(args: string[], options: { cwd?: string } = {}): { status: number; output: string } {
  const r = spawnSync('openssl', args, { cwd: options.cwd, encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** A scratch directory removed by the returned cleanup function. */
export function scratchDir(prefix = 'mtls-test-'): { dir: string; write(name: string, content: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
