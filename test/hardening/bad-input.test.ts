import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { MtlsIngress, MtlsIngressProps, MtlsMaterial } from '../../lib';
import { PkiStore } from '../../lib/store';
import { cli, CliResult, requireBuild, runMain } from '../cli/cli';
import { scratchDir } from '../support/openssl';
import { snapshot } from '../store/helpers';
import { HOST, Inputs, makeInputs } from './inputs';
import { expectRefusal, STACK_LINE } from './support';

// The bad-input corpus: every case is refused with one paragraph that names the file or field and the fix,
// exit 1 or 2 for the CLI, no stack trace, and not one byte written or changed anywhere: the scratch tree that
// holds the inputs, a PKI store, an output directory and a previously synthesized dist/ is snapshotted (names,
// modes, contents) before and after each case. The full disk has its own file (full-disk.test.ts).

beforeAll(requireBuild);

const tmp = scratchDir('mtls-bad-');
const root = tmp.dir;
const inputs = join(root, 'inputs');
const store = join(root, 'pki');
const out = join(root, 'out');
const dist = join(root, 'dist');
let inp: Inputs;

beforeAll(async () => {
  for (const d of [inputs, out]) fs.mkdirSync(d);
  inp = await makeInputs(inputs);
  await (await PkiStore.open(store)).ensure({ clients: [{ commonName: 'Client001' }, { commonName: 'Client002' }], servers: [{ name: 'app', names: [HOST] }] });
  synth({}).synth(); // the good output a failing synth must leave alone
  expect(fs.readdirSync(dist)).toEqual(['hardening.k8s.yaml']);
});
afterAll(() => tmp.cleanup());

const inStore = (...args: string[]) => [...args, '--dir', '../pki'];
const check = (...args: string[]) => inStore('check', ...args);
const serverCheck = (chain: string, key: string, host = HOST) => check('--server-chain', chain, '--server-key', key, '--host', host);
const crlCheck = (crl: string) => check('--client-ca', 'client-ca.pem', '--crl', crl);
const importOpenssl = (...args: string[]) => ['import-openssl', '--dir', '../out/imported', ...args];
const gencrl = (...args: string[]) => ['gencrl', '--out', '../out/new.crl', ...args];
const nobody = 65534;

/** The CLI's main() in this process, in the inputs directory (so findings name the files as the user typed them). */
const runInProcess = (args: readonly string[]): Promise<CliResult> => runMain(args, { cwd: inputs, env: { NO_COLOR: '1' } });

/** The built binary in a process of its own, in the inputs directory. */
const runBinary = (args: readonly string[], options: { uid?: number; gid?: number } = {}): CliResult => cli(args, { cwd: inputs, ...options });

interface CliCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly message: RegExp;
  readonly status?: 1 | 2;
}

