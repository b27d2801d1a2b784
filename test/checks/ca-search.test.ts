import { checkClientTrust, Findings } from '../../lib';
import { verifyStats } from '../../lib/pki/verify';
import { VALIDITY } from '../corpus/context';
import { FIXTURE_NOW } from '../fixtures';
import { crossSignedCas } from '../support/cross-signed';

// MTLS023 (and synth, which runs the same check) looks up each CA's issuer in ca.crt. Comparing every CA with
// every other and checking signatures until one fits took 50 s for 800 cross-signed CAs. The lookup is now
// indexed by canonical subject and key identifier: one signature check per CA. The work is counted, not
// timed (bench/ca-bundle.ts has the times), so the test holds on a busy machine.

function signaturesChecked(caPem: string): { verifications: number; codes: string[] } {
  const findings = new Findings();
  const before = verifyStats.signatures;
  checkClientTrust(findings, { clientCaPem: caPem }, { now: FIXTURE_NOW, crlMinValidityDays: 7, caField: 'ca.crt', crlField: 'ca.crl' });
  return { verifications: verifyStats.signatures - before, codes: findings.all.map((f) => f.code).filter((c) => c !== 'MTLS058') }; // no CRL here on purpose
}

test('800 cross-signed CAs: each issuer is found with one signature check per CA', () => {
  const { verifications, codes } = signaturesChecked(crossSignedCas(800, VALIDITY));
  expect(codes).toEqual([]);
  expect(verifications).toBeLessThanOrEqual(800);
  expect(verifications).toBeGreaterThanOrEqual(800); // every link is really verified
});

test('the work grows linearly with the bundle', () => {
  const small = signaturesChecked(crossSignedCas(100, VALIDITY)).verifications;
  const large = signaturesChecked(crossSignedCas(400, VALIDITY)).verifications;
  expect(large / small).toBeLessThanOrEqual(4);
});

test('a CA whose issuer is missing is still found out, after checking only the candidates with its issuer\'s name', () => {
  const pems = crossSignedCas(40, VALIDITY).split(/(?<=-----END CERTIFICATE-----\n)/);
  // Drop B_0: A_0 (issued by B_0's key) loses its issuer; the other 19 B certificates share B_0's name.
  const { verifications, codes } = signaturesChecked([pems[0], ...pems.slice(2)].join(''));
  expect(codes).toEqual(['MTLS023']);
  expect(verifications).toBeLessThanOrEqual(39);
});
