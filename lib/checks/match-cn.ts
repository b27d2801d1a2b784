import { Findings } from './finding';

// auth-tls-match-cn, and why the construct never emits it as given.
//
// ingress-nginx renders the annotation, `CN=` included, as `if ($ssl_client_s_dn !~ "<annotation>")`: an
// unanchored PCRE search anywhere in the subject DN. `CN=Client002` therefore also admits `CN=Client002-evil`
// and a CN whose value is `x,CN=Client002` (nginx prints it `CN=x\,CN=Client002`, RFC 2253). The annotation
// must start with the literal `CN=` (the controller refuses anything else) and the controller compiles the rest
// with Go's RE2, which has no lookbehind, so `^` cannot go in front and `(?<=^CN=)` cannot go after it. What
// both RE2 and PCRE accept is a first branch that never matches, then the anchored pattern:
//
//   CN=[^\s\S]|^CN=(?:<pattern>)(?:,|\+|$)
//
// `^CN=` pins the CN to the first RDN nginx prints (RFC 2253 order: the most specific, which is where openssl,
// our PKI and most CAs put the CN); the tail ends the value at the next RDN (`,`), the next value of the same
// RDN (`+`) or the end. Inside a value nginx escapes `,` and `+` with `\`, so they cannot end it early.

const NEVER = 'CN=[^\\s\\S]|';
const HEAD = `${NEVER}^CN=(?:`;
const TAIL = ')(?:,|\\+|$)';

/**
 * The auth-tls-match-cn value for the `matchCn` prop `CN=<pattern>`: `<pattern>` must match the whole CN. A value
 * already anchored is kept, and one without `CN=` too (MTLS053 refuses it; the controller would reject it).
 */
export function anchorMatchCn(matchCn: string): string {
  if (!matchCn.startsWith('CN=') || anchoredPattern(matchCn) !== undefined) return matchCn;
  return `${HEAD}${matchCn.slice(3)}${TAIL}`;
}

/** The `<pattern>` of an annotation value `anchorMatchCn` produced, or undefined for any other value. */
export function anchoredPattern(annotation: string): string | undefined {
  if (!annotation.startsWith(HEAD) || !annotation.endsWith(TAIL)) return undefined;
  const pattern = annotation.slice(HEAD.length, annotation.length - TAIL.length);
  // `a)|(b` would close the group early and leave an unanchored branch; a pattern that compiles alone cannot.
  return compileError(pattern) === undefined ? pattern : undefined;
}

function compileError(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Syntax JavaScript and PCRE accept but Go's RE2 refuses, so the controller would reject the whole Ingress. */
function re2Refuses(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (!inClass && /[1-9]/.test(pattern[i + 1] ?? '')) return `the backreference "\\${pattern[i + 1]}"`;
      if (!inClass && pattern[i + 1] === 'k' && pattern[i + 2] === '<') return 'the backreference "\\k<"';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === ']' || (pattern[i + 1] === '^' && pattern[i + 2] === ']')) i += pattern[i + 1] === '^' ? 2 : 1;
    } else if (c === '(' && /^\(\?<?[=!]/.test(pattern.slice(i, i + 4))) {
      return `the lookaround "${pattern.slice(i, i + (pattern[i + 2] === '<' ? 4 : 3))}"`;
    }
  }
  return undefined;
}

/**
 * Checks `matchCn` as the construct's prop (`CN=<pattern>`, anchored on output) or, with `asDeployed`, an
 * annotation value read back from manifests, where an unanchored pattern is a warning naming what it admits.
 */
export function checkMatchCn(findings: Findings, field: string, value: string, asDeployed = false): void {
  if (!value.startsWith('CN=')) {
    findings.error('MTLS053', field, `"${value}" must start with "CN=" (ingress-nginx rejects the whole Ingress otherwise; versions before 1.9.6 ignored it and admitted every valid client). Example: "CN=Client00[0-9]", which the construct anchors so that it matches the whole CN.`);
    return;
  }
  const anchored = asDeployed ? anchoredPattern(value) : undefined;
  const pattern = anchored ?? value.slice(3);
  const invalid = compileError(pattern);
  const refused = invalid ? undefined : re2Refuses(pattern);
  if (invalid || refused) {
    findings.error('MTLS053', field, `"${value}" is not a valid regular expression after "CN=" (${invalid ?? `${refused}, which Go's RE2 does not support`}); ingress-nginx compiles it with RE2 and rejects the whole Ingress.`);
    return;
  }
  if (asDeployed && anchored === undefined) {
    findings.warn('MTLS057', field, `"${value}" is an unanchored regular expression: nginx searches for it anywhere in the client's subject DN, so a subject that merely contains a match passes too ("CN=Client002" admits "CN=Client002-evil", and "CN=x\\,CN=Client002", whose CN holds a comma). Anchor it as MtlsIngress's matchCn does: "${anchorMatchCn(value)}".`);
  } else if (!asDeployed && pattern.startsWith('^')) {
    findings.error('MTLS053', field, `"${value}" starts its pattern with "^", which can never match after "CN=", so every client would get 403. Leave "^" and "$" out: the construct anchors the pattern to the whole CN.`);
  }
}
