import { PUBLIC_FILE_MODE, writeFileAtomic } from '../../files/atomic-write';
import { checkOutputFile, readInputText } from '../../files/input';
import { loadCertificateAuthority } from '../../pki/certificate';
import { generateCrlFromIndex } from '../../pki/openssl-index';
import { DAY_MS, wholeSeconds } from '../../pki/time';
import { consumeCrlNumber, crlNumberFileFor, readCrlNumberFile } from '../../store/crl-number';
import { Args } from '../args';
import { Command, JSON_OPTION, minute } from '../command';
import { gencrlJson } from '../json';
import { EXIT, json, printable } from '../output';


/** The files of an openssl CA directory, as gencrl and import-openssl both take them. */
export const OPENSSL_CA_FILE_OPTIONS = {
  index: { type: 'string', value: 'FILE', help: 'openssl\'s index.txt' },
  'ca-cert': { type: 'string', value: 'FILE', help: 'the CA certificate (PEM)' },
  'ca-key': { type: 'string', value: 'FILE', help: 'the CA private key (PEM, unencrypted)' },
} as const;

/** The files OPENSSL_CA_FILE_OPTIONS name, each required. */
export function opensslCaFiles(args: Args): { indexPath: string; certPath: string; keyPath: string } {
  return {
    indexPath: args.required('index', 'give openssl\'s CA database, e.g. --index /etc/pki/CA/index.txt'),
    certPath: args.required('ca-cert', 'give the CA certificate, e.g. --ca-cert client-ca-cert.pem'),
    keyPath: args.required('ca-key', 'give the CA private key, e.g. --ca-key client-ca-key.pem'),
  };
}

export const gencrl: Command = {
  name: 'gencrl',
  summary: 'Make a CRL from an existing openssl CA database: a drop-in for `openssl ca -gencrl`, with no openssl.cnf needed.',
  usage: 'gencrl --index index.txt --ca-cert C --ca-key K --out crl.pem [--days N] [--crlnumber FILE] [--json]',
  details: `Lists every R line of index.txt with its revocation date and reason, as openssl does, in a v2 CRL with
CRL Number and Authority Key Identifier. The crlnumber file (hex; default: the one next to index.txt) gives the
CRL's number and is then incremented, atomically, keeping the previous value in crlnumber.old as openssl does.
Without a crlnumber file the CRL number is the current Unix time, which also only increases.
Does not use the PKI store.`,
  examples: ['mtls-pki gencrl --index /etc/pki/CA/index.txt --ca-cert client-ca-cert.pem --ca-key client-ca-key.pem --out client-ca.crl --days 90'],
  options: {
    ...OPENSSL_CA_FILE_OPTIONS,
    out: { type: 'string', value: 'FILE', help: 'where to write the CRL (PEM)' },
    days: { type: 'string', value: 'N', help: 'days until nextUpdate (openssl\'s -crldays; default: 90)' },
    crldays: { type: 'string', value: 'N', aliasOf: 'days', help: '' },
    crlnumber: { type: 'string', value: 'FILE', help: 'the crlnumber file (default: crlnumber next to index.txt)' },
    dir: { type: 'string', value: 'DIR', help: 'accepted like every command, but unused: gencrl works on openssl\'s files, not the store' },
    json: JSON_OPTION,
  },
  usesStore: false,
  positionals: { min: 0, max: 0 },
  async run(args, ctx) {
    const { indexPath, certPath, keyPath } = opensslCaFiles(args);
    const outPath = args.required('out', 'give the CRL file to write, e.g. --out client-ca.crl');
    const days = args.days('days') ?? 90;
    const indexText = readInputText(indexPath, '--index');
    const ca = await loadCertificateAuthority(readInputText(certPath, '--ca-cert'), readInputText(keyPath, '--ca-key'), certPath);
    const numberPath = crlNumberFileFor(args.string('crlnumber'), indexPath);
    const numberFile = numberPath === undefined ? undefined : readCrlNumberFile(numberPath);
    const now = wholeSeconds(new Date());
    const crlNumber = numberFile?.next ?? BigInt(Math.floor(now.getTime() / 1000));
    const built = await generateCrlFromIndex({ indexText, ca, crlNumber, thisUpdate: now, nextUpdate: new Date(now.getTime() + days * DAY_MS), source: indexPath });
    // An --out that cannot be written is refused before the number is consumed: a typo must not cost a number.
    checkOutputFile(outPath, '--out');
    if (numberFile !== undefined) consumeCrlNumber(numberFile);
    else {
      ctx.io.stderr.write(`${ctx.err.yellow('mtls-pki: note:')} no crlnumber file next to ${indexPath}; used the Unix time ${crlNumber} as CRL number. Create one (echo 01 > crlnumber) to number CRLs as openssl does.\n`);
    }
    writeFileAtomic(outPath, built.pem, PUBLIC_FILE_MODE);
    const nextUpdate = new Date(now.getTime() + days * DAY_MS);
    if (args.flag('json')) json(ctx.io, gencrlJson(outPath, ca.facts.subject, crlNumber, now, nextUpdate, built.entryCount, numberPath));
    else ctx.io.stdout.write(`wrote ${outPath}: CRL #${crlNumber} of ${printable(ca.facts.subject)}, ${built.entryCount} revoked, next update ${minute(nextUpdate)}\n`);
    return EXIT.OK;
  },
};
