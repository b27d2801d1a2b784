import * as fs from 'node:fs';
import { join } from 'node:path';
import { buildCrl, createRootCa, readCrls } from '../../lib/pki';
import { COMMANDS, main } from '../../lib/cli/main';
import { withSpinner } from '../../lib/cli/output';
import { openssl, opensslResult, scratchDir } from '../support/openssl';
import { ROOT, runMain } from './cli';
import { DAY } from '../fixtures';

// Every command through main() in this process; exit-codes.test.ts runs a sample of each through the binary.

const tmp = scratchDir('mtls-cli-');
afterAll(() => tmp.cleanup());
const dir = join(tmp.dir, 'pki');
const inStore = (...args: string[]) => runMain([...args, '--dir', dir]);

describe('mtls-pki usage', () => {
  test.each(COMMANDS.map((c) => c.name))('%s --help exits 0 with the usage and an example', async (name) => {
    const r = await runMain([name, '--help']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^Usage: mtls-pki ${name}`));
    expect(r.stdout).toMatch(/Examples?:\n {2}mtls-pki /);
    expect(r.stdout).toMatch(/--help/);
  });

  test('--help, --version, no command, unknown command, unknown option, missing arguments', async () => {
    expect(await runMain(['--help'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/Commands:[\s\S]*gencrl/) });
    const version = JSON.parse(fs.readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(await runMain(['--version'])).toMatchObject({ status: 0, stdout: `mtls-pki ${version}\n` });
    expect(await runMain([])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^Usage: mtls-pki <command>/) });
    expect(await runMain(['revok'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown command "revok" \(did you mean revoke\?\)/) });
    expect(await runMain(['list', '--jsn'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown option --jsn[\s\S]*mtls-pki list --help/) });
    expect(await runMain(['server'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/give at least one host name/) });
    expect(await runMain(['revoke'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/say what to revoke/) });
    expect(await runMain(['revoke', 'A', '--serial', '01'])).toMatchObject({ status: 2 });
    expect(await runMain(['revoke', 'A', '--reason'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/--reason needs a value/) });
    expect(await runMain(['gencrl', '--ca-cert', 'c.pem'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/--index is required/) });
    expect(await runMain(['init', '--key', 'dsa-1024', '--dir', dir])).toMatchObject({ status: 2, stderr: expect.stringMatching(/not a supported key algorithm/) });
    expect(await runMain(['list', 'extra'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/list takes no arguments/) });
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('--dir pointing at a file: exit 1, one clear paragraph, no stack trace, nothing written', async () => {
    const file = tmp.write('not-a-dir', 'hello\n');
    const before = fs.readdirSync(tmp.dir).sort();
    for (const args of [['init'], ['list'], ['revoke', 'x'], ['client', 'x'], ['crl']]) {
      const r = await runMain([...args, '--dir', file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`mtls-pki: error: ${file}: is a file, not a directory. Give --dir the directory that holds (or will hold) the PKI store, e.g. "pki"; nothing was written.\n`);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('hello\n');
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(before);
    expect(await runMain(['list', '--dir', join(tmp.dir, 'missing')])).toMatchObject({ status: 1, stderr: expect.stringMatching(/does not exist, so there is no PKI store here. Create one with `mtls-pki init`/) });
  });
});

describe('the seed scenario through the CLI', () => {
  test('init creates both CAs; a second init keeps them', async () => {
    const r = await inStore('init', '--server-ca-cn', 'Aispeech Server Cert Authority', '--client-ca-cn', 'Aispeech Client Cert Authority');
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/server-ca +CN=Aispeech Server Cert Authority +ec-p256 +expires \d{4}-\d\d-\d\d +created/);
    expect(r.stdout).toMatch(/client-ca +CN=Aispeech Client Cert Authority .* created/);
    expect((await inStore('init')).stdout).toMatch(/client-ca .* kept/);
    expect(await inStore('init', '--client-ca-cn', 'Other')).toMatchObject({ status: 1, stderr: expect.stringMatching(/A CA is never replaced/) });
  });

  test('server, client, client: files exist, keys are 0600, running again reuses', async () => {
    const s = await inStore('server', 'mtls.dev.ityoudao.cn');
    expect(s).toMatchObject({ status: 0, stdout: expect.stringMatching(/^issued server certificate CN=mtls.dev.ityoudao.cn serial [0-9A-F]+, DNS:mtls.dev.ityoudao.cn/) });
    const chain = /chain \(tls.crt\): (\S+)/.exec(s.stdout)![1];
    const key = /key {3}\(tls.key\): (\S+)/.exec(s.stdout)![1];
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    expect(openssl(['x509', '-in', chain, '-noout', '-ext', 'subjectAltName'])).toMatch(/DNS:mtls.dev.ityoudao.cn/);
    expect((await inStore('server', 'mtls.dev.ityoudao.cn')).stdout).toMatch(/^exists server certificate/);
    for (const cn of ['Client001', 'Client002']) expect(await inStore('client', cn)).toMatchObject({ status: 0, stdout: expect.stringMatching(new RegExp(`^issued client certificate CN=${cn}`)) });
    expect((await inStore('client', 'Client002')).stdout).toMatch(/^exists client certificate CN=Client002/);
    expect((await inStore('client', 'Client003', 'ops@example.com', '--uri', 'spiffe://example.com/ci')).stdout).toMatch(/email:ops@example.com, URI:spiffe:\/\/example.com\/ci/);
    expect(await inStore('client', 'Client004', 'host.example.com')).toMatchObject({ status: 1, stderr: expect.stringMatching(/is a DNS name; a client certificate takes extra email addresses or URIs/) });
  });

  test('revoke Client001: the CRL is published at once; openssl verify agrees; revoking again is a no-op', async () => {
    const r = await inStore('revoke', 'Client001', '--reason', 'keyCompromise');
    expect(r).toMatchObject({ status: 0, stdout: expect.stringMatching(/^revoked Client001 serial [0-9A-F]+ \(client-ca\) at .*, reason keyCompromise\n {2}CRL .*client-ca\/crl.pem: #2, 1 revoked/) });
    const again = await inStore('revoke', 'Client001', '--reason', 'superseded');
    expect(again).toMatchObject({ status: 0, stdout: expect.stringMatching(/^already revoked Client001 .*reason keyCompromise/), stderr: expect.stringMatching(/the reason stays keyCompromise/) });
    const cert = (cn: string) => fs.readdirSync(join(dir, 'clients')).find((f) => f.startsWith(`${cn}-`) && f.endsWith('.cert.pem'))!;
    const verify = (cn: string) => opensslResult(['verify', '-crl_check', '-CAfile', 'client-trust/ca.crt', '-CRLfile', 'client-trust/ca.crl', join('clients', cert(cn))], { cwd: dir });
    expect(verify('Client001').output).toMatch(/certificate revoked/);
    expect(verify('Client002')).toMatchObject({ status: 0 });
    expect(await inStore('revoke', 'Nobody')).toMatchObject({ status: 1, stderr: expect.stringMatching(/no certificate with common name "Nobody"/) });
  });

  test('list: the issued and revoked certificates, CRL number, nextUpdate and days left; --json', async () => {
    const text = await inStore('list');
    expect(text).toMatchObject({ status: 0, stderr: '' });
    expect(text.stdout).toMatch(/server +mtls.dev.ityoudao.cn +[0-9A-F]+ +server-ca +\d{4}-\d\d-\d\d +39\d +valid/);
    expect(text.stdout).toMatch(/client +Client001 +[0-9A-F]+ +client-ca +\S+ +36\d +revoked \S+ \S+Z \(keyCompromise\)/);
    expect(text.stdout).toMatch(/client +Client002 .* valid/);
    expect(text.stdout).toMatch(/client-ca +2 +\S+ \S+Z +\S+ \S+Z +89 +1 +\S+client-ca\/crl.pem/);
    expect(text.stdout).not.toMatch(/\u001b\[/); // not a TTY: no colors
    const listing = JSON.parse((await inStore('list', '--json')).stdout);
    expect(listing.certificates.map((c: { commonName: string; status: string }) => `${c.commonName}:${c.status}`)).toEqual(['mtls.dev.ityoudao.cn:valid', 'Client001:revoked', 'Client002:valid', 'Client003:valid']);
    expect(listing.crls).toEqual([expect.objectContaining({ ca: 'client-ca', number: '2', daysLeft: 89, entries: 1, refreshDue: false })]);
  });

  test('crl: PEM on stdout, or --out FILE; unchanged bytes when nothing is due; --force makes a new number', async () => {
    const r = await inStore('crl');
    expect(r).toMatchObject({ status: 0, stderr: expect.stringMatching(/client-ca CRL #2, 1 revoked, .* \(unchanged\)/) });
    expect(r.stdout).toBe(fs.readFileSync(join(dir, 'client-trust/ca.crl'), 'utf8'));
    expect(readCrls(r.stdout)[0].crlNumber).toBe(2n);
    const out = join(tmp.dir, 'out.crl');
    expect(await inStore('crl', '--out', out)).toMatchObject({ status: 0, stdout: expect.stringMatching(/wrote .*out.crl/) });
    expect(fs.readFileSync(out, 'utf8')).toBe(r.stdout);
    expect(await inStore('crl', '--force', '--json')).toMatchObject({ status: 0, stdout: expect.stringMatching(/"number": "3"[\s\S]*"reason": "forced"/) });
    expect(await inStore('crl', '--out', join(tmp.dir, 'no/such/dir/x.crl'))).toMatchObject({ status: 1, stderr: expect.stringMatching(/x.crl: cannot write the file/) });
  });

  test('revoke by CN refuses when two valid certificates share it; --serial and --cert pick one', async () => {
    expect(await inStore('client', 'Client002', '--new')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^issued client certificate CN=Client002/) });
    const refused = await inStore('revoke', 'Client002');
    expect(refused).toMatchObject({ status: 1, stderr: expect.stringMatching(/2 certificates with common name "Client002" are not revoked: [0-9A-F]+ \(client "Client002"[^;]*; [0-9A-F]+ .*Say which with --serial HEX/) });
    const [first, second] = JSON.parse((await inStore('list', '--json')).stdout).certificates.filter((c: { commonName: string }) => c.commonName === 'Client002');
    expect(await inStore('revoke', '--serial', first.serialHex.toLowerCase().match(/../g).join(':'), '--reason', 'superseded')).toMatchObject({ status: 0, stdout: expect.stringMatching(new RegExp(`^revoked Client002 serial ${first.serialHex} .*reason superseded`)) });
    expect(await inStore('revoke', '--cert', join(dir, second.certFile))).toMatchObject({ status: 0, stdout: expect.stringMatching(new RegExp(`^revoked Client002 serial ${second.serialHex}`)) });
    expect(await inStore('revoke', '--serial', 'ABCDEF')).toMatchObject({ status: 1, stderr: expect.stringMatching(/no certificate with serial ABCDEF in the store/) });
    expect(await inStore('revoke', '--cert', join(dir, 'client-ca/cert.pem'))).toMatchObject({ status: 1, stderr: expect.stringMatching(/is a CA certificate/) });
  });

  test('check: the store passes; an expired CRL file is a finding with exit 1', async () => {
    // It says what it read: the trust bundle, the current server certificate's chain and key, and the store's clients.
    expect(await inStore('check')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^checked the store \S+pki: \S+pki\/client-trust\/ca\.crt, \S+\/ca\.crl, \S+servers\/mtls\.dev\.ityoudao\.cn-[0-9A-F]+\.chain\.pem, \S+\.key\.pem; 6 certificate\(s\), 1 CRL\(s\), client certificates included\nok: no findings\n$/) });
    const ca = await createRootCa({ commonName: 'Expired CRL CA' });
    const crl = await buildCrl({ issuer: ca, entries: [], crlNumber: 1n, thisUpdate: new Date(Date.now() - 10 * DAY), nextUpdate: new Date(Date.now() - DAY) });
    const r = await runMain(['check', '--client-ca', tmp.write('exp-ca.pem', ca.certificatePem), '--crl', tmp.write('exp.crl', crl.pem)]);
    expect(r).toMatchObject({ status: 1, stdout: expect.stringMatching(/MTLS034 error/) });
    expect(JSON.parse((await runMain(['check', '--client-ca', join(tmp.dir, 'exp-ca.pem'), '--crl', join(tmp.dir, 'exp.crl'), '--json'])).stdout)).toMatchObject({ ok: false });
  });

  test('a damaged store.json: exit 1 naming the file and the remedy, and the file is left as it was', async () => {
    const broken = join(tmp.dir, 'broken');
    fs.cpSync(dir, broken, { recursive: true });
    fs.writeFileSync(join(broken, 'store.json'), '{"format": "mtls-pki-store", "version": 1, "cas": ');
    const r = await runMain(['revoke', 'Client003', '--dir', broken]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mtls-pki: error: \S+broken\/store.json: is not valid JSON \(.*\)\. .*nothing was changed\. Restore it from a backup/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(join(broken, 'store.json'), 'utf8')).toBe('{"format": "mtls-pki-store", "version": 1, "cas": ');
  });
});

describe('colors', () => {
  const capture = (isTTY: boolean) => {
    let text = '';
    return { stream: { isTTY, write: (s: string) => (text += s) }, text: () => text };
  };

  test('colors only on a TTY, and never with NO_COLOR', async () => {
    const run = async (isTTY: boolean, env: NodeJS.ProcessEnv) => {
      const out = capture(isTTY);
      const err = capture(false);
      expect(await main(['list', '--dir', dir], { stdout: out.stream, stderr: err.stream, env })).toBe(0);
      return out.text();
    };
    expect(await run(true, {})).toMatch(/\u001b\[31mrevoked/);
    expect(await run(true, { NO_COLOR: '1' })).not.toMatch(/\u001b\[/);
    expect(await run(true, { NO_COLOR: '' })).toMatch(/\u001b\[/); // no-color.org: an empty NO_COLOR does not count
    expect(await run(false, {})).not.toMatch(/\u001b\[/);
  });

  test('the progress spinner (for slow RSA keys) draws on a TTY stderr only, and clears its line', async () => {
    const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 250));
    // The work ends once the spinner has drawn its second frame (not after a fixed time, which a loaded machine
    // can stretch past the frames).
    const tty = capture(true);
    let secondFrameDrawn!: () => void;
    const work = new Promise<string>((resolve) => { secondFrameDrawn = () => resolve('done'); });
    const stderr = { isTTY: true, write: (s: string) => { tty.stream.write(s); if (tty.text().includes('\ro ')) secondFrameDrawn(); } };
    expect(await withSpinner({ stdout: capture(false).stream, stderr, env: { NO_COLOR: '1' } }, 'generating rsa-4096 key', () => work)).toBe('done');
    expect(tty.text()).toMatch(/^\r\. generating rsa-4096 key…\ro generating rsa-4096 key…/);
    expect(tty.text()).toMatch(/\r +\r$/);
    const pipe = capture(false);
    expect(await withSpinner({ stdout: pipe.stream, stderr: pipe.stream, env: {} }, 'x', slow)).toBe('done');
    expect(pipe.text()).toBe('');
  });
});
