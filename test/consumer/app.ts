// The user's side of the package, for test/consumer/consumer.test.ts: an app rendered from the installed
// cdk8s-cli's `typescript-app` template exactly as `cdk8s init typescript-app` writes it, and commands run the way
// a user's shell runs them.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';

const { sharedPath } = require('../../scripts/shared-dir') as { sharedPath(...segments: string[]): string };

export const ROOT = resolve(__dirname, '..', '..');
export const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const VERBOSE = !!process.env.MTLS_CONSUMER_VERBOSE;

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of a user's shell: without what `npm test` adds (npm_package_*, npm_lifecycle_*, the repo as
 * npm's local prefix, this repo's node_modules/.bin on PATH), which would point npm and npx back at this project.
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_package_|npm_lifecycle_)|^(npm_config_local_prefix|npm_config_call|npm_command|INIT_CWD)$/i.test(k)) continue;
    // A developer's shell, not a CI runner's: under CI=true jest refuses to write the first snapshot, and the
    // template's first `npm test` is the one that writes it. The second run passes --ci itself.
    if (/^(CI|CONTINUOUS_INTEGRATION|BUILD_NUMBER|RUN_ID)$/.test(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((p) => !p.endsWith(`node_modules${sep}.bin`)).join(delimiter);
  return { ...env, NO_COLOR: '1', npm_config_update_notifier: 'false', ...extra };
}

export const log: string[] = [];

export function run(command: string, args: readonly string[], cwd: string, options: { env?: Record<string, string>; timeoutMs?: number } = {}): Run {
  const started = Date.now();
  const r = spawnSync(command, args, { cwd, env: userEnv(options.env), encoding: 'utf8', timeout: options.timeoutMs ?? 150_000, maxBuffer: 64 << 20 });
  const line = `${command} ${args.join(' ')}  → ${r.error ? r.error.message : r.signal ?? `exit ${r.status}`} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  log.push(line);
  if (VERBOSE) process.stdout.write(`[consumer] ${line}\n`);
  if (r.error) throw new Error(`${command} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function ok(r: Run, what: string): Run {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`);
  return r;
}

const CLI_ROOT = dirname(require.resolve('cdk8s-cli/package.json', { paths: [ROOT] }));
export const TEMPLATE = join(CLI_ROOT, 'templates', 'typescript-app');
/** The file `cdk8s init` runs after rendering (npm install, npm run import, …) and does not copy. */
const HOOKS_FILE = '.hooks.sscaff.js';

/** The variables `cdk8s init` fills the template with: cdk8s-cli's determineDeps (lib/cli/cmds/init.js). */
function initVariables(): Record<string, string> {
  const cli = JSON.parse(readFileSync(join(CLI_ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  // init.js resolves them with require() from its own folder.
  const versionOf = (name: string) => (JSON.parse(readFileSync(require.resolve(`${name}/package.json`, { paths: [join(CLI_ROOT, 'lib', 'cli', 'cmds')] }), 'utf8')) as { version: string }).version;
  return {
    cdk8s_core_version: versionOf('cdk8s'),
    cdk8s_plus_version: versionOf('cdk8s-plus-33'),
    constructs_version: cli.dependencies.constructs.replace('^', ''),
    cdk8s_cli_spec: `^${cli.version}`,
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

/**
 * Renders the template into `target` with the renderer `cdk8s init` uses (sscaff, from cdk8s-cli's dependencies)
 * and the same variables, minus the post-install hook, which needs the network for `npm run import`. Returns what
 * was written, by relative path. sscaff runs in a child node: under jest, require('sscaff') would pick the
 * TypeScript sources it ships beside its JavaScript.
 */
export function renderTemplate(target: string): Map<string, string> {
  const copy = mkdtempSync(join(tmpdir(), 'mtls-template-'));
  try {
    cpSync(TEMPLATE, copy, { recursive: true, filter: (src) => !src.endsWith(`${sep}${HOOKS_FILE}`) });
    const render = 'const [from, to, vars] = process.argv.slice(1); require(require.resolve("sscaff", { paths: [process.env.CDK8S_CLI_ROOT] })).sscaff(from, to, JSON.parse(vars)).catch((e) => { console.error(e); process.exit(1); });';
    ok(run(process.execPath, ['-e', render, copy, target, JSON.stringify(initVariables())], ROOT, { env: { CDK8S_CLI_ROOT: CLI_ROOT } }), 'sscaff');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
  return new Map(filesUnder(target).map((f) => [f, readFileSync(join(target, f), 'utf8')]));
}

/** The Kubernetes 1.33 schema scripts/import-k8s.js reads: MTLS_K8S_SCHEMA, else the one in shared/ (MTLS_SHARED_DIR or beside the checkout). */
function k8sSchema(): string {
  const path = process.env.MTLS_K8S_SCHEMA ?? sharedPath('k8s-schema', 'v1.33.0', '_definitions.json');
  if (!existsSync(path)) throw new Error(`the Kubernetes 1.33 _definitions.json is not at ${path}: set MTLS_K8S_SCHEMA to it, or MTLS_SHARED_DIR to the shared/ directory`);
  return path;
}

/** The template's `npm run import` (cdk8s import) downloads the schema; this generates imports/ offline, as this repo does. */
export function importK8s(app: string): void {
  ok(run(process.execPath, [join(ROOT, 'scripts', 'import-k8s.js'), k8sSchema(), app], ROOT), 'scripts/import-k8s.js');
}
