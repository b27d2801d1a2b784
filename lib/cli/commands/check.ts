import type { Finding } from '../../checks';
import type { ManifestObject } from '../../controllers/controller';
import { readInputFile } from '../../files/input';
import type { PkiStore } from '../../store';
import { UsageError } from '../args';
import { Command, day, JSON_OPTION } from '../command';
import { Checked, checkJson } from '../json';
import { EXIT, json, printable } from '../output';

/** The checks of files and of the store; the manifest check (cdk8s and the controllers, ~100 modules) loads apart. */
type Checks = typeof import('../../checks/finding') & typeof import('../../checks/check-files');
type Thresholds = { crlMinValidityDays?: number; serverMinValidityDays?: number };

/** How many certificates and CRLs a PEM text holds. */
function pemCounts(text: string): { certificates: number; crls: number } {
  return { certificates: text.split('-----BEGIN CERTIFICATE-----').length - 1, crls: text.split('-----BEGIN X509 CRL-----').length - 1 };
}

/** What the files hold; an unreadable one counts nothing here (the checks report it). */
function filesChecked(paths: readonly string[], objects: readonly string[] = [], extraCertificates = 0): Checked {
  let certificates = extraCertificates;
  let crls = 0;
  for (const path of paths) {
    try {
      const n = pemCounts(readInputFile(path, path));
      certificates += n.certificates;
      crls += n.crls;
    } catch {
      // reported as a finding (MTLS010, MTLS020, MTLS031)
    }
  }
  return { files: paths, objects, certificates, crls };
}

/** The objects the manifest check read, and the certificates and CRLs in their Secrets. */
function manifestsChecked(objects: readonly ManifestObject[], dir: string): Checked {
  let certificates = 0;
  let crls = 0;
  for (const o of objects.filter((x) => x.kind === 'Secret')) {
    const values = [...Object.values(o.data ?? {}).map((v) => Buffer.from(String(v), 'base64').toString('utf8')), ...Object.values(o.stringData ?? {}).map(String)];
    for (const v of values) {
      const n = pemCounts(v);
      certificates += n.certificates;
      crls += n.crls;
    }
  }
  const names = objects.filter((o) => o.kind && o.metadata?.name).map((o) => `${o.kind}/${o.metadata!.namespace ? `${o.metadata!.namespace}/` : ''}${o.metadata!.name}`);
  return { files: [dir], objects: names, certificates, crls };
}

/**
 * The store: each current server certificate (its chain and key, against its names; revoked is MTLS090), the
 * client trust bundle, and each client's current certificate (expiring or expired is MTLS091).
 */
async function checkStore(checks: Checks, store: PkiStore, thresholds: Thresholds): Promise<{ findings: Finding[]; checked: Checked }> {
  const { RENEW_BEFORE_DAYS } = await import('../../store/reuse');
  const listing = await store.list();
  const findings = new checks.Findings();
  const at = store.paths.file;
  const trust = listing.cas.some((c) => c.id === 'client-ca') ? [store.paths.trustCa, store.paths.trustCrl] : [];
  const out: Finding[] = trust.length ? checks.checkFiles({ clientCa: trust[0], crl: trust[1], ...thresholds }) : [];
  const servers = listing.certificates.filter((c) => c.kind === 'server' && c.current && c.certFile && c.keyFile);
  for (const c of servers) {
    if (c.status === 'revoked') {
      findings.error('MTLS090', at(c.certFile!), `server certificate "${c.name}" (serial ${c.serialHex}) was revoked ${day(c.revokedAt)}${c.reason ? ` (${c.reason})` : ''}, but it is still the one the store hands out, so synth deploys it: clients that check the server CA's CRL refuse the server. Issue a new one: mtls-pki server ${c.subjectAltNames.map((s) => s.replace(/^(DNS|IP):/, '')).join(' ')}${c.name !== c.subjectAltNames[0]?.replace(/^(DNS|IP):/, '') ? ` --name ${c.name}` : ''} (or re-run synth), then deploy it.`);
    }
    out.push(...checks.checkFiles({
      serverChain: at(c.certFile!), serverKey: at(c.keyFile!), ...thresholds,
      hosts: c.subjectAltNames.filter((s) => /^(DNS|IP):/.test(s) && !s.startsWith('DNS:*')).map((s) => s.replace(/^(DNS|IP):/, '')),
    }));
  }
  const clients = listing.certificates.filter((c) => c.kind === 'client' && c.current);
  for (const c of clients) {
    const renew = `renew it with \`mtls-pki client ${c.commonName}\` and hand the new certificate and key to the client`;
    if (c.status === 'expired') findings.warn('MTLS091', at(c.certFile!), `client certificate "${c.commonName}" (serial ${c.serialHex}) expired on ${day(c.notAfter)}: nginx answers 400 to that client. If it still needs access, ${renew}.`);
    else if (c.expiresSoon) findings.warn('MTLS091', at(c.certFile!), `client certificate "${c.commonName}" (serial ${c.serialHex}) expires in ${c.daysLeft} day(s), on ${day(c.notAfter)} (within ${RENEW_BEFORE_DAYS} days); then nginx answers 400 to that client: ${renew}.`);
  }
  const files = [...trust, ...servers.flatMap((c) => [at(c.certFile!), at(c.keyFile!)])];
  return { findings: [...findings.all, ...out], checked: filesChecked(files, [], clients.length) };
}

