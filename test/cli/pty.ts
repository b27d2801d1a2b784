import { spawn, spawnSync } from 'node:child_process';
import { CLI } from './cli';

// The compiled CLI on a pseudo-terminal, through util-linux `script` (Debian: bsdutils): stdin, stdout and
// stderr of the CLI are then a TTY, as in an operator's shell. `script` merges stdout and stderr into one
// stream, with the terminal's \r\n line ends.

export const HAS_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PtyResult {
  readonly status: number | null;
  /** Everything the terminal showed, with \r\n turned into \n (lone \r, as a spinner writes, are kept). */
  readonly output: string;
}

/**
 * Runs `mtls-pki args` on a pseudo-terminal. Each answer is typed once the output so far matches its
 * `when`, so that it arrives after the CLI turned echo off: typed earlier, the terminal would echo it.
 */
export function pty(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; answers?: readonly { when: RegExp; type: string }[] } = {}): Promise<PtyResult> {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: options.cwd,
    env: { ...(options.env ?? { ...process.env, NO_COLOR: '1' }), MTLS_PKI_LOCK_TIMEOUT_MS: '20000' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pending = [...(options.answers ?? [])];
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    output += d;
    while (pending.length && pending[0].when.test(output)) child.stdin.write(pending.shift()!.type);
  });
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => {
    child.on('close', (status) => {
      child.stdin.destroy();
      resolve({ status, output: output.replace(/\r\n/g, '\n') });
    });
  });
}

/** Env without NO_COLOR (pty() sets it unless given an env) and with a TERM that can show colors; `extra` wins. */
export function colorEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', ...extra };
  if (!('NO_COLOR' in extra)) delete env.NO_COLOR;
  return env;
}
