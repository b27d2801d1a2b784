import { join } from 'node:path';
import { colorEnabled, progressEnabled } from '../../lib/cli/output';
import { scratchDir } from '../support/openssl';
import { cli, requireBuild } from './cli';
import { colorEnv, HAS_SCRIPT, pty } from './pty';

// Colors and the progress spinner, decided per stream: the decision functions, then the compiled CLI on a real
// pseudo-terminal (util-linux `script`) against the same CLI on pipes.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-tty-');
afterAll(() => tmp.cleanup());
const dir = join(tmp.dir, 'pki');
const ESC = /\u001b\[/;

describe('the decisions', () => {
  const tty = { isTTY: true, write: () => true };
  const pipe = { isTTY: false, write: () => true };

  test('colors: a TTY, NO_COLOR unset or empty (no-color.org), TERM not dumb', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true);
    for (const NO_COLOR of ['1', '0', 'false', 'yes', ' ']) expect(colorEnabled(tty, { NO_COLOR })).toBe(false);
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(colorEnabled({ write: () => true }, {})).toBe(false);
  });

  test('progress: stderr is a TTY (whatever NO_COLOR says: then the spinner is plain ASCII), TERM not dumb', () => {
    expect(progressEnabled({ stderr: tty, env: {} })).toBe(true);
    expect(progressEnabled({ stderr: tty, env: { NO_COLOR: '1' } })).toBe(true);
    expect(progressEnabled({ stderr: tty, env: { TERM: 'dumb' } })).toBe(false);
    expect(progressEnabled({ stderr: pipe, env: {} })).toBe(false);
  });
});

describe('on a pseudo-terminal, against pipes', () => {
  // util-linux's script is on every Debian machine (bsdutils); .ci/run installs it if not. No skipping.
  test('script(1) is available', () => expect(HAS_SCRIPT).toBe(true));
  beforeAll(() => {
    expect(cli(['init', '--dir', dir]).status).toBe(0);
    expect(cli(['client', 'Colored', '--dir', dir]).status).toBe(0);
    expect(cli(['revoke', 'Colored', '--dir', dir]).status).toBe(0);
  });

  test('list: colors on a terminal; none with NO_COLOR=1; colors with an empty NO_COLOR; none on a pipe', async () => {
    const colored = await pty(['list', '--dir', dir], { env: colorEnv() });
    expect(colored.status).toBe(0);
    expect(colored.output).toContain('\u001b[1mCAs\u001b[22m');
    expect(colored.output).toMatch(/\u001b\[31mrevoked /);
    expect((await pty(['list', '--dir', dir], { env: colorEnv({ NO_COLOR: '1' }) })).output).not.toMatch(ESC);
    expect((await pty(['list', '--dir', dir], { env: colorEnv({ NO_COLOR: '' }) })).output).toMatch(ESC);
    expect(cli(['list', '--dir', dir], { env: colorEnv() }).stdout).not.toMatch(ESC);
  });

  test('errors are red on a terminal only; --help is bold there', async () => {
    expect((await pty(['list', '--jsn'], { env: colorEnv() })).output).toMatch(/^\u001b\[31mmtls-pki: usage error:\u001b\[39m unknown option --jsn/);
    expect(cli(['list', '--jsn'], { env: colorEnv() }).stderr).toMatch(/^mtls-pki: usage error: unknown option --jsn/);
    expect((await pty(['list', '--help'], { env: colorEnv() })).output).toMatch(/^\u001b\[1mUsage:\u001b\[22m mtls-pki list/);
  });

  test('an RSA-4096 key shows a spinner on a terminal\'s stderr, and clears it; nothing on a pipe', async () => {
    const r = await pty(['client', 'Slow', '--key', 'rsa-4096', '--dir', dir], { env: colorEnv() });
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/^\r[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] generating rsa-4096 key for Slow…/);
    expect(r.output).toMatch(/\r +\r\u001b\[32missued\u001b\[39m client certificate \u001b\[1mCN=Slow\u001b\[22m/);
    const plain = await pty(['client', 'SlowPlain', '--key', 'rsa-4096', '--dir', dir], { env: colorEnv({ NO_COLOR: '1' }) });
    expect(plain.output).toMatch(/^\r\. generating rsa-4096 key for SlowPlain…/);
    expect(plain.output).not.toMatch(ESC);
    const piped = cli(['client', 'SlowPiped', '--key', 'rsa-4096', '--dir', dir], { env: colorEnv() });
    expect(piped).toMatchObject({ status: 0, stderr: '' });
    expect(piped.stdout).toMatch(/^issued client certificate CN=SlowPiped/);
  });
});
