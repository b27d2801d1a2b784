import { serialHexOfInteger } from './serial';
import { parseTimeText } from './time';

// A lean DER writer and reader for the one part of a CRL that grows with the number of revocations: the
// list of revoked entries, SEQUENCE OF SEQUENCE { INTEGER serial, Time revocationDate, [Extensions] }.
// pkijs builds one object tree per entry (about 1.5 s for 20,000 entries); here each entry is a few bytes
// written straight into one buffer. Everything else in a CRL stays with pkijs (see crl.ts).
//
// The reader is strict DER and bounded: every length is checked against the bytes that remain before
// anything is allocated, lengths take at most 4 octets, indefinite lengths and high tag numbers are
// refused, and it never recurses, so hostile input fails fast with a DerError.

export class DerError extends Error {
  constructor(message: string, public readonly offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'DerError';
  }
}

export const TAG = {
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, OID: 0x06, ENUMERATED: 0x0a,
  UTC_TIME: 0x17, GENERALIZED_TIME: 0x18, SEQUENCE: 0x30, CONTEXT_0: 0xa0,
} as const;

// ---------------------------------------------------------------------------------------------- writing

/** Octets a DER header takes for content of `length` bytes (tag included). */
function headerSize(length: number): number {
  return length < 0x80 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : length < 0x1000000 ? 5 : 6;
}

/** Writes tag and definite minimal length at `pos`; returns the position after the header. */
function writeHeader(out: Uint8Array, pos: number, tag: number, length: number): number {
  out[pos++] = tag;
  if (length < 0x80) {
    out[pos++] = length;
    return pos;
  }
  const octets = headerSize(length) - 2;
  out[pos++] = 0x80 | octets;
  for (let i = octets - 1; i >= 0; i--) out[pos++] = Math.floor(length / 2 ** (8 * i)) & 0xff;
  return pos;
}

/** One TLV around the concatenation of `contents`. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((n, c) => n + c.byteLength, 0);
  const out = new Uint8Array(headerSize(length) + length);
  let pos = writeHeader(out, 0, tag, length);
  for (const c of contents) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;

// Extensions { Extension { id-ce-cRLReasons, OCTET STRING { ENUMERATED code } } }, minus the code octet.
const REASON_PREFIX = Uint8Array.of(0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01);
const REASON_SIZE = REASON_PREFIX.length + 1;
const OUTER_HEADER_ROOM = 6;

/**
 * Writes `revokedCertificates` (SEQUENCE OF RevokedCertificate) entry by entry into one growing buffer,
 * reading serial and time characters straight from the caller's strings: no object per entry.
 * Byte-identical to what pkijs encodes for the same entries.
 */
export class RevokedListWriter {
  private out: Buffer;
  private pos = OUTER_HEADER_ROOM;
  /** Per entry (in add order): where it starts, where its serial content starts, and the serial length. */
  private readonly starts: number[] = [];
  private readonly serialStarts: number[] = [];
  private readonly serialLengths: number[] = [];
  private ascending = true;

  constructor(capacity = 4096) {
    this.out = Buffer.allocUnsafe(Math.max(capacity, 64) + OUTER_HEADER_ROOM);
  }

  get count(): number {
    return this.starts.length;
  }

