import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, PUBLIC_FILE_MODE, SECRET_FILE_MODE, writeFileAtomic } from '../../files/atomic-write';
import { checkOutputDir, checkOutputFile } from '../../files/input';
import { inferSubjectAltName, PKCS12_DEFAULT_ITERATIONS, UserInputError, validateCommonName } from '../../pki';
import { IssuedLeaf, PkiStore } from '../../store';
import { checkLeafDays } from '../../store/ensure';
import { safeName } from '../../store/layout';
import { Args, UsageError } from '../args';
import { Command, CommandContext, day, JSON_OPTION, KEY_OPTION, keyOption } from '../command';
import { issueJson } from '../json';
import { EXIT, json, printable } from '../output';
import { exportPassword } from '../password';

/** `issued …` or `exists …`, and for a new certificate that replaces one, why (renewed, re-issued). */
function describe(ctx: CommandContext, leaf: IssuedLeaf): string {
  const { out } = ctx;
  const { record, created } = leaf;
  const verb = created ? out.green('issued') : out.dim('exists');
  const why = created && leaf.why ? `  ${leaf.verb}: ${printable(leaf.why)}\n` : '';
  return `${verb} ${record.kind} certificate ${out.bold(printable(record.subject))} serial ${printable(`${record.serialHex}, ${record.subjectAltNames.join(', ') || 'no SAN'}`)}, expires ${day(record.notAfter)}\n${why}`;
}

const OUT_OPTION = { type: 'string', value: 'DIR', help: 'also write NAME.crt and NAME.key (0600) to DIR, stable names to hand on or mount (DIR is created 0700)' } as const;

/** --days, refused (exit 1) at or under the renewal threshold before anything is written. */
function daysOption(args: Args, kind: 'server' | 'client'): number | undefined {
  const days = args.days('days');
  checkLeafDays(days, '--days', kind);
  return days;
}

/** `--out DIR`: its files for `name`, checked before anything is issued. */
function outFiles(args: Args, name: string): { dir: string; cert: string; key: string } | undefined {
  const dir = args.string('out');
  if (dir === undefined) return undefined;
  if (dir === '') throw new UsageError('--out is empty; give the directory to write to, e.g. --out ./certs.', args.command);
  checkOutputDir(dir, '--out');
  const stem = safeName(name);
  const files = { dir, cert: join(dir, `${stem}.crt`), key: join(dir, `${stem}.key`) };
  if (existsSync(dir)) for (const f of [files.cert, files.key]) checkOutputFile(f, '--out');
  return files;
}

/** Writes the certificate (for a server, leaf + server CA: tls.crt) and its key to the --out files. */
async function writeOut(store: PkiStore, leaf: IssuedLeaf, files: { dir: string; cert: string; key: string }): Promise<void> {
  const c = await store.credentials(leaf.record);
  ensureDir(files.dir);
  writeFileAtomic(files.key, c.privateKeyPem, SECRET_FILE_MODE);
  writeFileAtomic(files.cert, c.servedChainPem, PUBLIC_FILE_MODE);
}

