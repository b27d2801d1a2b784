// Names in stores made before names were validated, and subjects of certificates made elsewhere, may hold
// newlines, ESC or bidi overrides. The CLI prints them escaped: a `list` row stays one row, and nothing reaches
// the terminal as a control sequence.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { printable } from '../../lib/cli/output';
import { openssl, scratchDir } from '../support/openssl';
import { cli, requireBuild } from './cli';

const EVIL = 'Client003\n\u001b[2J\u001b]0;pwned\u0007\u202eevil';
const SHOWN = 'Client003\\x0a\\x1b[2J\\x1b]0;pwned\\x07\\u202eevil';
/** Anything a terminal would act on, apart from the line feeds that end lines. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

test('printable escapes control and format characters and leaves everything else, Unicode included', () => {
  expect(printable(EVIL)).toBe(SHOWN);
  expect(printable('nul\u0000 del\u007f c1\u0085 zw\u200b bom\ufeff')).toBe('nul\\x00 del\\x7f c1\\x85 zw\\u200b bom\\ufeff');
  expect(printable('CN=Zoë,O=例子 (x) \\,')).toBe('CN=Zoë,O=例子 (x) \\,');
});

describe('the CLI on store data and certificates it did not write', () => {
  const tmp = scratchDir('mtls-escape-');
  const dir = join(tmp.dir, 'pki');
  beforeAll(() => {
    requireBuild();
    expect(cli(['init', '--dir', dir]).status).toBe(0);
    expect(cli(['client', 'Client003', '--dir', dir]).status).toBe(0);
    // A store from before names were validated: the same record under a name with a newline, ESC and BEL.
    const state = join(dir, 'store.json');
    fs.writeFileSync(state, fs.readFileSync(state, 'utf8').replace(/"Client003"/g, JSON.stringify(EVIL)));
  });
  afterAll(() => tmp.cleanup());

  test('list: one row per certificate, the name escaped, no control character on stdout', () => {
    const r = cli(['list', '--dir', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(CONTROL);
    const rows = r.stdout.split('\n');
    const certificates = rows.slice(rows.indexOf('Certificates') + 1, rows.indexOf('', rows.indexOf('Certificates')));
    expect(certificates).toEqual([expect.stringMatching(/^ {2}KIND/), expect.stringMatching(new RegExp(`^ {2}client +${SHOWN.replace(/[\\[\]]/g, '\\$&')} +[0-9A-F]+ +client-ca `))]);
  });

  test('list --json keeps the name exact (JSON escapes it)', () => {
    const r = cli(['list', '--dir', dir, '--json']);
    expect(r.stdout).not.toMatch(CONTROL);
    expect(JSON.parse(r.stdout).certificates[0].commonName).toBe(EVIL);
  });

  test('revoke prints the revoked name escaped', () => {
    const serial = JSON.parse(cli(['list', '--dir', dir, '--json']).stdout).certificates[0].serialHex;
    const r = cli(['revoke', '--serial', serial, '--dir', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`revoked ${SHOWN} serial ${serial}`);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
  });

  test('check on a certificate whose subject holds ESC and a newline (made by openssl): the finding is escaped', () => {
    openssl(['req', '-new', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'e.key', '-out', 'e.pem', '-days', '2', '-subj', '/CN=evil\u001b[2J\nCN=x'], { cwd: tmp.dir });
    const r = cli(['check', '--server-chain', join(tmp.dir, 'e.pem'), '--server-key', join(tmp.dir, 'e.key')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('MTLS001 error');
    expect(r.stdout).toContain('"CN=evil\\x1b[2J\\x0aCN\\=x"');
    expect(r.stdout).not.toMatch(CONTROL);
  });

  test('errors and usage errors echo what they quote escaped', () => {
    const unknown = cli(['\u001b[2Jlist']);
    expect(unknown).toMatchObject({ status: 2, stderr: expect.stringContaining('unknown command "\\x1b[2Jlist"') });
    const missing = cli(['revoke', `nobody${EVIL}`, '--dir', dir]);
    expect(missing).toMatchObject({ status: 1, stderr: expect.stringContaining(`nobody${SHOWN}`) });
    expect(missing.stderr).not.toMatch(CONTROL);
  });
});
