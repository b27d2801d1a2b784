import { CertificateListing } from '../../store';
import { Command, day, JSON_OPTION, minute } from '../command';
import { listJson } from '../json';
import { EXIT, json, Paint, printable, table } from '../output';

function status(c: CertificateListing, p: Paint): string {
  switch (c.status) {
    case 'revoked': return p.red(printable(`revoked ${minute(c.revokedAt)}${c.reason ? ` (${c.reason})` : ''}`));
    case 'expired': return p.red('expired');
    case 'replaced': return p.dim('replaced');
    default: return c.expiresSoon ? p.yellow(`expires in ${c.daysLeft} day(s)`) : p.green('valid');
  }
}

export const list: Command = {
  name: 'list',
  summary: 'List the CAs, the issued and revoked certificates, and each CRL\'s number, next update and days left.',
  usage: 'list [--json]',
  details: `A valid certificate with fewer than 30 days left shows "expires in N days": mtls-pki client CN (or
server, or the next synth) renews it. Warns on stderr (and in the JSON's "warnings") when the store directory is
wider than 0700 or a key file wider than 0600. --json prints the shape documented in docs/CLI.md
("format": "mtls-pki-list").`,
  examples: ['mtls-pki list', 'mtls-pki list --json | jq \'.crls[] | select(.daysLeft < 30)\''],
  options: { json: JSON_OPTION },
  positionals: { min: 0, max: 0 },
  async run(args, ctx) {
    const store = await ctx.openStore();
    const listing = await store.list();
    if (args.flag('json')) {
      json(ctx.io, listJson(listing, ctx.warnings));
      return EXIT.OK;
    }
    const p = ctx.out;
    const w = (s: string) => ctx.io.stdout.write(s);
    w(`${p.bold('PKI store')} ${printable(ctx.dir)} (CRLs valid ${listing.settings.crlValidityDays} days, renewed when fewer than ${listing.settings.crlRefreshBeforeDays} remain)\n\n`);
    w(`${p.bold('CAs')}\n`);
    w(table([['ID', 'SUBJECT', 'KEY', 'SERIAL', 'EXPIRES', 'DAYS'],
      ...listing.cas.map((c) => [c.id, c.subject, c.keyAlgorithm, c.serialHex, day(c.notAfter), String(c.daysLeft)].map(printable))]).replace(/^(?=.)/gm, '  '));
    w(`\n${p.bold('Certificates')}\n`);
    if (listing.certificates.length === 0) w('  none yet: mtls-pki server <host>, mtls-pki client <CN>\n');
    else {
      w(table([['KIND', 'NAME', 'SERIAL', 'ISSUER', 'EXPIRES', 'DAYS', 'STATUS'],
        ...listing.certificates.map((c) => [...[c.kind, c.name, c.serialHex, c.issuer, day(c.notAfter), String(c.daysLeft)].map(printable), status(c, p)])]).replace(/^(?=.)/gm, '  '));
    }
    w(`\n${p.bold('CRLs')}\n`);
    if (listing.crls.length === 0) w('  none\n');
    else {
      w(table([['CA', 'NUMBER', 'THIS UPDATE', 'NEXT UPDATE', 'DAYS LEFT', 'REVOKED', 'FILE'],
        ...listing.crls.map((c) => {
          const left = c.daysLeft === undefined ? '-' : String(c.daysLeft);
          return [printable(c.ca), c.number ?? '-', minute(c.thisUpdate), minute(c.nextUpdate), c.refreshDue ? p.yellow(`${left} (renew due)`) : left, String(c.entries), printable(store.paths.file(c.file))];
        })]).replace(/^(?=.)/gm, '  '));
    }
    return EXIT.OK;
  },
};