  /**
   * Appends one entry. `hex[hexStart, hexEnd)`: the serial's magnitude, an even number of hex digits
   * without leading zero octets (serial.ts serialMagnitudeHex). `time[timeStart, timeEnd)`: 13 characters
   * (UTCTime) or 15 (GeneralizedTime), already validated (time.ts timeText). `reasonCode` -1 writes no entry extension.
   */
  add(hex: string, hexStart: number, hexEnd: number, time: string, timeStart: number, timeEnd: number, reasonCode: number): void {
    const pad = (HEX_VALUE[hex.charCodeAt(hexStart)] ?? 0) >= 8 ? 1 : 0;
    const serialLength = pad + ((hexEnd - hexStart) >> 1);
    const timeLength = timeEnd - timeStart;
    const content = headerSize(serialLength) + serialLength + 2 + timeLength + (reasonCode < 0 ? 0 : REASON_SIZE);
    const size = headerSize(content) + content;
    if (this.pos + size > this.out.length) this.grow(size);
    const out = this.out;
    let pos = this.pos;
    this.starts.push(pos);
    pos = writeHeader(out, pos, TAG.SEQUENCE, content);
    pos = writeHeader(out, pos, TAG.INTEGER, serialLength);
    const serialStart = pos;
    if (pad) out[pos++] = 0;
    for (let i = hexStart; i < hexEnd; i += 2) out[pos++] = (HEX_VALUE[hex.charCodeAt(i)] << 4) | HEX_VALUE[hex.charCodeAt(i + 1)];
    out[pos++] = timeLength === 13 ? TAG.UTC_TIME : TAG.GENERALIZED_TIME;
    out[pos++] = timeLength;
    for (let i = timeStart; i < timeEnd; i++) out[pos++] = time.charCodeAt(i);
    if (reasonCode >= 0) {
      out.set(REASON_PREFIX, pos);
      out[pos + REASON_PREFIX.length] = reasonCode;
      pos += REASON_SIZE;
    }
    const n = this.serialStarts.length;
    if (this.ascending && n && this.compareSerials(n - 1, serialStart, serialLength) >= 0) this.ascending = false;
    this.serialStarts.push(serialStart);
    this.serialLengths.push(serialLength);
    this.pos = pos;
  }

  /** openssl's order (ASN1_STRING_cmp): by length, then bytes, which for positive INTEGERs is numeric. */
  private compareSerials(i: number, start: number, length: number): number {
    const diff = this.serialLengths[i] - length;
    if (diff) return diff;
    const out = this.out;
    for (let a = this.serialStarts[i], b = start, end = start + length; b < end; a++, b++) {
      if (out[a] !== out[b]) return out[a] - out[b];
    }
    return 0;
  }

  private grow(needed: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + needed));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }

  /**
   * Add-order indexes in ascending serial order. A comparator sort costs a JS callback per comparison
   * (~25 ms for 20k random serials), so entries are first ordered natively by a numeric key (length, first
   * three octets, index) in a Float64Array; only runs that share that prefix (rare for random serials) are
   * then sorted by the full comparison.
   */
  private serialOrder(): Int32Array {
    const n = this.starts.length;
    const { out, serialStarts, serialLengths } = this;
    const span = 2 ** Math.ceil(Math.log2(n + 1));
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const length = serialLengths[i];
      const s = serialStarts[i];
      // Serials of 31 octets and more share one bucket, ordered by the full comparison.
      const bucket = length >= 31 ? 31 * 2 ** 24 : length * 2 ** 24 + out[s] * 65536 + (length > 1 ? out[s + 1] * 256 : 0) + (length > 2 ? out[s + 2] : 0);
      keys[i] = bucket * span + i;
    }
    keys.sort();
    const order = new Int32Array(n);
    for (let k = 0; k < n; k++) order[k] = keys[k] % span;
    const compare = (a: number, b: number) => this.compareSerials(a, serialStarts[b], serialLengths[b]) || a - b;
    for (let k = 0; k < n;) {
      const bucket = Math.floor(keys[k] / span);
      let end = k + 1;
      while (end < n && Math.floor(keys[end] / span) === bucket) end++;
      if (end - k > 16) order.set(Array.from(order.subarray(k, end)).sort(compare), k);
      else {
        for (let j = k + 1; j < end; j++) {
          const v = order[j];
          let m = j - 1;
          for (; m >= k && compare(order[m], v) > 0; m--) order[m + 1] = order[m];
          order[m + 1] = v;
        }
      }
      k = end;
    }
    return order;
  }

  /**
   * The finished DER. With `sortBySerial`, entries are put in ascending serial order as openssl's
   * X509_CRL_sort does, and `onDuplicate(a, b)` (indexes in add order) is called for equal serials.
   */
  finish(sortBySerial = false, onDuplicate?: (first: number, second: number) => void): Uint8Array {
    const { out, starts } = this;
    const total = this.pos - OUTER_HEADER_ROOM;
    if (!sortBySerial || this.ascending) {
      const headerStart = OUTER_HEADER_ROOM - headerSize(total);
      writeHeader(out, headerStart, TAG.SEQUENCE, total);
      return new Uint8Array(out.buffer, out.byteOffset + headerStart, this.pos - headerStart);
    }
    const order = this.serialOrder();
    // Copy the entries in order to the free space behind them, with copyWithin: one native call per entry,
    // without Buffer.copy's per-call argument checks or a JS loop per byte.
    const size = headerSize(total) + total;
    if (this.pos + size > this.out.length) this.grow(size);
    const buffer = this.out;
    const base = this.pos;
    let pos = writeHeader(buffer, base, TAG.SEQUENCE, total);
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      if (k && onDuplicate && this.compareSerials(order[k - 1], this.serialStarts[i], this.serialLengths[i]) === 0) onDuplicate(order[k - 1], i);
      const end = i + 1 < starts.length ? starts[i + 1] : base;
      buffer.copyWithin(pos, starts[i], end);
      pos += end - starts[i];
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset + base, size);
  }
}

