import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { writeFakeClock } from '../hardening/support';
import { openssl, opensslResult, scratchDir } from '../support/openssl';
import { snapshot } from '../store/helpers';
import { CLI, cli, requireBuild } from './cli';

// Issue 13, part B, through the built CLI with real files: a restored store.json cannot quietly un-revoke (crl
// refuses; --forget and --adopt-published are the explicit ways out), a clock that ran ahead for one run cannot
// make pruning drop a valid certificate, the store follows no link and uses no CA file it did not write, and a
// certificate does not outlive its issuer.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-trust-');
afterAll(() => tmp.cleanup());
import { DAY } from '../fixtures';
const ENV = { ...process.env, NO_COLOR: '1', MTLS_PKI_LOCK_TIMEOUT_MS: '20000' };

const serialOf = (dir: string, cn: string): string => JSON.parse(cli(['list', '--json', '--dir', dir]).stdout).certificates.find((c: { commonName: string }) => c.commonName === cn).serialHex;
const crlText = (dir: string, file = 'client-trust/ca.crl') => openssl(['crl', '-in', join(dir, file), '-noout', '-text']);
/** Serials as `openssl crl -text` prints them (uppercase hex, no colons). */
const listedByOpenssl = (dir: string) => [...crlText(dir).matchAll(/Serial Number: (\S+)/g)].map((m) => m[1]);

/** A store with Client001..3, a backup of store.json taken then, Client001 revoked after it, and the backup restored. */
function restored(name: string): { dir: string; revoked: string } {
  const dir = join(tmp.dir, name);
  expect(cli(['init', '--dir', dir]).status).toBe(0);
  for (const cn of ['Client001', 'Client002', 'Client003']) expect(cli(['client', cn, '--dir', dir]).status).toBe(0);
  fs.copyFileSync(join(dir, 'store.json'), join(tmp.dir, `${name}-backup.json`));
  expect(cli(['revoke', 'Client001', '--reason', 'keyCompromise', '--dir', dir])).toMatchObject({ status: 0 });
  const revoked = serialOf(dir, 'Client001');
  fs.copyFileSync(join(tmp.dir, `${name}-backup.json`), join(dir, 'store.json')); // the restore
  return { dir, revoked };
}

