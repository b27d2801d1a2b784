import { didYouMean } from '../util/did-you-mean';

// A small argument parser: `--name value`, `--name=value`, boolean `--flag`, repeatable list options,
// `-h` for `--help`, and `--` to end the options. Anything it does not know is a usage error (exit 2).
// Not node:util.parseArgs: it keeps the last of a repeated option silently, refuses `--out -x` and reads `-hx`
// as short flags; keeping our behaviour (did you mean, "given twice", aliases) would mean re-checking every token.

/** A mistake in the command line itself: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean' | 'list';
  readonly help: string;
  /** Shown in help: `--out FILE`. */
  readonly value?: string;
  /** Another spelling of the option named here (e.g. `renew` for `force`): parsed as that one, shown beside it. */
  readonly aliasOf?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | readonly string[] | undefined>>;
}

export function parseArgs(argv: readonly string[], specs: OptionSpecs, command?: string): ParsedArgs {
  const positionals: string[] = [];
  const options: Record<string, string | boolean | string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      options.help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}${didYouMean(arg.replace(/^-+/, '').split('=')[0], Object.keys(specs), (s) => `--${s}`)}; options are spelled --name.`, command);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const given = specs[name];
    if (!given) throw new UsageError(`unknown option --${name}${didYouMean(name, Object.keys(specs), (s) => `--${s}`)}.`, command);
    const key = given.aliasOf ?? name;
    const spec = specs[key] ?? given;
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value.`, command);
      options[key] = true;
      continue;
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && argv[i + 1] !== '--')) throw new UsageError(`--${name} needs a value (--${name} ${spec.value ?? 'VALUE'}).`, command);
      value = argv[++i];
    }
    if (spec.type === 'list') options[key] = [...((options[key] as string[] | undefined) ?? []), value];
    else {
      if (options[key] !== undefined) throw new UsageError(`--${key} is given twice.`, command);
      options[key] = value;
    }
  }
  return { positionals, options };
}

/** Typed accessors over ParsedArgs. */
export class Args {
  constructor(private readonly parsed: ParsedArgs, readonly command: string) {}

  get positionals(): readonly string[] {
    return this.parsed.positionals;
  }

  string(name: string): string | undefined {
    const v = this.parsed.options[name];
    return typeof v === 'string' ? v : undefined;
  }

  required(name: string, what: string): string {
    const v = this.string(name);
    if (v === undefined || v === '') throw new UsageError(`--${name} ${what.startsWith('is ') ? what : `is required: ${what}`}`, this.command);
    return v;
  }

  flag(name: string): boolean {
    return this.parsed.options[name] === true;
  }

  list(name: string): readonly string[] {
    const v = this.parsed.options[name];
    return Array.isArray(v) ? v : [];
  }

  /** A positive whole number option, at most `max`. */
  days(name: string, max = 36525): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new UsageError(`--${name} must be a whole number of days from 1 to ${max}, not "${v}".`, this.command);
    return Number(v);
  }
}
