import { statSync } from 'node:fs';
import { UserInputError } from '../pki';
import { UsageError } from './args';
import { CommandContext } from './command';
import { readInputText } from '../files/input';
import { InputStream, Stream } from './output';

// Passwords for the PKCS#12 export. Never from a bare argument: argv is visible to every user in `ps` and
// lands in shell history. From --password-file (its first line, as `openssl -passin file:` reads it), or
// from a prompt without echo when stdin is a terminal; otherwise it is a usage error (exit 2).

/** The password, from --password-file or a prompt (asked twice); see the comment above. */
export async function exportPassword(ctx: CommandContext, file: string | undefined, command: string, what: string): Promise<string> {
  const password = file !== undefined ? readPasswordFile(ctx, file) : await promptTwice(ctx, command, what);
  if (/[^\x20-\x7e]/.test(password)) {
    ctx.io.stderr.write(`${ctx.err.yellow('mtls-pki: warning:')} the password has characters outside printable ASCII. OpenSSL, browsers and Windows accept that, but Java's KeyStore refuses it ("Password is not ASCII").\n`);
  }
  return password;
}

export function readPasswordFile(ctx: CommandContext, file: string): string {
  const text = readInputText(file, '--password-file');
  const password = text.split(/\r?\n/)[0];
  if (password === '') throw new UserInputError('--password-file', `the first line of "${file}" is empty; put the password on the first line (a PKCS#12 file without a password leaves its key unprotected).`);
  const st = statSync(file);
  if (st.isFile() && (st.mode & 0o077) !== 0) {
    ctx.io.stderr.write(`${ctx.err.yellow('mtls-pki: warning:')} ${file} holds a password and has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; make it 0600: chmod 600 ${file}\n`);
  }
  return password;
}

async function promptTwice(ctx: CommandContext, command: string, what: string): Promise<string> {
  const stdin = ctx.io.stdin;
  if (!stdin?.isTTY || typeof stdin.setRawMode !== 'function') {
    throw new UsageError(`${what} needs a password, and stdin is not a terminal to ask for one. Give --password-file FILE (the password on its first line, the file 0600). There is no option for the password itself: it would show in \`ps\`.`, command);
  }
  const [password, again] = await readHidden(stdin, ctx.io.stderr, [`Password for ${what}: `, 'The same password again: ']);
  if (password === '') throw new UserInputError('password', 'is empty; a PKCS#12 file without a password leaves its key unprotected. Nothing was written.');
  if (password !== again) throw new UserInputError('password', 'the two passwords differ. Nothing was written; run the command again.');
  return password;
}

/**
 * Asks a yes/no question on the terminal (stdin must be one); true only for an answer starting with y or Y.
 * Enter alone, anything else, Ctrl-C or the end of input is no.
 */
export async function confirm(stdin: InputStream, out: Stream, question: string): Promise<boolean> {
  try {
    const [answer] = await readHidden(stdin, out, [`${question} [y/N] `], { echo: true });
    return /^y/i.test(answer.trim());
  } catch (e) {
    if (e instanceof UserInputError) return false;
    throw e;
  }
}

/**
 * Reads one line per prompt from a terminal in raw mode, without echo unless `echo` (a yes/no answer may show; a
 * password never does). Backspace deletes, Enter ends a line, Ctrl-C, Ctrl-D on an empty line, or the end of
 * input cancel. Escape sequences (arrow keys) are ignored.
 */
export function readHidden(stdin: InputStream, out: Stream, prompts: readonly string[], options: { echo?: boolean } = {}): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    const lines: string[] = [];
    let current: string[] = [];
    let escape = false;
    const finish = (error?: Error) => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.setRawMode?.(false);
      stdin.pause();
      if (error) reject(error);
      else resolve(lines);
    };
    const cancelled = () => new UserInputError('password prompt', 'cancelled; nothing was issued or written.');
    const onEnd = () => {
      out.write('\n');
      finish(cancelled());
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (escape) {
          escape = !/[A-Za-z~]/.test(ch);
          continue;
        }
        if (ch === '\r' || ch === '\n') {
          out.write('\n');
          lines.push(current.join(''));
          current = [];
          if (lines.length === prompts.length) return finish();
          out.write(prompts[lines.length]);
        } else if (ch === '\u0003' || (ch === '\u0004' && current.length === 0)) {
          out.write('\n');
          return finish(cancelled());
        } else if (ch === '\u007f' || ch === '\b') {
          if (current.pop() !== undefined && options.echo) out.write('\b \b');
        } else if (ch === '\u001b') {
          escape = true;
        } else if (ch >= ' ') {
          current.push(ch);
          if (options.echo) out.write(ch);
        }
      }
    };
    stdin.setRawMode?.(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    out.write(prompts[0]);
    stdin.resume();
  });
}
