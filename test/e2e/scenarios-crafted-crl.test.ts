// Crafted CRLs from the OpenSSL corpus (test/corpus), signed by the seed client CA's real key, against a real
// nginx configured as ingress-nginx would: the ones synth now refuses are served anyway, and nginx answers 400 to
// the valid Client002, with the reason OpenSSL gives; the ones synth passes, nginx serves. CRL times follow the
// real clock, because nginx judges CRLs against it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CertificateAuthority, loadCertificateAuthority } from '../../lib';
import { DAY, seedFixture } from '../fixtures';
import { seedChart } from '../support/chart';
import { akiExtension, craftCrl, crlNumberExtension, CrlSpec, idpExtension, Signer, signerOf, time } from '../support/crafted-crl';
import { der, extension, name, OIDS } from '../support/der-builder';
import { K8sObject, loadManifests, probe, ServedIngress, serveIngress } from './nginx-harness';
import { E2E_TEST_TIMEOUT } from './process-harness';

// Every test renders, tests (`nginx -t`) and starts or reloads a real nginx and waits for it to answer: a second
// on a quiet machine, tens of seconds at load 8 on 2 cores.
jest.setTimeout(E2E_TEST_TIMEOUT);

const CA_SECRET = 'mtls-client-ca-secret';
const client002 = { certPem: seedFixture('client002-cert.pem'), keyPem: seedFixture('client002-key.pem') };
const at = (days: number) => time(new Date(Date.now() + days * DAY));
const standard = (s: Signer) => [akiExtension(s.keyId!), crlNumberExtension(1)];

/** Synth with `crlPem`: the findings, and the objects when synth succeeded. */
function synth(crlPem: string): { codes: string[]; objects?: K8sObject[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenario-synth-'));
  try {
    const { app, mtls } = seedChart({ crlPem, now: new Date() }, dir);
    const codes = mtls.findings.filter((f) => f.severity === 'error').map((f) => f.code);
    if (codes.length) {
      expect(() => app.synth()).toThrow(new RegExp(codes[0]));
      return { codes };
    }
    app.synth();
    return { codes, objects: loadManifests(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function patchCaSecret(objects: K8sObject[], crlPem: string): K8sObject[] {
  const copy: K8sObject[] = JSON.parse(JSON.stringify(objects));
  copy.find((o) => o.kind === 'Secret' && o.metadata.name === CA_SECRET)!.data['ca.crl'] = Buffer.from(crlPem, 'utf8').toString('base64');
  return copy;
}

let seedCa: CertificateAuthority;
let signer: Signer;
let s: ServedIngress;
let seed: K8sObject[];

beforeAll(async () => {
  seedCa = await loadCertificateAuthority(seedFixture('client-ca-cert.pem'), seedFixture('client-ca-key.pem'), 'seed client CA');
  signer = signerOf(seedCa);
  const plain = synth(craftCrl(signer, { thisUpdate: at(-1), nextUpdate: at(30) }));
  expect(plain.codes).toEqual([]);
  seed = plain.objects!;
  s = await serveIngress({ objects: seed });
});
afterAll(async () => s?.stop());

async function client002With(crlPem: string): Promise<{ status: number; log: string }> {
  await s.reload(patchCaSecret(seed, crlPem));
  expect(s.authTls.mode).toBe('enabled');
  const mark = s.errorLog().length;
  const r = await probe(s, { caPem: seedFixture('server-ca-cert.pem'), ...client002 });
  return { status: r.status, log: s.errorLog().slice(mark) };
}

type Refused = [string, (s: Signer) => Partial<CrlSpec>, string, RegExp];
const REFUSED: Refused[] = [
  ['an unknown critical CRL extension', (x) => ({ extensions: [...standard(x), extension(OIDS.unknown, true, der.utf8('x'))] }), 'MTLS041', /\(36:unhandled critical CRL extension\)/],
  // `openssl verify` stops at "44:different CRL scope"; nginx's verify callback lets OpenSSL go on, and what it
  // logs is the last error, "3:unable to get certificate CRL". Either way the client is refused.
  ['a critical IssuingDistributionPoint with onlyContainsCACerts', (x) => ({ extensions: [...standard(x), idpExtension({ onlyContainsCACerts: true })] }), 'MTLS042', /\(3:unable to get certificate CRL\)/],
  ['an AKI that is not the CA\'s key identifier', () => ({ extensions: [akiExtension(new Uint8Array(20).fill(7)), crlNumberExtension(1)] }), 'MTLS043', /\(3:unable to get certificate CRL\)/],
  ['an RSA signature OID on the EC key', () => ({ tbsAlgorithm: OIDS.sha256WithRsa, digest: 'sha256' }), 'MTLS044', /\(8:CRL signature failure\)/],
  ['a thisUpdate UTCTime of 11 digits', () => ({ thisUpdate: der.utcTime('18102813516Z') }), 'MTLS031', /\(15:format error in CRL's lastUpdate field\)/],
];

describe('crafted CRLs synth refuses: served anyway, nginx answers 400 to the valid Client002', () => {
  test.each(REFUSED)('%s', async (_what, spec, code, reason) => {
    const crlPem = craftCrl(signer, { thisUpdate: at(-1), nextUpdate: at(30), ...spec(signer) });
    expect(synth(crlPem).codes).toContain(code);
    const r = await client002With(crlPem);
    expect(r.status).toBe(400);
    expect(r.log).toMatch(reason);
  });
});

describe('crafted CRLs synth passes: nginx serves Client002', () => {
  test('the issuer re-encoded as PrintableString (before the fix: a false MTLS032 and MTLS036)', async () => {
    const crlPem = craftCrl(signer, { thisUpdate: at(-1), nextUpdate: at(30), issuer: name([OIDS.commonName, der.printable('Aispeech Client Cert Authority')]) });
    expect(synth(crlPem).codes).toEqual([]);
    expect((await client002With(crlPem)).status).toBe(200);
  });

  test('an ecdsa-with-SHA1 CRL: nginx with OpenSSL 3.0 accepts it, so it is a warning (MTLS045), not an error', async () => {
    const crlPem = craftCrl(signer, { thisUpdate: at(-1), nextUpdate: at(30), tbsAlgorithm: OIDS.ecdsaWithSha1 });
    const { mtls } = seedChart({ crlPem, now: new Date() });
    expect(mtls.findings.map((f) => `${f.code} ${f.severity}`)).toEqual(['MTLS045 warning']);
    expect((await client002With(crlPem)).status).toBe(200);
  });
});
