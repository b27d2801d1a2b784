import { Command } from '../command';
import { checkJson } from '../json';
import { EXIT, json, printable } from '../output';
import { UsageError } from '../args';

export const check: Command = {
  name: 'check',
  summary: 'Check PEM files, synthesized manifests, or the PKI store with the checks the construct runs at synth time.',
  brief: 'Run the synth-time checks on PEM files, synthesized manifests, or the PKI store',
  usage: 'check [--server-chain F --server-key F --host H] [--client-ca F [--crl F]] | --manifests DIR | (the store in --dir)',
  details: `With no file options, checks the store: each current server certificate against its names, and the
client trust bundle (ca.crt + ca.crl). Exit 0 when there is no error finding (warnings are printed), 1 otherwise.
A CRL with fewer than --crl-min-days left is an error (MTLS035), an expired one too (MTLS034).
Run it from cron to hear about an expiring CRL before nginx starts rejecting every client.
--json prints the shape documented in docs/CLI.md ("format": "mtls-pki-check"); the exit code is the same.`,
  examples: [
    'mtls-pki check --server-chain server-cert-chain.pem --server-key server-key.pem --host mtls.dev.ityoudao.cn --client-ca client-ca-cert.pem --crl client-ca.crl',
    'mtls-pki check --manifests dist/',
    'mtls-pki check --dir pki --json',
  ],
  options: {
    'server-chain': { type: 'string', value: 'FILE', help: 'server certificate chain (leaf first), PEM' },
    'server-key': { type: 'string', value: 'FILE', help: 'server private key, PEM' },
    host: { type: 'list', value: 'HOST', help: 'a host the server certificate must cover' },
    'client-ca': { type: 'string', value: 'FILE', help: 'client CA certificate(s), PEM' },
    crl: { type: 'string', value: 'FILE', help: 'CRL(s), PEM, one per client CA' },
    manifests: { type: 'string', value: 'DIR', help: 'check the Ingresses and Secrets cdk8s synthesized into DIR' },
    'crl-min-days': { type: 'string', value: 'N', help: 'fail (MTLS035) when a CRL has fewer days left (default: 7)' },
    'server-min-days': { type: 'string', value: 'N', help: 'warn when the server certificate has fewer days left (default: 30)' },
    json: { type: 'boolean', help: 'print the findings as JSON' },
  },
  positionals: { min: 0, max: 0 },
  async run(args, ctx) {
    // Loaded here, not at start-up: the manifest check pulls in cdk8s, which the other commands do not need.
    const checks = await import('../../checks');
    const thresholds = { crlMinValidityDays: args.days('crl-min-days'), serverMinValidityDays: args.days('server-min-days') };
    const fileOptions = ['server-chain', 'server-key', 'client-ca', 'crl'].filter((o) => args.string(o) !== undefined);
    const manifests = args.string('manifests');
    if (manifests !== undefined && fileOptions.length) throw new UsageError('--manifests checks synthesized manifests; give either it or file options, not both.', 'check');
    let findings;
    const target = manifests !== undefined ? 'manifests' : fileOptions.length ? 'files' : 'store';
    if (manifests !== undefined) findings = checks.checkManifests(manifests, thresholds);
    else if (fileOptions.length) {
      findings = checks.checkFiles({
        serverChain: args.string('server-chain'), serverKey: args.string('server-key'), hosts: args.list('host'),
        clientCa: args.string('client-ca'), crl: args.string('crl'), ...thresholds,
      });
    } else {
      const store = await ctx.openStore();
      const listing = await store.list();
      const at = store.paths.file;
      findings = [
        ...(listing.cas.some((c) => c.id === 'client-ca') ? checks.checkFiles({ clientCa: store.paths.trustCa, crl: store.paths.trustCrl, ...thresholds }) : []),
        ...listing.certificates.filter((c) => c.kind === 'server' && c.status === 'valid' && c.keyFile).flatMap((c) => checks.checkFiles({
          serverChain: at(c.certFile!), serverKey: at(c.keyFile!), ...thresholds,
          hosts: c.subjectAltNames.filter((s) => /^(DNS|IP):/.test(s) && !s.startsWith('DNS:*')).map((s) => s.replace(/^(DNS|IP):/, '')),
        })),
      ];
    }
    const errors = checks.hasErrors(findings);
    if (args.flag('json')) json(ctx.io, checkJson(target, findings, ctx.warnings));
    else if (findings.length === 0) ctx.io.stdout.write(`${ctx.out.green('ok')}: no findings\n`);
    else {
      // Findings quote subjects from the files checked, which anyone may have made.
      for (const f of findings) ctx.io.stdout.write(`${(f.severity === 'error' ? ctx.out.red : ctx.out.yellow)(printable(checks.formatFinding(f)))}\n`);
      const n = (sev: string) => findings.filter((f) => f.severity === sev).length;
      ctx.io.stdout.write(`${n('error')} error(s), ${n('warning')} warning(s)\n`);
    }
    return errors ? EXIT.FINDING : EXIT.OK;
  },
};
