import { UserInputError } from './errors';

/** One `-----BEGIN X-----` … `-----END X-----` block, decoded. */
export interface PemBlock {
  /** The label between BEGIN and the dashes, e.g. `CERTIFICATE` or `X509 CRL`. */
  readonly label: string;
  readonly der: Uint8Array;
  /** Position among the blocks of the input, starting at 1 (for messages). */
  readonly index: number;
}

export const PemLabel = {
  CERTIFICATE: 'CERTIFICATE',
  CRL: 'X509 CRL',
  PRIVATE_KEY: 'PRIVATE KEY',
  RSA_PRIVATE_KEY: 'RSA PRIVATE KEY',
  EC_PRIVATE_KEY: 'EC PRIVATE KEY',
  ENCRYPTED_PRIVATE_KEY: 'ENCRYPTED PRIVATE KEY',
  PUBLIC_KEY: 'PUBLIC KEY',
  CERTIFICATE_REQUEST: 'CERTIFICATE REQUEST',
} as const;

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const END = /^-----END ([A-Z0-9 ]+)-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes every PEM block in `text`. CRLF, blank lines and indentation are accepted; text outside blocks
 * (openssl's `-text` output, bag attributes) is ignored. Inside a block, anything that is not base64, a
 * missing END, or a mismatched label is an error naming the block.
 *
 * @param source names the input in error messages (a file path or a prop name)
 */
export function decodePem(text: string, source = 'PEM input'): PemBlock[] {
  if (text.includes('\u0000')) {
    throw new UserInputError(source, 'is binary data, not PEM text. If it is DER, convert it with `openssl x509 -inform DER -outform PEM` (or `openssl crl -inform DER`).');
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const blocks: PemBlock[] = [];
  let open: { label: string; body: string[]; line: number } | undefined;
  lines.forEach((line, i) => {
    const begin = BEGIN.exec(line);
    const end = END.exec(line);
    if (begin) {
      if (open) {
        throw new UserInputError(source, `PEM block ${blocks.length + 1} ("${open.label}", line ${open.line}) has no END line before the next BEGIN on line ${i + 1}. The file is truncated or two files were pasted together; re-export it.`);
      }
      open = { label: begin[1], body: [], line: i + 1 };
    } else if (end) {
      if (!open) {
        throw new UserInputError(source, `line ${i + 1} has "-----END ${end[1]}-----" without a matching BEGIN line; the start of the file is missing.`);
      }
      if (end[1] !== open.label) {
        throw new UserInputError(source, `PEM block ${blocks.length + 1} begins as "${open.label}" but ends as "${end[1]}" (line ${i + 1}); the file is corrupted.`);
      }
      blocks.push({ label: open.label, der: decodeBody(open.body, source, blocks.length + 1, open.label), index: blocks.length + 1 });
      open = undefined;
    } else if (open && line !== '') {
      if (/^[A-Za-z-]+:/.test(line) && open.body.length === 0) {
        throw new UserInputError(source, `PEM block ${blocks.length + 1} ("${open.label}") has encryption headers (${line}); encrypted keys are not supported. Decrypt it first: \`openssl pkey -in key.pem -out key-plain.pem\`.`);
      }
      open.body.push(line);
    }
  });
  if (open) {
    throw new UserInputError(source, `PEM block ${blocks.length + 1} ("${open.label}", line ${open.line}) has no END line; the file is truncated.`);
  }
  return blocks;
}

function decodeBody(body: string[], source: string, index: number, label: string): Uint8Array {
  const bad = body.find((l) => !BASE64_LINE.test(l));
  if (bad !== undefined) {
    throw new UserInputError(source, `PEM block ${index} ("${label}") contains characters that are not base64: "${bad.slice(0, 40)}". The block is corrupted; re-export it.`);
  }
  const joined = body.join('');
  if (joined.length === 0 || joined.length % 4 !== 0) {
    throw new UserInputError(source, `PEM block ${index} ("${label}") has ${joined.length} base64 characters, which is not a whole number of 4-character groups; the block is truncated.`);
  }
  return new Uint8Array(Buffer.from(joined, 'base64'));
}

/** Decodes `text` and requires every block to carry one of `labels`; at least one block must exist. */
export function decodePemExpecting(text: string, labels: readonly string[], source: string): PemBlock[] {
  const blocks = decodePem(text, source);
  if (blocks.length === 0) {
    const what = labels.map((l) => `"-----BEGIN ${l}-----"`).join(' or ');
    throw new UserInputError(source, text.trim() === ''
      ? `is empty; expected PEM with ${what}.`
      : `holds no PEM block; expected ${what}. If the data is DER (binary), convert it to PEM with openssl first.`);
  }
  for (const b of blocks) {
    if (!labels.includes(b.label)) {
      throw new UserInputError(source, `PEM block ${b.index} is "${b.label}", but only ${labels.map((l) => `"${l}"`).join(', ')} belong here.`);
    }
  }
  return blocks;
}

/**
 * Each PEM block of `text` as a PEM text of its own (re-encoded: 64-character lines, trailing newline), for a
 * controller that reads one block per object. Throws a UserInputError on bad PEM, like decodePem.
 */
export function splitPem(text: string, source = 'PEM input'): string[] {
  return decodePem(text, source).map((block) => encodePem(block.label, block.der));
}

/**
 * Encodes DER as PEM: 64-character lines, LF line ends, trailing newline (what openssl writes). Base64 once,
 * then the lines are moved into place inside one buffer, without a string per line: a 100k-entry CRL has
 * 75,000 lines.
 */
export function encodePem(label: string, der: Uint8Array | ArrayBuffer): string {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  const head = `-----BEGIN ${label}-----\n`;
  const tail = `\n-----END ${label}-----\n`;
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const lines = Math.ceil(b64.length / 64);
  const out = Buffer.allocUnsafe(head.length + b64.length + Math.max(lines - 1, 0) + tail.length);
  out.write(head, 0, 'latin1');
  // Write the base64 at the end, then move each line forward to its place, inserting the newlines.
  const from = out.length - tail.length - b64.length;
  out.write(b64, from, 'latin1');
  let pos = head.length;
  for (let line = 0; line < lines; line++) {
    const start = from + line * 64;
    const end = Math.min(start + 64, from + b64.length);
    out.copyWithin(pos, start, end);
    pos += end - start;
    if (line < lines - 1) out[pos++] = 0x0a;
  }
  out.write(tail, pos, 'latin1');
  return out.toString('latin1');
}
