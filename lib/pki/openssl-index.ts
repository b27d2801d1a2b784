import { CertificateAuthority } from './certificate';
import { BuiltCrl, REVOCATION_REASONS, RevocationReason, signCrlWithList } from './crl';
import { RevokedListWriter } from './der';
import { UserInputError } from './errors';
import { skipZeroOctets } from './serial';
import { parseTimeText, usesUtcTime } from './time';

// openssl's CA database, `index.txt`: one line per issued certificate, six tab-separated fields:
//   status (V, R, E) | expiry | revocation date[,reason[,argument]] | serial (hex) | file name | subject DN
// and its `crlnumber` file, which holds the next CRL number in hex. The parser is one pass over the text
// with no per-line regular expressions or splits, so 100,000 lines take milliseconds; it also accepts
// chunks (OpensslIndexParser) for callers that stream the file.

export type OpensslIndexStatus = 'V' | 'R' | 'E';

export interface OpensslIndexEntry {
  readonly status: OpensslIndexStatus;
  readonly expiresAt: Date;
  /** Present exactly when status is R. */
  readonly revokedAt?: Date;
  /** The RFC 5280 reason; openssl's pseudo-reasons map to theirs (holdInstruction → certificateHold, keyTime → keyCompromise, CAkeyTime → cACompromise). */
  readonly reason?: RevocationReason;
  /** From `keyTime`/`CAkeyTime` (openssl writes it as the invalidityDate entry extension; we do not yet). */
  readonly invalidityDate?: Date;
  /** From `holdInstruction` (openssl writes it as the holdInstructionCode entry extension; we do not yet). */
  readonly holdInstruction?: string;
  /** Uppercase hex without leading zero octets, the form of `CertificateFacts.serialHex`. */
  readonly serialHex: string;
  readonly fileName: string;
  readonly subject: string;
  /** 1-based line number in the file, for messages. */
  readonly line: number;
}

type ReasonInfo = Pick<OpensslIndexEntry, 'reason' | 'invalidityDate' | 'holdInstruction'>;

const FIELD_NAMES = ['status', 'expiry date', 'revocation date', 'serial', 'file name', 'subject'] as const;

// openssl's names (apps/ca.c, compared case-insensitively) and the two it lacks: privilegeWithdrawn, aACompromise.
type KnownReason = { reason: RevocationReason; info: ReasonInfo; argument?: 'hold' | 'time' };
const known = (reason: RevocationReason, argument?: 'hold' | 'time'): KnownReason => ({ reason, info: Object.freeze({ reason }), argument });
const REASONS: Record<string, KnownReason | 'removeFromCRL'> = {
  unspecified: known('unspecified'),
  keycompromise: known('keyCompromise'),
  cacompromise: known('cACompromise'),
  affiliationchanged: known('affiliationChanged'),
  superseded: known('superseded'),
  cessationofoperation: known('cessationOfOperation'),
  certificatehold: known('certificateHold'),
  removefromcrl: 'removeFromCRL',
  holdinstruction: known('certificateHold', 'hold'),
  keytime: known('keyCompromise', 'time'),
  cakeytime: known('cACompromise', 'time'),
  privilegewithdrawn: known('privilegeWithdrawn'),
  aacompromise: known('aACompromise'),
};
// The spellings openssl writes, so that the common case needs no toLowerCase.
for (const name of ['keyCompromise', 'CACompromise', 'affiliationChanged', 'cessationOfOperation', 'certificateHold', 'holdInstruction', 'keyTime', 'CAkeyTime', 'privilegeWithdrawn', 'aACompromise']) {
  REASONS[name] = REASONS[name.toLowerCase()];
}

/** Parses a whole index.txt. Errors are UserInputErrors naming the line and the field. */
export function parseOpensslIndex(text: string, source = 'index.txt'): OpensslIndexEntry[] {
  const parser = new OpensslIndexParser(source);
  const out = parser.push(text);
  for (const e of parser.end()) out.push(e);
  return out;
}

