import { createRootCa, issueClientCertificate, UserInputError } from '../../lib/pki';
import { parseSerial, serialHexOfInteger, serialMagnitudeHex, serialToBytes } from '../../lib/pki/serial';
import { openssl, scratchDir } from '../support/openssl';

describe('serials: one canonical form, as openssl x509 -noout -serial prints it', () => {
  test('every way a user types a serial comes out canonical: uppercase, even length, no leading zero octets', () => {
    for (const [typed, canonical] of [
      ['3f0a', '3F0A'], ['0x3F0A', '3F0A'], ['3f:0a', '3F0A'], [' 3F 0A\n', '3F0A'], ['00:00:3f:0a', '3F0A'],
      ['f0a', '0F0A'], ['0', '00'], ['0000', '00'], ['80', '80'], ['0080', '80'],
    ]) {
      expect(parseSerial(typed)).toBe(canonical);
    }
  });

  test('what is not hex is a UserInputError naming the field and the form openssl prints', () => {
    for (const bad of ['', 'xyz', '0x', '3F-0A', '-01']) {
      expect(() => parseSerial(bad, '--serial')).toThrow(UserInputError);
      expect(() => parseSerial(bad, '--serial')).toThrow(/^--serial: ".*" is not a hexadecimal serial number \(as `openssl x509 -noout -serial` prints it/);
    }
    expect(serialMagnitudeHex(1234 as unknown as string)).toBeUndefined();
  });

  test('the lean writer gets hex already in its form back as the same string, case kept', () => {
    const hex = 'ab12';
    expect(serialMagnitudeHex(hex)).toBe(hex);
    expect(serialMagnitudeHex('00ab12')).toBe('ab12');
  });

  test('DER INTEGER content: minimal, a zero byte before a set top bit, and read back canonical', () => {
    expect(Buffer.from(serialToBytes('80')).toString('hex')).toBe('0080');
    expect(Buffer.from(serialToBytes('00:00:7f')).toString('hex')).toBe('7f');
    expect(Buffer.from(serialToBytes('0')).toString('hex')).toBe('00');
    expect(serialHexOfInteger(Uint8Array.of(0, 0x80))).toBe('80');
    expect(serialHexOfInteger(Uint8Array.of(0))).toBe('00');
    expect(serialHexOfInteger(Uint8Array.of(9, 0, 0xab, 0xcd, 9), 1, 4)).toBe('ABCD');
  });

  test("a certificate's serial, openssl's print of it, and every form of it typed back agree", async () => {
    const tmp = scratchDir();
    try {
      const ca = await createRootCa({ commonName: 'Serial CA' });
      const cert = await issueClientCertificate(ca, { commonName: 'serial' });
      const path = tmp.write('c.pem', cert.certificatePem);
      const printed = openssl(['x509', '-in', path, '-noout', '-serial']).trim().replace(/^serial=/, '');
      expect(cert.facts.serialHex).toBe(printed);
      expect(parseSerial(printed.toLowerCase().match(/../g)!.join(':'))).toBe(printed);
      expect(Buffer.from(serialToBytes(printed)).toString('hex').toUpperCase()).toBe(printed.replace(/^(?=[89A-F])/, '00'));
    } finally {
      tmp.cleanup();
    }
  });
});
