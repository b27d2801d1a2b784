// The package as a user gets it: `npm pack` this project, install the tarball into a fresh cdk8s TypeScript app
// (hand-written: `cdk8s init` needs its templates from the network) beside cdk8s-plus-33, compile that app with its
// own tsc against our .d.ts, synth it with node, require() the package from plain node, and drive the installed
// `mtls-pki` bin through a PKI round trip that openssl checks.
//
// It packs what `npm run build` left in build/ (`npm test` builds first) with --ignore-scripts: running prepack
// here would rebuild build/ while other test files use it. The npm registry must be reachable on the first run
// (cdk8s-plus-33, typescript, …); later runs are served from the npm cache (--prefer-offline).
// MTLS_CONSUMER_VERBOSE=1 prints every command with its time; MTLS_CONSUMER_KEEP=1 keeps the temp directory.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve, sep } from 'node:path';
import { Yaml } from 'cdk8s';

const ROOT = resolve(__dirname, '..', '..');
const SEED = join(ROOT, 'test', 'fixtures', 'seed');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const VERBOSE = !!process.env.MTLS_CONSUMER_VERBOSE;
/** cdk8s-plus-33, pinned so that a new upstream release cannot break this test; bump it on purpose. */
const CDK8S_PLUS_33 = '2.5.57';
/** The seed fixtures are valid from 2026-01-05 to 2124/2125; the checks judge them at this time. */
const FIXTURE_NOW = '2026-06-01T00:00:00Z';
const SEED_HOST = 'mtls.dev.ityoudao.cn';

interface Run {
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
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((p) => !p.endsWith(`node_modules${sep}.bin`)).join(delimiter);
  return { ...env, NO_COLOR: '1', npm_config_update_notifier: 'false', ...extra };
}

const log: string[] = [];