describe('a store.json restored from an older backup', () => {
  let dir: string;
  let revoked: string;
  beforeAll(() => ({ dir, revoked } = restored('restored')));

  test('crl exits 1 naming the serial it would un-revoke; nothing is written; openssl shows the published CRL still lists it', () => {
    const before = snapshot(dir);
    for (const args of [['crl'], ['crl', '--force'], ['crl', '--prune-expired'], ['revoke', 'Client002']]) {
      const r = cli([...args, '--dir', dir]);
      expect({ args, status: r.status }).toEqual({ args, status: 1 });
      // (revoke first lists the store, which warns about the same thing.)
      expect(r.stderr).toMatch(new RegExp(`(^|\\n)mtls-pki: error: ${dir}/client-ca/crl.pem \\(CRL #2\\): lists a revocation that store.json does not have: serial ${revoked} \\("Client001", client-ca, revoked [^)]*, keyCompromise\\)\\. Publishing a new CRL now would un-revoke it.* mtls-pki crl --dir ${dir} --adopt-published\\..* mtls-pki crl --dir ${dir} --forget ${revoked} --why .*Nothing was written\\.\\n$`));
      expect(r.stdout).toBe('');
    }
    expect(snapshot(dir)).toEqual(before);
    expect(listedByOpenssl(dir)).toEqual([revoked]);
    expect(crlText(dir, 'client-ca/crl.pem')).toContain(`Serial Number: ${revoked}`);
    // list says so too, without failing.
    expect(cli(['list', '--dir', dir])).toMatchObject({ status: 0, stderr: expect.stringMatching(new RegExp(`warning: ${dir}/client-ca/crl.pem lists serial ${revoked}, but store.json has no such revocation .* \`mtls-pki crl --dir ${dir} --adopt-published\``)) });
  });

  test('crl --forget SERIAL --why TEXT publishes without it, says so, records it in store.json, and openssl no longer lists it', () => {
    expect(cli(['crl', '--forget', revoked, '--dir', dir])).toMatchObject({ status: 2, stderr: expect.stringMatching(/--forget needs --why "TEXT"/) });
    expect(cli(['crl', '--why', 'x', '--dir', dir])).toMatchObject({ status: 2, stderr: expect.stringMatching(/--why goes with --forget SERIAL/) });
    const r = cli(['crl', '--forget', revoked, '--why', 'revoked by mistake, ticket OPS-7', '--out', join(tmp.dir, 'forgot.crl'), '--dir', dir]);
    expect(r).toMatchObject({ status: 0, stdout: expect.stringMatching(/^client-ca CRL #3, 0 revoked, .*\(new: revocations changed\)\nwrote /) });
    expect(r.stderr).toBe(`mtls-pki: forgot serial ${revoked} ("Client001", client-ca, revoked ${/revoked ([^,]+), keyCompromise/.exec(r.stderr)![1]}, keyCompromise), listed on CRL #2, because: revoked by mistake, ticket OPS-7. It is no longer on the CRL: once the new ca.crl is deployed, nginx accepts that certificate again (recorded in store.json's audit)\n`);
    expect(JSON.parse(fs.readFileSync(join(dir, 'store.json'), 'utf8')).audit).toEqual([expect.objectContaining({ action: 'forgot-revocation', serialHex: revoked, crlNumber: '2', note: 'revoked by mistake, ticket OPS-7' })]);
    expect(listedByOpenssl(dir)).toEqual([]);
    expect(crlText(dir)).toMatch(/No Revoked Certificates/);
    expect(fs.readFileSync(join(tmp.dir, 'forgot.crl'), 'utf8')).toBe(fs.readFileSync(join(dir, 'client-trust/ca.crl'), 'utf8'));
    // openssl verify: the certificate is accepted again with the new CRL.
    const cert = JSON.parse(cli(['list', '--json', '--dir', dir]).stdout).certificates.find((c: { serialHex: string }) => c.serialHex === revoked).certFile;
    expect(opensslResult(['verify', '-crl_check', '-CAfile', join(dir, 'client-trust/ca.crt'), '-CRLfile', join(dir, 'client-trust/ca.crl'), join(dir, cert)]).output).toMatch(/: OK\n$/);
    // Everything works again, and forgetting it twice is refused.
    expect(cli(['crl', '--dir', dir])).toMatchObject({ status: 0, stderr: expect.stringMatching(/CRL #3, 0 revoked, .*\(unchanged\)/) });
    expect(cli(['crl', '--forget', revoked, '--why', 'again', '--dir', dir])).toMatchObject({ status: 1, stderr: expect.stringMatching(new RegExp(`--forget: no published CRL lists serial ${revoked} without store.json having it`)) });
  });
});

test('crl --adopt-published after a restore keeps the revocations (openssl verify: certificate revoked); --json lists them', () => {
  const { dir, revoked } = restored('adopt');
  const r = cli(['crl', '--adopt-published', '--json', '--dir', dir]);
  expect(r.status).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.adopted).toEqual([{ issuer: 'client-ca', serialHex: revoked, commonName: 'Client001', revokedAt: expect.any(String), reason: 'keyCompromise', crlNumber: '2', note: null }]);
  expect(report.forgotten).toEqual([]);
  expect(report.crls[0]).toMatchObject({ number: '2', entries: 1, changed: false });
  expect(cli(['revoke', 'Client002', '--dir', dir]).status).toBe(0);
  expect(listedByOpenssl(dir).sort()).toEqual([revoked, serialOf(dir, 'Client002')].sort());
  const cert = JSON.parse(cli(['list', '--json', '--dir', dir]).stdout).certificates.find((c: { serialHex: string }) => c.serialHex === revoked);
  expect(cert).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
  expect(opensslResult(['verify', '-crl_check', '-CAfile', join(dir, 'client-trust/ca.crt'), '-CRLfile', join(dir, 'client-trust/ca.crl'), join(dir, cert.certFile)]).output).toMatch(/certificate revoked/);
});

test('pruning with a clock ten years ahead in one run and the real clock in the next prunes nothing that has not expired', () => {
  const dir = join(tmp.dir, 'clock');
  expect(cli(['init', '--dir', dir]).status).toBe(0);
  expect(cli(['client', 'Client001', '--dir', dir]).status).toBe(0);
  expect(cli(['revoke', 'Client001', '--dir', dir]).status).toBe(0);
  const serial = serialOf(dir, 'Client001');
  // One run whose clock is ten years ahead (a VM that booted with a wrong RTC): it publishes a CRL "after" expiry.
  const preload = writeFakeClock(tmp.dir);
  const future = new Date(Date.now() + 3650 * DAY).toISOString();
  const ahead = spawnSync(process.execPath, ['-r', preload, CLI, 'crl', '--force', '--dir', dir], { env: { ...ENV, MTLS_FAKE_NOW: future }, encoding: 'utf8' });
  expect(ahead.status).toBe(0);
  expect(crlText(dir)).toContain(`Last Update: ${new Date(future).toUTCString().slice(8, 11)}`);
  // The next run, on the real clock: Client001 has a year left, so it stays on the CRL.
  const r = cli(['crl', '--prune-expired', '--json', '--dir', dir]);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout).pruned).toEqual([]);
  expect(listedByOpenssl(dir)).toEqual([serial]);
  expect(JSON.parse(fs.readFileSync(join(dir, 'store.json'), 'utf8')).revocations.map((x: { serialHex: string }) => x.serialHex)).toEqual([serial]);
});

describe('the store trusts only files it wrote', () => {
  test('init refuses CA files planted as symbolic links ("left by an interrupted run"): exit 1, nothing adopted or written', () => {
    const dir = join(tmp.dir, 'planted');
    const elsewhere = join(tmp.dir, 'planted-ca');
    fs.mkdirSync(elsewhere);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(elsewhere, 'key.pem'), '-out', join(elsewhere, 'cert.pem'), '-days', '30', '-subj', '/CN=mtls-pki Client CA']);
    fs.mkdirSync(join(dir, 'client-ca'), { recursive: true });
    fs.symlinkSync(join(elsewhere, 'cert.pem'), join(dir, 'client-ca/cert.pem'));
    fs.symlinkSync(join(elsewhere, 'key.pem'), join(dir, 'client-ca/key.pem'));
    const r = cli(['init', '--dir', dir]);
    expect(r).toMatchObject({ status: 1, stdout: '' });
    expect(r.stderr).toBe(`mtls-pki: error: ${dir}/client-ca/cert.pem: is a symbolic link to ${elsewhere}/cert.pem. The store never follows links: whoever controls ${elsewhere}/cert.pem could read or replace what the store keeps there. Replace it with a real file: rm ${dir}/client-ca/cert.pem, then restore the real file from a backup. Nothing was read from it or written to it.\n`);
    expect(fs.readdirSync(dir)).toEqual(['client-ca']);
  });

  test('a store directory replaced by a link to a world-writable /tmp directory gets no private key: exit 1 naming the path and the fix', () => {
    const dir = join(tmp.dir, 'linked');
    expect(cli(['init', '--dir', dir]).status).toBe(0);
    const world = fs.mkdtempSync('/tmp/mtls-world-');
    try {
      fs.chmodSync(world, 0o1777);
      expect(fs.existsSync(join(dir, 'clients'))).toBe(false); // init makes no clients/ yet: someone makes it a link first
      fs.symlinkSync(world, join(dir, 'clients'));
      const r = cli(['client', 'Client001', '--dir', dir]);
      expect(r).toMatchObject({ status: 1, stdout: '' });
      expect(r.stderr).toBe(`mtls-pki: error: ${dir}/clients: is a symbolic link to ${world}. The store never follows links: ${world} is writable by every user, so the private keys and CA files the store keeps there would be theirs to read or replace. Replace it with a real directory: rm ${dir}/clients && mkdir -m 700 ${dir}/clients, then move back from ${world} only the files you know are the store's. Nothing was read from it or written to it.\n`);
      expect(fs.readdirSync(world)).toEqual([]);
      // The fix it names works.
      fs.rmSync(join(dir, 'clients'));
      fs.mkdirSync(join(dir, 'clients'), { mode: 0o700 });
      expect(cli(['client', 'Client001', '--dir', dir])).toMatchObject({ status: 0, stderr: '' });
    } finally {
      fs.rmSync(world, { recursive: true, force: true });
    }
  });

  test('a same-CN CA pair copied over the store\'s files: nothing is signed with it; list warns', () => {
    const dir = join(tmp.dir, 'swapped');
    expect(cli(['init', '--dir', dir]).status).toBe(0);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'client-ca/key.pem'), '-out', join(dir, 'client-ca/cert.pem'), '-days', '3650', '-subj', '/CN=mtls-pki Client CA']);
    const before = snapshot(dir);
    const r = cli(['client', 'mallory', '--dir', dir]);
    expect(r).toMatchObject({ status: 1, stderr: expect.stringMatching(new RegExp(`^mtls-pki: error: ${dir}/client-ca/cert.pem: is not the client-ca that store.json records: it holds "CN=mtls-pki Client CA" serial [0-9A-F]+ \\(SHA-256 [0-9a-f]{64}\\), but the store created or imported .*restore the original cert.pem and key.pem of client-ca from a backup\\. Nothing was signed or written\\.\\n$`)) });
    expect(cli(['crl', '--force', '--dir', dir]).status).toBe(1);
    expect(snapshot(dir)).toEqual(before);
    expect(cli(['list', '--dir', dir])).toMatchObject({ status: 0, stderr: expect.stringMatching(/warning: .*client-ca\/cert.pem: is not the client-ca that store.json records/) });
  });

  test('init killed by a full disk at each write point: the next init adopts exactly what store.json recorded, or starts afresh', () => {
    const outcomes: string[] = [];
    for (let n = 0; n <= 30; n++) {
      const dir = join(tmp.dir, `interrupted-${n}`);
      const r = cli(['init', '--dir', dir], { env: { ...ENV, MTLS_TEST_FAIL_WRITES: String(n) } });
      if (r.status === 0) {
        outcomes.push(`${n}: done`);
        break;
      }
      expect(r.stderr).toMatch(/the disk is full/);
      const again = cli(['init', '--dir', dir]);
      expect({ n, status: again.status }).toEqual({ n, status: 0 });
      const adopted = [...again.stderr.matchAll(/warning: adopted \S+\/(\S+)\/cert.pem and its key, written by an interrupted run/g)].map((m) => m[1]);
      expect(again.stderr.replace(/mtls-pki: warning: adopted .*\n/g, '')).toBe('');
      outcomes.push(`${n}: ${adopted.length ? `adopted ${adopted.join(', ')}` : 'fresh'}`);
      // Whatever happened, store.json pins the files now in the store, and no intent is left over.
      const state = JSON.parse(fs.readFileSync(join(dir, 'store.json'), 'utf8'));
      expect(state.pendingCas).toBeUndefined();
      for (const id of ['server-ca', 'client-ca']) {
        const der = openssl(['x509', '-in', join(dir, id, 'cert.pem'), '-outform', 'DER']).length; // readable by openssl
        expect(der).toBeGreaterThan(0);
        const fp = createHash('sha256').update(spawnSync('openssl', ['x509', '-in', join(dir, id, 'cert.pem'), '-outform', 'DER']).stdout).digest('hex');
        expect([id, state.cas[id].fingerprintSha256]).toEqual([id, fp]);
        expect(openssl(['pkey', '-in', join(dir, id, 'key.pem'), '-pubout'])).toBe(openssl(['x509', '-in', join(dir, id, 'cert.pem'), '-noout', '-pubkey']));
      }
      expect(cli(['list', '--dir', dir])).toMatchObject({ status: 0, stderr: '' });
    }
    expect(outcomes[outcomes.length - 1]).toMatch(/done$/);
    expect(outcomes.some((o) => /adopted/.test(o))).toBe(true); // the adoption path was reached, not only fresh starts
    console.log(`init interrupted at each write: ${outcomes.join('; ')}`);
    // Each write point takes an interrupted init, a second init, a list and six openssl runs: some 120 processes
    // in all (the fault counter is read once per process, so these stay processes), minutes on a loaded machine.
  }, 300_000);
});

