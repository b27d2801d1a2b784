import * as fs from 'node:fs';
import { join } from 'node:path';
import { openssl, opensslResult, scratchDir } from '../support/openssl';
import { snapshot } from '../store/helpers';
import { cli, requireBuild } from './cli';

// gencrl and import-openssl against a real openssl CA directory, as the seed sets one up.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-ossl-');
afterAll(() => tmp.cleanup());
const ca = join(tmp.dir, 'ca');
const ours = join(tmp.dir, 'ours');

/** Serial → "revocation date | reason" from `openssl crl -text`, plus the CRL number. */
function crlFields(crlPath: string): { number: string; entries: Record<string, string>; issuer: string } {
  const text = openssl(['crl', '-in', crlPath, '-noout', '-text']);
  const entries: Record<string, string> = {};
  for (const block of text.split(/\n\s+Serial Number: /).slice(1)) {
    const serial = block.split('\n')[0].trim();
    const date = /Revocation Date: (.+)/.exec(block)![1].trim();
    const reason = /X509v3 CRL Reason Code:\s*\n\s*(.+)/.exec(block)?.[1].trim() ?? '-';
    entries[serial] = `${date} | ${reason}`;
  }
  return { number: /X509v3 CRL Number:\s*\n\s*(\S+)/.exec(text)![1], entries, issuer: /Issuer: (.+)/.exec(text)![1] };
}

