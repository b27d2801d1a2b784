import { statSync } from 'node:fs';
import { UserInputError } from '../pki';
import { readSecretFile } from '../pki/key-encryption';
import { PASSPHRASE_FILE_ENV } from '../store';
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

export function readPasswordFile(ctx: CommandContext, file: string, option = '--password-file'): string {
  const text = readInputText(file, option);
  const password = text.split(/\r?\n/)[0];
  if (password === '') throw new UserInputError(option, `the first line of "${file}" is empty; put the ${option === '--password-file' ? 'password on the first line (a PKCS#12 file without a password leaves its key unprotected)' : 'passphrase on the first line'}.`);
  const st = statSync(file);
  if (st.isFile() && (st.mode & 0o077) !== 0) {
    ctx.io.stderr.write(`${ctx.err.yellow('mtls-pki: warning:')} ${file} holds a password and has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; make it 0600: chmod 600 ${file}\n`);
  }
  return password;
}

/**
 * The passphrase of the store's CA keys (encrypted at rest): --passphrase-file, else the file
 * MTLS_PKI_PASSPHRASE_FILE names, else a prompt without echo (asked twice for a `fresh` one, which encrypts).
 */
export async function storePassphrase(ctx: CommandContext, fresh: boolean): Promise<string> {
  if (ctx.passphraseFile !== undefined) return readPasswordFile(ctx, ctx.passphraseFile, '--passphrase-file');
  const envFile = ctx.io.env[PASSPHRASE_FILE_ENV];
  if (envFile) return readSecretFile(envFile, PASSPHRASE_FILE_ENV, 'the passphrase of the CA keys');
  const stdin = ctx.io.stdin;
  if (!stdin?.isTTY || typeof stdin.setRawMode !== 'function') {
    throw new UserInputError('passphrase', `the store's CA keys are ${fresh ? 'to be encrypted' : 'encrypted'}, and stdin is not a terminal to ask for the passphrase. Give --passphrase-file FILE or ${PASSPHRASE_FILE_ENV}=FILE (the passphrase on the first line, the file 0600). There is no option for the passphrase itself: it would show in \`ps\`. Nothing was signed or written.`);
  }
  const prompts = fresh ? ['New passphrase for the CA keys: ', 'The same passphrase again: '] : ['Passphrase for the CA keys: '];
  const [passphrase, again] = await readHidden(stdin, ctx.io.stderr, prompts);
  if (passphrase === '') throw new UserInputError('passphrase', 'is empty. Nothing was signed or written.');
  if (fresh && passphrase !== again) throw new UserInputError('passphrase', 'the two passphrases differ. Nothing was written; run the command again.');
  return passphrase;
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
