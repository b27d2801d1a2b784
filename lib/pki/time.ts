import { UserInputError } from './errors';

// Time as X.509 writes it (RFC 5280 §4.1.2.5), decided once for certificates, CRLs and openssl's index.txt:
// UTC, whole seconds, UTCTime (`YYMMDDHHMMSSZ`) for the years 1950 through 2049 and GeneralizedTime
// (`YYYYMMDDHHMMSSZ`) for every other year from 0000 to 9999. asn1.ts turns a Date into pkijs' Time with
// these rules, der.ts writes and reads the characters, openssl-index.ts reads the same characters from text.

export const DAY_MS = 86_400_000;

/** Whole seconds: RFC 5280 forbids fractional seconds in both time forms. */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

const FIVE_MINUTES = 5 * 60_000;

/** Certificates start five minutes before `now` (whole seconds), to allow for clocks that run a little behind. */
export function notBeforeFor(now: Date): Date {
  return wholeSeconds(new Date(now.getTime() - FIVE_MINUTES));
}

/** RFC 5280 §4.1.2.5: UTCTime for 1950 through 2049, GeneralizedTime otherwise. */
export function usesUtcTime(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050;
}

/** Refuses what is not a Date of the years 0000 to 9999, the only ones either time form can hold. */
export function checkX509Date(date: unknown, field: string): asserts date is Date {
  const year = date instanceof Date ? date.getUTCFullYear() : NaN;
  if (!(year >= 0 && year <= 9999)) throw new UserInputError(field, `${String(date)} is not a date X.509 can hold (years 0000 to 9999).`);
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * The characters of a Time for `date` (whole seconds, `Z`): 13 for a UTCTime, 15 for a GeneralizedTime,
 * chosen by `usesUtcTime`. Writers tell the two apart by length.
 */
export function timeText(date: Date): string {
  const year = date.getUTCFullYear();
  const y = usesUtcTime(date) ? pad2(year % 100) : String(year).padStart(4, '0');
  return `${y}${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
}

/** Two decimal digits at `pos`, or -1. */
function twoDigits(text: string, pos: number): number {
  const a = text.charCodeAt(pos) - 0x30;
  const b = text.charCodeAt(pos + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Days from 1970-01-01 to the first of January of `year` (proleptic Gregorian). */
function daysBeforeYear(year: number): number {
  const y = year - 1;
  return 365 * (year - 1970) + (Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400)) - 477;
}

/**
 * Milliseconds since the epoch for a UTCTime `YYMMDDHHMMSSZ` (YY 50–99 is 19YY, 00–49 is 20YY) or a
 * GeneralizedTime `YYYYMMDDHHMMSSZ` in text[start, end), told apart by length; NaN for anything else:
 * another length, no `Z`, a fraction or an offset, a non-digit, or a date that does not exist (Feb 30,
 * hour 24, second 60). This is the form OpenSSL's X509_cmp_time and `openssl ca` accept, and the one
 * parser of time text: DER times (der.ts readTime) and index.txt dates go through it. No Date is made,
 * so an index of 100,000 lines pays for none.
 */
export function parseTimeText(text: string, start = 0, end = text.length): number {
  const length = end - start;
  if ((length !== 13 && length !== 15) || text.charCodeAt(end - 1) !== 0x5a) return NaN;
  let year = twoDigits(text, start);
  let p = start + 2;
  if (length === 15) {
    const low = twoDigits(text, p);
    year = year < 0 || low < 0 ? -1 : year * 100 + low;
    p += 2;
  } else if (year >= 0) {
    year += year >= 50 ? 1900 : 2000;
  }
  const month = twoDigits(text, p);
  const day = twoDigits(text, p + 2);
  const hour = twoDigits(text, p + 4);
  const minute = twoDigits(text, p + 6);
  const second = twoDigits(text, p + 8);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return NaN;
  const leap = isLeap(year);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return NaN;
  const days = daysBeforeYear(year) + DAYS_BEFORE_MONTH[month - 1] + (leap && month > 2 ? 1 : 0) + day - 1;
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000;
}
