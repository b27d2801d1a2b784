import { readInputText } from '../../files/input';
import { crlNumberFileFor, readCrlNumberFile } from '../../store/crl-number';
import { UsageError } from '../args';
import { Command, JSON_OPTION, minute } from '../command';
import { importJson } from '../json';
import { EXIT, json, printable } from '../output';
import { OPENSSL_CA_FILE_OPTIONS, opensslCaFiles } from './gencrl';

export const importOpenssl: Command = {
  name: 'import-openssl',
  summary: 'Adopt an openssl CA (certificate, key, index.txt, crlnumber) into the PKI store, with its revocations.',
  usage: 'import-openssl --index index.txt --ca-cert C --ca-key K [--crlnumber FILE] [--as client|server] [--json]',
  details: `The CA certificate and key are copied into the store (key 0600). Every index.txt line becomes a
certificate record (openssl keeps no keys, so there are no key files), R lines become permanent revocations
with their dates and reasons, and the store's first CRL takes the number in the crlnumber file. Importing the
same CA again adds only what is new. The openssl files are not changed.`,
  examples: ['mtls-pki import-openssl --dir pki --index /etc/pki/CA/index.txt --ca-cert client-ca-cert.pem --ca-key client-ca-key.pem --crlnumber /etc/pki/CA/crlnumber'],
  options: {
    ...OPENSSL_CA_FILE_OPTIONS,
    crlnumber: { type: 'string', value: 'FILE', help: 'the crlnumber file (default: crlnumber next to index.txt, if any)' },
    as: { type: 'string', value: 'ROLE', help: 'client (default) or server: which CA of the store this becomes' },
    json: JSON_OPTION,
  },
  positionals: { min: 0, max: 0 },
  async run(args, ctx) {
    const { indexPath, certPath, keyPath } = opensslCaFiles(args);
    const as = args.string('as') ?? 'client';
    if (as !== 'client' && as !== 'server') throw new UsageError(`--as must be client or server, not "${as}".`, 'import-openssl');
    const numberFile = crlNumberFileFor(args.string('crlnumber'), indexPath);
    const nextCrlNumber = numberFile === undefined ? undefined : readCrlNumberFile(numberFile).next;
    const indexText = readInputText(indexPath, '--index');
    const caCertificatePem = readInputText(certPath, '--ca-cert');
    const caPrivateKeyPem = readInputText(keyPath, '--ca-key');
    const store = await ctx.openStore({ create: true });
    const result = await store.importOpenssl({ indexText, indexSource: indexPath, caCertificatePem, caPrivateKeyPem, caSource: certPath, nextCrlNumber, as });
    if (args.flag('json')) {
      json(ctx.io, importJson(ctx.dir, result, store.paths.file, ctx.changes));
      return EXIT.OK;
    }
    const w = (s: string) => ctx.io.stdout.write(s);
    w(`${result.adoptedCa ? ctx.out.green('adopted') : ctx.out.dim('already adopted')} ${certPath} as ${result.ca} of ${ctx.dir}\n`);
    w(`  ${result.certificatesAdded} certificate record(s) and ${result.revocationsAdded} revocation(s) added\n`);
    if (result.keptRevoked.length) w(`  kept revoked although index.txt says valid: ${printable(result.keptRevoked.join(', '))} (revocation is permanent)\n`);
    for (const c of result.crls) w(`  CRL ${store.paths.file(c.file)}: #${c.number}, ${c.entries} revoked, next update ${minute(c.nextUpdate)}${c.changed ? '' : ' (unchanged)'}\n`);
    return EXIT.OK;
  },
};