/** What one line holds, as numbers and offsets into its text: filled line after line without allocating. */
class LineScan {
  line = 0;
  status: OpensslIndexStatus = 'V';
  expiresMs = 0;
  revokedMs = NaN;
  /** Revocation time characters [revStart, revEnd), when status is R. */
  revStart = 0;
  revEnd = 0;
  reason: ReasonInfo | undefined = undefined;
  serialStart = 0;
  serialEnd = 0;
  fileStart = 0;
  subjectStart = 0;
  end = 0;
}

/** Incremental parsing: feed chunks as they arrive; `end()` parses a last line without newline. */
export class OpensslIndexParser {
  private rest = '';
  private readonly scan = new LineScan();
  private readonly seenReasons: { text: string; info: ReasonInfo }[] = [];
  constructor(private readonly source = 'index.txt') {}

  push(chunk: string): OpensslIndexEntry[] {
    const out: OpensslIndexEntry[] = [];
    this.rest = this.eachLine(this.rest + chunk, false, (text, scan) => { out.push(entryOf(text, scan)); });
    return out;
  }

  end(): OpensslIndexEntry[] {
    const out: OpensslIndexEntry[] = [];
    this.rest = this.eachLine(this.rest, true, (text, scan) => { out.push(entryOf(text, scan)); });
    return out;
  }

  /** @internal Scans every complete line of `text` (and the unterminated last one when `final`); returns the rest. */
  eachLine(text: string, final: boolean, visit: (text: string, scan: LineScan) => void): string {
    let start = 0;
    for (;;) {
      let nl = text.indexOf('\n', start);
      if (nl === -1) {
        if (!final || start >= text.length) break;
        nl = text.length;
      }
      if (this.scanLine(text, start, nl)) visit(text, this.scan);
      start = nl + 1;
    }
    return start >= text.length ? '' : text.slice(start);
  }

  private scanLine(text: string, start: number, end: number): boolean {
    const scan = this.scan;
    const line = ++scan.line;
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
    // Blank lines and openssl's TXT_DB comments (# in the first column) carry no entry.
    if (end === start || text.charCodeAt(start) === 35) return false;
    const t1 = text.indexOf('\t', start);
    const t2 = t1 === -1 || t1 > end ? -1 : text.indexOf('\t', t1 + 1);
    const t3 = t2 === -1 || t2 > end ? -1 : text.indexOf('\t', t2 + 1);
    const t4 = t3 === -1 || t3 > end ? -1 : text.indexOf('\t', t3 + 1);
    const t5 = t4 === -1 || t4 > end ? -1 : text.indexOf('\t', t4 + 1);
    if (t5 === -1 || t5 >= end) {
      const found = [t1, t2, t3, t4, t5].filter((t) => t !== -1 && t < end).length + 1;
      throw this.error(line, undefined, `has ${found} tab-separated field${found > 1 ? 's' : ''}; openssl's index.txt has 6 (status, expiry, revocation date, serial, file name, subject).`);
    }
    const t6 = text.indexOf('\t', t5 + 1);
    if (t6 !== -1 && t6 < end) throw this.error(line, undefined, 'has more than 6 tab-separated fields; openssl\'s index.txt has exactly 6.');

    const statusCode = t1 === start + 1 ? text.charCodeAt(start) : 0;
    if (statusCode !== 0x56 && statusCode !== 0x52 && statusCode !== 0x45) {
      throw this.error(line, 0, `is "${text.slice(start, t1)}"; expected V (valid), R (revoked) or E (expired).`);
    }
    scan.status = statusCode === 0x52 ? 'R' : statusCode === 0x56 ? 'V' : 'E';
    scan.expiresMs = this.time(text, t1 + 1, t2, line, 1);
    scan.reason = undefined;
    scan.revokedMs = NaN;
    if (statusCode === 0x52) {
      if (t3 === t2 + 1) throw this.error(line, 2, 'is empty, but the status is R (revoked); give the revocation time as YYMMDDHHMMSSZ[,reason].');
      const comma = text.indexOf(',', t2 + 1);
      const hasReason = comma !== -1 && comma < t3;
      scan.revStart = t2 + 1;
      scan.revEnd = hasReason ? comma : t3;
      scan.revokedMs = this.time(text, scan.revStart, scan.revEnd, line, 2);
      if (hasReason) {
        // An index holds a handful of distinct reason texts: compare in place with those seen before,
        // rather than slice a string per line and look it up.
        const length = t3 - comma - 1;
        let info: ReasonInfo | undefined;
        for (const seen of this.seenReasons) {
          if (seen.text.length === length && text.startsWith(seen.text, comma + 1)) {
            info = seen.info;
            break;
          }
        }
        if (!info) {
          const value = text.slice(comma + 1, t3);
          info = this.reason(value, line);
          if (this.seenReasons.length < 32) this.seenReasons.push({ text: value, info });
        }
        scan.reason = info;
      }
    } else if (t3 !== t2 + 1) {
      throw this.error(line, 2, `is "${text.slice(t2 + 1, t3)}", but the status is ${scan.status}, not R; openssl refuses a revocation date on an unrevoked entry.`);
    }
    this.serial(text, t3 + 1, t4, line);
    scan.fileStart = t4 + 1;
    scan.subjectStart = t5 + 1;
    scan.end = end;
    return true;
  }