function run(command: string, args: readonly string[], cwd: string, options: { env?: Record<string, string>; timeoutMs?: number } = {}): Run {
  const started = Date.now();
  const r = spawnSync(command, args, { cwd, env: userEnv(options.env), encoding: 'utf8', timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 });
  const line = `${command} ${args.join(' ')}  → ${r.error ? r.error.message : r.signal ?? `exit ${r.status}`} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  log.push(line);
  if (VERBOSE) process.stdout.write(`[consumer] ${line}\n`);
  if (r.error) throw new Error(`${command} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Run, what: string): Run {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`);
  return r;
}

const node = (args: readonly string[], cwd: string, env?: Record<string, string>) => run(process.execPath, args, cwd, { env });
/** `npx --no -- mtls-pki …`: the `--` matters, or npx answers --help and --version itself. */
const mtlsPki = (args: readonly string[], cwd: string) => run('npx', ['--no', '--', 'mtls-pki', ...args], cwd);

let work: string;
let app: string;
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] };

const CONSUMER_PACKAGE_JSON = () => {
  const dev = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    name: 'mtls-consumer',
    version: '1.0.0',
    private: true,
    license: 'Apache-2.0',
    main: 'main.js',
    dependencies: {
      // The same versions this project builds with, so that a warm npm cache serves them.
      'cdk8s': `^${dev('cdk8s')}`,
      'constructs': `^${dev('constructs')}`,
      'cdk8s-plus-33': CDK8S_PLUS_33,
      [PKG.name]: `file:${join(work, packed.filename)}`,
    },
    devDependencies: {
      'typescript': `~${dev('typescript')}`,
      '@types/node': `^${dev('@types/node')}`,
    },
  };
};

// The cdk8s typescript-app template's tsconfig, as `cdk8s init typescript-app` writes it, with one change: "dom" in
// lib. pkijs' declarations (which ours reference) use the WebCrypto types, which TypeScript keeps in the DOM lib.
const CONSUMER_TSCONFIG = {
  compilerOptions: {
    alwaysStrict: true, declaration: true, experimentalDecorators: true, inlineSourceMap: true, inlineSources: true,
    lib: ['es2016', 'dom'], module: 'CommonJS', noEmit: false, noEmitOnError: true, noFallthroughCasesInSwitch: true,
    noImplicitAny: true, noImplicitReturns: true, noImplicitThis: true, noUnusedLocals: true, noUnusedParameters: true,
    resolveJsonModule: true, strict: true, strictNullChecks: true, strictPropertyInitialization: true, stripInternal: true,
    target: 'ES2017',
  },
  include: ['**/*.ts'],
  exclude: ['node_modules'],
};

// Node's own resolution, which reads package.json "exports" (and its "types" condition). The declarations were
// checked above; skipLibCheck here halves the time and still fails when the import does not resolve.
const CONSUMER_TSCONFIG_NODENEXT = {
  extends: './tsconfig.json',
  compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], noEmit: true, skipLibCheck: true },
};

const CONSUMER_MAIN_TS = `import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { checkManifests, Finding, formatFinding, MtlsIngress, MtlsIngressProps, MtlsMaterial, PkiStore } from '${PKG.name}';

const outdir = process.env.OUTDIR ?? 'dist';

async function main(): Promise<void> {
  const app = new App({ outdir });

  // PEM files made elsewhere (here: the seed's openssl files), beside a cdk8s-plus-33 workload.
  const shop = new Chart(app, 'shop', { namespace: 'shop' });
  const api = new kplus.Deployment(shop, 'api', {
    containers: [{ image: 'nginxinc/nginx-unprivileged:1.27', portNumber: 8080 }],
  });
  const service = api.exposeViaService({ ports: [{ port: 8080 }] });
  const props: MtlsIngressProps = {
    host: '${SEED_HOST}',
    backend: { serviceName: service.name, port: 8080 },
    now: new Date('${FIXTURE_NOW}'),
    ...MtlsMaterial.fromFiles({
      serverCertificateChain: process.env.SERVER_CHAIN ?? 'certs/server-cert-chain.pem',
      serverKey: process.env.SERVER_KEY ?? 'certs/server-key.pem',
      clientCa: 'certs/client-ca-cert.pem',
      crl: 'certs/client-ca.crl',
    }),
  };
  const ingress = new MtlsIngress(shop, 'mtls', props);
  const findings: readonly Finding[] = ingress.findings;

  // The README's second example: the material from a PKI store.
  const store = new Chart(app, 'store', { namespace: 'store' });
  const pki = await (await PkiStore.open('pki')).ensure({
    servers: [{ name: 'api', names: ['api.shop.example.com'] }],
    clients: [{ commonName: 'partner-a' }, { commonName: 'partner-b' }],
    revoked: [{ commonName: 'partner-b', reason: 'affiliationChanged' }],
  });
  new MtlsIngress(store, 'api', {
    host: 'api.shop.example.com', backend: { serviceName: 'api', port: 8080 },
    serverTls: pki.serverTls('api'), ...pki.clientTrust(),
  });

  app.synth();
  const deployed = checkManifests(outdir); // the real clock: the store's material is new, the seed's valid until 2124
  console.log(JSON.stringify({ construct: findings.map(formatFinding), manifests: deployed.map(formatFinding) }));
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
`;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'build', 'lib', 'index.js')) || !existsSync(join(ROOT, 'build', 'lib', 'index.d.ts'))) {
    throw new Error('build/lib is missing: run `npm run build` first (`npm test` does).');
  }
  work = mkdtempSync(join(tmpdir(), 'mtls-consumer-'));
  const pack = ok(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT), 'npm pack');
  [packed] = JSON.parse(pack.stdout) as typeof packed[];

  app = join(work, 'app');
  mkdirSync(join(app, 'certs'), { recursive: true });
  for (const f of ['server-cert-chain.pem', 'server-key.pem', 'server-ca-cert.pem', 'server-ca-key.pem', 'client-ca-cert.pem', 'client-ca.crl']) {
    copyFileSync(join(SEED, f), join(app, 'certs', f));
  }
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(CONSUMER_PACKAGE_JSON(), null, 2)}\n`);
  writeFileSync(join(app, 'tsconfig.json'), `${JSON.stringify(CONSUMER_TSCONFIG, null, 2)}\n`);
  writeFileSync(join(app, 'tsconfig.nodenext.json'), `${JSON.stringify(CONSUMER_TSCONFIG_NODENEXT, null, 2)}\n`);
  writeFileSync(join(app, 'main.ts'), CONSUMER_MAIN_TS);
  ok(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app, { timeoutMs: 220_000 }), 'npm install in the consumer app');
}, 240_000);

