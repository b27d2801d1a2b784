import { parseRevocationReason, RevocationReason } from '../pki/crl';
import { UserInputError } from '../pki/errors';
import { KeyAlgorithm, parseKeyAlgorithm } from '../pki/keys';
import type { OpenOptions, PkiStore } from '../store';
import { Args, OptionSpecs, UsageError } from './args';
import { colorEnabled, Io, paint, Paint, printable, withSpinner } from './output';

// What every command is made of, and what every command gets: --dir, --help, the streams, colors, and a
// way to open the store that prints its warnings and shows progress on slow key generation.

export interface CommandContext {
  readonly io: Io;
  /** --dir, default `pki`. */
  readonly dir: string;
  /** Colors for stdout. */
  readonly out: Paint;
  /** Colors for stderr. */
  readonly err: Paint;
  /** Every warning printed so far (the store's permission warnings, …), for --json output. */
  readonly warnings: readonly string[];
  /**
   * The store's change lines (a CA created, a certificate issued, a CRL re-signed), for --json output. Not
   * printed: each command reports what it did in its own words.
   */
  readonly changes: readonly string[];
  /**
   * Opens the store. Its passphrase (for CA keys encrypted at rest) is asked for only when a key must be read
   * or written: --passphrase-file, else MTLS_PKI_PASSPHRASE_FILE, else a prompt (twice for a new one).
   */
  openStore(options?: Pick<OpenOptions, 'create'> & { readonly newPassphrase?: boolean; readonly passphrase?: string }): Promise<PkiStore>;
  /** --passphrase-file, when given. */
  readonly passphraseFile?: string;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** The part after `mtls-pki `, e.g. `revoke <CN> [--reason R]`. */
  readonly usage: string;
  readonly details?: string;
  readonly examples: readonly string[];
  /** Besides --dir and --help, which every command has. */
  readonly options: OptionSpecs;
  readonly positionals: { readonly min: number; readonly max: number; readonly missing?: string };
  /** False for commands that do not use the store (gencrl): then --dir is not offered. */
  readonly usesStore?: boolean;
  run(args: Args, ctx: CommandContext): Promise<number>;
}

export const COMMON_OPTIONS: OptionSpecs = {
  dir: { type: 'string', value: 'DIR', help: 'the PKI store directory (default: pki)' },
  'passphrase-file': { type: 'string', value: 'FILE', help: 'the passphrase of CA keys encrypted at rest, on the first line of FILE' },
  help: { type: 'boolean', help: 'show this help' },
};

// The store and the passphrase prompt are loaded by the first command that opens the store: gencrl, which
// works on openssl's files, and check on files never load them (start-up time, test/cli/startup.test.ts).
/* eslint-disable @typescript-eslint/no-require-imports */
const store = (): typeof import('../store') => require('../store');
const password = (): typeof import('./password') => require('./password');
/* eslint-enable @typescript-eslint/no-require-imports */

export function makeContext(io: Io, dir: string, passphraseFile?: string): CommandContext {
  const err = paint(colorEnabled(io.stderr, io.env));
  const warnings: string[] = [];
  const changes: string[] = [];
  const ctx: CommandContext = {
    io,
    dir,
    passphraseFile,
    out: paint(colorEnabled(io.stdout, io.env)),
    err,
    warnings,
    changes,
    openStore: (options = {}) => store().PkiStore.open(dir, {
      create: options.create ?? false,
      passphrase: options.passphrase ?? (() => password().storePassphrase(ctx, options.newPassphrase ?? false)),
      onWarning: (m) => {
        warnings.push(m);
        io.stderr.write(`${err.yellow('mtls-pki: warning:')} ${printable(m)}\n`);
      },
      onChange: (m) => void changes.push(m),
      progress: (label, work) => withSpinner(io, label, work),
    }),
  };
  return ctx;
}

/** Every option a command accepts: --dir and --passphrase-file (for store commands), its own, and --help. */
export function optionSpecs(c: Command): OptionSpecs {
  const store: OptionSpecs = c.usesStore === false ? {} : { dir: COMMON_OPTIONS.dir, 'passphrase-file': COMMON_OPTIONS['passphrase-file'] };
  return { ...store, ...c.options, help: COMMON_OPTIONS.help };
}

export function helpText(c: Command, p: Paint): string {
  const options = optionSpecs(c);
  const aliases = (name: string) => Object.entries(options).filter(([, o]) => o.aliasOf === name).map(([a]) => ` (or --${a})`).join('');
  const rows = Object.entries(options).filter(([, o]) => !o.aliasOf)
    .map(([name, o]) => [`  ${name === 'help' ? '-h, ' : ''}--${name}${o.value ? ` ${o.value}` : ''}${aliases(name)}${o.type === 'list' ? ' (repeatable)' : ''}`, o.help]);
  const width = Math.max(...rows.map((r) => r[0].length));
  return [
    `${p.bold('Usage:')} mtls-pki ${c.usage}`,
    '',
    c.summary,
    ...(c.details ? ['', c.details] : []),
    '',
    p.bold('Options:'),
    ...rows.map(([a, b]) => `${a.padEnd(width)}  ${b}`),
    '',
    p.bold(c.examples.length > 1 ? 'Examples:' : 'Example:'),
    ...c.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/** Parses a flag value with a lib/pki parser; a bad value is a usage error (exit 2), not a refusal. */
export function asUsage<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof UserInputError) throw new UsageError(e.message, command);
    throw e;
  }
}

export function keyOption(args: Args, command: string): KeyAlgorithm | undefined {
  const v = args.string('key');
  return v === undefined ? undefined : asUsage(command, () => parseKeyAlgorithm(v, '--key'));
}

export function reasonOption(args: Args, command: string): RevocationReason | undefined {
  const v = args.string('reason');
  return v === undefined ? undefined : asUsage(command, () => parseRevocationReason(v, '--reason'));
}

export const JSON_OPTION = { type: 'boolean', help: 'print the result as JSON (docs/CLI.md documents the shape)' } as const;

export const KEY_OPTION = { type: 'string', value: 'ALG', help: 'key algorithm: ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096' } as const;

export const day = (iso: string | Date | undefined) => (iso === undefined ? '-' : new Date(iso).toISOString().slice(0, 10));
export const minute = (iso: string | Date | undefined) => (iso === undefined ? '-' : `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')}Z`);
