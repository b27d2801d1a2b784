import { validateCommonName } from '../../pki';
import { parsePkcs11Uri } from '../../pki/pkcs11';
import { CaKeyCustody, DEFAULT_CLIENT_CA_CN, PkiSpec, StoreListing } from '../../store';
import { UsageError } from '../args';
import { asUsage, Command, day, JSON_OPTION, KEY_OPTION, keyOption } from '../command';
import { initJson } from '../json';
import { EXIT, json, printable, table } from '../output';

export const init: Command = {
  name: 'init',
  summary: 'Create the PKI store with a server CA and a client CA (existing CAs are kept: running it again changes nothing).',
  usage: 'init [--server-ca-cn CN] [--client-ca-cn CN] [--intermediate-cn CN] [--key ALG] [--crl-days N] [--crl-refresh-days N] [--encrypt-keys | --ca-key-uri URI] [--json]',
  details: `The client CA publishes a CRL right away (empty), valid --crl-days days and renewed by every later
command once fewer than --crl-refresh-days remain. Private keys are written 0600, the directory 0700, and the
store gets its own .gitignore ("*") so that git add never picks up a CA key.
--encrypt-keys encrypts the CA keys with a passphrase (asked twice, or --passphrase-file); --ca-key-uri
generates them inside a PKCS#11 token instead, where they never leave it (see docs/CLI.md).`,
  examples: [
    'mtls-pki init --server-ca-cn "Aispeech Server Cert Authority" --client-ca-cn "Aispeech Client Cert Authority" --key rsa-4096',
    'mtls-pki init --dir pki --intermediate-cn "Issuing Client CA"   # clients are then issued by an intermediate',
    'mtls-pki init --encrypt-keys --passphrase-file ~/.mtls-pki-pass',
    'mtls-pki init --ca-key-uri \'pkcs11:token=mtls?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/mtls-pin\'',
  ],
  options: {
    'server-ca-cn': { type: 'string', value: 'CN', help: 'common name of the server CA (default: mtls-pki Server CA)' },
    'client-ca-cn': { type: 'string', value: 'CN', help: 'common name of the client CA (default: mtls-pki Client CA)' },
    'intermediate-cn': { type: 'string', value: 'CN', help: 'also create an intermediate client CA under the client CA; clients are issued by it' },
    key: KEY_OPTION,
    'crl-days': { type: 'string', value: 'N', help: 'validity of each CRL in days (default: 90)' },
    'crl-refresh-days': { type: 'string', value: 'N', help: 'publish a new CRL when fewer days remain (default: 30)' },
    json: JSON_OPTION,
    'encrypt-keys': { type: 'boolean', help: 'encrypt the CA keys at rest with a passphrase (PKCS#8, PBES2 AES-256)' },
    'ca-key-uri': { type: 'string', value: 'URI', help: 'generate the CA keys inside this PKCS#11 token (RFC 7512 pkcs11: URI with module-path and pin-source)' },
  },
  positionals: { min: 0, max: 0 },
  async run(args, ctx) {
    const keyAlgorithm = keyOption(args, 'init');
    const crlDays = args.days('crl-days', 3650);
    const crlRefreshDays = args.days('crl-refresh-days', 3649);
    const serverCn = args.string('server-ca-cn');
    const keyUri = args.string('ca-key-uri');
    if (keyUri !== undefined && args.flag('encrypt-keys')) throw new UsageError('--encrypt-keys and --ca-key-uri exclude each other: keys in a token never exist as files to encrypt.', 'init');
    if (keyUri !== undefined) asUsage('init', () => parsePkcs11Uri(keyUri, '--ca-key-uri'));
    const caKeys: CaKeyCustody | undefined = keyUri !== undefined ? keyUri as CaKeyCustody : args.flag('encrypt-keys') ? 'encrypted' : undefined;
    const intermediate = args.string('intermediate-cn');
    for (const flag of ['server-ca-cn', 'client-ca-cn', 'intermediate-cn']) {
      const cn = args.string(flag);
      if (cn !== undefined) validateCommonName(cn, `--${flag}`);
    }
    const store = await ctx.openStore({ create: true, newPassphrase: caKeys === 'encrypted' });
    let before: StoreListing | undefined;
    try {
      before = await store.list();
    } catch {
      before = undefined;
    }
    // Without --client-ca-cn, an existing client CA is kept whatever its name (also when adding an intermediate).
    const existingClientCn = before?.cas.find((c) => c.id === 'client-ca')?.commonName;
    const clientCn = args.string('client-ca-cn') ?? (intermediate ? existingClientCn ?? DEFAULT_CLIENT_CA_CN : undefined);
    const spec: PkiSpec = {
      ...(serverCn ? { serverCa: { commonName: serverCn } } : {}),
      ...(clientCn ? { clientCa: { commonName: clientCn, ...(intermediate ? { intermediate: { commonName: intermediate } } : {}) } } : {}),
      ...(keyAlgorithm ? { keyAlgorithm } : {}),
      ...(crlDays || crlRefreshDays ? { crl: { validityDays: crlDays, refreshBeforeDays: crlRefreshDays } } : {}),
      ...(caKeys ? { caKeys } : {}),
    };
    await store.ensure(spec);
    const after = await store.list();
    const { out } = ctx;
    const created = (id: string, serialHex: string) => !before?.cas.some((b) => b.id === id && b.serialHex === serialHex);
    if (args.flag('json')) {
      const crls = after.crls.map((c) => ({ ca: c.ca, file: store.paths.file(c.file), number: c.number ?? null, nextUpdate: c.nextUpdate ?? null }));
      json(ctx.io, initJson(ctx.dir, after.cas.map((ca) => ({ ...ca, created: created(ca.id, ca.serialHex) })), store.paths, crls, ctx.changes));
      return EXIT.OK;
    }
    const rows = after.cas.map((ca) => [...[ca.id, ca.subject, ca.keyAlgorithm, `expires ${day(ca.notAfter)}`].map(printable), created(ca.id, ca.serialHex) ? out.green('created') : out.dim('kept')]);
    ctx.io.stdout.write(`PKI store ${ctx.dir}:\n${table(rows).replace(/^(?=.)/gm, '  ')}`);
    const crl = after.crls.map((c) => `${store.paths.file(c.file)} (#${c.number}, next update ${day(c.nextUpdate)})`).join(', ');
    ctx.io.stdout.write(`Client trust for the auth-tls Secret: ${store.paths.trustCa} and ${store.paths.trustCrl}${crl ? `; CRL ${crl}` : ''}.\n`);
    ctx.io.stdout.write(`Kept out of git by ${printable(store.paths.gitignore)} ("*"): the store holds the CA private keys; back it up instead of committing it.\n`);
    ctx.io.stdout.write(`Next: mtls-pki server <host> --dir ${ctx.dir}, then mtls-pki client <CN> --dir ${ctx.dir}.\n`);
    return EXIT.OK;
  },
};
