import * as fs from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { formatFinding } from '../../checks/finding';
import { CONTROLLER_NAMES } from '../../controllers/controller';
import { ensureDir, SECRET_FILE_MODE, writeFileAtomic } from '../../files/atomic-write';
import { checkOutputDir } from '../../files/input';
import type { MigratedSetup, MigrationResult } from '../../migrate';
import { UserInputError } from '../../pki/errors';
import { didYouMean } from '../../util/did-you-mean';
import { UsageError } from '../args';
import { Command, CommandContext, JSON_OPTION } from '../command';
import { migrateJson } from '../json';
import { EXIT, json, printable } from '../output';

// The migration itself (cdk8s, the constructs, every target) is loaded in run(), so that the other commands do
// not pay for it at start-up.

/** The targets migrate writes for: every controller target but the one it reads. */
const TARGETS = CONTROLLER_NAMES.filter((n) => n !== 'ingress-nginx');

function targetName(args: { string(name: string): string | undefined }): string {
  const to = args.string('to');
  if (to === undefined || to === '') throw new UsageError(`--to is required: the controller to migrate to, one of ${TARGETS.join(', ')}.`, 'migrate');
  if (to === 'ingress-nginx') throw new UsageError(`--to ingress-nginx is what migrate reads; choose the controller to move to: ${TARGETS.join(', ')}.`, 'migrate');
  if (!(TARGETS as readonly string[]).includes(to)) throw new UsageError(`--to "${to}" is not a known controller${didYouMean(to, TARGETS, (s) => s)}; the known ones are ${TARGETS.join(', ')}.`, 'migrate');
  return to;
}

/** Refuses an --out that is a file, not writable, not empty (old files would mix with new ones), or inside an input folder. */
function checkOut(out: string, inputs: readonly string[]): void {
  checkOutputDir(out, '--out');
  if (fs.statSync(out, { throwIfNoEntry: false })?.isDirectory() && fs.readdirSync(out).length > 0) {
    throw new UserInputError('--out', `"${out}" is not empty; give a new or empty directory, so that no file of an earlier run is applied with the migrated ones.`);
  }
  for (const input of inputs) {
    const inside = relative(resolve(input), resolve(out));
    if (fs.statSync(input, { throwIfNoEntry: false })?.isDirectory() && (inside === '' || !(inside === '..' || inside.startsWith(`..${sep}`)))) {
      throw new UserInputError('--out', `"${out}" is inside the input folder "${input}": reading that folder again would take the migrated manifests for ingress-nginx ones. Give a directory outside it.`);
    }
  }
}

/** Writes one file per setup (0600: they hold tls.key), all or none. */
function writeOut(out: string, setups: readonly MigratedSetup[]): string[] {
  ensureDir(out);
  const written: string[] = [];
  try {
    for (const s of setups) {
      const path = join(out, `${s.name}.yaml`);
      writeFileAtomic(path, s.yaml!, SECRET_FILE_MODE);
      written.push(path);
    }
  } catch (e) {
    for (const path of written) fs.rmSync(path, { force: true });
    throw e;
  }
  return written;
}

function report(ctx: CommandContext, result: MigrationResult, inputs: readonly string[], allowLoss: boolean): void {
  const { err } = ctx;
  const label = (text: string, color: (s: string) => string) => color(text.padEnd(13));
  const lines: string[] = [`migrate to ${result.to.displayName} (${result.to.name}, ${result.to.minimumVersion} or newer): read ${result.objectsRead.length} object(s) from ${inputs.join(', ')}`];
  for (const f of result.readFindings) lines.push(`  ${(f.severity === 'error' ? err.red : err.yellow)(formatFinding(f))}`);
  for (const s of result.setups) {
    lines.push('', `${err.bold(s.source)}${s.objects.length ? ` → ${s.objects.join(', ')}` : ''}`);
    for (const c of s.carried) lines.push(`  ${label('carried', err.green)}${c.from} "${c.value}" → ${c.to}`);
    for (const l of s.lost) lines.push(`  ${label(allowLoss ? 'dropped' : 'NOT CARRIED', err.red)}${l.from} "${l.value}": ${l.why}`);
    for (const n of s.notes) lines.push(`  ${label('note', err.yellow)}${n}`);
    for (const f of s.findings) lines.push(`  ${(f.severity === 'error' ? err.red : err.yellow)(formatFinding(f))}`);
    for (const r of s.refusals) lines.push(`  ${label('refused', err.red)}${r}`);
  }
  if (result.untouched.length) lines.push('', `not migrated, left as they are (not an ingress-nginx mTLS Ingress or its Secrets): ${result.untouched.join(', ')}`);
  const lost = result.setups.reduce((n, s) => n + s.lost.length, 0);
  if (!result.ok) {
    const why = result.setups.some((s) => s.refusals.length || s.findings.some((f) => f.severity === 'error')) ? 'see "refused" and the errors above'
      : `${lost} setting(s) cannot be carried over; pass --allow-loss to migrate without them`;
    lines.push('', `${err.red('mtls-pki: refused:')} nothing was written (${why}).`);
  } else if (lost) lines.push('', `${err.yellow('mtls-pki: warning:')} ${lost} setting(s) dropped (--allow-loss): the target behaves differently there, as listed.`);
  ctx.io.stderr.write(`${lines.map(printable).join('\n')}\n`);
}

