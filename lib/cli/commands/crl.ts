import { PUBLIC_FILE_MODE, writeFileAtomic } from '../../store/atomic-write';
import { Command, minute } from '../command';
import { crlJson } from '../json';
import { EXIT, json } from '../output';

export const crl: Command = {
  name: 'crl',
  summary: 'Print the current CRL(s) of the client chain as PEM (one per CA, concatenated), publishing new ones first when due.',
  usage: 'crl [--out FILE] [--force] [--prune-expired] [--json]',
  details: `A new CRL is made only when the revoked set changed or fewer than the refresh threshold's days remain
(default 30 of 90); otherwise the bytes stay the same, so the Secret and nginx are not reloaded for nothing.
--prune-expired first drops revocations RFC 5280 lets go: the certificate expired and was listed on a CRL issued after that.
Run it from cron (e.g. daily) so a CRL never expires: an expired CRL makes nginx reject every client.`,
  examples: ['mtls-pki crl --out ca.crl', 'mtls-pki crl --prune-expired --json', 'mtls-pki crl | kubectl create secret generic mtls-client-ca --from-file=ca.crt=pki/client-trust/ca.crt --from-file=ca.crl=/dev/stdin --dry-run=client -o yaml | kubectl apply -f -'],
  options: {
    out: { type: 'string', value: 'FILE', help: 'write the PEM to FILE (atomically) instead of stdout' },
    force: { type: 'boolean', help: 'publish new CRLs even when nothing is due' },
    'prune-expired': { type: 'boolean', help: 'drop revocations of certificates that expired and were listed after expiry' },
    prune: { type: 'boolean', aliasOf: 'prune-expired', help: '' },
    json: { type: 'boolean', help: 'print the CRLs\' numbers and dates as JSON instead of the PEM' },
  },
  positionals: { min: 0, max: 0 },
  async run(args, ctx) {
    const store = await ctx.openStore();
    const pruning = args.flag('prune-expired') ? await store.prune() : undefined;
    const pruned = pruning?.pruned ?? [];
    // A CRL that pruning just published is reported as that publication, not as "unchanged".
    const statuses = (await store.refreshCrls({ force: args.flag('force') }))
      .map((s) => (s.changed ? s : pruning?.crls.find((p) => p.ca === s.ca && p.changed) ?? s));
    const pem = (await store.material()).clientTrust().crlPem;
    const out = args.string('out');
    const summary = statuses.map((s) => `${s.ca} CRL #${s.number}, ${s.entries} revoked, next update ${minute(s.nextUpdate)}${s.changed ? ` (new: ${s.reason})` : ' (unchanged)'}`);
    if (out) writeFileAtomic(out, pem, PUBLIC_FILE_MODE);
    if (args.flag('json')) {
      json(ctx.io, crlJson(statuses, pruned, out));
    } else if (out) {
      ctx.io.stdout.write(`${summary.join('\n')}\nwrote ${out}${pruned.length ? `; pruned ${pruned.length} expired revocation(s)` : ''}\n`);
    } else {
      ctx.io.stdout.write(pem);
      ctx.io.stderr.write(`${summary.map((l) => `mtls-pki: ${l}`).join('\n')}\n`);
    }
    if (pruned.length && !args.flag('json')) ctx.io.stderr.write(`mtls-pki: pruned ${pruned.map((p) => p.serialHex).join(', ')}\n`);
    return EXIT.OK;
  },
};
