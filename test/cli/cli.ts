import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { main } from '../../lib/cli/main';

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

// Up to twenty test processes queue on one store's lock, each holding it for a CRL signature: on a loaded machine
// the last one waits far longer than the default 30 s.
const ENV = { ...process.env, NO_COLOR: '1', MTLS_PKI_LOCK_TIMEOUT_MS: '120000' };

/**
 * Runs the built CLI. With `uid`, as that user (tests drop root's privileges because permission bits do not bind
 * root): from a copy of what it runs (build/lib, package.json, the peer packages the CLI loads) in a fresh
 * directory under the system temp dir, because the checkout itself may sit where that user cannot reach (a clone
 * inside `mktemp -d` or /root, mode 0700).
 */
export function cli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): CliResult {
  const copy = options.uid === undefined ? undefined : readableCopy();
  try {
    const binary = copy ? join(copy, 'build/lib/cli/main.js') : CLI;
    const r = spawnSync(process.execPath, [binary, ...args], { cwd: options.cwd, env: options.env ?? ENV, encoding: 'utf8', uid: options.uid, gid: options.gid });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    if (copy) fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** A copy of the CLI's runtime files in a new directory that every user can read, on a path every user can traverse. */
function readableCopy(): string {
  for (const path of [process.execPath, tmpdir()]) {
    for (let p = path; p !== dirname(p); p = dirname(p)) {
      if ((fs.statSync(p).mode & 0o001) === 0) throw new Error(`${p} is not searchable by other users, so a process that drops root's privileges cannot reach ${path}: point TMPDIR at a directory such as /tmp.`);
    }
  }
  const copy = fs.mkdtempSync(join(tmpdir(), 'mtls-cli-copy-'));
  fs.chmodSync(copy, 0o755);
  const pkg = JSON.parse(fs.readFileSync(join(ROOT, 'package.json'), 'utf8')) as { peerDependencies?: Record<string, string> };
  for (const part of ['build/lib', 'package.json', ...Object.keys(pkg.peerDependencies ?? {}).map((name) => `node_modules/${name}`)]) {
    fs.cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  }
  // whatever the checkout's umask made of the modes
  for (const entry of fs.readdirSync(copy, { recursive: true }).map((e) => join(copy, String(e)))) {
    const stat = fs.lstatSync(entry);
    if (!stat.isSymbolicLink()) fs.chmodSync(entry, stat.isDirectory() ? 0o755 : 0o644);
  }
  return copy;
}

/**
 * The CLI's main() in this process, in `cwd`: the same commands, arguments, exit codes and output as the binary,
 * without a node start-up per command. What only the binary does (exit status, signals, a closed pipe, a TTY) is
 * tested through `cli` (exit-codes.test.ts' sample of every command, pipe, tty, version and the hardening tests).
 */
export async function runMain(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: options.env ?? ENV };
  const cwd = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  try {
    return { status: await main(args, io), stdout, stderr };
  } finally {
    process.chdir(cwd);
  }
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
