// Benchmark inputs: one CA (made by openssl, used by both tools) and, per size, an openssl `ca` set-up: an
// index.txt of N revoked certificates, an openssl.cnf and crlnumber files. Deterministic (seeded) so runs on
// different machines measure the same bytes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SizeInputs {
  readonly size: number;
  readonly index: string;
  readonly config: string;
  readonly crlNumberOurs: string;
  readonly crlNumberOpenssl: string;
  readonly outOurs: string;
  readonly outOpenssl: string;
}

export interface Inputs {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly sizes: readonly SizeInputs[];
}

/** xorshift32: reproducible, and fast enough for 100k lines. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const utcTime = (d: Date) => `${pad2(d.getUTCFullYear() % 100)}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;

// What a real index of client certificates holds: most revocations without a reason or for key compromise.
const REASONS = ['', '', ',keyCompromise', ',keyCompromise', ',superseded', ',superseded', ',cessationOfOperation', ',affiliationChanged', ',CACompromise', ',certificateHold'];

/**
 * `size` revoked lines in issuance order: 16-byte random serials with the top bit clear (what this project
 * and `openssl ca -rand_serial` issue, so the file is not in serial order and both tools must sort), an
 * expiry within two years, a revocation date within the last year, and a reason mix.
 */
export function indexText(size: number, seed = size): string {
  const next = prng(0x5eed ^ seed);
  const now = Date.UTC(2026, 0, 1);
  const seen = new Set<string>();
  const lines: string[] = [];
  while (lines.length < size) {
    let serial = '';
    for (let i = 0; i < 4; i++) serial += next().toString(16).padStart(8, '0');
    serial = ((parseInt(serial.slice(0, 2), 16) & 0x7f) | 0x10).toString(16) + serial.slice(2);
    serial = serial.toUpperCase();
    if (seen.has(serial)) continue;
    seen.add(serial);
    const expires = new Date(now + (next() % (730 * 86_400)) * 1000);
    const revoked = new Date(now - (next() % (365 * 86_400)) * 1000);
    const n = lines.length;
    lines.push(`R\t${utcTime(expires)}\t${utcTime(revoked)}${REASONS[next() % REASONS.length]}\t${serial}\tunknown\t/O=Bench/CN=client-${n}`);
  }
  return `${lines.join('\n')}\n`;
}

function opensslConfig(index: string, crlNumber: string): string {
  // v2 CRL with CRL Number and AKI: the same extensions ours always writes, so both sign the same shape.
  return [
    '[ca]', 'default_ca = bench', '[bench]', `database = ${index}`, `crlnumber = ${crlNumber}`, 'default_md = sha256',
    'default_crl_days = 30', 'crl_extensions = crl_ext', '[crl_ext]', 'authorityKeyIdentifier = keyid:always', '',
  ].join('\n');
}

export function prepareInputs(dir: string, sizes: readonly number[]): Inputs {
  mkdirSync(dir, { recursive: true });
  const caCert = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  if (!existsSync(caCert) || !existsSync(caKey)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCert,
      '-subj', '/O=Bench/CN=Bench Client CA', '-days', '3650', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'pipe' });
  }
  return {
    dir,
    caCert,
    caKey,
    sizes: sizes.map((size) => {
      const index = join(dir, `index-${size}.txt`);
      if (!existsSync(index)) writeFileSync(index, indexText(size));
      const config = join(dir, `openssl-${size}.cnf`);
      const crlNumberOpenssl = join(dir, `crlnumber-openssl-${size}`);
      const crlNumberOurs = join(dir, `crlnumber-ours-${size}`);
      writeFileSync(config, opensslConfig(index, crlNumberOpenssl));
      writeFileSync(crlNumberOpenssl, '1000\n');
      writeFileSync(crlNumberOurs, '1000\n');
      return { size, index, config, crlNumberOurs, crlNumberOpenssl, outOurs: join(dir, `ours-${size}.crl`), outOpenssl: join(dir, `openssl-${size}.crl`) };
    }),
  };
}