export const migrate: Command = {
  name: 'migrate',
  summary: 'Move ingress-nginx mTLS manifests (an Ingress with auth-tls-* annotations and its Secrets) to another controller, keeping the CRL.',
  usage: 'migrate --to <target> <dir-or-file>… [--out DIR] [--allow-loss] [--allow-no-crl] [--json]',
  details: `Reads YAML as \`kubectl get -o yaml\` writes it (a List, or several documents) or as cdk8s synthesized it,
finds each Ingress with nginx.ingress.kubernetes.io/auth-tls-secret and its Secrets, and writes the same setup
for --to, through the construct, with every check synth runs (server chain and key, the CRL of each client CA,
CRL expiry). The report on stderr lists every setting carried over and every one that cannot be: those are
refused (exit 1, nothing written) unless --allow-loss. The CRL is never dropped: an expired CRL, or a client CA
without one, is refused; a Secret without ca.crl is refused unless --allow-no-crl. Symbolic links inside a
folder are not followed. Without --out, the manifests go to stdout.`,
  examples: [
    'mtls-pki migrate --to haproxy-ingress odcp.yaml --out migrated/     # odcp.yaml: kubectl get ingress,secret -n odcp -o yaml',
    'mtls-pki migrate --to f5-nginx dist/ > f5.yaml',
    'mtls-pki migrate --to haproxy-ingress odcp.yaml --allow-loss --json | jq .setups[].lost',
  ],
  options: {
    to: { type: 'string', value: 'TARGET', help: `the controller to migrate to: ${TARGETS.join(', ')}` },
    out: { type: 'string', value: 'DIR', help: 'write one file per Ingress into DIR (new or empty; 0700, files 0600) instead of stdout' },
    'allow-loss': { type: 'boolean', help: 'migrate even when settings cannot be carried over (they are listed as dropped)' },
    'allow-no-crl': { type: 'boolean', help: 'migrate a client CA Secret that has no ca.crl, without revocation checking' },
    'crl-min-days': { type: 'string', value: 'N', help: 'refuse (MTLS035) a CRL with fewer days left (default: 7)' },
    'server-min-days': { type: 'string', value: 'N', help: 'warn when the server certificate has fewer days left (default: 30)' },
    dir: { type: 'string', value: 'DIR', help: 'accepted like every command, but unused: migrate works on manifests, not the store' },
    json: JSON_OPTION,
  },
  usesStore: false,
  positionals: { min: 1, max: Infinity, missing: 'migrate needs the manifests to read: a YAML file or a folder of them (e.g. kubectl get ingress,secret -n odcp -o yaml > odcp.yaml).' },
  async run(args, ctx) {
    const to = targetName(args);
    const inputs = args.positionals;
    const out = args.string('out');
    if (out === '') throw new UsageError('--out is empty; give the directory to write into, or leave it out for stdout.', 'migrate');
    const thresholds = { crlMinValidityDays: args.days('crl-min-days'), serverMinValidityDays: args.days('server-min-days') };
    if (out !== undefined) checkOut(out, inputs);
    const [{ migrate: run }, { IngressController }] = await Promise.all([import('../../migrate'), import('../../controllers')]);
    const allowLoss = args.flag('allow-loss');
    const result = run(inputs, { to: IngressController.named(to), allowLoss, allowNoCrl: args.flag('allow-no-crl'), ...thresholds });
    const written = result.ok && out !== undefined ? writeOut(out, result.setups) : [];
    if (args.flag('json')) {
      json(ctx.io, migrateJson(result, inputs, out, written));
      return result.ok ? EXIT.OK : EXIT.FINDING;
    }
    report(ctx, result, inputs, allowLoss);
    if (!result.ok) return EXIT.FINDING;
    if (out === undefined) ctx.io.stdout.write(result.setups.map((s) => s.yaml!).join('---\n'));
    else ctx.io.stderr.write(`wrote ${written.map(printable).join(', ')} (0600: they hold the server's private key)\n`);
    return EXIT.OK;
  },
};