afterAll(() => {
  if (VERBOSE) process.stdout.write(`[consumer] ${work}\n`);
  if (work && !process.env.MTLS_CONSUMER_KEEP) rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the compiled library with its types, the CLI, README and docs, and nothing else', () => {
  const paths = packed.files.map((f) => f.path).sort();
  const allowed = /^(package\.json|README\.md|docs\/[\w.-]+\.md|build\/(lib|imports)\/[\w/.-]+\.(js|d\.ts))$/;
  expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
  // Belt and braces, should `files` ever widen: no tests, fixtures, keys, PKI store, synth output or sources.
  const forbidden = /^(test|bench|pki|dist|lib|imports|scripts|build\/(test|bench|main\.))|\/(fixtures|__snapshots__)\/|\.(pem|key|crt|crl|map|tgz)$|(?<!\.d)\.ts$/;
  expect(paths.filter((p) => forbidden.test(p))).toEqual([]);
  for (const p of ['build/lib/index.js', 'build/lib/index.d.ts', 'build/lib/cli/main.js', 'build/imports/k8s.js', 'build/imports/k8s.d.ts', 'README.md', 'docs/API.md']) {
    expect(paths).toContain(p);
  }
  // Every module has its declarations next to it.
  for (const js of paths.filter((p) => p.endsWith('.js'))) expect(paths).toContain(js.replace(/\.js$/, '.d.ts'));
  // imports/k8s.js and its .d.ts (~1.9 MB unpacked) are most of it; anything far beyond means something leaked in.
  expect(packed.size).toBeLessThan(600_000);
  expect(packed.unpackedSize).toBeLessThan(4_000_000);
});

test('the installed package has the bin, and no dev files of ours', () => {
  const installed = join(app, 'node_modules', PKG.name);
  expect(existsSync(join(app, 'node_modules', '.bin', 'mtls-pki'))).toBe(true);
  expect(readdirSync(installed).sort()).toEqual(['README.md', 'build', 'docs', 'package.json']);
  expect(readdirSync(join(installed, 'build')).sort()).toEqual(['imports', 'lib']);
  // One copy of cdk8s and constructs (peer dependencies), or the construct tree would mix two Construct classes.
  expect(existsSync(join(installed, 'node_modules', 'cdk8s'))).toBe(false);
  expect(existsSync(join(installed, 'node_modules', 'constructs'))).toBe(false);
});

test("the consumer's own tsc compiles its main.ts against our .d.ts (cdk8s template tsconfig, no skipLibCheck)", () => {
  ok(run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app), 'tsc -p tsconfig.json');
  expect(existsSync(join(app, 'main.js'))).toBe(true);
}, 120_000);

