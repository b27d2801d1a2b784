import { createRootCa, UserInputError } from '../../lib/pki';
import { buildCrl, CrlOptions, isCrlSignedBy, parseCrlDer, readCrls, RevokedEntry } from '../../lib/pki/crl';
import { openssl, opensslResult, scratchDir } from '../support/openssl';
import { buildCrlWithPkijs } from '../support/pkijs-crl';
import { DAY } from '../fixtures';

// Counts our code's uses of pkijs and asn1js (which lib/pki takes from engine.ts alone) and the bytes it hands
// asn1js to parse, for the 20,000-entry test below; everything else passes through untouched.
jest.mock('../../lib/pki/engine', () => {
  const actual = jest.requireActual('../../lib/pki/engine');
  const usage = { calls: 0, berBytes: 0 };
  const counted = <T extends object>(lib: T): T => new Proxy(lib, { get: (target, key) => { usage.calls++; return Reflect.get(target, key); } });
  const fromBER = (data: ArrayBuffer | ArrayBufferView, ...rest: unknown[]) => {
    usage.berBytes += data.byteLength;
    return actual.asn1js.fromBER(data, ...rest);
  };
  return { ...actual, usage, pkijs: counted(actual.pkijs), asn1js: counted({ ...actual.asn1js, fromBER }) };
});
const engineUsage: { calls: number; berBytes: number } = jest.requireMock('../../lib/pki/engine').usage;

// The lean path (der.ts + node:crypto) must write exactly what the pkijs path writes. RSA PKCS#1 v1.5
// signatures are deterministic, so whole CRLs compare byte for byte; ECDSA signatures are randomized, so
// there the TBSCertList (everything that is signed) must match and both signatures must verify.

const REASONS: (RevokedEntry['reason'])[] = [undefined, 'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise'];

function manyEntries(count: number): RevokedEntry[] {
  let seed = 0x9e3779b9;
  const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0);
  return Array.from({ length: count }, (_, i) => {
    const bytes = 1 + (next() % 20);
    const serial = Array.from({ length: bytes }, () => (next() & 0xff).toString(16).padStart(2, '0')).join('');
    return { serialHex: serial, revokedAt: new Date(Date.UTC(2024, 0, 1) + (next() % 400) * DAY + (next() % DAY)), reason: REASONS[i % REASONS.length] };
  });
}

const EDGE_ENTRIES: RevokedEntry[] = [
  { serialHex: '01', revokedAt: new Date('2026-03-01T10:00:00Z') },
  { serialHex: '80', revokedAt: new Date('2026-03-01T10:00:00.999Z'), reason: 'keyCompromise' }, // top bit: 00 80
  { serialHex: 'ff00ff', revokedAt: new Date('2049-12-31T23:59:59Z'), reason: 'superseded' }, // last UTCTime second
  { serialHex: '00:00:7f', revokedAt: new Date('2050-01-01T00:00:00Z'), reason: 'aACompromise' }, // first GeneralizedTime
  { serialHex: '0x00FF', revokedAt: new Date('2051-06-15T12:30:45.500Z'), reason: 'privilegeWithdrawn' }, // ms dropped
  { serialHex: '0000', revokedAt: new Date('1950-01-01T00:00:00Z') }, // serial 0, first UTCTime
  { serialHex: 'abc', revokedAt: new Date('1949-12-31T23:59:59Z'), reason: 'unspecified' }, // odd length; GeneralizedTime before 1950
  { serialHex: '7F'.repeat(20), revokedAt: new Date('9999-12-31T23:59:59Z'), reason: 'certificateHold' },
  { serialHex: `8${'0'.repeat(299)}`, revokedAt: new Date('2030-01-01T00:00:00Z') }, // 151-octet INTEGER: long-form lengths
];

