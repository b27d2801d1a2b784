import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REVOCATION_REASONS, UserInputError } from '../../pki';
import { parseSerial } from '../../pki/serial';
import { UsageError } from '../args';
import { Command, minute, reasonOption } from '../command';
import { EXIT, printable } from '../output';

export const revoke: Command = {
  name: 'revoke',
  summary: 'Revoke a certificate, permanently, and publish the new CRL(s) of the client chain at once.',
  usage: 'revoke <CN> | --serial HEX | --cert FILE [--reason R]',
  details: `Like \`openssl ca -revoke\`, plus the \`-gencrl\` that must follow it. By CN, the one certificate with
that CN that is not revoked yet is revoked; when several are, the command refuses and lists their serials.
Revoking a revoked certificate changes nothing (the first date and reason stand) and exits 0.
Reasons: ${Object.keys(REVOCATION_REASONS).join(', ')}.`,
  examples: ['mtls-pki revoke Client001 --reason keyCompromise', 'mtls-pki revoke --serial 3F0A9C… --reason superseded', 'mtls-pki revoke --cert client-cert.pem'],
  options: {
    serial: { type: 'string', value: 'HEX', help: 'the serial number, as `openssl x509 -noout -serial` prints it' },
    cert: { type: 'string', value: 'FILE', help: 'the certificate file (PEM) to revoke' },
    reason: { type: 'string', value: 'R', help: 'RFC 5280 reason, e.g. keyCompromise, superseded, cessationOfOperation (default: none)' },
  },
  positionals: { min: 0, max: 1 },
  async run(args, ctx) {
    const cn = args.positionals[0];
    const serial = args.string('serial');
    const certFile = args.string('cert');
    const given = [cn, serial, certFile].filter((v) => v !== undefined).length;
    if (given !== 1) throw new UsageError(given === 0 ? 'say what to revoke: a common name, --serial HEX or --cert FILE.' : 'give only one of a common name, --serial and --cert.', 'revoke');
    const reason = reasonOption(args, 'revoke');
    let certificatePem: string | undefined;
    if (certFile !== undefined) {
      try {
        certificatePem = readFileSync(certFile, 'utf8');
      } catch (e) {
        throw new UserInputError('--cert', `cannot read "${certFile}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
      }
    }
    const store = await ctx.openStore();
    const before = await store.list();
    const record = await store.revoke(cn !== undefined ? { commonName: cn } : serial !== undefined ? { serialHex: parseSerial(serial, '--serial') } : { certificatePem }, reason);
    const already = before.certificates.some((c) => c.issuer === record.issuer && c.serialHex === record.serialHex && c.status === 'revoked');
    const { out } = ctx;
    ctx.io.stdout.write(`${already ? out.dim('already revoked') : out.red('revoked')} ${printable(record.commonName ?? '')} serial ${record.serialHex} (${record.issuer}) at ${minute(record.revokedAt)}${record.reason ? `, reason ${record.reason}` : ''}\n`);
    // The CRLs as this revoke wrote them, under its lock: a concurrent revoke may already have published newer ones.
    for (const crl of record.crls.filter((c) => c.ca === record.issuer || c.ca !== 'server-ca')) {
      ctx.io.stdout.write(`  CRL ${printable(join(ctx.dir, crl.file))}: #${crl.number}, ${crl.entries} revoked, next update ${minute(crl.nextUpdate)}\n`);
    }
    if (record.issuer !== 'server-ca') {
      ctx.io.stdout.write(`  update the auth-tls Secret's ca.crl from ${join(ctx.dir, 'client-trust/ca.crl')} (or re-run cdk8s synth)\n`);
    }
    if (reason && reason !== record.reason && already) ctx.io.stderr.write(`${ctx.err.yellow('mtls-pki: note:')} the reason stays ${record.reason ?? 'unspecified'}, as first recorded.\n`);
    return EXIT.OK;
  },
};