// ---------------------------------------------------------------------------------------------- reading

/** Reads a run of DER elements in [pos, limit), one at a time; the last read element is in tag/start/end. */
export class DerReader {
  public tag = -1;
  public headerStart = 0;
  public start = 0;
  public end = 0;

  constructor(public readonly bytes: Uint8Array, public pos = 0, public limit = bytes.byteLength) {}

  get done(): boolean {
    return this.pos >= this.limit;
  }

  /** Reads the next element's header, skips its content, and returns its tag. */
  next(): number {
    const { bytes, limit } = this;
    let pos = this.pos;
    this.headerStart = pos;
    if (pos + 2 > limit) throw new DerError('truncated: an element header runs past the end of its container', pos);
    const tag = bytes[pos++];
    if ((tag & 0x1f) === 0x1f) throw new DerError(`tag 0x${tag.toString(16)} uses the multi-byte form, which no CRL field has`, pos - 1);
    let length = bytes[pos++];
    if (length & 0x80) {
      const octets = length & 0x7f;
      if (octets === 0) throw new DerError('indefinite length is not DER', pos - 1);
      if (octets > 4) throw new DerError(`a ${octets}-octet length field is beyond any sane size`, pos - 1);
      if (pos + octets > limit) throw new DerError('truncated: a length field runs past the end of its container', pos);
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + bytes[pos++];
      if (length < 0x80 || (octets > 1 && bytes[pos - octets] === 0)) throw new DerError('length is not minimally encoded (not DER)', pos - octets - 1);
    }
    if (length > limit - pos) throw new DerError(`length ${length} exceeds the ${limit - pos} bytes left in its container`, this.headerStart);
    this.tag = tag;
    this.start = pos;
    this.end = pos + length;
    this.pos = this.end;
    return tag;
  }

