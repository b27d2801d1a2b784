import { createRootCa, issueClientCertificate } from '../../lib/pki';
import { cli, requireBuild } from '../cli/cli';
import { akiExtension, craftCrl, crlNumberExtension, CrlSpec, idpExtension, revokedEntry, Signer, signerOf, time } from '../support/crafted-crl';
import { der, extension, OIDS } from '../support/der-builder';
import { opensslResult, scratchDir } from '../support/openssl';
import { DAY } from '../fixtures';

// The five CRLs of the security review, each signed by the CA's real key, through the compiled `mtls-pki check`
// as operators run it (against the real clock): each must exit 1 with its finding, where openssl says why
// nginx would answer 400 to every client. Before the fix, all five passed with exit 0.

beforeAll(requireBuild);
const tmp = scratchDir('mtls-cli-crl-');
afterAll(() => tmp.cleanup());

const at = (days: number) => time(new Date(Date.now() + days * DAY));
const standard = (s: Signer) => [akiExtension(s.keyId!), crlNumberExtension(1)];

type Review = [string, 'ec' | 'rsa', (s: Signer) => Partial<CrlSpec>, string, RegExp];
const REVIEW: Review[] = [
  ['an unknown critical CRL extension', 'ec', (s) => ({ extensions: [...standard(s), extension(OIDS.unknown, true, der.utf8('x'))] }), 'MTLS041', /unhandled critical CRL extension/],
  ['an unknown critical entry extension', 'ec', () => ({ entries: [revokedEntry('0A0B0C', at(-2), extension(OIDS.unknown, true, der.utf8('x')))] }), 'MTLS041', /unhandled critical CRL extension/],
  ['a critical IssuingDistributionPoint with onlyContainsCACerts', 'ec', (s) => ({ extensions: [...standard(s), idpExtension({ onlyContainsCACerts: true })] }), 'MTLS042', /different CRL scope/],
  ['an AKI keyid that is not the CA\'s SKI', 'ec', () => ({ extensions: [akiExtension(new Uint8Array(20).fill(7)), crlNumberExtension(1)] }), 'MTLS043', /unable to get certificate CRL/],
  ['an RSA signature OID on an EC key', 'ec', () => ({ tbsAlgorithm: OIDS.sha256WithRsa, digest: 'sha256' }), 'MTLS044', /CRL signature failure/],
  ['an ECDSA signature OID on an RSA key', 'rsa', () => ({ tbsAlgorithm: OIDS.ecdsaWithSha256, digest: 'sha256' }), 'MTLS044', /CRL signature failure/],
];

test.each(REVIEW)('mtls-pki check --client-ca --crl exits 1 for %s', async (what, keyType, spec, code, opensslSays) => {
  const ca = await createRootCa({ commonName: `Review ${keyType} CA`, keyAlgorithm: keyType === 'rsa' ? 'rsa-2048' : 'ec-p256' });
  const signer = signerOf(ca);
  const slug = what.replace(/\W+/g, '-');
  const caFile = tmp.write(`${slug}-ca.pem`, ca.certificatePem);
  const crlFile = tmp.write(`${slug}.crl`, craftCrl(signer, { thisUpdate: at(-1), nextUpdate: at(90), ...spec(signer) }));
  const baseline = tmp.write(`${slug}-baseline.crl`, craftCrl(signer, { thisUpdate: at(-1), nextUpdate: at(90) }));

  const r = cli(['check', '--client-ca', caFile, '--crl', crlFile]);
  expect(r.status).toBe(1);
  expect(r.stdout + r.stderr).toContain(`${code} error`);
  expect(r.stdout + r.stderr).toMatch(/400 to every client/);
  expect(cli(['check', '--client-ca', caFile, '--crl', baseline])).toMatchObject({ status: 0 });

  // The same CRL, as nginx sees it: openssl refuses a client of this CA.
  const client = await issueClientCertificate(ca, { commonName: 'valid' });
  const verify = opensslResult(['verify', '-crl_check_all', '-CAfile', caFile, '-CRLfile', crlFile, tmp.write(`${slug}-client.pem`, client.certificatePem)]);
  expect(verify.status).not.toBe(0);
  expect(verify.output).toMatch(opensslSays);
});
