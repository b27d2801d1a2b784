import { UserInputError } from '../pki/errors';
import { UsageError } from './args';

// Printing for the CLI: exit codes, colors (only on a TTY, never with NO_COLOR), a progress spinner on stderr,
// and error reports: a user's mistake is one paragraph without a stack trace.

/**
 * 0: done. 1: a finding (check) or a refusal: the command was understood but the inputs, the store or the
 * files do not allow it (nothing half-done is left behind). 2: the command line itself is wrong (unknown
 * command or option, missing or extra argument, a malformed option value, no way to get a password).
 */
export const EXIT = { OK: 0, FINDING: 1, USAGE: 2 } as const;

export interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** What the password prompt needs of stdin (process.stdin has it). */
export interface InputStream {
  readonly isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'data' | 'end', listener: (...args: any[]) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface Io {
  readonly stdout: Stream;
  readonly stderr: Stream;
  readonly env: NodeJS.ProcessEnv;
  /** Only for the interactive password prompt; absent means "not a terminal". */
  readonly stdin?: InputStream;
}

/**
 * Colors on `stream`: only when it is a terminal, never when NO_COLOR is set to a non-empty value
 * (https://no-color.org: an empty NO_COLOR does not count), and not on TERM=dumb.
 */
export function colorEnabled(stream: Stream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** The progress spinner: only when stderr is a terminal that can go back to the start of a line. */
export function progressEnabled(io: Pick<Io, 'stderr' | 'env'>): boolean {
  return io.stderr.isTTY === true && io.env.TERM !== 'dumb';
}

export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

export function paint(enabled: boolean): Paint {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39) };
}

/** Runs slow work; on a TTY stderr, shows a spinner with `label` while it runs (RSA-4096 takes seconds). */
export async function withSpinner<T>(io: Io, label: string, work: () => Promise<T>): Promise<T> {
  if (!progressEnabled(io)) return work();
  const frames = colorEnabled(io.stderr, io.env) ? ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] : ['.', 'o', 'O', 'o'];
  let i = 0;
  const draw = () => io.stderr.write(`\r${frames[i++ % frames.length]} ${label}…`);
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    io.stderr.write(`\r${' '.repeat(label.length + 3)}\r`);
  }
}

/**
 * Text from the store, a certificate or an input file, made safe to print: control characters (C0, DEL, C1) as
 * `\xNN`, and format and line-separator characters (bidi overrides, zero-width, U+2028) as `\uNNNN`. Stores and
 * certificates made before names were validated, or elsewhere, may hold them: printed raw, a newline splits a
 * `list` row and ESC drives the terminal. Apply it to the data, before colors are added.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** Prints an error the way its kind deserves and returns the exit code. */
export function reportError(io: Io, e: unknown): number {
  const p = paint(colorEnabled(io.stderr, io.env));
  if (e instanceof UsageError) {
    io.stderr.write(`${p.red('mtls-pki: usage error:')} ${printable(e.message)}\nRun \`mtls-pki ${e.command ? `${e.command} ` : ''}--help\` for the usage.\n`);
    return EXIT.USAGE;
  }
  if (e instanceof UserInputError) {
    io.stderr.write(`${p.red('mtls-pki: error:')} ${printable(e.message)}\n`);
    return EXIT.FINDING;
  }
  const err = e as Error;
  const trace = (err?.stack ?? '').split('\n').map(printable).join('\n');
  io.stderr.write(`${p.red('mtls-pki: internal error:')} ${printable(err?.message ?? String(e))}\nThis is a bug in mtls-pki; please report it with the command you ran and this trace:\n${trace}\n`);
  return EXIT.FINDING;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => visibleLength(r[c] ?? ''))));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell + ' '.repeat(widths[c] - visibleLength(cell)))).join('  ').trimEnd()).join('\n') + '\n';
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[\d+m/g, '').length;
}

export function json(io: Io, value: unknown): void {
  // JSON escapes control characters itself, but not bidi overrides or U+2028; outside strings none can occur.
  const text = JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)
    .replace(/[\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => c.split('').map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''));
  io.stdout.write(`${text}\n`);
}
