import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../support/openssl';
import { CLI, cli, requireBuild, ROOT } from './cli';

// `mtls-pki --version` reads the version from the package's own package.json at run time, found from the compiled
// file upwards. That has to hold in the checkout (build/lib/cli/main.js) and in an installed tarball
// (node_modules/cdk8s-mtls-ingress/build/lib/cli/main.js), without picking up the installing app's package.json.
// test/consumer installs the real tarball; this is the quick check of the same layout.

beforeAll(requireBuild);

const pkg = JSON.parse(fs.readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };

test('from build/: the version in package.json, and the bin is the compiled file with a node shebang', () => {
  expect(cli(['--version'])).toEqual({ status: 0, stdout: `mtls-pki ${pkg.version}\n`, stderr: '' });
  expect(join(ROOT, pkg.bin['mtls-pki'])).toBe(CLI);
  expect(fs.readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
});

test('the npm tarball holds package.json at its root and the CLI at build/lib/cli/main.js', () => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  expect(r.status).toBe(0);
  const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(['package.json', 'build/lib/cli/main.js', 'docs/CLI.md']));
});

test('installed under node_modules of an app: the package\'s version, not the app\'s', () => {
  const tmp = scratchDir('mtls-version-');
  try {
    const installed = join(tmp.dir, 'node_modules', pkg.name);
    fs.cpSync(join(ROOT, 'build', 'lib'), join(installed, 'build', 'lib'), { recursive: true });
    fs.copyFileSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
    fs.writeFileSync(join(tmp.dir, 'package.json'), JSON.stringify({ name: 'some-cdk8s-app', version: '9.9.9' }));
    const run = spawnSync(process.execPath, [join(installed, 'build/lib/cli/main.js'), '--version'], {
      cwd: tmp.dir, encoding: 'utf8', env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
    });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({ status: 0, stdout: `mtls-pki ${pkg.version}\n`, stderr: '' });
  } finally {
    tmp.cleanup();
  }
});
