// A stand-in for `mtls-pki gencrl` until lib/cli has it: the same flags, and the same work (load the CA,
// read index.txt and crlnumber, generate, write the CRL and the next crlnumber), so the benchmark measures
// a whole process. Run it compiled: `node build/bench/gencrl-cli.js --index … --ca-cert … --ca-key … --out …`.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadCertificateAuthority } from '../lib/pki/certificate';
import { UserInputError } from '../lib/pki/errors';
import { formatCrlNumber, generateCrlFromIndex, parseCrlNumber } from '../lib/pki/openssl-index';
import { DAY_MS } from '../lib/pki/time';

function flags(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new UserInputError(argv[i] ?? 'arguments', 'expected --flag value pairs: --index FILE --ca-cert FILE --ca-key FILE --out FILE [--days N] [--crlnumber FILE]');
    out.set(argv[i].slice(2), argv[i + 1]);
  }
  return out;
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  const need = (name: string) => {
    const v = f.get(name);
    if (!v) throw new UserInputError(`--${name}`, 'is required.');
    return v;
  };
  const ca = await loadCertificateAuthority(readFileSync(need('ca-cert'), 'utf8'), readFileSync(need('ca-key'), 'utf8'));
  const numberFile = f.get('crlnumber');
  const crlNumber = numberFile ? parseCrlNumber(readFileSync(numberFile, 'utf8'), numberFile) : BigInt(Math.floor(Date.now() / 1000));
  const thisUpdate = new Date();
  const nextUpdate = new Date(thisUpdate.getTime() + Number(f.get('days') ?? 30) * DAY_MS);
  const crl = await generateCrlFromIndex({ indexText: readFileSync(need('index'), 'utf8'), ca, crlNumber, thisUpdate, nextUpdate, source: need('index') });
  writeFileSync(need('out'), crl.pem);
  if (numberFile) writeFileSync(numberFile, formatCrlNumber(crlNumber + 1n));
  process.stdout.write(`wrote ${need('out')}: ${crl.entryCount} revoked, CRL number ${crlNumber}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`${e instanceof UserInputError ? e.message : e.stack}\n`);
  process.exitCode = e instanceof UserInputError ? 2 : 1;
});
