import { readTime, TAG } from '../../lib/pki/der';
import { checkX509Date, parseTimeText, timeText, usesUtcTime, wholeSeconds } from '../../lib/pki/time';

const at = (iso: string) => new Date(iso);

describe('time text: the one parser for DER times and index.txt dates', () => {
  test('both forms, leap days, the 1950/2049 pivot, impossible dates', () => {
    expect(parseTimeText('240229120000Z')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseTimeText('20000229000000Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseTimeText('500101000000Z')).toBe(Date.UTC(1950, 0, 1));
    expect(parseTimeText('491231235959Z')).toBe(Date.UTC(2049, 11, 31, 23, 59, 59));
    expect(parseTimeText('99991231235959Z')).toBe(at('9999-12-31T23:59:59Z').getTime());
    expect(parseTimeText('00000101000000Z')).toBe(at('0000-01-01T00:00:00Z').getTime());
    expect(parseTimeText('x240229120000Zx', 1, 14)).toBe(Date.UTC(2024, 1, 29, 12));
    for (const bad of ['230229000000Z', '21000229000000Z', '241301000000Z', '240100000000Z', '240101240000Z', '240101006000Z', '240101000060Z',
      '240101000000', '24010100000Z', '2401010000000Z', '240101000000.5Z', '2401010000+0100', '2401O1000000Z', '']) {
      expect(parseTimeText(bad)).toBeNaN();
    }
  });

  test('agrees with the JavaScript calendar on 20,000 times from year 0000 to 9999, and timeText writes them back', () => {
    let seed = 0x2545f491;
    const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0);
    const min = at('0000-01-01T00:00:00Z').getTime();
    const max = at('9999-12-31T23:59:59Z').getTime();
    const wrong: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor((min + ((next() * 2 ** 32 + next()) / 2 ** 64) * (max - min)) / 1000) * 1000;
      const text = timeText(new Date(ms));
      if (text.length !== (usesUtcTime(new Date(ms)) ? 13 : 15) || parseTimeText(text) !== ms) wrong.push(`${new Date(ms).toISOString()} ${text}`);
    }
    expect(wrong).toEqual([]);
  });

  test('RFC 5280 choice: UTCTime for 1950 through 2049 only', () => {
    expect(timeText(at('1949-12-31T23:59:59Z'))).toBe('19491231235959Z');
    expect(timeText(at('1950-01-01T00:00:00Z'))).toBe('500101000000Z');
    expect(timeText(at('2049-12-31T23:59:59.999Z'))).toBe('491231235959Z');
    expect(timeText(at('2050-01-01T00:00:00Z'))).toBe('20500101000000Z');
    expect(timeText(at('0099-03-04T05:06:07Z'))).toBe('00990304050607Z');
  });

  test('whole seconds round down, also before 1970', () => {
    expect(wholeSeconds(at('2026-01-01T00:00:00.999Z'))).toEqual(at('2026-01-01T00:00:00Z'));
    expect(wholeSeconds(at('1949-12-31T23:59:59.500Z'))).toEqual(at('1949-12-31T23:59:59Z'));
  });

  test('dates X.509 cannot hold are a UserInputError naming the field', () => {
    expect(() => checkX509Date(new Date(NaN), 'notBefore')).toThrow(/^notBefore: Invalid Date is not a date X\.509 can hold \(years 0000 to 9999\)\.$/);
    expect(() => checkX509Date(new Date(Date.UTC(10000, 0, 1)), 'notAfter')).toThrow(/^notAfter: .* is not a date X\.509 can hold/);
    expect(() => checkX509Date('2026-01-01', 'revokedAt')).toThrow(/^revokedAt: 2026-01-01 is not a date/);
    expect(() => checkX509Date(at('0000-01-01T00:00:00Z'), 'x')).not.toThrow();
  });

  test('readTime holds a DER time to its tag: 13 characters for UTCTime, 15 for GeneralizedTime', () => {
    const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
    const read = (tag: number, s: string) => readTime(bytes(s), tag, 0, s.length);
    expect(read(TAG.UTC_TIME, '491231235959Z')).toEqual(at('2049-12-31T23:59:59Z'));
    expect(read(TAG.GENERALIZED_TIME, '19491231235959Z')).toEqual(at('1949-12-31T23:59:59Z'));
    expect(() => read(TAG.UTC_TIME, '19491231235959Z')).toThrow(/UTCTime "19491231235959Z" has 15 characters; expected YYMMDDHHMMSSZ/);
    expect(() => read(TAG.GENERALIZED_TIME, '491231235959Z')).toThrow(/GeneralizedTime "491231235959Z" has 13 characters; expected YYYYMMDDHHMMSSZ/);
    expect(() => read(TAG.UTC_TIME, '240230000000Z')).toThrow(/UTCTime "240230000000Z" is not YYMMDDHHMMSSZ in UTC \(Z\) naming a date that exists/);
    expect(() => read(TAG.OCTET_STRING, '240101000000Z')).toThrow(/expected a UTCTime or GeneralizedTime, found tag 0x4/);
  });
});
