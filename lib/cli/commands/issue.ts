import { inferSubjectAltName, PKCS12_DEFAULT_ITERATIONS, UserInputError, validateCommonName } from '../../pki';
import { CertificateRecord } from '../../store';
import { SECRET_FILE_MODE, writeFileAtomic } from '../../files/atomic-write';
import { checkOutputFile } from '../../files/input';
import { UsageError } from '../args';
import { Command, CommandContext, day, KEY_OPTION, keyOption } from '../command';
import { EXIT, printable } from '../output';
import { exportPassword } from '../password';

function describe(ctx: CommandContext, record: CertificateRecord, created: boolean): string {
  const { out } = ctx;
  const verb = created ? out.green('issued') : out.dim('exists');
  return `${verb} ${record.kind} certificate ${out.bold(printable(record.subject))} serial ${printable(`${record.serialHex}, ${record.subjectAltNames.join(', ') || 'no SAN'}`)}, expires ${day(record.notAfter)}\n`;
}

export const server: Command = {
  name: 'server',
  summary: 'Issue a TLS server certificate from the server CA. The kind of each name is inferred: DNS name, *.wildcard or IP.',
  usage: 'server <name...> [--name STEM] [--key ALG] [--days N] [--force]',
  details: 'Running it again with the same names reuses the certificate (re-issued when fewer than 30 days remain,\nor when the names differ). The chain file (leaf + server CA) is what the server Secret\'s tls.crt needs.\n--force rotates: a new key and certificate from the same server CA, so clients notice nothing.',
  examples: ['mtls-pki server mtls.dev.ityoudao.cn', 'mtls-pki server api.example.com "*.api.example.com" 10.0.0.7 --name api', 'mtls-pki server mtls.dev.ityoudao.cn --force   # rotate: new key and certificate'],
  options: {
    name: { type: 'string', value: 'STEM', help: 'the file name stem and handle (default: the first name)' },
    key: KEY_OPTION,
    days: { type: 'string', value: 'N', help: 'validity in days (default: 397)' },
    force: { type: 'boolean', help: 'issue a new key and certificate even when a current one exists' },
    renew: { type: 'boolean', aliasOf: 'force', help: '' },
  },
  positionals: { min: 1, max: Infinity, missing: 'give at least one host name or IP, e.g. mtls-pki server app.example.com' },
  async run(args, ctx) {
    const names = args.positionals;
    const name = args.string('name') ?? names[0];
    if (args.string('name') !== undefined) validateCommonName(name, '--name');
    const store = await ctx.openStore();
    const { record, created, paths } = await store.issueServer(name, names, { keyAlgorithm: keyOption(args, 'server'), validityDays: args.days('days'), force: args.flag('force') });
    const f = paths!;
    ctx.io.stdout.write(describe(ctx, record, created));
    ctx.io.stdout.write(`  chain (tls.crt): ${printable(f.chain!)}\n  key   (tls.key): ${printable(f.key!)}  (0600, secret)\n`);
    ctx.io.stdout.write(`${printable(`  kubectl create secret tls ${name.replace(/^\*\./, 'wildcard-').replace(/[^a-z0-9.-]/g, '-')}-tls --cert ${f.chain!} --key ${f.key!}`)}\n`);
    return EXIT.OK;
  },
};

export const client: Command = {
  name: 'client',
  summary: 'Issue a TLS client certificate from the client CA (or its intermediate). Extra names become email or URI SANs.',
  usage: 'client <CN> [email-or-uri...] [--email ADDR] [--uri URI] [--key ALG] [--days N] [--new] [--p12 FILE [--password-file FILE]]',
  details: `Running it again reuses a valid certificate with the same CN and names; --new issues another one (the
old one stays valid until you revoke it by serial).
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
  ],
  options: {
    email: { type: 'list', value: 'ADDR', help: 'an email SAN' },
    uri: { type: 'list', value: 'URI', help: 'a URI SAN' },
    key: KEY_OPTION,
    days: { type: 'string', value: 'N', help: 'validity in days (default: 365)' },
    new: { type: 'boolean', help: 'issue a new certificate even when a valid one with this CN exists' },
    p12: { type: 'string', value: 'FILE', help: 'also write the certificate, key and CA chain as PKCS#12 to FILE (0600)' },
    'password-file': { type: 'string', value: 'FILE', help: 'the PKCS#12 password: the first line of FILE (default: ask on the terminal)' },
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
    const validityDays = args.days('days');
    const p12 = args.string('p12');
    const passwordFile = args.string('password-file');
    if (passwordFile !== undefined && p12 === undefined) throw new UsageError('--password-file is the password of the --p12 file; give --p12 FILE too.', 'client');
    if (p12 === '') throw new UsageError('--p12 is empty; give the file to write, e.g. --p12 Client001.p12.', 'client');
    const store = await ctx.openStore();
    const altNames = [...extras, ...emails, ...uris];
    // Everything that can refuse comes before the certificate is issued: the target file, a certificate the
    // store would reuse but cannot export, then the password.
    if (p12 !== undefined) {
      checkOutputFile(p12, '--p12');
      const reused = args.flag('new') ? undefined : store.clientDecision(commonName, altNames).reuse;
      if (reused && !reused.files?.key) throw new UserInputError(p12, `not written: the client certificate ${commonName} (serial ${reused.serialHex}) ${KEYLESS.replace('it was', 'was')}. Issue a new certificate with --new (and revoke the old one when it is no longer used).`);
    }
    const password = p12 === undefined ? undefined : await exportPassword(ctx, passwordFile, 'client', p12);
    const { record, created, paths } = await store.issueClient(commonName, altNames, { keyAlgorithm, validityDays, force: args.flag('new') });
    ctx.io.stdout.write(describe(ctx, record, created));
    if (!paths?.key) {
      if (p12 !== undefined) throw new UserInputError(p12, `not written: ${KEYLESS}. Issue a new certificate with --new (and revoke the old one when it is no longer used).`);
      ctx.io.stdout.write(`  ${KEYLESS}; issue a new one with: mtls-pki client ${printable(commonName)} --new\n`);
      return EXIT.OK;
    }
    ctx.io.stdout.write(`  certificate: ${printable(paths.cert)}\n  key:         ${printable(paths.key)}  (0600, secret)\n`);
    if (p12 !== undefined) {
      writeFileAtomic(p12, await store.pkcs12(record, { password: password! }), SECRET_FILE_MODE);
      ctx.io.stdout.write(`  PKCS#12:     ${p12}  (0600, secret: certificate, key and client CA chain${created ? '' : '; exported, not re-issued'})\n`);
    }
    ctx.io.stdout.write(`${printable(`  curl --cert ${paths.cert} --key ${paths.key} --cacert ${store.paths.serverCaCert} https://<host>/`)}\n`);
    return EXIT.OK;
  },
};

const KEYLESS = 'it was adopted from an openssl index without its key, so the store cannot hand it out';