const cliCases: CliCase[] = [
  // input files through `mtls-pki check`
  { name: 'check: an empty server chain file', args: serverCheck('empty.pem', 'server.key'), message: /MTLS010 error empty\.pem: is empty; give the server certificate followed by its CA chain \(PEM\), e\.g\. `cat server-cert\.pem server-ca-cert\.pem`/ },
  { name: 'check: binary garbage as the server chain', args: serverCheck('garbage.bin', 'server.key'), message: /MTLS010 error garbage\.bin: is binary data, not PEM text\. If it is DER, convert it with `openssl x509 -inform DER -outform PEM`/ },
  { name: 'check: a truncated PEM chain', args: serverCheck('truncated.pem', 'server.key'), message: /MTLS010 error truncated\.pem: PEM block 1 \("CERTIFICATE", line 1\) has no END line; the file is truncated/ },
  { name: 'check: a truncated DER certificate', args: serverCheck('truncated.der', 'server.key'), message: /MTLS010 error truncated\.der: is binary data, not PEM text\. If it is DER, convert it/ },
  { name: 'check: a CSR where the certificate belongs (wrong PEM label)', args: serverCheck('server.csr', 'server.key'), message: /MTLS010 error server\.csr: PEM block 1 is "CERTIFICATE REQUEST", but only "CERTIFICATE" belong here/ },
  { name: 'check: two keys in one key file', args: serverCheck('server-chain.pem', 'two-keys.key'), message: /MTLS010 error two-keys\.key: holds 2 private keys; put exactly one key in the file/ },
  { name: 'check: an encrypted key (openssl genpkey -aes256)', args: serverCheck('server-chain.pem', 'encrypted.key'), message: /MTLS010 error encrypted\.key: is an encrypted private key, which is not supported\. Decrypt it first: `openssl pkey -in key\.pem -out key-plain\.pem`/ },
  { name: 'check: a key that does not match the certificate', args: serverCheck('server-chain.pem', 'other.key'), message: /MTLS007 error other\.key: does not belong to the certificate "CN=server" \(serial [0-9A-F]+\)\. ingress-nginx cannot load such a Secret .* clients fail with curl: \(60\)\. Give the key generated with that certificate/ },
  { name: 'check: a leaf with cA=TRUE as the server certificate', args: serverCheck('leaf-ca-chain.pem', 'leaf-ca.key'), message: /MTLS001 error leaf-ca-chain\.pem: the first certificate, "CN=leaf-ca", is a CA certificate \(cA=TRUE\).*Put the server certificate first/ },
  { name: 'check: an expired server certificate', args: serverCheck('expired-chain.pem', 'expired.key'), message: /MTLS008 error expired-chain\.pem: "CN=app\.example\.com" expired at .*Re-issue it \(`mtls-pki server`\)/ },
  { name: 'check: a server certificate not yet valid', args: serverCheck('future-chain.pem', 'future.key'), message: /MTLS008 error future-chain\.pem: "CN=app\.example\.com" is not valid until .*Check the issuing machine's clock, or re-issue it/ },
  { name: 'check: a wildcard that does not cover the host', args: serverCheck('wildcard-chain.pem', 'wildcard.key', 'a.b.example.com'), message: /MTLS006 error wildcard-chain\.pem: "CN=wildcard" does not cover host "a\.b\.example\.com": its SANs are DNS:\*\.example\.com \(a wildcard covers exactly one label\)\. Re-issue it with a\.b\.example\.com in subjectAltName/ },
  { name: 'check: an IP host with only DNS SANs', args: serverCheck('dns-only-chain.pem', 'dns-only.key', '10.0.0.7'), message: /MTLS006 error dns-only-chain\.pem: "CN=dns-only" does not cover host "10\.0\.0\.7": its SANs are DNS:app\.example\.com.*Re-issue it with 10\.0\.0\.7 in subjectAltName/ },
  { name: 'check: an empty client CA file', args: check('--client-ca', 'empty.pem'), message: /MTLS020 error empty\.pem: is empty\. Without ca\.crt ingress-nginx logs "mutual authentication disabled".*give the client CA certificate\(s\) in PEM/ },
  { name: 'check: a CRL from another CA', args: crlCheck('other-ca.crl'), message: /MTLS032 error other-ca\.crl: was issued by "CN=Hardening Server CA", which is not one of the client CAs.*Generate the CRL with the client CA's key/ },
  { name: 'check: a CRL with a bad signature', args: crlCheck('bad-signature.crl'), message: /MTLS033 error bad-signature\.crl: names "CN=Hardening Client CA" as issuer, but its signature does not verify.*regenerate it with the CA's own key/ },
  { name: 'check: an expired CRL', args: crlCheck('expired.crl'), message: /MTLS034 error expired\.crl: from "CN=Hardening Client CA" expired at .*rejects EVERY client certificate.*Regenerate it \(`mtls-pki crl`/ },
  { name: 'check: a DER CRL', args: crlCheck('client-ca.crl.der'), message: /MTLS030 error client-ca\.crl\.der: is DER \(binary\), but nginx's ssl_crl reads only PEM.*`openssl crl -inform DER -in crl\.der -out crl\.pem`/ },
  { name: 'check: a CRL listing a serial twice', args: crlCheck('duplicate-serial.crl'), message: /MTLS037 error duplicate-serial\.crl: lists serial\(s\) 0A more than once.*Regenerate it from a clean revocation list/ },
  { name: 'check: a CRL without its client CA', args: check('--crl', 'client-ca.crl'), message: /^mtls-pki: error: --crl: needs --client-ca too: a CRL is checked against the CA that issued it\.\n$/ },
  { name: 'check --manifests: a CA Secret over 1 MiB (a CRL of 23,000 entries)', args: check('--manifests', '../out/huge.yaml'), message: /MTLS040 error Secret hardening\/huge-ca: Secret "huge-ca" would hold \d+ bytes of data, \d+ over Kubernetes' 1 MiB \(1048576 bytes\) limit.*The CRL holds 23000 entries.*by pruning entries whose certificates have expired \(`mtls-pki crl --prune/ },

  // input files through `mtls-pki import-openssl` (a refused import creates no store directory)
  { name: 'import-openssl: an encrypted CA key', args: importOpenssl('--index', 'index.txt', '--ca-cert', 'client-ca.pem', '--ca-key', 'encrypted.key'), message: /error: client-ca\.pem key: is an encrypted private key, which is not supported\. Decrypt it first/ },
  { name: 'import-openssl: a CA key that does not match the CA certificate', args: importOpenssl('--index', 'index.txt', '--ca-cert', 'client-ca.pem', '--ca-key', 'other.key'), message: /error: client-ca\.pem key: does not belong to the CA certificate "CN=Hardening Client CA"; give the key that was used to create that certificate/ },
  { name: 'import-openssl: a CA without keyCertSign (openssl -addext keyUsage=digitalSignature)', args: importOpenssl('--index', 'index.txt', '--ca-cert', 'no-certsign-ca.pem', '--ca-key', 'no-certsign-ca.key'), message: /error: no-certsign-ca\.pem certificate: "CN=No CertSign CA" has a KeyUsage without keyCertSign.*re-issue the CA with keyCertSign and cRLSign/ },
  { name: 'import-openssl: a leaf (cA=FALSE) as the CA certificate', args: importOpenssl('--index', 'index.txt', '--ca-cert', 'server.pem', '--ca-key', 'server.key'), message: /error: server\.pem certificate: "CN=server" is not a CA \(BasicConstraints cA is not TRUE\); give the CA's certificate, not a leaf/ },
  { name: 'import-openssl: binary garbage as index.txt', args: importOpenssl('--index', 'garbage.bin', '--ca-cert', 'client-ca.pem', '--ca-key', 'client-ca.key'), message: /error: garbage\.bin: line 1 has \d+ tab-separated fields?; openssl's index\.txt has 6/ },
  { name: 'import-openssl: a truncated PEM CA certificate', args: importOpenssl('--index', 'index.txt', '--ca-cert', 'truncated.pem', '--ca-key', 'client-ca.key'), message: /error: truncated\.pem certificate: PEM block 1 \("CERTIFICATE", line 1\) has no END line; the file is truncated/ },
  { name: 'import-openssl: an index.txt with a duplicate serial', args: importOpenssl('--index', 'duplicate-index.txt', '--ca-cert', 'client-ca.pem', '--ca-key', 'client-ca.key'), message: /error: duplicate-index\.txt: lines 1 and 2 both have serial 0A.*Remove the stale line; nothing was imported/ },
  { name: 'import-openssl: a crlnumber file that is not hex', args: importOpenssl('--index', 'index.txt', '--ca-cert', 'client-ca.pem', '--ca-key', 'client-ca.key', '--crlnumber', 'bad-crlnumber'), message: /error: bad-crlnumber: "twelve" is not a hex number/ },

  // input files through `mtls-pki gencrl` (neither the CRL nor the crlnumber file next to index.txt is written)
  { name: 'gencrl: two keys in the CA key file', args: gencrl('--index', 'index.txt', '--ca-cert', 'client-ca.pem', '--ca-key', 'two-keys.key'), message: /error: client-ca\.pem key: holds 2 private keys; put exactly one key in the file/ },
  { name: 'gencrl: a CA without keyCertSign', args: gencrl('--index', 'index.txt', '--ca-cert', 'no-certsign-ca.pem', '--ca-key', 'no-certsign-ca.key'), message: /error: no-certsign-ca\.pem certificate: "CN=No CertSign CA" has a KeyUsage without keyCertSign/ },
  { name: 'gencrl: an empty CA certificate file', args: gencrl('--index', 'index.txt', '--ca-cert', 'empty.pem', '--ca-key', 'client-ca.key'), message: /error: empty\.pem certificate: is empty; expected PEM with "-----BEGIN CERTIFICATE-----"/ },
  { name: 'gencrl: a DER CA certificate', args: gencrl('--index', 'index.txt', '--ca-cert', 'server.der', '--ca-key', 'client-ca.key'), message: /error: server\.der certificate: is binary data, not PEM text\. If it is DER, convert it with `openssl x509 -inform DER -outform PEM`/ },
  { name: 'gencrl: an index.txt that revokes one serial twice', args: gencrl('--index', 'duplicate-index.txt', '--ca-cert', 'client-ca.pem', '--ca-key', 'client-ca.key'), message: /error: duplicate-index\.txt: lines 1 and 2 revoke the same serial.*Remove the stale line/ },
  { name: 'gencrl: a crlnumber file that is not hex', args: gencrl('--index', 'index.txt', '--ca-cert', 'client-ca.pem', '--ca-key', 'client-ca.key', '--crlnumber', 'bad-crlnumber'), message: /error: bad-crlnumber: "twelve" is not a hex number/ },
  { name: 'gencrl: --out in a directory that does not exist (the CRL number is not consumed)', args: ['gencrl', '--index', 'index.txt', '--ca-cert', 'client-ca.pem', '--ca-key', 'client-ca.key', '--out', '../out/missing/new.crl'], message: /error: \.\.\/out\/missing\/new\.crl: cannot write the file: its directory does not exist\. Create it first/ },

  // the command line
  { name: 'an unknown command', args: ['revoek', 'Client001'], message: /usage error: unknown command "revoek" \(did you mean revoke\?\); the commands are /, status: 2 },
  { name: 'a missing argument', args: inStore('client'), message: /usage error: give the client's common name, e\.g\. mtls-pki client Client001\nRun `mtls-pki client --help` for the usage\./, status: 2 },
  { name: 'an unknown flag', args: inStore('revoke', 'Client001', '--force'), message: /usage error: unknown option --force\b.*\nRun `mtls-pki revoke --help` for the usage\./, status: 2 },
  { name: 'a flag without its value', args: inStore('client', 'Client003', '--days'), message: /usage error: --days needs a value/, status: 2 },
  { name: 'a malformed flag value', args: inStore('client', 'Client003', '--days', '0'), message: /usage error: --days must be a whole number of days/, status: 2 },
  { name: '--dir pointing at a file', args: ['server', HOST, '--dir', 'server.pem'], message: /^mtls-pki: error: server\.pem: is a file, not a directory\. Give --dir the directory that holds \(or will hold\) the PKI store, e\.g\. "pki"; nothing was written\.\n$/, status: 1 },
  { name: 'a host with uppercase letters', args: inStore('server', 'App.Example.com'), message: /error: \S+: "App\.Example\.com" has uppercase letters; write "app\.example\.com"/, status: 1 },
  { name: 'a host with a space', args: inStore('server', 'app .example.com'), message: /error: \S+: "app \.example\.com" contains white space; a DNS name has none\./, status: 1 },
  { name: 'revoke --cert with binary garbage', args: inStore('revoke', '--cert', 'garbage.bin'), message: /error: certificate to revoke: is binary data, not PEM text\. If it is DER, convert it/, status: 1 },
  { name: 'revoke --cert with a certificate of another CA', args: inStore('revoke', '--cert', 'server.pem'), message: /error: certificate to revoke: "CN=server" \(serial [0-9A-F]+\) was not issued by any CA of this store.*a CA can only revoke what it signed/, status: 1 },
];

describe('the bad-input corpus through the CLI: refused, one paragraph, no stack trace, nothing written', () => {
  beforeAll(() => {
    // A hand-written manifest whose CA Secret carries the 23,000-entry CRL (what a synth would emit without its guard).
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    fs.writeFileSync(join(out, 'huge.yaml'), [
      'apiVersion: networking.k8s.io/v1', 'kind: Ingress', 'metadata:', '  name: huge', '  namespace: hardening', '  annotations:',
      '    nginx.ingress.kubernetes.io/auth-tls-secret: hardening/huge-ca', '    nginx.ingress.kubernetes.io/auth-tls-verify-client: "on"',
      'spec:', '  rules:', `    - host: ${HOST}`, '---', 'apiVersion: v1', 'kind: Secret', 'metadata:', '  name: huge-ca', '  namespace: hardening',
      'type: Opaque', 'data:', `  ca.crt: ${b64(inp.text('client-ca.pem'))}`, `  ca.crl: ${b64(inp.text('huge.crl'))}`, '',
    ].join('\n'));
  });

  const results = new Map<string, CliResult>();
  test.each(cliCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = snapshot(root);
    const r = await runInProcess(c.args);
    results.set(c.name, r);
    expectRefusal(r, c.message, c.status);
    expect(r.stderr.trim()).not.toMatch(/\n\s*\n/); // one paragraph
    expect(snapshot(root)).toEqual(before);
  });

  // main() above is what the binary runs; this proves it on a sample, one case in four, as separate processes.
  test('the built mtls-pki binary gives the same exit code and output, and writes nothing, on every fourth case', () => {
    const sample = cliCases.filter((_, i) => i % 4 === 0);
    const before = snapshot(root);
    for (const c of sample) {
      const r = runBinary(c.args);
      expect([c.name, r]).toEqual([c.name, results.get(c.name)]);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
    expect(snapshot(root)).toEqual(before);
  });

  test('no refusal echoes private key material (the key files of the corpus, in PEM or base64)', () => {
    const keyLines = fs.readdirSync(inputs).filter((f) => f.endsWith('.key')).flatMap((f) => inp.text(f).split('\n').filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l)));
    expect(keyLines.length).toBeGreaterThan(10);
    expect(results.size).toBe(cliCases.length);
    for (const [name, r] of results) {
      const text = r.stdout + r.stderr;
      expect([name, /PRIVATE KEY/.test(text), keyLines.some((l) => text.includes(l))]).toEqual([name, false, false]);
    }
  });

  test('a read-only store directory (the CLI runs as uid 65534, since root ignores mode bits)', () => {
    const ro = join(root, 'pki-ro');
    fs.cpSync(store, ro, { recursive: true });
    fs.chmodSync(ro, 0o700);
    const before = snapshot(root);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      fs.chmodSync(root, 0o755);
      execFileSync('chown', ['-R', `${nobody}:${nobody}`, ro]);
    }
    fs.chmodSync(ro, 0o500);
    try {
      const r = runBinary(['client', 'Client003', '--dir', ro], asRoot ? { uid: nobody, gid: nobody } : {});
      expectRefusal(r, /^mtls-pki: error: \S+pki-ro\/\.lock: cannot create the lock file: permission denied\. Run as the store's owner, or give --dir a directory you can write\.\n$/, 1);
    } finally {
      fs.chmodSync(ro, 0o700);
      if (asRoot) {
        execFileSync('chown', ['-R', '0:0', ro]);
        fs.chmodSync(root, 0o700);
      }
    }
    expect(snapshot(root)).toEqual(before);
  });
});

/** Input file names for MtlsMaterial.fromFiles; `crl: null` leaves the CRL out. */
type Files = { serverCertificateChain?: string; serverKey?: string; clientCa?: string; crl?: string | null };

/** A chart with the good inputs read by MtlsMaterial.fromFiles, overridden by `files` and `props`, synthesizing into dist/. */
function synth(props: Partial<MtlsIngressProps>, files: Files = {}): App {
  const app = new App({ outdir: dist });
  const chart = new Chart(app, 'hardening', { namespace: 'hardening' });
  const f = { serverCertificateChain: 'server-chain.pem', serverKey: 'server.key', clientCa: 'client-ca.pem', crl: 'client-ca.crl', ...files };
  const material = MtlsMaterial.fromFiles({
    serverCertificateChain: inp.path(f.serverCertificateChain), serverKey: inp.path(f.serverKey), clientCa: inp.path(f.clientCa),
    ...(f.crl === null ? {} : { crl: inp.path(f.crl) }),
  });
  new MtlsIngress(chart, 'mtls', { host: HOST, backend: { serviceName: 'app', port: 80 }, ...material, ...props });
  return app;
}

interface SynthCase {
  readonly name: string;
  readonly files?: Files;
  readonly props?: Partial<MtlsIngressProps>;
  readonly message: RegExp;
}

const synthCases: SynthCase[] = [
  // input files, read with MtlsMaterial.fromFiles
  { name: 'an empty server chain file', files: { serverCertificateChain: 'empty.pem' }, message: /MTLS010 error serverTls\.certificateChainPem: is empty; give the server certificate followed by its CA chain/ },
  { name: 'binary garbage as the server chain', files: { serverCertificateChain: 'garbage.bin' }, message: /MTLS010 error serverTls\.certificateChainPem: is binary data, not PEM text\. If it is DER, convert it/ },
  { name: 'a truncated PEM chain', files: { serverCertificateChain: 'truncated.pem' }, message: /MTLS010 error serverTls\.certificateChainPem: PEM block 1 \("CERTIFICATE", line 1\) has no END line; the file is truncated/ },
  { name: 'a truncated DER certificate', files: { serverCertificateChain: 'truncated.der' }, message: /MTLS010 error serverTls\.certificateChainPem: is binary data, not PEM text/ },
  { name: 'a CSR where the chain belongs', files: { serverCertificateChain: 'server.csr' }, message: /MTLS010 error serverTls\.certificateChainPem: PEM block 1 is "CERTIFICATE REQUEST", but only "CERTIFICATE" belong here/ },
  { name: 'two keys in one key file', files: { serverKey: 'two-keys.key' }, message: /MTLS010 error serverTls\.privateKeyPem: holds 2 private keys; put exactly one key in the file/ },
  { name: 'an encrypted key', files: { serverKey: 'encrypted.key' }, message: /MTLS010 error serverTls\.privateKeyPem: is an encrypted private key.*Decrypt it first/ },
  { name: 'a key that does not match the certificate', files: { serverKey: 'other.key' }, message: /MTLS007 error serverTls\.privateKeyPem: does not belong to the certificate "CN=server"/ },
  { name: 'a leaf with cA=TRUE', files: { serverCertificateChain: 'leaf-ca-chain.pem', serverKey: 'leaf-ca.key' }, message: /MTLS001 error serverTls\.certificateChainPem: the first certificate, "CN=leaf-ca", is a CA certificate/ },
  { name: 'an expired server certificate', files: { serverCertificateChain: 'expired-chain.pem', serverKey: 'expired.key' }, message: /MTLS008 error serverTls\.certificateChainPem: "CN=app\.example\.com" expired at .*Re-issue it/ },
  { name: 'a server certificate not yet valid', files: { serverCertificateChain: 'future-chain.pem', serverKey: 'future.key' }, message: /MTLS008 error serverTls\.certificateChainPem: "CN=app\.example\.com" is not valid until/ },
  { name: 'a wildcard that does not cover the host', files: { serverCertificateChain: 'wildcard-chain.pem', serverKey: 'wildcard.key' }, props: { host: 'a.b.example.com' }, message: /MTLS006 error serverTls\.certificateChainPem: "CN=wildcard" does not cover host "a\.b\.example\.com"/ },
  { name: 'an IP host with only DNS SANs', files: { serverCertificateChain: 'dns-only-chain.pem', serverKey: 'dns-only.key' }, props: { host: '10.0.0.7' }, message: /MTLS006 error serverTls\.certificateChainPem: "CN=dns-only" does not cover host "10\.0\.0\.7"/ },
  { name: 'a CRL from another CA', files: { crl: 'other-ca.crl' }, message: /MTLS032 error crlPem: was issued by "CN=Hardening Server CA", which is not one of the client CAs/ },
  { name: 'a CRL with a bad signature', files: { crl: 'bad-signature.crl' }, message: /MTLS033 error crlPem: names "CN=Hardening Client CA" as issuer, but its signature does not verify/ },
  { name: 'an expired CRL', files: { crl: 'expired.crl' }, message: /MTLS034 error crlPem: from "CN=Hardening Client CA" expired at .*Regenerate it/ },
  { name: 'a DER CRL', files: { crl: 'client-ca.crl.der' }, message: /MTLS030 error crlPem: is DER \(binary\).*openssl crl -inform DER/ },
  { name: 'a CRL listing a serial twice', files: { crl: 'duplicate-serial.crl' }, message: /MTLS037 error crlPem: lists serial\(s\) 0A more than once/ },
  { name: 'a CRL over 1 MiB', files: { crl: 'huge.crl' }, message: /MTLS040 error crlPem: Secret "mtls-client-ca" would hold \d+ bytes of data, \d+ over Kubernetes' 1 MiB.*The CRL holds 23000 entries/ },
  { name: 'an empty client CA file', files: { clientCa: 'empty.pem' }, message: /MTLS020 error clientCaPem: is empty.*give the client CA certificate\(s\) in PEM/ },
  // props
  { name: 'a host with uppercase letters', props: { host: 'App.Example.com' }, message: /MTLS060 error host: "App\.Example\.com" has uppercase letters; write "app\.example\.com"/ },
  { name: 'a host with a space', props: { host: 'app example.com' }, message: /MTLS060 error host: "app example\.com" contains white space; a DNS name has none/ },
  { name: 'a host with a trailing dot', props: { host: `${HOST}.` }, message: /MTLS060 error host: "app\.example\.com\." ends with a dot; write "app\.example\.com"/ },
  { name: 'a Unicode host (refused with its punycode form, as README documents)', props: { host: 'bücher.example.com' }, message: /MTLS060 error host: "bücher\.example\.com" is not ASCII; write its punycode form "xn--bcher-kva\.example\.com"/ },
  { name: 'a host longer than 253 characters', props: { host: `${Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')}.example.com` }, message: /MTLS060 error host: "a{40}…" is 316 characters long; a DNS name has at most 253/ },
  { name: 'a host label longer than 63 characters', props: { host: `${'a'.repeat(64)}.example.com` }, message: /MTLS060 error host: label "a{20}…" of "a{64}\.example\.com" is 64 characters long; a DNS label has at most 63/ },
  { name: 'an Ingress name longer than 253 characters', props: { ingressName: 'a'.repeat(254) }, message: /MTLS061 error ingressName: "a{60}…" is not a valid Kubernetes object name: use at most 253 lowercase letters/ },
  { name: 'a Secret name with uppercase and underscore', props: { clientCaSecretName: 'Client_CA' }, message: /MTLS061 error clientCaSecretName: "Client_CA" is not a valid Kubernetes object name/ },
  { name: 'an empty clientCaPem', props: { clientCaPem: '' }, message: /MTLS020 error clientCaPem: is empty\. Without ca\.crt ingress-nginx logs "mutual authentication disabled"/ },
  { name: 'verifyDepth 0', props: { verifyDepth: 0 }, message: /MTLS051 error verifyDepth: 0 is not a whole number of at least 1.*1 covers a root or one intermediate/ },
  { name: 'verifyDepth -1', props: { verifyDepth: -1 }, message: /MTLS051 error verifyDepth: -1 is not a whole number of at least 1/ },
  { name: 'a non-integer verifyDepth', props: { verifyDepth: 2.5 }, message: /MTLS051 error verifyDepth: 2\.5 is not a whole number of at least 1/ },
  { name: 'an invalid verifyClient', props: { verifyClient: 'required' as never }, message: /MTLS050 error verifyClient: "required" is not one of on, off, optional, optional_no_ca/ },
  { name: 'an error page with a query string', props: { errorPage: 'https://errors.example.com/mtls?from=ingress' }, message: /MTLS052 error errorPage: "https:\/\/errors\.example\.com\/mtls\?from=ingress" does not match .*no query string.*Example: "https:\/\/errors\.example\.com\/mtls-denied"/ },
  { name: 'match-cn without CN=', props: { matchCn: 'Client00[0-9]' }, message: /MTLS053 error matchCn: "Client00\[0-9\]" must start with "CN=".*Example: "CN=Client00\[0-9\]"/ },
  { name: 'match-cn with an invalid regular expression', props: { matchCn: 'CN=Client(00' }, message: /MTLS053 error matchCn: "CN=Client\(00" is not a valid regular expression after "CN="/ },
];

describe('the bad-input corpus through the construct: synth fails with the finding and writes nothing', () => {
  let stderr: jest.SpyInstance;
  beforeAll(() => { stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true); }); // synth-time warnings
  afterAll(() => stderr.mockRestore());

  test.each(synthCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const before = snapshot(root);
    const app = synth(c.props ?? {}, c.files);
    expect(() => app.synth()).toThrow(c.message);
    expect(snapshot(root)).toEqual(before);
  });

  test('MtlsMaterial.fromFiles with a file that does not exist: thrown at once, naming the path', () => {
    const before = snapshot(root);
    expect(() => synth({}, { crl: 'nope.crl' })).toThrow(/^crl: file "\S+inputs\/nope\.crl" does not exist\.$/);
    expect(snapshot(root)).toEqual(before);
  });

  // OpenSSL rejects every client of a CA whose KeyUsage lacks keyCertSign; MTLS021 refuses it at synth.
  test('a client CA without keyCertSign fails synth', () => {
    expect(() => synth({}, { clientCa: 'no-certsign-ca.pem', crl: null }).synth()).toThrow(/MTLS021 error clientCaPem: .*lacks keyCertSign/);
  });
});

test('the corpus has at least 40 named cases', () => {
  const total = cliCases.length + 1 + synthCases.length + 1;
  console.log(`bad-input corpus: ${cliCases.length + 1} through the CLI, ${synthCases.length + 1} through the construct, ${total} in all`);
  expect(total).toBeGreaterThanOrEqual(40);
});