  private error(line: number, field: number | undefined, message: string): UserInputError {
    return new UserInputError(this.source, `line ${line}${field === undefined ? '' : `, field ${field + 1} (${FIELD_NAMES[field]})`} ${message}`);
  }

  /** `YYMMDDHHMMSSZ` (UTCTime) or `YYYYMMDDHHMMSSZ` (GeneralizedTime), as openssl's check_time_format. */
  private time(text: string, start: number, end: number, line: number, field: number): number {
    const ms = parseTimeText(text, start, end);
    if (Number.isNaN(ms)) throw this.error(line, field, `"${text.slice(start, end)}" is not a time of the form YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ.`);
    return ms;
  }

  private reason(value: string, line: number): ReasonInfo {
    const comma = value.indexOf(',');
    const name = comma === -1 ? value : value.slice(0, comma);
    const argument = comma === -1 ? undefined : value.slice(comma + 1);
    const known = REASONS[name] ?? REASONS[name.toLowerCase()];
    if (known === undefined) {
      throw this.error(line, 2, `has reason "${name}", which openssl does not know; use one of unspecified, keyCompromise, CACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, holdInstruction, keyTime, CAkeyTime, privilegeWithdrawn, aACompromise.`);
    }
    if (known === 'removeFromCRL') throw this.error(line, 2, 'has reason removeFromCRL, which belongs only in delta CRLs; a full CRL simply leaves the certificate out. Mark the entry V or delete the line.');
    if (known.argument === 'hold') {
      if (!argument) throw this.error(line, 2, 'has reason holdInstruction without the instruction; openssl writes "holdInstruction,<OID or name>".');
      return { reason: known.reason, holdInstruction: argument };
    }
    if (known.argument === 'time') {
      const ms = argument && argument.length === 15 ? parseTimeText(argument) : NaN;
      if (Number.isNaN(ms)) throw this.error(line, 2, `has reason ${name} without a valid compromise time; openssl writes "${name},YYYYMMDDHHMMSSZ".`);
      return { reason: known.reason, invalidityDate: new Date(ms) };
    }
    return known.info;
  }

  /** openssl's rules (apps/ca.c): an even number (at least 2) of hex digits. Negative serials are refused. */
  private serial(text: string, start: number, end: number, line: number): void {
    const length = end - start;
    if (text.charCodeAt(start) === 0x2d) throw this.error(line, 3, `"${text.slice(start, end)}" is negative; RFC 5280 serial numbers are positive.`);
    if (length < 2 || length % 2 !== 0) throw this.error(line, 3, `"${text.slice(start, end)}" has ${length} hex digits; openssl requires an even number, at least 2.`);
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i) | 0x20;
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) throw this.error(line, 3, `"${text.slice(start, end)}" is not hexadecimal.`);
    }
    // Leading zero octets are not part of the number.
    this.scan.serialStart = skipZeroOctets(text, start, end);
    this.scan.serialEnd = end;
  }
}

/** The serial of the scanned line, canonical (serial.ts): its magnitude is [serialStart, serialEnd). */
function serialOf(text: string, scan: LineScan): string {
  const hex = text.slice(scan.serialStart, scan.serialEnd);
  return /[a-f]/.test(hex) ? hex.toUpperCase() : hex;
}

