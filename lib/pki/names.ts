import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { UserInputError } from './errors';

/** The kinds of subjectAltName we issue, inferred from each name as mkcert does. */
export type SanKind = 'dns' | 'ip' | 'email' | 'uri';

export interface SubjectAltName {
  readonly kind: SanKind;
  readonly value: string;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Validates a DNS name the way Kubernetes validates an Ingress host (RFC 1123, lowercase), with an optional
 * leading `*.` wildcard. Every rejection says what to write instead. Unicode names are not converted for
 * the user: the message gives the punycode (`xn--`) form to use, because certificates and Ingress hosts
 * both carry the ASCII form and a silent conversion would hide which name is actually served.
 */
export function validateDnsName(name: string, field: string, options: { allowWildcard?: boolean } = {}): string {
  const allowWildcard = options.allowWildcard ?? true;
  if (name === '') throw new UserInputError(field, 'is empty; give a DNS name such as "app.example.com".');
  if (/\s/.test(name)) throw new UserInputError(field, `"${name}" contains white space; a DNS name has none.`);
  if (name.endsWith('.')) throw new UserInputError(field, `"${name}" ends with a dot; write "${name.replace(/\.+$/, '')}" (Kubernetes and certificates use names without the root dot).`);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(name)) {
    const ascii = domainToASCII(name);
    throw new UserInputError(field, `"${name}" is not ASCII; write its punycode form${ascii ? ` "${ascii}"` : ''}, which is what clients send and Kubernetes accepts.`);
  }
  if (name !== name.toLowerCase()) throw new UserInputError(field, `"${name}" has uppercase letters; write "${name.toLowerCase()}" (Kubernetes requires lowercase hosts).`);
  if (name.length > 253) throw new UserInputError(field, `"${name.slice(0, 40)}…" is ${name.length} characters long; a DNS name has at most 253.`);
  const labels = name.split('.');
  labels.forEach((label, i) => {
    if (i === 0 && label === '*') {
      if (!allowWildcard) throw new UserInputError(field, `"${name}" is a wildcard; give the exact host name here.`);
      if (labels.length < 3) throw new UserInputError(field, `"${name}" is a wildcard over a top-level domain; use at least "*.example.com".`);
      return;
    }
    if (label.length > 63) throw new UserInputError(field, `label "${label.slice(0, 20)}…" of "${name}" is ${label.length} characters long; a DNS label has at most 63.`);
    if (!DNS_LABEL.test(label)) {
      throw new UserInputError(field, `"${name}" is not a valid DNS name: label "${label}" must be 1-63 characters of a-z, 0-9 and "-", not starting or ending with "-"${label.includes('*') ? '; a wildcard is allowed only as the whole leftmost label ("*.example.com")' : ''}.`);
    }
  });
  return name;
}

/** What a common name or store handle may hold; see validateCommonName. */
const NAME_CHARACTERS = /^[A-Za-z0-9 ._@:*()-]*$/;
const NAME_CHARACTERS_TEXT = 'letters A-Z a-z, digits, spaces and - . _ @ : * ( )';
const MAX_COMMON_NAME = 64;

/**
 * Validates a common name (client, CA) or a server handle: 1-64 printable ASCII characters that need no escaping
 * in a subject DN (RFC 4514: no `,` `+` `=` `"` `\` `<` `>` `;` `#`), no quotes, no `/` (openssl's one-line
 * DN separator) and no control characters, without leading or trailing spaces. Such a name reads the same in
 * nginx's `$ssl_client_s_dn`, in an auth-tls-match-cn pattern, in a file name and on a terminal; a name with a
 * comma could pose as another DN (`x,CN=Client002`), and one with ESC could rewrite the operator's terminal.
 */
export function validateCommonName(name: string, field: string): string {
  if (typeof name !== 'string' || name.trim() === '') throw new UserInputError(field, 'is empty; give a name.');
  if (name.length > MAX_COMMON_NAME) throw new UserInputError(field, `${JSON.stringify(name.slice(0, 20))}… is ${name.length} characters; X.509 allows at most ${MAX_COMMON_NAME} in a common name.`);
  const bad = [...name].find((c) => !NAME_CHARACTERS.test(c));
  if (bad !== undefined) {
    const code = bad.codePointAt(0)!;
    const what = code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `"${bad}"`;
    throw new UserInputError(field, `${JSON.stringify(name)} contains ${what}; use only ${NAME_CHARACTERS_TEXT}, so that the name reads the same in a certificate's subject, in nginx's ssl-client-subject-dn, in a file name and on a terminal.`);
  }
  if (name !== name.trim()) throw new UserInputError(field, `${JSON.stringify(name)} starts or ends with a space; write ${JSON.stringify(name.trim())}.`);
  return name;
}

/**
 * Infers the SAN kind from the text, like mkcert: an IP literal is an iPAddress, `x://…` a URI, `a@b` an
 * email, anything else a DNS name (wildcards allowed).
 */
export function inferSubjectAltName(name: string, field = 'name'): SubjectAltName {
  const trimmed = name.trim();
  const ipVersion = isIP(trimmed.replace(/^\[(.*)\]$/, '$1'));
  if (ipVersion) return { kind: 'ip', value: trimmed.replace(/^\[(.*)\]$/, '$1') };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    try {
      return { kind: 'uri', value: new URL(trimmed).toString() };
    } catch {
      throw new UserInputError(field, `"${name}" looks like a URI but does not parse as one.`);
    }
  }
  if (trimmed.includes('@')) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(trimmed)) throw new UserInputError(field, `"${name}" looks like an email address but is not one ("user@example.com").`);
    return { kind: 'email', value: trimmed };
  }
  return { kind: 'dns', value: validateDnsName(trimmed, field) };
}

/** Encodes an IP literal as the 4 or 16 bytes an iPAddress GeneralName holds. */
export function ipToBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return new Uint8Array(ip.split('.').map(Number));
  const groupsOf = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const [a, b, c, d] = g.split('.').map(Number); // an embedded IPv4 tail, as in ::ffff:10.0.0.1
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = groupsOf(head);
  const t = tail === undefined ? [] : groupsOf(tail);
  const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return new Uint8Array(groups.flatMap((g) => [g >> 8, g & 0xff]));
}

/** The text form of an iPAddress GeneralName's bytes (v4 dotted, v6 as node prints it). */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
    return new URL(`http://[${groups.join(':')}]`).hostname.replace(/^\[|\]$/g, '');
  }
  return Buffer.from(bytes).toString('hex');
}
