import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { openssl, scratchDir } from '../support/openssl';
import { CLI, cli, requireBuild } from './cli';

// `mtls-pki … | head -1`: the reader closes the pipe after the first line. The command must neither crash with an
// unhandled EPIPE nor stop half-way: the rest of the output is dropped, the work completes, the exit code stands.

beforeAll(requireBuild);

const tmp = scratchDir('mtls-pipe-');
afterAll(() => tmp.cleanup());
const dir = join(tmp.dir, 'pki');

/** Runs the CLI and closes its stdout as soon as the first bytes arrive, like `| head -1`. */
function runAndHangUp(args: readonly string[]): Promise<{ status: number | null; stderr: string; first: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let first = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', (d) => {
    first = String(d);
    child.stdout.destroy();
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr, first })));
}

test('client --p12 | head -1: exit 0, no EPIPE trace, and the PKCS#12 file is written', async () => {
  expect(cli(['init', '--dir', dir]).status).toBe(0);
  const pw = tmp.write('pw', 'pipe test\n');
  fs.chmodSync(pw, 0o600);
  const p12 = join(tmp.dir, 'piped.p12');
  const r = await runAndHangUp(['client', 'Piped', '--p12', p12, '--password-file', pw, '--dir', dir]);
  expect(r.first).toMatch(/^issued client certificate CN=Piped/);
  expect(r).toMatchObject({ status: 0, stderr: '' });
  expect(openssl(['pkcs12', '-in', p12, '-passin', `file:${pw}`, '-nodes'])).toContain('subject=CN = Piped');
});

test('--help | head -1 and list | head -1 end quietly with exit 0', async () => {
  for (const args of [['--help'], ['list', '--dir', dir]]) {
    const r = await runAndHangUp(args);
    expect(r).toMatchObject({ status: 0, stderr: '' });
  }
});