test('…and with module nodenext, which resolves the types through package.json "exports"', () => {
  ok(run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.nodenext.json'], app), 'tsc -p tsconfig.nodenext.json');
}, 120_000);

describe('synth with node', () => {
  let result: Run;
  beforeAll(() => {
    if (!existsSync(join(app, 'main.js'))) ok(run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app), 'tsc');
    result = ok(node(['main.js'], app), 'node main.js');
  }, 120_000);

  test('MtlsIngress beside a cdk8s-plus-33 Deployment and Service: three objects of ours, in the namespace', () => {
    const docs = Yaml.load(join(app, 'dist', 'shop.k8s.yaml')) as { kind: string; apiVersion: string; type?: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; data?: Record<string, string>; spec?: any }[];
    expect(docs.map((d) => `${d.apiVersion}/${d.kind}`)).toEqual(['apps/v1/Deployment', 'v1/Service', 'v1/Secret', 'v1/Secret', 'networking.k8s.io/v1/Ingress']);
    for (const d of docs) expect(d.metadata.namespace).toBe('shop');
    const [, service, serverSecret, caSecret, ingress] = docs;

    expect(serverSecret.type).toBe('kubernetes.io/tls');
    expect(serverSecret.metadata.name).toBe('mtls-server-tls');
    expect(Buffer.from(serverSecret.data!['tls.crt'], 'base64').toString()).toBe(readFileSync(join(SEED, 'server-cert-chain.pem'), 'utf8'));
    expect(Buffer.from(serverSecret.data!['tls.key'], 'base64').toString()).toBe(readFileSync(join(SEED, 'server-key.pem'), 'utf8'));

    expect(caSecret.type).toBe('Opaque');
    expect(caSecret.metadata.name).toBe('mtls-client-ca');
    expect(caSecret.metadata.annotations).toEqual({ 'cdk8s-mtls-ingress/crl-next-update': '2124-01-01T00:00:00.000Z' });
    expect(Buffer.from(caSecret.data!['ca.crt'], 'base64').toString()).toBe(readFileSync(join(SEED, 'client-ca-cert.pem'), 'utf8'));
    expect(Buffer.from(caSecret.data!['ca.crl'], 'base64').toString()).toBe(readFileSync(join(SEED, 'client-ca.crl'), 'utf8'));

    expect(ingress.metadata.name).toBe('mtls');
    expect(ingress.metadata.annotations).toEqual({
      'nginx.ingress.kubernetes.io/auth-tls-secret': 'shop/mtls-client-ca',
      'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on',
      'nginx.ingress.kubernetes.io/auth-tls-verify-depth': '1',
      'nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream': 'false',
    });
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: [SEED_HOST], secretName: 'mtls-server-tls' }]);
    expect(ingress.spec.rules).toEqual([{
      host: SEED_HOST,
      http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: service.metadata.name, port: { number: 8080 } } } }] },
    }]);
  });

  test('the PKI store example of the README synthesizes too, and checkManifests finds nothing in the output', () => {
    const docs = Yaml.load(join(app, 'dist', 'store.k8s.yaml')) as { kind: string; metadata: { name: string; namespace: string }; data?: Record<string, string> }[];
    expect(docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).toEqual(['Secret store/api-server-tls', 'Secret store/api-client-ca', 'Ingress store/api']);
    expect(Object.keys(docs[1].data!).sort()).toEqual(['ca.crl', 'ca.crt']);
    expect(existsSync(join(app, 'pki', 'store.json'))).toBe(true);
    expect(JSON.parse(result.stdout.trim().split('\n').pop()!)).toEqual({ construct: [], manifests: [] });
    expect(result.stderr).toBe('');
  });

  test('a failing check fails synth with its code and writes no manifest', () => {
    const r = node(['main.js'], app, { OUTDIR: 'dist-bad', SERVER_CHAIN: 'certs/server-ca-cert.pem', SERVER_KEY: 'certs/server-ca-key.pem' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('MTLS001 error serverTls.certificateChainPem');
    expect(existsSync(join(app, 'dist-bad')) ? readdirSync(join(app, 'dist-bad')) : []).toEqual([]);
  });
});

