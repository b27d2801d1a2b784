#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Args, parseArgs, UsageError } from './args';
import { COMMANDS } from './catalog';
import type * as CommandKit from './command';
import { colorEnabled, EXIT, Io, paint, reportError } from './output';
import { didYouMean } from '../util/did-you-mean';

// mtls-pki: the PKI store from the shell, for operators used to openssl. Exit codes: 0 success, 1 a finding
// or a refusal (bad input file, locked store, failed check), 2 a usage error.

export { COMMANDS };

/** command.ts brings the store and lib/pki: it is required with a command, never for `--help` or `--version`. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const commandKit = (): typeof CommandKit => require('./command');

/**
 * The version in the package's own package.json, found from this file upwards: build/lib/cli/main.js in a
 * checkout, node_modules/cdk8s-mtls-ingress/build/lib/cli/main.js when installed (npm always packs
 * package.json at the package root), and lib/cli/main.ts under jest. The name check keeps it from reporting
 * the version of the project that installed us.
 */
export function version(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'cdk8s-mtls-ingress') return parsed.version ?? 'unknown';
    }
  }
  return 'unknown';
}

function overview(io: Io): string {
  const p = paint(colorEnabled(io.stdout, io.env));
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `${p.bold('Usage:')} mtls-pki <command> [options]     (every command takes --dir DIR, default pki, and --help)`,
    '',
    'Build and run the PKI for ingress-nginx mutual TLS: a server CA, a client CA, certificates, revocations and',
    'CRLs that never silently expire.',
    '',
    p.bold('Commands:'),
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.brief}`),
    '',
    p.bold('A whole setup, two clients, one of them revoked:'),
    '  mtls-pki init && mtls-pki server mtls.dev.ityoudao.cn && mtls-pki client Client001 && mtls-pki client Client002',
    '  mtls-pki revoke Client001 --reason keyCompromise && mtls-pki list',
    '',
    'Run `mtls-pki <command> --help` for a command\'s options and examples; docs/CLI.md has the full reference.',
    'Exit codes: 0 success, 1 a finding or refusal, 2 a usage error. NO_COLOR turns colors off.',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === '--version' || first === '-V' || first === 'version') {
      io.stdout.write(`mtls-pki ${version()}\n`);
      return EXIT.OK;
    }
    if (first === undefined) {
      io.stderr.write(overview(io));
      return EXIT.USAGE;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      if (rest[0] === undefined) {
        io.stdout.write(overview(io));
        return EXIT.OK;
      }
      const topic = COMMANDS.find((c) => c.name === rest[0]);
      if (!topic) throw new UsageError(`there is no command "${rest[0]}"${didYouMean(rest[0], COMMANDS.map((c) => c.name), (s) => s)}; the commands are ${COMMANDS.map((c) => c.name).join(', ')}.`);
      io.stdout.write(commandKit().helpText(topic.load(), paint(colorEnabled(io.stdout, io.env))));
      return EXIT.OK;
    }
    const entry = COMMANDS.find((c) => c.name === first);
    if (!entry && first.startsWith('-')) {
      throw new UsageError(`${first} is not a command; the command comes first and its options after it, e.g. mtls-pki list --dir pki.`);
    }
    if (!entry) {
      throw new UsageError(`unknown command "${first}"${didYouMean(first, COMMANDS.map((c) => c.name), (s) => s)}; the commands are ${COMMANDS.map((c) => c.name).join(', ')}.`);
    }
    const command = entry.load();
    const { helpText, makeContext, optionSpecs } = commandKit();
    const parsed = parseArgs(rest, optionSpecs(command), command.name);
    const args = new Args(parsed, command.name);
    if (args.flag('help')) {
      io.stdout.write(helpText(command, paint(colorEnabled(io.stdout, io.env))));
      return EXIT.OK;
    }
    const { min, max, missing } = command.positionals;
    if (parsed.positionals.length < min) throw new UsageError(missing ?? `${command.name} needs ${min} argument(s).`, command.name);
    if (parsed.positionals.length > max) {
      throw new UsageError(`${command.name} takes ${max === 0 ? 'no arguments' : `at most ${max}`}, but got "${parsed.positionals.slice(max).join(' ')}".`, command.name);
    }
    const dir = args.string('dir') ?? 'pki';
    if (dir === '') throw new UsageError('--dir is empty; give the store directory, e.g. --dir pki.', command.name);
    return await command.run(args, makeContext(io, dir, args.string('passphrase-file')));
  } catch (e) {
    return reportError(io, e);
  }
}

if (require.main === module) {
  // A reader that goes away (`mtls-pki list | head -1`) must not crash a command half-way (a p12 still to be
  // written, a store change still to be saved): further output is dropped, the work completes.
  const gone = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (!gone.has(e.code ?? '')) throw e;
    });
  }
  // stdin is touched only by the password prompt: reading process.stdin sets up a handle on it.
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, get stdin() { return process.stdin; } };
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