function describeChecked(target: string, c: Checked, dir: string): string {
  const what = `${c.certificates} certificate(s), ${c.crls} CRL(s)`;
  if (target === 'manifests') return `checked ${printable(c.files[0])}: ${c.objects.length} object(s) (${printable(c.objects.join(', ')) || 'none'}); ${what} in their Secrets`;
  if (target === 'store') return `checked the store ${printable(dir)}: ${printable(c.files.join(', ')) || 'no files yet'}; ${what}, client certificates included`;
  return `checked ${printable(c.files.join(', '))}: ${what}`;
}

export const check: Command = {
  name: 'check',
  summary: 'Check PEM files, synthesized manifests, or the PKI store with the checks the construct runs at synth time.',
  usage: 'check [--server-chain F --server-key F --host H] [--client-ca F [--crl F]] | --manifests DIR | (the store in --dir)',
  details: `With no file options, checks the store: each current server certificate against its names (a revoked one
is an error, MTLS090), the client trust bundle (ca.crt + ca.crl), and each client's current certificate (expiring
within 30 days or expired: a warning, MTLS091). It first says what it read: the files, objects, and how many
certificates and CRLs. Exit 0 when there is no error finding (warnings are printed), 1 otherwise.
A CRL with fewer than --crl-min-days left is an error (MTLS035), an expired one too (MTLS034).
Run it from cron to hear about an expiring CRL before the data plane starts rejecting every client.
--manifests reads the objects of every controller target: ingress-nginx, F5 NGINX Ingress Controller, HAProxy Ingress.
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
    manifests: { type: 'string', value: 'DIR', help: 'check the mTLS objects (Ingresses, F5 Policies and VirtualServers, Secrets) cdk8s synthesized into DIR' },
    'crl-min-days': { type: 'string', value: 'N', help: 'fail (MTLS035) when a CRL has fewer days left (default: 7)' },
    'server-min-days': { type: 'string', value: 'N', help: 'warn when the server certificate has fewer days left (default: 30)' },
    json: JSON_OPTION,
  },
  positionals: { min: 0, max: 0 },
  async run(args, ctx) {
    // Loaded here, not at start-up, and the manifest check only for --manifests: it pulls in cdk8s, which
    // checking files or the store does not need (start-up time; test/cli/startup.test.ts).
    const checks: Checks = { ...(await import('../../checks/finding')), ...(await import('../../checks/check-files')) };
    const thresholds = { crlMinValidityDays: args.days('crl-min-days'), serverMinValidityDays: args.days('server-min-days') };
    const fileOptions = ['server-chain', 'server-key', 'client-ca', 'crl'].filter((o) => args.string(o) !== undefined);
    const manifests = args.string('manifests');
    if (manifests !== undefined && fileOptions.length) throw new UsageError('--manifests checks synthesized manifests; give either it or file options, not both.', 'check');
    let findings: Finding[];
    let checked: Checked;
    const target = manifests !== undefined ? 'manifests' : fileOptions.length ? 'files' : 'store';
    if (manifests !== undefined) {
      const { checkManifests, loadManifestObjects } = await import('../../checks/check-manifests');
      findings = checkManifests(manifests, thresholds);
      checked = manifestsChecked(loadManifestObjects(manifests), manifests);
    } else if (fileOptions.length) {
      findings = checks.checkFiles({
        serverChain: args.string('server-chain'), serverKey: args.string('server-key'), hosts: args.list('host'),
        clientCa: args.string('client-ca'), crl: args.string('crl'), ...thresholds,
      });
      checked = filesChecked(fileOptions.map((o) => args.string(o)!));
    } else {
      ({ findings, checked } = await checkStore(checks, await ctx.openStore(), thresholds));
    }
    const errors = checks.hasErrors(findings);
    if (args.flag('json')) {
      json(ctx.io, checkJson(target, findings, ctx.warnings, checked));
      return errors ? EXIT.FINDING : EXIT.OK;
    }
    ctx.io.stdout.write(`${describeChecked(target, checked, ctx.dir)}\n`);
    if (findings.length === 0) ctx.io.stdout.write(`${ctx.out.green('ok')}: no findings\n`);
    else {
      // Findings quote subjects from the files checked, which anyone may have made.
      for (const f of findings) ctx.io.stdout.write(`${(f.severity === 'error' ? ctx.out.red : ctx.out.yellow)(printable(checks.formatFinding(f)))}\n`);
      const n = (sev: string) => findings.filter((f) => f.severity === sev).length;
      ctx.io.stdout.write(`${n('error')} error(s), ${n('warning')} warning(s)\n`);
    }
    return errors ? EXIT.FINDING : EXIT.OK;
  },
};