describe('a certificate does not outlive its issuer', () => {
  const ca = join(tmp.dir, 'short-ca');
  const dir = join(tmp.dir, 'short');

  beforeAll(() => {
    // An openssl CA with 30 days left, and a client certificate openssl signed for 365 days under it.
    fs.mkdirSync(ca);
    const run = (...args: string[]) => openssl(args, { cwd: ca });
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Short CA');
    run('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'old-key.pem', '-out', 'old.csr', '-subj', '/CN=Old Client');
    run('x509', '-req', '-sha256', '-days', '365', '-in', 'old.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-set_serial', '0x0A', '-out', 'old.pem');
    const end = new Date(run('x509', '-in', 'old.pem', '-noout', '-enddate').trim().replace('notAfter=', ''));
    fs.writeFileSync(join(ca, 'index.txt'), `V\t${end.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z\t\t0A\tunknown\t/CN=Old Client\n`);
    expect(cli(['import-openssl', '--dir', dir, '--index', join(ca, 'index.txt'), '--ca-cert', join(ca, 'ca.pem'), '--ca-key', join(ca, 'ca-key.pem')]).status).toBe(0);
  });

  test('openssl verify: the 365-day certificate fails once its 30-day CA has expired (depth 1), whatever its own date says', () => {
    const caEnd = new Date(openssl(['x509', '-in', join(ca, 'ca.pem'), '-noout', '-enddate']).trim().replace('notAfter=', ''));
    const at = (d: Date) => String(Math.floor(d.getTime() / 1000));
    expect(opensslResult(['verify', '-attime', at(new Date(caEnd.getTime() - DAY)), '-CAfile', join(ca, 'ca.pem'), join(ca, 'old.pem')]).status).toBe(0);
    const after = opensslResult(['verify', '-attime', at(new Date(caEnd.getTime() + DAY)), '-CAfile', join(ca, 'ca.pem'), join(ca, 'old.pem')]);
    expect(after.output).toMatch(/error 10 at 1 depth lookup: certificate has expired/);
  });

  test('list and check warn about the existing one', () => {
    const warning = /warning: client certificate "Old Client" \(serial 0A\) expires \d{4}-\d\d-\d\d, after its issuer client-ca "Short CA" \(\d{4}-\d\d-\d\d\)\. From .* on it is rejected as if expired/;
    expect(cli(['list', '--dir', dir])).toMatchObject({ status: 0, stderr: expect.stringMatching(warning) });
    const check = cli(['check', '--json', '--dir', dir]);
    expect(check.status).toBe(0);
    expect(check.stderr).toMatch(warning);
    expect(JSON.parse(check.stdout).storeWarnings).toEqual([expect.stringMatching(/client certificate "Old Client" \(serial 0A\) expires/)]);
  });

  test('a new client certificate ends with its CA, with a warning; openssl shows the same end date', () => {
    const r = cli(['client', 'New Client', '--dir', dir]);
    expect(r).toMatchObject({ status: 0, stderr: expect.stringMatching(/^mtls-pki: warning: client certificate "New Client" would outlive its issuer client-ca, which expires \d{4}-\d\d-\d\d; it is issued valid until then \(\d+ days instead of 365\)/) });
    const certFile = JSON.parse(cli(['list', '--json', '--dir', dir]).stdout).certificates.find((c: { commonName: string }) => c.commonName === 'New Client').certFile;
    const endOf = (f: string) => openssl(['x509', '-in', f, '-noout', '-enddate']);
    expect(endOf(join(dir, certFile))).toBe(endOf(join(ca, 'ca.pem')));
    expect(opensslResult(['verify', '-CAfile', join(ca, 'ca.pem'), join(dir, certFile)]).status).toBe(0);
  });
});
