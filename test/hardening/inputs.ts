import * as fs from 'node:fs';
import { join } from 'node:path';
import { buildCrl, issueServerCertificate, loadCertificateAuthority } from '../../lib/pki';
import { openssl } from '../support/openssl';
import { rng } from './support';
import { DAY } from '../fixtures';

// The bad-input corpus's files, made the way operators make them: with the openssl CLI (CAs, leaves, CSRs,
// encrypted keys, a CA without keyCertSign, CRLs from `openssl ca -gencrl`, DER conversions), plus a few that
// openssl cannot make on purpose (CRLs with past dates or a duplicate serial, leaves valid only in the past or
// the future), made with this library and signed by the same openssl-made CAs.

export const HOST = 'app.example.com';

export interface Inputs {
  readonly dir: string;
  /** Absolute path of an input file by name. */
  path(name: string): string;
  text(name: string): string;
}

const SERVER_EXT = (san: string, ca = false) => [
  `basicConstraints=critical,CA:${ca ? 'TRUE' : 'FALSE'}`,
  `keyUsage=critical,digitalSignature${ca ? ',keyCertSign,cRLSign' : ''}`,
  'extendedKeyUsage=serverAuth',
  `subjectAltName=${san}`,
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
  '',
].join('\n');

/** Writes every input file into `dir` (which must exist) and returns accessors. Takes about a second. */
export async function makeInputs(dir: string): Promise<Inputs> {
  const run = (...args: string[]) => openssl(args, { cwd: dir });
  const write = (name: string, content: string | Uint8Array) => fs.writeFileSync(join(dir, name), content);
  const read = (name: string) => fs.readFileSync(join(dir, name), 'utf8');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

  // CAs: a server CA, a client CA, and a "CA" whose keyUsage lacks keyCertSign (openssl -addext keyUsage=digitalSignature).
  run('req', '-x509', ...ec, '-keyout', 'server-ca.key', '-out', 'server-ca.pem', '-days', '3650', '-subj', '/CN=Hardening Server CA');
  run('req', '-x509', ...ec, '-keyout', 'client-ca.key', '-out', 'client-ca.pem', '-days', '3650', '-subj', '/CN=Hardening Client CA');
  run('req', '-x509', ...ec, '-keyout', 'no-certsign-ca.key', '-out', 'no-certsign-ca.pem', '-days', '3650', '-subj', '/CN=No CertSign CA', '-addext', 'keyUsage=digitalSignature');

  // Server leaves signed by the server CA: a good one, one with cA=TRUE, a wildcard, and a DNS-only one.
  const leaf = (name: string, san: string, ca = false) => {
    run('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    write(`${name}.ext`, SERVER_EXT(san, ca));
    run('x509', '-req', '-sha256', '-days', '365', '-in', `${name}.csr`, '-CA', 'server-ca.pem', '-CAkey', 'server-ca.key', '-set_serial', `0x${(0x1000 + fs.readdirSync(dir).length).toString(16)}`, '-extfile', `${name}.ext`, '-out', `${name}.pem`);
    write(`${name}-chain.pem`, read(`${name}.pem`) + read('server-ca.pem'));
  };
  leaf('server', `DNS:${HOST}`);
  leaf('leaf-ca', `DNS:${HOST}`, true);
  leaf('wildcard', 'DNS:*.example.com');
  leaf('dns-only', `DNS:${HOST}`);
  run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key');
  run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-aes256', '-pass', 'pass:secret', '-out', 'encrypted.key');
  write('two-keys.key', read('server.key') + read('other.key'));

  // Damaged files.
  write('empty.pem', '');
  const random = rng(0x5eed);
  write('garbage.bin', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i === 7 ? 0 : Math.floor(random() * 256)))));
  const chainLines = read('server-chain.pem').split('\n');
  write('truncated.pem', chainLines.slice(0, Math.floor(chainLines.length * 0.3)).join('\n'));
  run('x509', '-in', 'server.pem', '-outform', 'DER', '-out', 'server.der');
  const der = fs.readFileSync(join(dir, 'server.der'));
  write('truncated.der', der.subarray(0, Math.floor(der.length / 2)));

  // CRLs made by `openssl ca -gencrl` (v2, with crlnumber): the client CA's, and one from the server CA.
  const gencrl = (ca: string, out: string) => {
    const db = join(dir, `${ca}-db`);
    fs.mkdirSync(db, { recursive: true });
    fs.writeFileSync(join(db, 'index.txt'), '');
    fs.writeFileSync(join(db, 'crlnumber'), '01\n');
    fs.writeFileSync(join(db, 'ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}/index.txt\ncrlnumber=${db}/crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n`);
    run('ca', '-config', join(db, 'ca.cnf'), '-gencrl', '-cert', `${ca}.pem`, '-keyfile', `${ca}.key`, '-out', out);
  };
  gencrl('client-ca', 'client-ca.crl');
  gencrl('server-ca', 'other-ca.crl');
  run('crl', '-in', 'client-ca.crl', '-outform', 'DER', '-out', 'client-ca.crl.der');
  const crlDer = fs.readFileSync(join(dir, 'client-ca.crl.der'));
  const tampered = Buffer.from(crlDer);
  tampered[tampered.length - 1] ^= 0x01; // the last byte of the ECDSA signature's s
  write('bad-signature.crl', `-----BEGIN X509 CRL-----\n${tampered.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END X509 CRL-----\n`);

  // What openssl will not make: past-dated CRLs, a duplicate serial, leaves outside their validity, a CRL over 1 MiB.
  const clientCa = await loadCertificateAuthority(read('client-ca.pem'), read('client-ca.key'), 'client-ca');
  const serverCa = await loadCertificateAuthority(read('server-ca.pem'), read('server-ca.key'), 'server-ca');
  const now = Date.now();
  const crl = async (entries: string[], thisUpdate: number, nextUpdate: number, crlNumber = 2n) => (await buildCrl({
    issuer: clientCa, crlNumber, thisUpdate: new Date(Math.floor(thisUpdate / 1000) * 1000), nextUpdate: new Date(Math.floor(nextUpdate / 1000) * 1000),
    entries: entries.map((serialHex) => ({ serialHex, revokedAt: new Date(Math.floor(thisUpdate / 1000) * 1000) })),
  })).pem;
  write('expired.crl', await crl([], now - 40 * DAY, now - DAY));
  write('duplicate-serial.crl', await crl(['0A', '0B', '0A'], now - DAY, now + 30 * DAY));
  const many = Array.from({ length: 23_000 }, (_, i) => (0x40000000_00000000_00000000_00000000n + BigInt(i) * 0x1_0000_0001n).toString(16).toUpperCase());
  write('huge.crl', await crl(many, now - DAY, now + 30 * DAY));
  const expired = await issueServerCertificate(serverCa, { names: [HOST], notBefore: new Date(now - 30 * DAY), validityDays: 10 });
  write('expired-chain.pem', expired.certificatePem + read('server-ca.pem'));
  write('expired.key', expired.privateKeyPem);
  const future = await issueServerCertificate(serverCa, { names: [HOST], notBefore: new Date(now + 2 * DAY) });
  write('future-chain.pem', future.certificatePem + read('server-ca.pem'));
  write('future.key', future.privateKeyPem);

  // An openssl CA database for import-openssl and gencrl: one revoked client.
  const exp = new Date(now + 300 * DAY).toISOString().replace(/[-:T]/g, '').slice(2, 14);
  write('index.txt', `R\t${exp}Z\t250105091344Z,keyCompromise\t0A\tunknown\t/CN=Client001\nV\t${exp}Z\t\t0B\tunknown\t/CN=Client002\n`);
  write('duplicate-index.txt', `R\t${exp}Z\t250105091344Z\t0A\tunknown\t/CN=Client001\nR\t${exp}Z\t250106091344Z\t0A\tunknown\t/CN=Client001 again\n`);
  write('crlnumber', '1F\n');
  write('bad-crlnumber', 'twelve\n');

  return { dir, path: (name) => join(dir, name), text: read };
}
