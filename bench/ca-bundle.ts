// How long the client CA checks take on a large bundle of cross-signed CAs (MTLS023's issuer search, which synth
// runs too), split into parsing and the checks themselves, next to the old name-only search it replaced.
//
//   npm run build && node build/bench/ca-bundle.js            100, 200, 400 and 800 CAs
//   node build/bench/ca-bundle.js --sizes 800
//
// test/checks/ca-search.test.ts asserts the work (signature checks per CA); this prints the time it takes.
import { checkClientTrust, Findings, readCertificates } from '../lib';
import { CertificateFacts } from '../lib/pki';
import { isSignedBy, IssuerIndex, verifyStats } from '../lib/pki/verify';
import { crossSignedCas } from '../test/support/cross-signed';

const VALIDITY = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2030-01-01T00:00:00Z') };
const NOW = new Date('2026-06-01T00:00:00Z');

function timed<T>(run: () => T): { value: T; ms: number; signatures: number } {
  const signatures = verifyStats.signatures;
  const start = process.hrtime.bigint();
  const value = run();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6, signatures: verifyStats.signatures - signatures };
}

/** The search MTLS023 did before: every CA against every other, by DER name, signature until one fits. */
function nameOnlySearch(cas: readonly CertificateFacts[]): number {
  return cas.filter((ca) => !ca.selfIssued && !cas.some((other) => other !== ca && ca.issuerDerHex === other.subjectDerHex && isSignedBy(ca, other))).length;
}

const sizesArg = process.argv.indexOf('--sizes');
const sizes = sizesArg === -1 ? [100, 200, 400, 800] : process.argv[sizesArg + 1].split(',').map(Number);
console.log('| CAs | parse ms | indexed search ms (signatures) | whole checkClientTrust ms | old name-only search ms (signatures) |');
console.log('|---:|---:|---:|---:|---:|');
for (const size of sizes) {
  const pem = crossSignedCas(size, VALIDITY);
  const parsed = timed(() => readCertificates(pem));
  const cas = parsed.value;
  const indexed = timed(() => { const index = new IssuerIndex(cas); return cas.filter((ca) => !ca.selfIssued && !index.issuersOf(ca).length).length; });
  const whole = timed(() => checkClientTrust(new Findings(), { clientCaPem: pem }, { now: NOW, crlMinValidityDays: 7, caField: 'ca', crlField: 'crl' }));
  const old = timed(() => nameOnlySearch(cas));
  if (indexed.value !== 0 || old.value !== 0) throw new Error('every CA of the bundle has its issuer in it');
  console.log(`| ${size} | ${parsed.ms.toFixed(0)} | ${indexed.ms.toFixed(1)} (${indexed.signatures}) | ${whole.ms.toFixed(0)} | ${old.ms.toFixed(0)} (${old.signatures}) |`);
}