beforeAll(() => {
  fs.mkdirSync(ca);
  const run = (...args: string[]) => openssl(args, { cwd: ca });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'client-ca-key.pem', '-out', 'client-ca-cert.pem', '-days', '3650', '-subj', '/CN=Aispeech Client Cert Authority');
  for (const [name, serial] of [['Client001', '0A'], ['Client002', '0B']]) {
    run('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    run('x509', '-req', '-sha256', '-days', '365', '-in', `${name}.csr`, '-CA', 'client-ca-cert.pem', '-CAkey', 'client-ca-key.pem', '-set_serial', `0x${serial}`, '-out', `${name}.pem`);
  }
  const exp = openssl(['x509', '-in', join(ca, 'Client001.pem'), '-noout', '-enddate']).trim().replace('notAfter=', '');
  const yymmdd = new Date(exp).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  fs.writeFileSync(join(ca, 'index.txt'), [
    `R\t${yymmdd}\t240105091344Z,keyCompromise\t0A\tunknown\t/CN=Client001`,
    `V\t${yymmdd}\t\t0B\tunknown\t/CN=Client002`,
    'R\t301231235959Z\t250301120000Z,superseded\tFF01\tunknown\t/CN=Old Laptop',
    'R\t301231235959Z\t250302120000Z\t03\tunknown\t/CN=No Reason',
    'E\t200101000000Z\t\t04\tunknown\t/CN=Expired',
    'R\t301231235959Z\t250401000000Z,cessationOfOperation\t00C1\tunknown\t/O=Acme/CN=Left Company',
    'R\t301231235959Z\t250402000000Z,CAkeyTime,20250101000000Z\t05\tunknown\t/CN=CA Compromised',
    '',
  ].join('\n'));
  fs.writeFileSync(join(ca, 'crlnumber'), '1A\n');
  fs.writeFileSync(join(ca, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n');
  fs.cpSync(ca, ours, { recursive: true });
});

describe('mtls-pki gencrl, a drop-in for openssl ca -gencrl', () => {
  test('the same serials, revocation dates, reasons, issuer and CRL number as openssl; crlnumber is incremented the same way', () => {
    openssl(['ca', '-config', 'ca.cnf', '-gencrl', '-cert', 'client-ca-cert.pem', '-keyfile', 'client-ca-key.pem', '-out', 'openssl.crl'], { cwd: ca });
    const r = cli(['gencrl', '--index', join(ours, 'index.txt'), '--ca-cert', join(ours, 'client-ca-cert.pem'), '--ca-key', join(ours, 'client-ca-key.pem'), '--out', join(ours, 'ours.crl'), '--days', '30']);
    expect(r).toMatchObject({ status: 0, stderr: '', stdout: expect.stringMatching(/wrote .*ours.crl: CRL #26 of CN=Aispeech Client Cert Authority, 5 revoked/) });

    const theirs = crlFields(join(ca, 'openssl.crl'));
    const mine = crlFields(join(ours, 'ours.crl'));
    expect(Object.keys(mine.entries).sort()).toEqual(['03', '05', '0A', 'C1', 'FF01']);
    expect(mine).toEqual(theirs);
    expect(mine.entries['0A']).toBe('Jan  5 09:13:44 2024 GMT | Key Compromise');
    expect(mine.entries.C1).toBe('Apr  1 00:00:00 2025 GMT | Cessation Of Operation');
    expect(mine.number).toBe('26'); // 0x1A
    for (const f of ['crlnumber', 'crlnumber.old']) expect(fs.readFileSync(join(ours, f), 'utf8')).toBe(fs.readFileSync(join(ca, f), 'utf8'));
    expect(fs.readFileSync(join(ours, 'crlnumber'), 'utf8')).toBe('1B\n');

    expect(opensslResult(['crl', '-in', join(ours, 'ours.crl'), '-noout', '-verify', '-CAfile', join(ours, 'client-ca-cert.pem')]).output).toMatch(/verify OK/);
    const verify = (cert: string) => opensslResult(['verify', '-crl_check', '-CAfile', 'client-ca-cert.pem', '-CRLfile', 'ours.crl', cert], { cwd: ours });
    expect(verify('Client001.pem').output).toMatch(/certificate revoked/);
    expect(verify('Client002.pem')).toEqual({ status: 0, output: 'Client002.pem: OK\n' });

    // the next run takes the next number, like openssl
    cli(['gencrl', '--index', join(ours, 'index.txt'), '--ca-cert', join(ours, 'client-ca-cert.pem'), '--ca-key', join(ours, 'client-ca-key.pem'), '--out', join(ours, 'ours.crl')]);
    expect(crlFields(join(ours, 'ours.crl')).number).toBe('27');
  });

  test('without a crlnumber file the number is the Unix time (increasing), with a note; a bad index line names the line', () => {
    const alone = join(tmp.dir, 'alone');
    fs.mkdirSync(alone);
    fs.copyFileSync(join(ca, 'index.txt'), join(alone, 'index.txt'));
    const r = cli(['gencrl', '--index', join(alone, 'index.txt'), '--ca-cert', join(ca, 'client-ca-cert.pem'), '--ca-key', join(ca, 'client-ca-key.pem'), '--out', join(alone, 'x.crl')]);
    expect(r).toMatchObject({ status: 0, stderr: expect.stringMatching(/no crlnumber file next to .*; used the Unix time \d+ as CRL number/) });
    expect(Number(crlFields(join(alone, 'x.crl')).number)).toBeGreaterThan(1_700_000_000);

    fs.appendFileSync(join(alone, 'index.txt'), 'R\t301231235959Z\t\t06\tunknown\t/CN=x\n');
    const bad = cli(['gencrl', '--index', join(alone, 'index.txt'), '--ca-cert', join(ca, 'client-ca-cert.pem'), '--ca-key', join(ca, 'client-ca-key.pem'), '--out', join(alone, 'y.crl')]);
    expect(bad).toMatchObject({ status: 1, stderr: expect.stringMatching(/index.txt: line 8, field 3 \(revocation date\) is empty, but the status is R/) });
    expect(fs.existsSync(join(alone, 'y.crl'))).toBe(false);
    const wrongKey = cli(['gencrl', '--index', join(ca, 'index.txt'), '--ca-cert', join(ca, 'client-ca-cert.pem'), '--ca-key', join(ca, 'Client002-key.pem'), '--out', join(alone, 'z.crl')]);
    expect(wrongKey).toMatchObject({ status: 1, stderr: expect.stringMatching(/does not belong to the CA certificate/) });
  });
});

describe('mtls-pki import-openssl', () => {
  const store = join(tmp.dir, 'pki');
  const importArgs = ['import-openssl', '--dir', store, '--index', join(ca, 'index.txt'), '--ca-cert', join(ca, 'client-ca-cert.pem'), '--ca-key', join(ca, 'client-ca-key.pem'), '--crlnumber', join(ca, 'crlnumber')];

  test('adopts the CA with its revocations (dates and reasons kept) and continues its CRL numbers', () => {
    const next = fs.readFileSync(join(ca, 'crlnumber'), 'utf8').trim();
    const r = cli(importArgs);
    expect(r).toMatchObject({ status: 0, stdout: expect.stringMatching(/adopted .* as client-ca[\s\S]*7 certificate record\(s\) and 5 revocation\(s\) added[\s\S]*#27, 5 revoked/) });
    expect(next).toBe('1B'); // 27
    expect(fs.statSync(join(store, 'client-ca/key.pem')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(join(ca, 'crlnumber'), 'utf8').trim()).toBe(next); // the openssl files are not changed

    const listing = JSON.parse(cli(['list', '--json', '--dir', store]).stdout);
    expect(listing.certificates.find((c: { serialHex: string }) => c.serialHex === '0A')).toMatchObject({ commonName: 'Client001', status: 'revoked', revokedAt: '2024-01-05T09:13:44.000Z', reason: 'keyCompromise' });
    expect(listing.certificates.find((c: { serialHex: string }) => c.serialHex === 'C1')).toMatchObject({ commonName: 'Left Company', reason: 'cessationOfOperation' });
    expect(listing.certificates.find((c: { serialHex: string }) => c.serialHex === '04')).toMatchObject({ status: 'expired' });

    const fromStore = crlFields(join(store, 'client-ca/crl.pem'));
    expect(fromStore.number).toBe('27');
    const { number: _ignored, ...theirs } = crlFields(join(ca, 'openssl.crl'));
    const { number: _mine, ...mine } = fromStore;
    expect(mine).toEqual(theirs);
    const verify = (cert: string) => opensslResult(['verify', '-crl_check', '-CAfile', join(store, 'client-trust/ca.crt'), '-CRLfile', join(store, 'client-trust/ca.crl'), join(ca, cert)]);
    expect(verify('Client001.pem').output).toMatch(/certificate revoked/);
    expect(verify('Client002.pem').status).toBe(0);
  });

  test('importing again changes no byte; revoking through the store works on an imported certificate', () => {
    const before = snapshot(store);
    expect(cli(importArgs)).toMatchObject({ status: 0, stdout: expect.stringMatching(/already adopted[\s\S]*0 certificate record\(s\) and 0 revocation\(s\) added[\s\S]*\(unchanged\)/) });
    expect(snapshot(store)).toEqual(before);
    expect(cli(['revoke', 'Client002', '--dir', store])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^revoked Client002 serial 0B[\s\S]*#28, 6 revoked/) });
  });

  test('an index whose serial clashes with the store is refused, and nothing changes', () => {
    const clash = join(tmp.dir, 'clash-index.txt');
    fs.writeFileSync(clash, 'V\t301231235959Z\t\t0A\tunknown\t/CN=Someone Else\n');
    const before = snapshot(store);
    const r = cli(['import-openssl', '--dir', store, '--index', clash, '--ca-cert', join(ca, 'client-ca-cert.pem'), '--ca-key', join(ca, 'client-ca-key.pem')]);
    expect(r).toMatchObject({ status: 1, stderr: expect.stringMatching(/line 1: serial 0A is "Someone Else" here, but the store already has serial 0A as "Client001" under client-ca; serials must be unique per CA/) });
    expect(snapshot(store)).toEqual(before);
    const dup = join(tmp.dir, 'dup-index.txt');
    fs.writeFileSync(dup, 'V\t301231235959Z\t\t0D\tunknown\t/CN=a\nV\t301231235959Z\t\t0D\tunknown\t/CN=b\n');
    expect(cli(['import-openssl', '--dir', join(tmp.dir, 'fresh'), '--index', dup, '--ca-cert', join(ca, 'client-ca-cert.pem'), '--ca-key', join(ca, 'client-ca-key.pem')]))
      .toMatchObject({ status: 1, stderr: expect.stringMatching(/lines 1 and 2 both have serial 0D/) });
    expect(fs.existsSync(join(tmp.dir, 'fresh'))).toBe(false);
  });
});
