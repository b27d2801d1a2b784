import { join } from 'node:path';
import { inferSubjectAltName, UserInputError } from '../../pki';
import { CertificateRecord } from '../../store';
import { Command, CommandContext, day, KEY_OPTION, keyOption } from '../command';
import { EXIT } from '../output';

function describe(ctx: CommandContext, record: CertificateRecord, created: boolean): string {
  const { out } = ctx;
  const verb = created ? out.green('issued') : out.dim('exists');
  return `${verb} ${record.kind} certificate ${out.bold(record.subject)} serial ${record.serialHex}, ${record.subjectAltNames.join(', ') || 'no SAN'}, expires ${day(record.notAfter)}\n`;
}

export const server: Command = {
  name: 'server',
  summary: 'Issue a TLS server certificate from the server CA. The kind of each name is inferred: DNS name, *.wildcard or IP.',
  usage: 'server <name...> [--name STEM] [--key ALG] [--days N] [--renew]',
  details: 'Running it again with the same names reuses the certificate (re-issued when fewer than 30 days remain,\nor when the names differ). The chain file (leaf + server CA) is what the server Secret\'s tls.crt needs.',
  examples: ['mtls-pki server mtls.dev.ityoudao.cn', 'mtls-pki server api.example.com "*.api.example.com" 10.0.0.7 --name api'],
  options: {
    name: { type: 'string', value: 'STEM', help: 'the file name stem and handle (default: the first name)' },
    key: KEY_OPTION,
    days: { type: 'string', value: 'N', help: 'validity in days (default: 397)' },
    renew: { type: 'boolean', help: 'issue a new certificate even when a current one exists' },
  },
  positionals: { min: 1, max: Infinity, missing: 'give at least one host name or IP, e.g. mtls-pki server app.example.com' },
  async run(args, ctx) {
    const names = args.positionals;
    const name = args.string('name') ?? names[0];
    const store = await ctx.openStore();
    const { record, created } = await store.issueServer(name, names, { keyAlgorithm: keyOption(args, 'server'), validityDays: args.days('days'), force: args.flag('renew') });
    const f = record.files!;
    ctx.io.stdout.write(describe(ctx, record, created));
    ctx.io.stdout.write(`  chain (tls.crt): ${join(ctx.dir, f.chain!)}\n  key   (tls.key): ${join(ctx.dir, f.key!)}  (0600, secret)\n`);
    ctx.io.stdout.write(`  kubectl create secret tls ${name.replace(/^\*\./, 'wildcard-').replace(/[^a-z0-9.-]/g, '-')}-tls --cert ${join(ctx.dir, f.chain!)} --key ${join(ctx.dir, f.key!)}\n`);
    return EXIT.OK;
  },
};

export const client: Command = {
  name: 'client',
  summary: 'Issue a TLS client certificate from the client CA (or its intermediate). Extra names become email or URI SANs.',
  usage: 'client <CN> [email-or-uri...] [--email ADDR] [--uri URI] [--key ALG] [--days N] [--new]',
  details: 'Running it again reuses a valid certificate with the same CN and names; --new issues another one (the\nold one stays valid until you revoke it by serial).',
  examples: ['mtls-pki client Client001', 'mtls-pki client Client002 --email ops@example.com --uri spiffe://example.com/ci'],
  options: {
    email: { type: 'list', value: 'ADDR', help: 'an email SAN' },
    uri: { type: 'list', value: 'URI', help: 'a URI SAN' },
    key: KEY_OPTION,
    days: { type: 'string', value: 'N', help: 'validity in days (default: 365)' },
    new: { type: 'boolean', help: 'issue a new certificate even when a valid one with this CN exists' },
  },
  positionals: { min: 1, max: Infinity, missing: 'give the client\'s common name, e.g. mtls-pki client Client001' },
  async run(args, ctx) {
    const [commonName, ...extras] = args.positionals;
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
    const store = await ctx.openStore();
    const { record, created } = await store.issueClient(commonName, [...extras, ...emails, ...uris], { keyAlgorithm: keyOption(args, 'client'), validityDays: args.days('days'), force: args.flag('new') });
    const f = record.files!;
    ctx.io.stdout.write(describe(ctx, record, created));
    ctx.io.stdout.write(`  certificate: ${join(ctx.dir, f.cert)}\n  key:         ${join(ctx.dir, f.key!)}  (0600, secret)\n`);
    ctx.io.stdout.write(`  curl --cert ${join(ctx.dir, f.cert)} --key ${join(ctx.dir, f.key!)} --cacert ${join(ctx.dir, 'server-ca/cert.pem')} https://<host>/\n`);
    return EXIT.OK;
  },
};
