import { checkClientTrust, checkServerTls, Findings } from '../../lib/checks';
import { UserInputError, decodePem, readCertificates, readCrls, readPrivateKey } from '../../lib/pki';
import { seedFixture } from '../fixtures';
import { deepNesting, Mutator, toPem } from './mutator';

// CI runs a seeded subset; `npm run fuzz` sets MTLS_FUZZ_COUNT=10000 for the full run.
const COUNT = Number(process.env.MTLS_FUZZ_COUNT ?? 1500);
const SEED = Number(process.env.MTLS_FUZZ_SEED ?? 20261129);
// A hang detector, not a speed test: an input takes about a millisecond, and the slowest of 1,500 was 0.5 s at load
// 10 on 2 cores (a GC pause or the process waiting for a CPU), so only a loop that does not end or work that
// explodes with the input reaches 20 s.
const HANG_MS = 20_000;

const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
const targets = [
  { name: 'certificate chain', label: 'CERTIFICATE', base: der(seedFixture('server-cert-chain.pem').split('-----END CERTIFICATE-----')[0]), parse: (t: string) => readCertificates(t, 'fuzz') },
  { name: 'CRL', label: 'X509 CRL', base: der(seedFixture('client-ca.crl')), parse: (t: string) => readCrls(t, 'fuzz') },
  { name: 'private key', label: 'PRIVATE KEY', base: der(seedFixture('client002-key.pem')), parse: (t: string) => readPrivateKey(t, 'fuzz') },
  // The synth-time checks turn every bad input into findings, so anything thrown from them is a bug.
  { name: 'server checks', label: 'CERTIFICATE', base: der(seedFixture('server-cert-chain.pem').split('-----END CERTIFICATE-----')[0]), parse: (t: string) => throwIfAccepted(() => checkServerTls(new Findings(), { certificateChainPem: t + seedFixture('server-ca-cert.pem'), privateKeyPem: seedFixture('server-key.pem') }, { hosts: ['mtls.dev.ityoudao.cn'], now: new Date(), minValidityDays: 30, chainField: 'f', keyField: 'k' })) },
  { name: 'CRL checks', label: 'X509 CRL', base: der(seedFixture('client-ca.crl')), parse: (t: string) => throwIfAccepted(() => checkClientTrust(new Findings(), { clientCaPem: seedFixture('client-ca-cert.pem'), crlPem: t }, { now: new Date(), crlMinValidityDays: 7, caField: 'c', crlField: 'r' })) },
];

/** For targets that must never throw: a finding counts as a refusal, silence as acceptance. */
function throwIfAccepted(check: () => unknown): void {
  check();
  throw new UserInputError('fuzz', 'checked (findings, no exception)');
}

interface Outcome { accepted: number; refused: number; crashes: string[]; slowest: number }

function run(parse: (text: string) => unknown, text: string, outcome: Outcome, replay: string): void {
  const started = process.hrtime.bigint();
  try {
    parse(text);
    outcome.accepted++;
  } catch (e) {
    if (e instanceof UserInputError) outcome.refused++;
    else outcome.crashes.push(`${replay}: ${(e as Error).name}: ${(e as Error).message}`);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  outcome.slowest = Math.max(outcome.slowest, ms);
}

describe(`fuzzing the parsers with ${COUNT} mutated inputs each (seed ${SEED})`, () => {
  test.each(targets)('$name: only clear user errors, no crash, no hang, bounded memory', ({ name, label, base, parse }) => {
    const mutator = new Mutator(SEED);
    const outcome: Outcome = { accepted: 0, refused: 0, crashes: [], slowest: 0 };
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < COUNT; i++) {
      const mutated = mutator.mutate(base);
      // Half go in as well-formed PEM around mutated DER, half as mutated PEM text.
      const text = i % 2 === 0 ? toPem(label, mutated) : Buffer.from(mutator.mutate(Buffer.from(toPem(label, base)))).toString('latin1');
      run(parse, text, outcome, `case ${i}`);
    }
    run(parse, toPem(label, deepNesting(50_000)), outcome, 'deep nesting');
    run(parse, toPem(label, Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01)), outcome, 'length 2 GiB');
    const rssGrowthMiB = (process.memoryUsage().rss - rssBefore) / 1048576;

    expect(outcome.crashes).toEqual([]);
    expect(outcome.slowest).toBeLessThan(HANG_MS);
    expect(rssGrowthMiB).toBeLessThan(256);
    expect(outcome.refused).toBeGreaterThan(COUNT / 4); // the mutator really produces bad input
    process.stdout.write(`fuzz ${name}: ${COUNT + 2} inputs, ${outcome.accepted} accepted, ${outcome.refused} refused with a user error, 0 crashes, slowest ${outcome.slowest.toFixed(1)} ms, RSS +${rssGrowthMiB.toFixed(0)} MiB\n`);
  });

  test('decodePem names the block and the reason', () => {
    expect(() => decodePem('-----BEGIN CERTIFICATE-----\nAAAA\n', 'x.pem')).toThrow(/x\.pem: PEM block 1 \("CERTIFICATE", line 1\) has no END line; the file is truncated/);
    expect(() => decodePem('-----BEGIN CERTIFICATE-----\nA$AA\n-----END CERTIFICATE-----\n', 'x.pem')).toThrow(/PEM block 1 \("CERTIFICATE"\) contains characters that are not base64/);
  });
});
