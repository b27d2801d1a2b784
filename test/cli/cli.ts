import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';

// The CLI tests run the compiled CLI, as users do: `npm test` builds first (`npm run build && jest`).
export const ROOT = resolve(__dirname, '../..');
export const CLI = join(ROOT, 'build/lib/cli/main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(path).mtimeMs);
  }
  return newest;
}

/** Fails loudly when build/ is missing or older than the CLI, store and PKI sources (run `npm run build`). */
export function requireBuild(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` (npm test does) before these tests.`);
  const built = fs.statSync(CLI).mtimeMs;
  // All of lib/: the CLI loads the store, checks and pki, and they load lib/files and lib/util.
  const source = newestSource(join(ROOT, 'lib'));
  if (source > built) throw new Error(`${CLI} is older than the sources under lib/: run \`npm run build\` before these tests.`);
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const ENV = { ...process.env, NO_COLOR: '1', MTLS_PKI_LOCK_TIMEOUT_MS: '20000' };

export function cli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? ENV, encoding: 'utf8', uid: options.uid, gid: options.gid });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI without waiting; resolves with its exit status (null when killed) once it ends. */
export function cliAsync(args: readonly string[], options: { cwd?: string } = {}): { child: ChildProcess; done: Promise<CliResult & { signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolveDone) => {
    child.on('close', (status, signal) => resolveDone({ status, signal, stdout, stderr }));
  });
  return { child, done };
}