function entryOf(text: string, scan: LineScan): OpensslIndexEntry {
  const base = {
    status: scan.status,
    expiresAt: new Date(scan.expiresMs),
    ...(scan.status === 'R' ? { revokedAt: new Date(scan.revokedMs) } : {}),
    ...scan.reason,
    serialHex: serialOf(text, scan),
    fileName: text.slice(scan.fileStart, scan.subjectStart - 1),
    subject: text.slice(scan.subjectStart, scan.end),
    line: scan.line,
  };
  return base;
}

export interface GenerateCrlFromIndexOptions {
  readonly indexText: string;
  readonly ca: CertificateAuthority;
  /** The CRL Number extension; see readCrlNumberFile. */
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Names the index in error messages. @default index.txt */
  readonly source?: string;
}

/**
 * A CRL of the index's revoked (R) entries, as `openssl ca -gencrl` makes it: every R line, in ascending
 * serial order (openssl sorts with X509_CRL_sort before signing), revocation date and reason from field 3.
 * Deliberate differences: `unspecified` is left out rather than written as reasonCode 0 (RFC 5280
 * §5.3.1); the CRL is always v2 with CRL Number and AKI; invalidityDate (keyTime) and holdInstructionCode
 * (holdInstruction) are not written. Two revoked lines with one serial are refused, as openssl refuses
 * any duplicate serial when it indexes the file.
 *
 * Every line is validated, but only revoked lines become objects, and their times go into the DER as the
 * characters the index holds: no Date per entry.
 */
export async function generateCrlFromIndex(options: GenerateCrlFromIndexOptions): Promise<BuiltCrl & { readonly entryCount: number }> {
  const source = options.source ?? 'index.txt';
  const text = options.indexText;
  // An entry's DER is shorter than its index line, so the text length bounds the buffer.
  const writer = new RevokedListWriter(Math.min(text.length, 64 << 20));
  const lines: number[] = [];
  new OpensslIndexParser(source).eachLine(text, true, (_, scan) => {
    if (scan.status !== 'R') return;
    // A GeneralizedTime in the index for a year UTCTime can hold goes into the CRL as UTCTime (RFC 5280).
    let timeStart = scan.revStart;
    if (scan.revEnd - timeStart === 15 && usesUtcTime(new Date(scan.revokedMs))) timeStart += 2;
    const reason = scan.reason?.reason;
    writer.add(text, scan.serialStart, scan.serialEnd, text, timeStart, scan.revEnd, reason === undefined || reason === 'unspecified' ? -1 : REVOCATION_REASONS[reason]);
    lines.push(scan.line);
  });
  const list = writer.count ? writer.finish(true, (a, b) => {
    throw new UserInputError(source, `lines ${lines[a]} and ${lines[b]} revoke the same serial; openssl refuses an index with a duplicate serial too. Remove the stale line.`);
  }) : undefined;
  const built = await signCrlWithList({ issuer: options.ca, crlNumber: options.crlNumber, thisUpdate: options.thisUpdate, nextUpdate: options.nextUpdate }, list);
  return { ...built, entryCount: writer.count };
}

/** Parses the text of openssl's `crlnumber` file: one hex number, the number the next CRL gets. */
export function parseCrlNumber(text: string, source = 'crlnumber'): bigint {
  const hex = text.trim();
  const value = /^[0-9a-fA-F]{1,40}$/.test(hex) ? BigInt(`0x${hex}`) : -1n;
  if (value < 0n || value >= 1n << 159n) {
    throw new UserInputError(source, hex === '' ? 'is empty; it should hold the next CRL number in hex, e.g. `01`.' : `"${hex.slice(0, 50)}" is not a hex number below 2^159 (RFC 5280 allows CRL numbers of at most 20 octets).`);
  }
  return value;
}

/** The file text for `value`, as openssl writes it: uppercase hex, an even number of digits, newline. */
export function formatCrlNumber(value: bigint): string {
  if (value < 0n) throw new UserInputError('crlNumber', `${value} is negative.`);
  const hex = value.toString(16).toUpperCase();
  return `${hex.length % 2 ? '0' : ''}${hex}\n`;
}