export const server: Command = {
  name: 'server',
  summary: 'Issue a TLS server certificate from the server CA. The kind of each name is inferred: DNS name, *.wildcard or IP.',
  usage: 'server <name...> [--name STEM] [--key ALG] [--days N] [--force] [--out DIR] [--json]',
  details: `Running it again with the same names reuses the certificate (renewed when fewer than 30 days remain,
re-issued when the names differ or it was revoked). The chain file (leaf + server CA) is what the server
Secret's tls.crt needs. --force rotates: a new key and certificate from the same server CA, so clients notice
nothing. --days must be more than 30, or every run would renew it. --out DIR also writes NAME.crt (the chain)
and NAME.key, names that stay the same across renewals.`,
  examples: [
    'mtls-pki server mtls.dev.ityoudao.cn',
    'mtls-pki server api.example.com "*.api.example.com" 10.0.0.7 --name api',
    'mtls-pki server mtls.dev.ityoudao.cn --force   # rotate: new key and certificate',
    'mtls-pki server mtls.dev.ityoudao.cn --out /etc/nginx/tls   # writes mtls.dev.ityoudao.cn.crt and .key',
  ],
  options: {
    name: { type: 'string', value: 'STEM', help: 'the file name stem and handle (default: the first name)' },
    key: KEY_OPTION,
    days: { type: 'string', value: 'N', help: 'validity in days, more than 30 (default: 397)' },
    force: { type: 'boolean', help: 'issue a new key and certificate even when a current one exists' },
    renew: { type: 'boolean', aliasOf: 'force', help: '' },
    out: OUT_OPTION,
    json: JSON_OPTION,
  },
  positionals: { min: 1, max: Infinity, missing: 'give at least one host name or IP, e.g. mtls-pki server app.example.com' },
  async run(args, ctx) {
    const names = args.positionals;
    const name = args.string('name') ?? names[0];
    if (args.string('name') !== undefined) validateCommonName(name, '--name');
    const keyAlgorithm = keyOption(args, 'server');
    const validityDays = daysOption(args, 'server');
    const store = await ctx.openStore();
    const out = outFiles(args, name);
    const leaf = await store.issueServer(name, names, { keyAlgorithm, validityDays, force: args.flag('force') });
    if (out) await writeOut(store, leaf, out);
    if (args.flag('json')) {
      json(ctx.io, issueJson(leaf, out, undefined, ctx.changes));
      return EXIT.OK;
    }
    const f = leaf.paths!;
    ctx.io.stdout.write(describe(ctx, leaf));
    ctx.io.stdout.write(`  chain (tls.crt): ${printable(f.chain!)}\n  key   (tls.key): ${printable(f.key!)}  (0600, secret)\n`);
    if (out) ctx.io.stdout.write(`  wrote ${printable(out.cert)} (tls.crt) and ${printable(out.key)} (0600, secret)\n`);
    const [cert, key] = out ? [out.cert, out.key] : [f.chain!, f.key!];
    ctx.io.stdout.write(`${printable(`  kubectl create secret tls ${name.replace(/^\*\./, 'wildcard-').replace(/[^a-z0-9.-]/g, '-')}-tls --cert ${cert} --key ${key}`)}\n`);
    return EXIT.OK;
  },
};

