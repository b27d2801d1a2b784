import { opensslResult, scratchDir } from '../support/openssl';
import { CERT_CASES, CertCase, SERVED_HOST } from './cert-cases';
import { FIXTURE_NOW } from '../fixtures';
import { clientTrustFindings, errorCodes, serverTlsFindings, summary } from './verdicts';

// Crafted certificate chains, judged by the real `openssl verify` and by our checks. The client-CA side is
// what nginx does with ca.crt (every certificate in it trusted, a client verified under it); the served side
// is what curl does with tls.crt (the root trusted, the intermediates sent by the server, purpose sslserver).
// openssl refusing must go with an error finding from us, and openssl accepting with none.

function opensslVerdict(c: CertCase, m: ReturnType<CertCase['build']>): { accepted: boolean; reason: string } {
  const tmp = scratchDir('mtls-cert-corpus-');
  try {
    const args = ['verify', '-attime', String(Math.floor(FIXTURE_NOW.getTime() / 1000)), '-CAfile', tmp.write('ca.pem', m.caPem)];
    if (m.untrustedPem) args.push('-untrusted', tmp.write('untrusted.pem', m.untrustedPem));
    if (c.side === 'served') args.push('-purpose', 'sslserver');
    args.push(tmp.write('leaf.pem', m.leafPem));
    const r = opensslResult(args);
    return { accepted: r.status === 0, reason: r.status === 0 ? 'OK' : r.output.split('\n').filter((l) => /^error \d+ at/.test(l)).join('; ') };
  } finally {
    tmp.cleanup();
  }
}

const table: string[] = [];

describe('crafted certificates: our checks agree with `openssl verify`', () => {
  test.each(CERT_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const m = c.build();
    const openssl = opensslVerdict(c, m);
    const findings = c.side === 'client-ca' ? clientTrustFindings(m.caPem) : serverTlsFindings(m.chainPem!, m.keyPem!, SERVED_HOST);
    table.push(`| ${c.name} | ${openssl.reason} | ${summary(findings)} |`);
    expect({ openssl: openssl.reason, refusedByUs: errorCodes(findings).length > 0 }).toEqual({ openssl: openssl.reason, refusedByUs: !openssl.accepted });
  });

  test('the verdict table (case | openssl verify | ours)', () => {
    expect(table.join('\n')).toMatchSnapshot();
  });
});
