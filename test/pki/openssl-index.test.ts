import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCrlSignedBy, loadCertificateAuthority, readCrls, UserInputError } from '../../lib/pki';
import { formatCrlNumber, generateCrlFromIndex, OpensslIndexParser, parseCrlNumber, parseOpensslIndex } from '../../lib/pki/openssl-index';
import { openssl, scratchDir } from '../support/openssl';
import { DAY } from '../fixtures';

const tab = (...fields: string[]) => fields.join('\t');

/** The entries of `openssl crl -text`: serial, revocation date, reason text and other entry extensions. */
function opensslEntries(text: string): { serial: string; date: string; reason?: string; extras: string[] }[] {
  const out: { serial: string; date: string; reason?: string; extras: string[] }[] = [];
  const body = text.split(/^Revoked Certificates:|^No Revoked Certificates\./m)[1]?.split(/^\s+Signature Algorithm:/m)[0] ?? '';
  for (const block of body.split(/^\s+Serial Number: /m).slice(1)) {
    const lines = block.split('\n').map((l) => l.trim());
    const entry = { serial: lines[0], date: new Date(lines[1].replace(/^Revocation Date: /, '')).toISOString(), extras: [] as string[] };
    const at = lines.indexOf('X509v3 CRL Reason Code:');
    out.push(at === -1 ? entry : { ...entry, reason: lines[at + 1] });
    entry.extras.push(...lines.filter((l) => /^(Invalidity Date|Hold Instruction Code):/.test(l)));
  }
  return out;
}