describe('plain node', () => {
  test('require() works without warnings (pkijs is ESM-only: node ^20.19 / >=22.12 load it through require)', () => {
    const r = ok(node(['-e', `const m = require('${PKG.name}'); console.log(typeof m.MtlsIngress, typeof m.MtlsMaterial.fromFiles, typeof m.PkiStore.open, typeof m.checkFiles, Object.keys(m.CHECKS).length > 30)`], app), 'require');
    expect(r.stdout.trim()).toBe('function function function function true');
    expect(r.stderr).toBe('');
  });

  test('import from an ES module works too, with named exports', () => {
    const r = ok(node(['--input-type=module', '-e', `import { MtlsIngress, PkiStore, checkManifests } from '${PKG.name}'; console.log(typeof MtlsIngress, typeof PkiStore, typeof checkManifests)`], app), 'import');
    expect(r.stdout.trim()).toBe('function function function');
    expect(r.stderr).toBe('');
  });

  test('only the package root and package.json are exported', () => {
    expect(ok(node(['-p', `require('${PKG.name}/package.json').version`], app), 'package.json').stdout.trim()).toBe(PKG.version);
    const deep = node(['-e', `require('${PKG.name}/build/lib/pki')`], app);
    expect(deep.status).not.toBe(0);
    expect(deep.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});

describe('the mtls-pki bin', () => {
  test('--help and --version exit 0', () => {
    const help = ok(mtlsPki(['--help'], app), 'mtls-pki --help');
    expect(help.stdout).toContain('Usage: mtls-pki <command>');
    for (const command of ['init', 'server', 'client', 'revoke', 'crl', 'list', 'check']) expect(help.stdout).toContain(`  ${command} `);
    expect(ok(mtlsPki(['--version'], app), 'mtls-pki --version').stdout.trim()).toBe(`mtls-pki ${PKG.version}`);
  });

  test('PKI round trip: init, server, client, revoke, crl; openssl says revoked for the revoked client only', () => {
    const dir = join(work, 'pki');
    ok(mtlsPki(['init', '--dir', dir], app), 'init');
    ok(mtlsPki(['server', 'mtls.example.com', '--dir', dir], app), 'server');
    const alice = ok(mtlsPki(['client', 'Alice', '--dir', dir], app), 'client Alice');
    const bob = ok(mtlsPki(['client', 'Bob', '--dir', dir], app), 'client Bob');
    const revoke = ok(mtlsPki(['revoke', 'Alice', '--reason', 'keyCompromise', '--dir', dir], app), 'revoke');
    expect(revoke.stdout).toMatch(/revoked Alice serial [0-9A-F]+ .*reason keyCompromise/);
    const crlFile = join(work, 'ca.crl');
    ok(mtlsPki(['crl', '--out', crlFile, '--dir', dir], app), 'crl');
    expect(readFileSync(crlFile, 'utf8')).toMatch(/^-----BEGIN X509 CRL-----\n/);

    const certOf = (out: string) => /certificate: (\S+\.cert\.pem)/.exec(out)![1];
    const verify = (cert: string) => run('openssl', ['verify', '-crl_check', '-CAfile', join(dir, 'client-trust', 'ca.crt'), '-CRLfile', crlFile, cert], work);
    const revoked = verify(certOf(alice.stdout));
    expect(revoked.status).not.toBe(0);
    expect(`${revoked.stdout}${revoked.stderr}`).toContain('certificate revoked');
    const valid = verify(certOf(bob.stdout));
    expect(`${valid.status} ${valid.stdout.trim()}`).toBe(`0 ${certOf(bob.stdout)}: OK`);

    const listing = JSON.parse(ok(mtlsPki(['list', '--json', '--dir', dir], app), 'list --json').stdout) as { certificates: { commonName: string; status: string }[] };
    expect(listing.certificates.map((c) => `${c.commonName} ${c.status}`).sort()).toEqual(['Alice revoked', 'Bob valid', 'mtls.example.com valid']);
  }, 120_000);
});

afterAll(() => {
  if (VERBOSE) process.stdout.write(`[consumer] ${log.length} commands\n`);
});
