import type { AuditEntry } from '../../store';
import { PUBLIC_FILE_MODE, writeFileAtomic } from '../../files/atomic-write';
import { UsageError } from '../args';
import { Command, minute } from '../command';
import { crlJson } from '../json';
import { EXIT, json } from '../output';

export const crl: Command = {
  name: 'crl',
  summary: 'Print the current CRL(s) of the client chain as PEM (one per CA, concatenated), publishing new ones first when due.',
  usage: 'crl [--out FILE] [--force] [--prune-expired] [--adopt-published] [--forget SERIAL --why TEXT] [--json]',
  details: `A new CRL is made only when the revoked set changed or fewer than the refresh threshold's days remain
(default 30 of 90); otherwise the bytes stay the same, so the Secret and nginx are not reloaded for nothing.
--prune-expired first drops revocations RFC 5280 lets go: the certificate expired and was listed on a CRL issued after that.
A published CRL is never replaced by one missing a revocation store.json lost (after restoring an older backup):
the command refuses, naming the serials. --adopt-published records them again from the published CRL (they stay
revoked); --forget SERIAL --why TEXT un-revokes one on purpose, recorded in store.json's audit.
Run it from cron (e.g. daily) so a CRL never expires: an expired CRL makes nginx reject every client.`,
  examples: [
    'mtls-pki crl --out ca.crl',
    'mtls-pki crl --prune-expired --json',
    'mtls-pki crl --adopt-published   # after restoring store.json from a backup',
    'mtls-pki crl --forget 4AA7… --why "revoked by mistake, ticket OPS-1234"',
    'mtls-pki crl | kubectl create secret generic mtls-client-ca --from-file=ca.crt=pki/client-trust/ca.crt --from-file=ca.crl=/dev/stdin --dry-run=client -o yaml | kubectl apply -f -',
  ],
  options: {
    out: { type: 'string', value: 'FILE', help: 'write the PEM to FILE (atomically) instead of stdout' },
    force: { type: 'boolean', help: 'publish new CRLs even when nothing is due' },
    'prune-expired': { type: 'boolean', help: 'drop revocations of certificates that expired and were listed after expiry' },
    prune: { type: 'boolean', aliasOf: 'prune-expired', help: '' },
    'adopt-published': { type: 'boolean', help: 'record again the revocations the published CRLs list but store.json lost (after a restore)' },
    forget: { type: 'list', value: 'SERIAL', help: 'un-revoke, on purpose, a serial the published CRL lists but store.json lost (needs --why)' },
    why: { type: 'string', value: 'TEXT', help: 'why the --forget serials may be accepted again (recorded in store.json)' },
    json: { type: 'boolean', help: 'print the CRLs\' numbers and dates as JSON instead of the PEM (docs/CLI.md documents the shape)' },
  },
  positionals: { min: 0, max: 0 },
  async run(args, ctx) {
    const forget = args.list('forget');
    const why = args.string('why');
    if (forget.length && !why?.trim()) throw new UsageError('--forget needs --why "TEXT": say why the certificate may be accepted again; it is recorded in store.json.', 'crl');
    if (why !== undefined && !forget.length) throw new UsageError('--why goes with --forget SERIAL.', 'crl');
    const store = await ctx.openStore();
    const recovery = forget.length || args.flag('adopt-published') ? await store.recoverRevocations({ forget, why, adopt: args.flag('adopt-published') }) : undefined;
    const pruning = args.flag('prune-expired') ? await store.prune() : undefined;
    const pruned = pruning?.pruned ?? [];
    // A CRL that recovery or pruning just published is reported as that publication, not as "unchanged".
    const earlier = [...(pruning?.crls ?? []), ...(recovery?.crls ?? [])];
    const statuses = (await store.refreshCrls({ force: args.flag('force') }))
      .map((s) => (s.changed ? s : earlier.find((p) => p.ca === s.ca && p.changed) ?? s));
    const pem = (await store.material()).clientTrust().crlPem;
    const out = args.string('out');
    const summary = statuses.map((s) => `${s.ca} CRL #${s.number}, ${s.entries} revoked, next update ${minute(s.nextUpdate)}${s.changed ? ` (new: ${s.reason})` : ' (unchanged)'}`);
    if (out) writeFileAtomic(out, pem, PUBLIC_FILE_MODE);
    const forgotten = recovery?.forgotten ?? [];
    const adopted = recovery?.adopted ?? [];
    if (args.flag('json')) {
      json(ctx.io, crlJson(statuses, pruned, out, { forgotten, adopted }));
      return EXIT.OK;
    }
    if (out) {
      ctx.io.stdout.write(`${summary.join('\n')}\nwrote ${out}${pruned.length ? `; pruned ${pruned.length} expired revocation(s)` : ''}\n`);
    } else {
      ctx.io.stdout.write(pem);
      ctx.io.stderr.write(`${summary.map((l) => `mtls-pki: ${l}`).join('\n')}\n`);
    }
    if (pruned.length) ctx.io.stderr.write(`mtls-pki: pruned ${pruned.map((p) => p.serialHex).join(', ')}\n`);
    const about = (a: AuditEntry) => `serial ${a.serialHex} (${a.commonName ? `"${a.commonName}", ` : ''}${a.issuer}, revoked ${minute(a.revokedAt)}${a.reason ? `, ${a.reason}` : ''}), listed on CRL #${a.crlNumber}`;
    for (const a of adopted) ctx.io.stderr.write(`mtls-pki: adopted ${about(a)}: recorded in store.json again, it stays revoked\n`);
    for (const a of forgotten) {
      ctx.io.stderr.write(`${ctx.err.yellow('mtls-pki: forgot')} ${about(a)}, because: ${a.note}. It is no longer on the CRL: once the new ca.crl is deployed, nginx accepts that certificate again (recorded in store.json's audit)\n`);
    }
    return EXIT.OK;
  },
};
