import { UserInputError } from './errors';

// Serial numbers, in one place. The canonical form, the one certificate facts, CRL facts, store records and
// messages use, is what `openssl x509 -noout -serial` prints: uppercase hex of the positive magnitude, an even
// number of digits, without leading zero octets ("00" for zero). Users may type it with a `0x` prefix,
// colons (as `openssl x509 -text` prints it), spaces, or in lowercase.

const HEX = /^[0-9a-fA-F]+$/;

/** Where the magnitude starts in hex[start, end) (an even number of digits): after leading zero octets, keeping the last. */
export function skipZeroOctets(hex: string, start: number, end: number): number {
  let s = start;
  while (s < end - 2 && hex.charCodeAt(s) === 0x30 && hex.charCodeAt(s + 1) === 0x30) s += 2;
  return s;
}

/**
 * The magnitude of a serial typed as above: an even number of hex digits without leading zero octets, in
 * the case given; undefined when it is not hexadecimal. Hex already in that form comes back as it is, which
 * is the lean CRL writer's path (no regular expression beyond one test, no copy).
 */
export function serialMagnitudeHex(value: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  let hex = value;
  if (!HEX.test(hex)) {
    hex = hex.trim().replace(/^0x/i, '').replace(/[:\s]/g, '');
    if (!HEX.test(hex)) return undefined;
  }
  if (hex.length % 2) hex = `0${hex}`;
  const start = skipZeroOctets(hex, 0, hex.length);
  return start ? hex.slice(start) : hex;
}

/** The error for a serial that is not one, naming `field`. */
export function notASerial(value: unknown, field: string): UserInputError {
  return new UserInputError(field, `"${String(value)}" is not a hexadecimal serial number (as \`openssl x509 -noout -serial\` prints it, e.g. 3F0A…).`);
}

/** A serial as a user or caller gave it, in canonical form; a UserInputError naming `field` when it is not hex. */
export function parseSerial(value: string, field = 'serial'): string {
  const hex = serialMagnitudeHex(value);
  if (hex === undefined) throw notASerial(value, field);
  return hex.toUpperCase();
}

/** A serial (any form `parseSerial` takes) as the content of a positive DER INTEGER: minimal, with a leading zero byte when the top bit is set. */
export function serialToBytes(serialHex: string, field = 'serial'): Uint8Array {
  const bytes = Buffer.from(parseSerial(serialHex, field), 'hex');
  // DER INTEGERs are signed: a serial whose top bit is set needs a leading zero byte to stay positive.
  return new Uint8Array(bytes[0] & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes);
}

/** The canonical serial of a DER INTEGER's content bytes[start, end) (not empty): leading zero octets dropped, uppercase. */
export function serialHexOfInteger(bytes: Uint8Array, start = 0, end = bytes.byteLength): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let s = start;
  while (s < end - 1 && buffer[s] === 0) s++;
  return buffer.toString('hex', s, end).toUpperCase();
}
