import { CheckCode } from '../../lib';
import { CorpusPki, days, makeCorpusPki, opensslVerify } from './context';
import { CRL_CASES } from './crl-cases';
import { clientTrustFindings, errorCodes, summary } from './verdicts';
import { craftCrl, revokedEntry, time } from '../support/crafted-crl';
import { der, extension, name, OIDS } from '../support/der-builder';

// Every crafted CRL goes to the real `openssl verify` with a VALID client of its CA, with the flags nginx sets
// (`ssl_crl` turns on CRL_CHECK and CRL_CHECK_ALL, hence -crl_check_all), and to our checks. openssl refusing
// the client must go with an error finding from us, and openssl admitting it with none: "synth passes" must
// mean "nginx admits the right clients", and a false error blocks a deploy nginx would serve.

/**
 * The cases where we refuse on purpose a CRL that OpenSSL 3.0.19 accepts, each for a stated reason. The test
 * holds both halves (openssl accepts, we refuse with this code), so a change on either side shows up here.
 */
const STRICTER: Record<string, { code: CheckCode; why: string }> = {
  'no nextUpdate': { code: 'MTLS039', why: 'RFC 5280 requires nextUpdate; without it nobody, nginx included, can tell that the CRL went stale' },
  'version 1 (v1 CRL with extensions)': { code: 'MTLS039', why: 'a CRL with extensions must be v2 (RFC 5280 §5.1.2.1); only broken generators write this' },
  'version 3 (INTEGER 2)': { code: 'MTLS039', why: 'no CRL version 3 exists; only broken generators write it' },
  'revocationDate of another entry with 11 digits': { code: 'MTLS031', why: 'one strict time parser: OpenSSL ignores revocation dates, but the CRL is malformed (`openssl crl -text` prints "Bad time value")' },
  'critical delta CRL indicator': { code: 'MTLS047', why: 'openssl#31040/#31044: OpenSSL with the fix refuses a delta CRL as the full one (every client gets 400); 3.0.19 takes it as full and misses the base CRL\'s revocations' },
  'non-critical delta CRL indicator': { code: 'MTLS047', why: 'as above' },
  'an entry that certificateIssuer gives to another CA': { code: 'MTLS048', why: 'OpenSSL applies that entry only to the other CA\'s certificates: a client of this CA that it lists is admitted (proved below)' },
};

let pki: CorpusPki;
beforeAll(async () => { pki = await makeCorpusPki(); });

const table: string[] = [];

describe('crafted CRLs: our checks agree with `openssl verify -crl_check_all` on a valid client', () => {
  test.each(CRL_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const m = c.build(pki);
    const all = opensslVerify(m.caPem, m.crlPem, m.clientPem, ['-crl_check_all']);
    const leafOnly = opensslVerify(m.caPem, m.crlPem, m.clientPem, ['-crl_check']);
    const findings = clientTrustFindings(m.caPem, m.crlPem);
    table.push(`| ${c.name} | ${leafOnly.reason} | ${all.reason} | ${summary(findings)} |`);
    const stricter = STRICTER[c.name];
    if (stricter) {
      expect({ openssl: all.reason, ours: errorCodes(findings) }).toEqual({ openssl: 'OK', ours: expect.arrayContaining([stricter.code]) });
    } else {
      expect({ openssl: all.reason, refusedByUs: errorCodes(findings).length > 0 }).toEqual({ openssl: all.reason, refusedByUs: !all.accepted });
    }
  });

  test('every case of the stricter list exists in the corpus', () => {
    for (const key of Object.keys(STRICTER)) expect(CRL_CASES.map((c) => c.name)).toContain(key);
  });

  test('the corpus covers at least 15 cases and both verdicts', () => {
    expect(CRL_CASES.length).toBeGreaterThanOrEqual(15);
    expect(table.filter((row) => / OK \| [^|]* \|$/.test(row)).length).toBeGreaterThan(5);
    expect(table.filter((row) => /\| error [^|]* \| [^|]* \|$/.test(row)).length).toBeGreaterThan(15);
  });

  test('the verdict table (case | openssl -crl_check | openssl -crl_check_all | ours)', () => {
    expect(table.join('\n')).toMatchSnapshot();
  });
});

describe('a CRL entry that a certificateIssuer extension gives to another CA', () => {
  test('OpenSSL admits the client that entry lists, so we refuse the CRL (MTLS048)', async () => {
    const revoked = pki.ecClient;
    const elsewhere = extension(OIDS.certificateIssuer, true, der.seq(der.implicitConstructed(4, name([OIDS.commonName, der.utf8('Another CA')]))));
    const crlPem = craftCrl(pki.ec.signer, {
      thisUpdate: time(days(-1)), nextUpdate: time(days(90)),
      entries: [revokedEntry('0A0B0C', time(days(-2)), elsewhere), revokedEntry(revoked.facts.serialHex, time(days(-2)))],
    });
    expect(opensslVerify(pki.ec.certificatePem, crlPem, revoked.certificatePem).accepted).toBe(true);
    const plain = craftCrl(pki.ec.signer, { thisUpdate: time(days(-1)), nextUpdate: time(days(90)), entries: [revokedEntry(revoked.facts.serialHex, time(days(-2)))] });
    expect(opensslVerify(pki.ec.certificatePem, plain, revoked.certificatePem).reason).toMatch(/certificate revoked/);
    expect(errorCodes(clientTrustFindings(pki.ec.certificatePem, crlPem))).toEqual(['MTLS048']);
    expect(errorCodes(clientTrustFindings(pki.ec.certificatePem, plain))).toEqual([]);
  });
});
