import { readInputText } from '../../files/input';
import { REVOCATION_REASONS, UserInputError } from '../../pki';
import { parseSerial } from '../../pki/serial';
import type { CertificateRecord } from '../../store';
import { UsageError } from '../args';
import { Command, CommandContext, JSON_OPTION, minute, reasonOption } from '../command';
import { revokeJson } from '../json';
import { EXIT, json, printable } from '../output';
import { confirm } from '../password';

const hostsOf = (c: CertificateRecord) => c.subjectAltNames.map((s) => s.replace(/^(DNS|IP):/, ''));

/**
 * A server certificate is revoked only on purpose: --server, or a yes on the terminal. Without a terminal to
 * ask on, the command refuses (exit 2), naming --server.
 */
async function confirmServer(ctx: CommandContext, cert: CertificateRecord, flagged: boolean): Promise<void> {
  if (flagged) return;
  const what = `"${cert.name}" is the server certificate (serial ${cert.serialHex}, ${cert.subjectAltNames.join(', ')}) the store hands out for ${hostsOf(cert).join(', ')}`;
  const stdin = ctx.io.stdin;
  if (!stdin?.isTTY || typeof stdin.setRawMode !== 'function') {
    throw new UsageError(`${what}. Revoking it makes every client that checks the server CA's CRL refuse the server until a new certificate is deployed; to do it anyway, add --server (stdin is not a terminal to ask on). Nothing was revoked.`, 'revoke');
  }
  const yes = await confirm(stdin, ctx.io.stderr, `${printable(what)}.\nRevoke it? Clients that check the server CA's CRL refuse the server until a new certificate is deployed.`);
  if (!yes) throw new UserInputError('revoke', `not confirmed: ${printable(cert.name)} (serial ${cert.serialHex}) stays valid. Nothing was revoked.`);
}

export const revoke: Command = {
  name: 'revoke',
  summary: 'Revoke a certificate, permanently, and publish the new CRL(s) of the client chain at once.',
  usage: 'revoke <CN> | --serial HEX | --cert FILE [--reason R] [--server] [--json]',
  details: `Like \`openssl ca -revoke\`, plus the \`-gencrl\` that must follow it. By CN, the one certificate with
that CN that is not revoked yet is revoked; when several are, the command refuses and lists their serials.
Revoking a revoked certificate changes nothing (the first date and reason stand) and exits 0.
A server certificate is revoked only on purpose: the command asks on a terminal, or takes --server; without a
terminal and without --server it refuses (exit 2). Then issue and deploy a new one (mtls-pki server, or synth).
Reasons: ${Object.keys(REVOCATION_REASONS).join(', ')}.`,
  examples: [
    'mtls-pki revoke Client001 --reason keyCompromise',
    'mtls-pki revoke --serial 3F0A9C… --reason superseded',
    'mtls-pki revoke --cert client-cert.pem',
    'mtls-pki revoke mtls.dev.ityoudao.cn --server --reason keyCompromise && mtls-pki server mtls.dev.ityoudao.cn',
  ],
  options: {
    serial: { type: 'string', value: 'HEX', help: 'the serial number, as `openssl x509 -noout -serial` prints it' },
    cert: { type: 'string', value: 'FILE', help: 'the certificate file (PEM) to revoke' },
    reason: { type: 'string', value: 'R', help: 'RFC 5280 reason, e.g. keyCompromise, superseded, cessationOfOperation (default: none)' },
    server: { type: 'boolean', help: 'yes, revoke a server certificate (otherwise asked on a terminal, refused without one)' },
    json: JSON_OPTION,
  },
  positionals: { min: 0, max: 1 },
  async run(args, ctx) {
    const cn = args.positionals[0];
    const serial = args.string('serial');
    const certFile = args.string('cert');
    const given = [cn, serial, certFile].filter((v) => v !== undefined).length;
    if (given !== 1) throw new UsageError(given === 0 ? 'say what to revoke: a common name, --serial HEX or --cert FILE.' : 'give only one of a common name, --serial and --cert.', 'revoke');
    const reason = reasonOption(args, 'revoke');
    const certificatePem = certFile === undefined ? undefined : readInputText(certFile, '--cert');
    const store = await ctx.openStore();
    const target = cn !== undefined ? { commonName: cn } : serial !== undefined ? { serialHex: parseSerial(serial, '--serial') } : { certificatePem };
    const before = await store.list();
    const cert = await store.revocationTarget(target);
    const already = before.certificates.some((c) => c.issuer === cert.issuer && c.serialHex === cert.serialHex && c.status === 'revoked');
    if (cert.kind === 'server' && !already) await confirmServer(ctx, cert, args.flag('server'));
    // allowServer: what was confirmed, so that a certificate that became another one since cannot slip through.
    const record = await store.revoke(target, reason, undefined, { allowServer: cert.kind === 'server' });
    if (args.flag('json')) {
      json(ctx.io, revokeJson(record.kind, record, already, record.crls, store.paths.file, ctx.changes));
      return EXIT.OK;
    }
    const { out } = ctx;
    ctx.io.stdout.write(`${already ? out.dim('already revoked') : out.red('revoked')} ${printable(record.commonName ?? '')} serial ${record.serialHex} (${record.issuer}) at ${minute(record.revokedAt)}${record.reason ? `, reason ${record.reason}` : ''}\n`);
    // The CRLs as this revoke wrote them, under its lock: a concurrent revoke may already have published newer ones.
    for (const crl of record.crls.filter((c) => c.ca === record.issuer || c.ca !== 'server-ca')) {
      ctx.io.stdout.write(`  CRL ${printable(store.paths.file(crl.file))}: #${crl.number}, ${crl.entries} revoked, next update ${minute(crl.nextUpdate)}\n`);
    }
    if (record.issuer !== 'server-ca') {
      ctx.io.stdout.write(`  update the auth-tls Secret's ca.crl from ${printable(store.paths.trustCrl)} (or re-run cdk8s synth)\n`);
    } else if (!already) {
      ctx.io.stdout.write(`${printable(`  the server still serves it: issue and deploy a new one, mtls-pki server ${hostsOf(cert).join(' ')}${cert.name !== hostsOf(cert)[0] ? ` --name ${cert.name}` : ''} (or re-run cdk8s synth)`)}\n`);
    }
    if (reason && reason !== record.reason && already) ctx.io.stderr.write(`${ctx.err.yellow('mtls-pki: note:')} the reason stays ${record.reason ?? 'unspecified'}, as first recorded.\n`);
    return EXIT.OK;
  },
};