describe('parseOpensslIndex', () => {
  const sample = [
    tab('V', '271231235959Z', '', '0A', 'unknown', '/CN=valid'),
    '# a comment, and a blank line next',
    '',
    tab('R', '20551231235959Z', '240105091344Z,keyCompromise', '00ff', 'unknown', '/O=Acme/CN=Client001'),
    tab('E', '200101000000Z', '', '1234', 'certs/1234.pem', '/CN=old'),
    tab('R', '301231235959Z', '20490105091344Z', '8000', 'unknown', '/CN=no reason') + '\r',
    tab('R', '301231235959Z', '240105091347Z,holdInstruction,holdInstructionReject', '05', 'unknown', '/CN=held'),
    tab('R', '301231235959Z', '240105091348Z,keyTime,20240101000000Z', '06', 'unknown', '/CN=keytime'),
    tab('R', '301231235959Z', '240105091349Z,cacompromise', '07', 'unknown', '/CN=ca'),
  ].join('\n');

  test('reads every field, maps openssl reason names, skips comments and blank lines, tolerates CRLF', () => {
    const entries = parseOpensslIndex(sample);
    expect(entries).toEqual([
      { status: 'V', expiresAt: new Date('2027-12-31T23:59:59Z'), serialHex: '0A', fileName: 'unknown', subject: '/CN=valid', line: 1 },
      { status: 'R', expiresAt: new Date('2055-12-31T23:59:59Z'), revokedAt: new Date('2024-01-05T09:13:44Z'), reason: 'keyCompromise', serialHex: 'FF', fileName: 'unknown', subject: '/O=Acme/CN=Client001', line: 4 },
      { status: 'E', expiresAt: new Date('2020-01-01T00:00:00Z'), serialHex: '1234', fileName: 'certs/1234.pem', subject: '/CN=old', line: 5 },
      { status: 'R', expiresAt: new Date('2030-12-31T23:59:59Z'), revokedAt: new Date('2049-01-05T09:13:44Z'), serialHex: '8000', fileName: 'unknown', subject: '/CN=no reason', line: 6 },
      { status: 'R', expiresAt: new Date('2030-12-31T23:59:59Z'), revokedAt: new Date('2024-01-05T09:13:47Z'), reason: 'certificateHold', holdInstruction: 'holdInstructionReject', serialHex: '05', fileName: 'unknown', subject: '/CN=held', line: 7 },
      { status: 'R', expiresAt: new Date('2030-12-31T23:59:59Z'), revokedAt: new Date('2024-01-05T09:13:48Z'), reason: 'keyCompromise', invalidityDate: new Date('2024-01-01T00:00:00Z'), serialHex: '06', fileName: 'unknown', subject: '/CN=keytime', line: 8 },
      { status: 'R', expiresAt: new Date('2030-12-31T23:59:59Z'), revokedAt: new Date('2024-01-05T09:13:49Z'), reason: 'cACompromise', serialHex: '07', fileName: 'unknown', subject: '/CN=ca', line: 9 },
    ]);
  });

  test('chunks split anywhere parse to the same entries as the whole text', () => {
    const whole = parseOpensslIndex(sample);
    for (const size of [1, 2, 7, 13, 64]) {
      const parser = new OpensslIndexParser();
      const got = [];
      for (let i = 0; i < sample.length; i += size) got.push(...parser.push(sample.slice(i, i + size)));
      got.push(...parser.end());
      expect(got).toEqual(whole);
    }
  });

  test.each([
    [tab('V', '271231235959Z', '', '0A', 'unknown'), /index\.txt: line 1 has 5 tab-separated fields; openssl's index\.txt has 6/],
    [tab('V', '271231235959Z', '', '0A', 'unknown', '/CN=a', 'extra'), /line 1 has more than 6 tab-separated fields/],
    ['V 271231235959Z', /line 1 has 1 tab-separated field;/],
    [tab('X', '271231235959Z', '', '0A', 'unknown', '/CN=a'), /line 1, field 1 \(status\) is "X"; expected V \(valid\), R \(revoked\) or E \(expired\)/],
    [tab('V', '2712312359Z', '', '0A', 'unknown', '/CN=a'), /line 1, field 2 \(expiry date\) "2712312359Z" is not a time/],
    [tab('V', '270230000000Z', '', '0A', 'unknown', '/CN=a'), /field 2 \(expiry date\) "270230000000Z" is not a time/],
    [tab('V', '271231240000Z', '', '0A', 'unknown', '/CN=a'), /field 2 \(expiry date\) "271231240000Z"/],
    [tab('R', '271231235959Z', '', '0A', 'unknown', '/CN=a'), /line 1, field 3 \(revocation date\) is empty, but the status is R/],
    [tab('V', '271231235959Z', '240105091344Z', '0A', 'unknown', '/CN=a'), /field 3 \(revocation date\) is "240105091344Z", but the status is V, not R/],
    [tab('R', '271231235959Z', '240105091344Z,stolen', '0A', 'unknown', '/CN=a'), /field 3 \(revocation date\) has reason "stolen", which openssl does not know/],
    [tab('R', '271231235959Z', '240105091344Z,removeFromCRL', '0A', 'unknown', '/CN=a'), /reason removeFromCRL, which belongs only in delta CRLs/],
    [tab('R', '271231235959Z', '240105091344Z,holdInstruction', '0A', 'unknown', '/CN=a'), /holdInstruction without the instruction/],
    [tab('R', '271231235959Z', '240105091344Z,keyTime,2401', '0A', 'unknown', '/CN=a'), /keyTime without a valid compromise time/],
    [tab('R', '271231235959Z', '2401050913Z', '0A', 'unknown', '/CN=a'), /field 3 \(revocation date\) "2401050913Z" is not a time/],
    [tab('V', '271231235959Z', '', 'A', 'unknown', '/CN=a'), /line 1, field 4 \(serial\) "A" has 1 hex digits; openssl requires an even number, at least 2/],
    [tab('V', '271231235959Z', '', '0G', 'unknown', '/CN=a'), /field 4 \(serial\) "0G" is not hexadecimal/],
    [tab('V', '271231235959Z', '', '-0A', 'unknown', '/CN=a'), /field 4 \(serial\) "-0A" is negative/],
  ])('refuses %j', (line, message) => {
    const text = `${tab('V', '271231235959Z', '', '01', 'unknown', '/CN=ok')}\n${line}\n`;
    expect(() => parseOpensslIndex(text)).toThrow(UserInputError);
    expect(() => parseOpensslIndex(text)).toThrow(new RegExp(message.source.replace('line 1', 'line 2')));
  });
});

describe('generateCrlFromIndex against openssl ca -gencrl', () => {
  const tmp = scratchDir();
  afterAll(() => tmp.cleanup());

  test('same serials (in openssl\'s sorted order), dates and reasons; openssl crl -verify accepts ours', async () => {
    const dir = tmp.dir;
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-keyout', 'ca.key', '-out', 'ca.pem', '-nodes', '-subj', '/O=Acme/CN=Index CA', '-days', '30'], { cwd: dir });
    const reasons = ['', ',keyCompromise', ',CACompromise', ',affiliationChanged', ',superseded', ',cessationOfOperation', ',certificateHold', ',unspecified', ',holdInstruction,holdInstructionReject', ',keyTime,20240101000000Z', ',CAkeyTime,20230101000000Z'];
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
    const lines: string[] = [];
    for (let i = 0; i < 600; i++) {
      const serial = Array.from({ length: 1 + (rand() % 16) }, () => (rand() & 0xff).toString(16).padStart(2, '0')).join('').toUpperCase();
      const status = i % 7 === 0 ? 'V' : i % 11 === 0 ? 'E' : 'R';
      const revoked = status === 'R' ? `${String(20 + (rand() % 30)).padStart(2, '0')}0${1 + (rand() % 9)}1${rand() % 10}12${String(rand() % 60).padStart(2, '0')}07Z${reasons[i % reasons.length]}` : '';
      lines.push(tab(status, i % 5 ? '301231235959Z' : '20551231235959Z', revoked, serial, 'unknown', `/CN=c${i}`));
    }
    const unique = [...new Map(lines.map((l) => [l.split('\t')[3].replace(/^(00)+(?=.)/, ''), l])).values()];
    const indexText = `${unique.join('\n')}\n`;
    tmp.write('index.txt', indexText);
    tmp.write('crlnumber', '0FFF\n');
    tmp.write('ca.cnf', '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n');
    openssl(['ca', '-config', 'ca.cnf', '-gencrl', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-out', 'theirs.crl'], { cwd: dir });
    expect(readFileSync(join(dir, 'crlnumber'), 'utf8')).toBe(formatCrlNumber(0x1000n));

    const ca = await loadCertificateAuthority(readFileSync(join(dir, 'ca.pem'), 'utf8'), readFileSync(join(dir, 'ca.key'), 'utf8'));
    const now = new Date();
    const ours = await generateCrlFromIndex({ indexText, ca, crlNumber: 0xfffn, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY) });
    tmp.write('ours.crl', ours.pem);
    expect(openssl(['crl', '-in', 'ours.crl', '-noout', '-verify', '-CAfile', 'ca.pem'], { cwd: dir })).toBe('');

    const theirs = opensslEntries(openssl(['crl', '-in', 'theirs.crl', '-noout', '-text'], { cwd: dir }));
    const mine = opensslEntries(openssl(['crl', '-in', 'ours.crl', '-noout', '-text'], { cwd: dir }));
    expect(ours.entryCount).toBe(unique.filter((l) => l.startsWith('R')).length);
    expect(mine).toHaveLength(theirs.length);
    expect(mine.map((e) => e.serial)).toEqual(theirs.map((e) => e.serial));
    expect(mine.map((e) => e.date)).toEqual(theirs.map((e) => e.date));
    // Deliberate differences: openssl writes `unspecified` as reasonCode 0 (RFC 5280 says leave it out), and
    // writes Invalidity Date / Hold Instruction Code, which we do not.
    expect(mine.map((e) => e.reason)).toEqual(theirs.map((e) => (e.reason === 'Unspecified' ? undefined : e.reason)));
    expect(theirs.some((e) => e.reason === 'Unspecified') && theirs.some((e) => e.extras.length > 0)).toBe(true);
    expect(mine.every((e) => e.extras.length === 0)).toBe(true);

    // Our own reader agrees with openssl's text for both CRLs.
    for (const [pem, listed] of [[ours.pem, mine], [readFileSync(join(dir, 'theirs.crl'), 'utf8'), theirs]] as const) {
      const [facts] = readCrls(pem);
      expect(isCrlSignedBy(facts, ca.facts)).toBe(true);
      expect(facts.entries.map((e) => e.serialHex)).toEqual(listed.map((e) => e.serial));
      expect(facts.entries.map((e) => e.revokedAt.toISOString())).toEqual(listed.map((e) => e.date));
    }
  });

  test('entries come out in numeric serial order for any mix: shared prefixes, lengths, top bits, long serials', async () => {
    const ca = await loadCertificateAuthority(readFileSync(join(tmp.dir, 'ca.pem'), 'utf8'), readFileSync(join(tmp.dir, 'ca.key'), 'utf8'));
    let seed = 99;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
    const bytes = (n: number) => Array.from({ length: n }, () => (rand() & 0xff).toString(16).padStart(2, '0')).join('');
    const serials = new Set<string>(['01', '7F', '80', 'FF', '0100', '00FF01']);
    while (serials.size < 60) serials.add(`ABCDEF${bytes(2)}`); // a run of 50+ sharing three octets: the comparator path
    while (serials.size < 70) serials.add(`123456${bytes(1 + (rand() % 3))}`); // short runs: insertion sort, mixed lengths
    for (const length of [31, 32, 33, 40]) for (let i = 0; i < 3; i++) serials.add(`${(0x10 + (rand() % 0xe0)).toString(16)}${bytes(length - 1)}`);
    while (serials.size < 400) serials.add(bytes(16));
    const shuffled = [...serials].map((s) => [rand(), s] as const).sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    const indexText = shuffled.map((serial, i) => tab('R', '301231235959Z', '240105091344Z', serial.length % 2 ? `0${serial}` : serial, 'unknown', `/CN=s${i}`)).join('\n');
    const now = new Date();
    const crl = await generateCrlFromIndex({ indexText, ca, crlNumber: 2n, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY) });
    const listed = readCrls(crl.pem)[0].entries.map((e) => e.serialHex);
    const normalize = (hex: string) => BigInt(`0x${hex}`).toString(16).toUpperCase().replace(/^(.(..)*)$/, (m) => (m.length % 2 ? `0${m}` : m));
    const expected = shuffled.map((s) => BigInt(`0x${s}`)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((v) => normalize(v.toString(16)));
    expect(listed).toEqual(expected);
  });

  test('an index with no revoked line gives a CRL without a revoked list; duplicate revoked serials are refused', async () => {
    const ca = await loadCertificateAuthority(readFileSync(join(tmp.dir, 'ca.pem'), 'utf8'), readFileSync(join(tmp.dir, 'ca.key'), 'utf8'));
    const now = new Date();
    const base = { ca, crlNumber: 1n, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY) };
    const empty = await generateCrlFromIndex({ ...base, indexText: `${tab('V', '301231235959Z', '', '01', 'unknown', '/CN=a')}\n` });
    expect(empty.entryCount).toBe(0);
    tmp.write('empty.crl', empty.pem);
    expect(openssl(['crl', '-in', 'empty.crl', '-noout', '-text'], { cwd: tmp.dir })).toMatch(/No Revoked Certificates/);
    const dup = [tab('R', '301231235959Z', '240105091344Z', '0A', 'unknown', '/CN=a'), tab('R', '301231235959Z', '240105091345Z', '02', 'unknown', '/CN=b'), tab('R', '301231235959Z', '240105091346Z', '000A', 'unknown', '/CN=c')].join('\n');
    await expect(generateCrlFromIndex({ ...base, indexText: dup, source: 'ca/index.txt' })).rejects.toThrow(/^ca\/index\.txt: lines 1 and 3 revoke the same serial/);
  });
});

describe('the crlnumber file', () => {
  test('reads hex as openssl writes it, writes it back the same way, and refuses what is not a CRL number', () => {
    expect(parseCrlNumber('1000\n')).toBe(0x1000n);
    expect(parseCrlNumber('7')).toBe(7n);
    expect(formatCrlNumber(0x100n)).toBe('0100\n');
    expect(formatCrlNumber(2n)).toBe('02\n');
    expect(() => parseCrlNumber('')).toThrow(/crlnumber: is empty/);
    expect(() => parseCrlNumber('12 34')).toThrow(/"12 34" is not a hex number/);
    expect(() => parseCrlNumber('8'.padEnd(40, '0'))).toThrow(/below 2\^159/);
  });
});