function options(issuer: CrlOptions['issuer'], entries: readonly RevokedEntry[], crlNumber = 1n): CrlOptions {
  const thisUpdate = new Date('2026-05-01T08:00:00.250Z');
  return { issuer, entries, crlNumber, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 7 * DAY) };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('lean CRL encoding is byte-identical to the pkijs encoding', () => {
  let rsa: Awaited<ReturnType<typeof createRootCa>>;
  let ec256: Awaited<ReturnType<typeof createRootCa>>;
  let ec384: Awaited<ReturnType<typeof createRootCa>>;
  const tmp = scratchDir();
  beforeAll(async () => {
    [rsa, ec256, ec384] = await Promise.all([
      createRootCa({ commonName: 'Lean RSA CA', organization: 'Acme', keyAlgorithm: 'rsa-2048' }),
      createRootCa({ commonName: 'Lean P-256 CA', keyAlgorithm: 'ec-p256' }),
      createRootCa({ commonName: 'Lean P-384 CA', keyAlgorithm: 'ec-p384' }),
    ]);
  });
  afterAll(() => tmp.cleanup());

  const sets: [string, () => RevokedEntry[]][] = [
    ['0 entries', () => []],
    ['1 entry', () => [{ serialHex: '1234', revokedAt: new Date('2026-04-30T23:59:59Z'), reason: 'keyCompromise' }]],
    ['edge serials, dates and reasons', () => EDGE_ENTRIES],
    ['2,000 varied entries', () => manyEntries(2000)],
  ];

  test.each(sets)('RSA: whole CRL, %s', async (_, entries) => {
    const opts = options(rsa, entries(), 0xfedcba9876543210n);
    const [lean, reference] = await Promise.all([buildCrl(opts), buildCrlWithPkijs(opts)]);
    expect(hex(lean.der)).toBe(hex(reference.der));
    expect(lean.pem).toBe(reference.pem);
    expect(isCrlSignedBy(parseCrlDer(lean.der), rsa.facts)).toBe(true);
  });

  test.each(sets)('ECDSA P-256 and P-384: TBSCertList, %s', async (_, entries) => {
    for (const ca of [ec256, ec384]) {
      const opts = options(ca, entries(), 5n);
      const [lean, reference] = await Promise.all([buildCrl(opts), buildCrlWithPkijs(opts)]);
      const [a, b] = [parseCrlDer(lean.der), parseCrlDer(reference.der)];
      expect(hex(a.tbsDer)).toBe(hex(b.tbsDer));
      expect(a.signatureAlgorithm).toBe(b.signatureAlgorithm);
      expect(isCrlSignedBy(a, ca.facts)).toBe(true);
      expect(isCrlSignedBy(b, ca.facts)).toBe(true);
    }
  });

  test('openssl reads the edge cases as written: 00-padded serials, both time forms, reasons, no reason 0', async () => {
    const crl = await buildCrl(options(ec256, EDGE_ENTRIES));
    tmp.write('edge.pem', crl.pem);
    tmp.write('ca.pem', ec256.certificatePem);
    const text = openssl(['crl', '-in', 'edge.pem', '-noout', '-text'], { cwd: tmp.dir });
    expect(openssl(['crl', '-in', 'edge.pem', '-noout', '-verify', '-CAfile', 'ca.pem'], { cwd: tmp.dir })).toBe('');
    expect(text).toMatch(/Serial Number: 80\n\s+Revocation Date: Mar  1 10:00:00 2026 GMT/);
    expect(text).toMatch(/Serial Number: 7F\n\s+Revocation Date: Jan  1 00:00:00 2050 GMT/);
    expect(text).toMatch(/Serial Number: 00\n\s+Revocation Date: Jan  1 00:00:00 1950 GMT/);
    expect(text).toMatch(/Serial Number: 0ABC\n\s+Revocation Date: Dec 31 23:59:59 1949 GMT\n(?!\s+CRL entry extensions)/);
    expect(text).not.toMatch(/Unspecified/);
    expect(text).toMatch(/Dec 31 23:59:59 9999 GMT\n\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: *\n\s+Certificate Hold/);
    // The DER itself: 0x80 is written 02 02 00 80; 2049 as a UTCTime, 2050 as a GeneralizedTime.
    const der = hex(crl.der);
    expect(der).toContain('0202008017' + '0d' + Buffer.from('260301100000Z').toString('hex'));
    expect(der).toContain('170d' + Buffer.from('491231235959Z').toString('hex'));
    expect(der).toContain('180f' + Buffer.from('20500101000000Z').toString('hex'));
  });

  test('entries read back as written (serials normalized, whole seconds, unspecified left out)', async () => {
    const crl = await buildCrl(options(ec256, EDGE_ENTRIES));
    const [facts] = readCrls(crl.pem);
    expect(facts.entries.map((e) => e.serialHex)).toEqual(['01', '80', 'FF00FF', '7F', 'FF', '00', '0ABC', '7F'.repeat(20), `8${'0'.repeat(299)}`]);
    expect(facts.entries.map((e) => e.revokedAt.toISOString())).toEqual(EDGE_ENTRIES.map((e) => new Date(Math.floor(e.revokedAt.getTime() / 1000) * 1000).toISOString()));
    expect(facts.entries.map((e) => e.reason)).toEqual(EDGE_ENTRIES.map((e) => (e.reason === 'unspecified' ? undefined : e.reason)));
    expect(facts.duplicateSerials).toEqual([]);
  });

  // Work, not time (the timings are bench/'s: `gencrl` and `check` of 20k entries, BENCHMARKS.md): whatever the
  // entry count, our code makes the same calls into pkijs/asn1js and hands asn1js the same bytes, so the work that
  // grows with the entries is the lean writer's and reader's alone. The pkijs path (one object per entry) or a
  // whole-CRL asn1js parse would make both grow with the entries.
  test('20,000 entries: the pkijs/asn1js work is that of a 1-entry CRL; all 20,000 read back, openssl verifies it', async () => {
    const measure = async <T>(work: () => Promise<T> | T): Promise<{ result: T; calls: number; berBytes: number }> => {
      Object.assign(engineUsage, { calls: 0, berBytes: 0 });
      const result = await work();
      return { result, ...engineUsage };
    };
    const built = { one: await measure(() => buildCrl(options(ec256, manyEntries(1)))), many: await measure(() => buildCrl(options(ec256, manyEntries(20_000)))) };
    expect(built.many.calls).toBe(built.one.calls);
    expect(built.one.calls).toBeGreaterThan(0); // the counting sees the envelope's work, or it proves nothing
    const readBack = (pem: string) => measure(() => {
      const [facts] = readCrls(pem);
      return { facts, signed: isCrlSignedBy(facts, ec256.facts) };
    });
    const read = { one: await readBack(built.one.result.pem), many: await readBack(built.many.result.pem) };
    expect(read.many.calls).toBe(read.one.calls);
    // asn1js parses the envelope only: a few hundred bytes for both (give or take the octets by which ECDSA
    // signatures and length fields differ), while the 20,000-entry CRL is over 600 KB.
    expect(read.one.berBytes).toBeGreaterThan(100);
    expect(Math.abs(read.many.berBytes - read.one.berBytes)).toBeLessThanOrEqual(8);
    expect(built.many.result.der.length).toBeGreaterThan(600_000);

    const { facts, signed } = read.many.result;
    expect(signed).toBe(true);
    expect(facts.entries.map((e) => e.serialHex)).toEqual(manyEntries(20_000).map((e) => e.serialHex.toUpperCase().replace(/^(00)+(?=.)/, '')));
    tmp.write('many.pem', built.many.result.pem);
    tmp.write('ca.pem', ec256.certificatePem);
    expect(opensslResult(['crl', '-in', 'many.pem', '-noout', '-verify', '-CAfile', 'ca.pem'], { cwd: tmp.dir }).output).toBe('verify OK\n');
  });

  test('bad input is refused with a UserInputError naming the field', async () => {
    const bad: [Partial<CrlOptions>, RegExp][] = [
      [{ entries: [{ serialHex: 'xyz', revokedAt: new Date() }] }, /entries\[0\]\.serialHex: "xyz" is not a hexadecimal serial number/],
      [{ entries: [{ serialHex: '', revokedAt: new Date() }] }, /entries\[0\]\.serialHex: "" is not a hexadecimal/],
      [{ entries: [{ serialHex: '01', revokedAt: new Date(NaN) }] }, /entries\[0\]\.revokedAt: Invalid Date is not a date/],
      [{ entries: [{ serialHex: '01', revokedAt: new Date(), reason: 'bogus' as RevokedEntry['reason'] }] }, /entries\[0\]\.reason: "bogus" is not an RFC 5280 revocation reason; use one of unspecified, keyCompromise,/],
      // An inherited property of the reasons table is no reason either.
      [{ entries: [{ serialHex: '01', revokedAt: new Date() }, { serialHex: '02', revokedAt: new Date(), reason: 'constructor' as RevokedEntry['reason'] }] }, /entries\[1\]\.reason: "constructor" is not an RFC 5280 revocation reason/],
      [{ nextUpdate: new Date('2026-05-01T08:00:00Z') }, /nextUpdate: .* is not after thisUpdate/],
      [{ crlNumber: 1n << 159n }, /crlNumber: 730750818665451459101842416358141509827966271488 is not a CRL number/],
      [{ crlNumber: -1n }, /crlNumber: -1 is not a CRL number/],
      [{ thisUpdate: new Date(Date.UTC(10000, 0, 1)), nextUpdate: new Date(Date.UTC(10001, 0, 1)) }, /thisUpdate: .* is not a date X\.509 can hold/],
    ];
    for (const [override, message] of bad) {
      const opts = { ...options(ec256, []), ...override };
      await expect(buildCrl(opts)).rejects.toThrow(message);
      await expect(buildCrl(opts)).rejects.toBeInstanceOf(UserInputError);
    }
  });

  // Before: a reason spelled in another case passed the validating parser (which ignores case) and then
  // missed the exact-case lookup, so the entry went into the CRL without its reason, silently.
  test('a reason in another case from an untyped caller is written as the reason it names, never dropped', async () => {
    const entries = [
      { serialHex: '0A', revokedAt: new Date('2026-03-01T10:00:00Z'), reason: 'KEYCOMPROMISE' },
      { serialHex: '0B', revokedAt: new Date('2026-03-01T10:00:00Z'), reason: 'cacompromise' },
      { serialHex: '0C', revokedAt: new Date('2026-03-01T10:00:00Z'), reason: 'UNSPECIFIED' },
    ] as unknown as RevokedEntry[];
    const crl = await buildCrl(options(ec256, entries));
    expect(readCrls(crl.pem)[0].entries.map((e) => e.reason)).toEqual(['keyCompromise', 'cACompromise', undefined]);
    tmp.write('case.pem', crl.pem);
    const text = openssl(['crl', '-in', 'case.pem', '-noout', '-text'], { cwd: tmp.dir });
    expect(text).toMatch(/Serial Number: 0A\n.*\n\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: *\n\s+Key Compromise/);
    expect(text).toMatch(/Serial Number: 0B\n.*\n\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: *\n\s+CA Compromise/);
    expect(text).toMatch(/Serial Number: 0C\n.*\n(?!\s+CRL entry extensions)/);
  });
});