export const client: Command = {
  name: 'client',
  summary: 'Issue a TLS client certificate from the client CA (or its intermediate). Extra names become email or URI SANs.',
  usage: 'client <CN> [email-or-uri...] [--email ADDR] [--uri URI] [--key ALG] [--days N] [--new] [--out DIR] [--p12 FILE [--password-file FILE]] [--json]',
  details: `Running it again reuses a valid certificate with the same CN and names (renewed when fewer than 30 days
remain; --days must be more than 30); --new issues another one (the old one stays valid until you revoke it by
serial). After \`mtls-pki revoke CN\`, running it again issues a new certificate for that CN.
--out DIR also writes CN.crt and CN.key (0600), names that stay the same across renewals.
--p12 also writes a PKCS#12 bundle (certificate, key and client CA chain; mode 0600) for browsers and Java:
PBES2 with PBKDF2-HMAC-SHA-256 and AES-256-CBC, MAC HMAC-SHA-256, ${PKCS12_DEFAULT_ITERATIONS} iterations, as OpenSSL 3 reads
by default. For a client that already exists this exports its current certificate and key; nothing is
re-issued (unless --new). The password comes from --password-file (first line) or, on a terminal, from a
prompt without echo; never from an argument, which \`ps\` would show.`,
  examples: [
    'mtls-pki client Client001',
    'mtls-pki client Client002 --email ops@example.com --uri spiffe://example.com/ci',
    'mtls-pki client Client002 --p12 Client002.p12   # asks for the password',
    'mtls-pki client Client002 --p12 Client002.p12 --password-file pw.txt',
    'mtls-pki client Client002 --out ./handover   # writes Client002.crt and Client002.key',
  ],
  options: {
    email: { type: 'list', value: 'ADDR', help: 'an email SAN' },
    uri: { type: 'list', value: 'URI', help: 'a URI SAN' },
    key: KEY_OPTION,
    days: { type: 'string', value: 'N', help: 'validity in days (default: 365)' },
    new: { type: 'boolean', help: 'issue a new certificate even when a valid one with this CN exists' },
    out: OUT_OPTION,
    p12: { type: 'string', value: 'FILE', help: 'also write the certificate, key and CA chain as PKCS#12 to FILE (0600)' },
    'password-file': { type: 'string', value: 'FILE', help: 'the PKCS#12 password: the first line of FILE (default: ask on the terminal)' },
    json: JSON_OPTION,
  },
  positionals: { min: 1, max: Infinity, missing: 'give the client\'s common name, e.g. mtls-pki client Client001' },
  async run(args, ctx) {
    const [commonName, ...extras] = args.positionals;
    validateCommonName(commonName, 'CN');
    const emails = args.list('email');
    const uris = args.list('uri');
    emails.forEach((e, i) => {
      if (inferSubjectAltName(e, `--email[${i + 1}]`).kind !== 'email') throw new UserInputError('--email', `"${e}" is not an email address.`);
    });
    uris.forEach((u, i) => {
      if (inferSubjectAltName(u, `--uri[${i + 1}]`).kind !== 'uri') throw new UserInputError('--uri', `"${u}" is not a URI (scheme://…).`);
    });
    extras.forEach((x, i) => {
      const kind = inferSubjectAltName(x, `name ${i + 2}`).kind;
      if (kind !== 'email' && kind !== 'uri') throw new UserInputError(`name ${i + 2}`, `"${x}" is a ${kind.toUpperCase()} name; a client certificate takes extra email addresses or URIs (a client is identified by its CN).`);
    });
    const keyAlgorithm = keyOption(args, 'client');
    const validityDays = daysOption(args, 'client');
    const p12 = args.string('p12');
    const passwordFile = args.string('password-file');
    if (passwordFile !== undefined && p12 === undefined) throw new UsageError('--password-file is the password of the --p12 file; give --p12 FILE too.', 'client');
    if (p12 === '') throw new UsageError('--p12 is empty; give the file to write, e.g. --p12 Client001.p12.', 'client');
    const store = await ctx.openStore();
    const altNames = [...extras, ...emails, ...uris];
    // Everything that can refuse comes before the certificate is issued: the target files, a certificate the
    // store would reuse but cannot export, then the password.
    if (p12 !== undefined) checkOutputFile(p12, '--p12');
    const out = outFiles(args, commonName);
    const exportTo = p12 ?? out?.dir;
    if (exportTo !== undefined) {
      const reused = args.flag('new') ? undefined : store.clientDecision(commonName, altNames).reuse;
      if (reused && !reused.files?.key) throw new UserInputError(exportTo, `not written: the client certificate ${commonName} (serial ${reused.serialHex}) ${KEYLESS.replace('it was', 'was')}. Issue a new certificate with --new (and revoke the old one when it is no longer used).`);
    }
    const password = p12 === undefined ? undefined : await exportPassword(ctx, passwordFile, 'client', p12);
    const leaf = await store.issueClient(commonName, altNames, { keyAlgorithm, validityDays, force: args.flag('new') });
    const { paths } = leaf;
    if (paths?.key) {
      if (out) await writeOut(store, leaf, out);
      if (p12 !== undefined) writeFileAtomic(p12, await store.pkcs12(leaf.record, { password: password! }), SECRET_FILE_MODE);
    } else if (exportTo !== undefined) {
      throw new UserInputError(exportTo, `not written: ${KEYLESS}. Issue a new certificate with --new (and revoke the old one when it is no longer used).`);
    }
    if (args.flag('json')) {
      json(ctx.io, issueJson(leaf, out, p12, ctx.changes));
      return EXIT.OK;
    }
    ctx.io.stdout.write(describe(ctx, leaf));
    if (!paths?.key) {
      ctx.io.stdout.write(`  ${KEYLESS}; issue a new one with: mtls-pki client ${printable(commonName)} --new\n`);
      return EXIT.OK;
    }
    ctx.io.stdout.write(`  certificate: ${printable(paths.cert)}\n  key:         ${printable(paths.key)}  (0600, secret)\n`);
    if (out) ctx.io.stdout.write(`  wrote ${printable(out.cert)} and ${printable(out.key)} (0600, secret)\n`);
    if (p12 !== undefined) ctx.io.stdout.write(`  PKCS#12:     ${p12}  (0600, secret: certificate, key and client CA chain${leaf.created ? '' : '; exported, not re-issued'})\n`);
    const [cert, key] = out ? [out.cert, out.key] : [paths.cert, paths.key];
    ctx.io.stdout.write(`${printable(`  curl --cert ${cert} --key ${key} --cacert ${store.paths.serverCaCert} https://<host>/`)}\n`);
    return EXIT.OK;
  },
};

const KEYLESS = 'it was adopted from an openssl index without its key, so the store cannot hand it out';