  /** Reads the next element and requires `tag`. */
  expect(tag: number, what: string): this {
    if (this.done) throw new DerError(`${what} is missing`, this.pos);
    const got = this.next();
    if (got !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${got.toString(16)}`, this.headerStart);
    return this;
  }

  /** A reader over the content of the last element read. */
  children(): DerReader {
    return new DerReader(this.bytes, this.start, this.end);
  }

  /** Points `reader` (over the same bytes) at the content of the last element read, and returns it. */
  into(reader: DerReader): DerReader {
    reader.pos = this.start;
    reader.limit = this.end;
    return reader;
  }

  /** The whole last element (header and content), without copying. */
  element(): Uint8Array {
    return this.bytes.subarray(this.headerStart, this.end);
  }

  content(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }
}

/**
 * Reads a UTCTime or GeneralizedTime whose content is [start, end), strictly as RFC 5280 §4.1.2.5 writes it
 * and OpenSSL's X509_cmp_time reads it: the tag's length (13 or 15 characters), seconds present, no
 * fraction, no offset, `Z`, and a date that exists (time.ts parseTimeText). Anything looser would accept
 * times that make nginx refuse every client.
 */
export function readTime(bytes: Uint8Array, tag: number, start: number, end: number): Date {
  const utc = tag === TAG.UTC_TIME;
  if (!utc && tag !== TAG.GENERALIZED_TIME) throw new DerError(`expected a UTCTime or GeneralizedTime, found tag 0x${tag.toString(16)}`, start);
  const kind = utc ? 'UTCTime' : 'GeneralizedTime';
  const form = utc ? 'YYMMDDHHMMSSZ' : 'YYYYMMDDHHMMSSZ';
  if (end - start !== form.length) throw new DerError(`${kind} "${latin1(bytes, start, Math.min(end, start + 40))}" has ${end - start} characters; expected ${form}`, start);
  const text = latin1(bytes, start, end);
  const ms = parseTimeText(text);
  if (Number.isNaN(ms)) throw new DerError(`${kind} "${text}" is not ${form} in UTC (Z) naming a date that exists`, start);
  return new Date(ms);
}

/** bytes[start, end) as Latin-1 text; a time is 13 or 15 octets, so a loop beats a Buffer view per call. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

// 06 03 55 1D 15: id-ce-cRLReasons.
function isReasonOid(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start === 3 && bytes[start] === 0x55 && bytes[start + 1] === 0x1d && bytes[start + 2] === 0x15;
}

/** An entry extension other than reasonCode: its OID content octets, criticality and value, in `bytes`. */
export type EntryExtensionVisitor = (entry: number, oid: Uint8Array, critical: boolean, value: Uint8Array) => void;

/**
 * Walks the content [start, end) of `revokedCertificates`, calling `visit` per entry with the serial as
 * canonical serial (serial.ts), the revocation date and the
 * reasonCode when present. Every entry is checked for shape. Other entry extensions go to `onExtension`
 * (entries numbered from 1), which only entries that carry them pay for. Five readers are reused for the
 * whole list: no object per DER node.
 */
export function readRevokedList(bytes: Uint8Array, start: number, end: number, visit: (serialHex: string, revokedAt: Date, reasonCode: number | undefined) => void, onExtension?: EntryExtensionVisitor): number {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const list = new DerReader(bytes, start, end);
  const entry = new DerReader(bytes);
  const extensions = new DerReader(bytes);
  const ext = new DerReader(bytes);
  const value = new DerReader(bytes);
  let count = 0;
  while (!list.done) {
    const n = ++count;
    list.expect(TAG.SEQUENCE, `revoked entry ${n}`).into(entry);
    entry.expect(TAG.INTEGER, `revoked entry ${n} serial number`);
    if (entry.end === entry.start) throw new DerError(`revoked entry ${n} has an empty serial number`, entry.start);
    const serialHex = serialHexOfInteger(hex, entry.start, entry.end);
    if (entry.done) throw new DerError(`revoked entry ${n} has no revocation date`, entry.pos);
    const timeTag = entry.next();
    const revokedAt = readTime(bytes, timeTag, entry.start, entry.end);
    let reasonCode: number | undefined;
    if (!entry.done) {
      entry.expect(TAG.SEQUENCE, `revoked entry ${n} extensions`).into(extensions);
      while (!extensions.done) {
        extensions.expect(TAG.SEQUENCE, 'entry extension').into(ext);
        ext.expect(TAG.OID, 'entry extension id');
        const oidStart = ext.start;
        const oidEnd = ext.end;
        const isReason = isReasonOid(bytes, oidStart, oidEnd);
        let critical = false;
        if (ext.next() === TAG.BOOLEAN) {
          critical = ext.end > ext.start && bytes[ext.start] !== 0;
          ext.expect(TAG.OCTET_STRING, 'entry extension value');
        } else if (ext.tag !== TAG.OCTET_STRING) throw new DerError('entry extension value is not an OCTET STRING', ext.headerStart);
        if (isReason) {
          ext.into(value).expect(TAG.ENUMERATED, 'reasonCode');
          // Any ENUMERATED that fits an int is read, as OpenSSL does; codes RFC 5280 does not define map to none.
          const octets = value.end - value.start;
          if (octets < 1 || octets > 4 || !value.done) throw new DerError('reasonCode is not an ENUMERATED of 1 to 4 octets', value.start);
          reasonCode = 0;
          for (let i = value.start; i < value.end; i++) reasonCode = reasonCode * 256 + bytes[i];
          if (bytes[value.start] & 0x80) reasonCode -= 2 ** (8 * octets);
        }
        if (onExtension && (critical || !isReason)) onExtension(n, bytes.subarray(oidStart, oidEnd), critical, ext.content());
        if (!ext.done) throw new DerError('entry extension has trailing data', ext.pos);
      }
      if (!entry.done) throw new DerError(`revoked entry ${n} has trailing data`, entry.pos);
    }
    visit(serialHex, revokedAt, reasonCode);
  }
  return count;
}
