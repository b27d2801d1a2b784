// The package as a user gets it: `npm pack` this project, render an app from the installed cdk8s-cli's
// typescript-app template as `cdk8s init typescript-app` does (test/consumer/app.ts), `npm install` the tarball
// into it, and use it with the template's own settings, untouched: `npm run compile` (its tsc and tsconfig, no
// skipLibCheck), `npm run synth` (cdk8s synth through ts-node) and `npm test` (jest with ts-jest), on the files of
// examples/ that the README shows. Then: plain node, and the installed `mtls-pki` bin through a PKI round trip.
//
// It packs what `npm run build` left in build/ (`npm test` builds first) with --ignore-scripts: running prepack
// here would rebuild build/ while other test files use it. The npm registry must be reachable on the first run
// (the template's jest, ts-jest, ts-node, @types/node 14, cdk8s-plus-33, …); later runs are served from the npm
// cache (--prefer-offline). imports/k8s.ts is generated from the Kubernetes 1.33 schema: MTLS_K8S_SCHEMA, else
// shared/k8s-schema/v1.33.0/_definitions.json beside the checkout. MTLS_CONSUMER_VERBOSE=1 prints every command
// with its time; MTLS_CONSUMER_KEEP=1 keeps the temp directory.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { importK8s, log, ok, PKG, renderTemplate, ROOT, Run, run } from './app';
import { SEED_HOST } from '../fixtures';
import { CONSUMER_MAIN_TS } from './consumer-main';

const SEED = join(ROOT, 'test', 'fixtures', 'seed');
const EXAMPLES = join(ROOT, 'examples');
/** The packages the bundle in build/lib/pki/pkijs-bundle.js replaces; none of them may be installed for our sake. */
const BUNDLED = ['pkijs', 'asn1js', 'bytestreamjs', '@noble/hashes', '@peculiar/utils'];

interface Manifest {
  kind: string;
  apiVersion: string;
  type?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: any;
}

const node = (args: readonly string[], cwd: string, env?: Record<string, string>) => run(process.execPath, args, cwd, { env });
/** `npx --no -- mtls-pki …`: the `--` matters, or npx answers --help and --version itself. */
const mtlsPki = (args: readonly string[], cwd: string) => run('npx', ['--no', '--', 'mtls-pki', ...args], cwd);
const npm = (args: readonly string[], cwd: string, timeoutMs?: number) => run('npm', args, cwd, { timeoutMs });

let work: string;
let app: string;
let tarball: string;
let template: Map<string, string>;
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] };

beforeAll(() => {
  if (!existsSync(join(ROOT, 'build', 'lib', 'index.js')) || !existsSync(join(ROOT, 'build', 'THIRD-PARTY-LICENSES.md'))) {
    throw new Error('build/ is missing or stale: run `npm run build` first (`npm test` does).');
  }
  work = mkdtempSync(join(tmpdir(), 'mtls-consumer-'));
  const pack = ok(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT), 'npm pack');
  [packed] = JSON.parse(pack.stdout) as typeof packed[];
  tarball = join(work, packed.filename);

  app = join(work, 'shop-app');
  template = renderTemplate(app);
  // What a user types after `cdk8s init`; --prefer-offline keeps later runs on the npm cache.
  ok(npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], app, 220_000), 'npm install <tarball>');
  importK8s(app);

  // The user's code: the README's examples, replacing the template's placeholder chart and its test.
  cpSync(join(EXAMPLES, 'certs'), join(app, 'certs'), { recursive: true });
  copyFileSync(join(EXAMPLES, 'files', 'main.ts'), join(app, 'main.ts'));
  copyFileSync(join(EXAMPLES, 'snapshot', 'main.test.ts'), join(app, 'main.test.ts'));
  rmSync(join(app, '__snapshots__'), { recursive: true });
  // And a second program for the checks below: the seed's openssl files beside a cdk8s-plus-33 workload.
  mkdirSync(join(app, 'seed'));
  for (const f of ['server-cert-chain.pem', 'server-key.pem', 'server-ca-cert.pem', 'server-ca-key.pem', 'client-ca-cert.pem', 'client-ca.crl']) copyFileSync(join(SEED, f), join(app, 'seed', f));
  writeFileSync(join(app, 'consumer-main.ts'), CONSUMER_MAIN_TS);
}, 420_000);

afterAll(() => {
  if (process.env.MTLS_CONSUMER_VERBOSE) process.stdout.write(`[consumer] ${work}\n[consumer] ${log.length} commands\n`);
  if (work && !process.env.MTLS_CONSUMER_KEEP) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  test('holds the compiled library with its types, the CLI, the bundle\'s licenses, README, CHANGELOG, LICENSE and docs, and nothing else', () => {
    const paths = packed.files.map((f) => f.path).sort();
    const allowed = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|lib\/store\/README\.md|docs\/[\w.-]+\.md|build\/THIRD-PARTY-LICENSES\.md|build\/(lib|imports)\/[\w/.-]+\.(js|d\.ts))$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
    // Belt and braces, should `files` ever widen: no tests, fixtures, keys, PKI store, synth output or sources.
    const forbidden = /^(test|bench|pki|dist|examples|imports|scripts|build\/(test|bench|main\.))|^lib\/(?!store\/README\.md$)|\/(fixtures|__snapshots__)\/|\.(pem|key|crt|crl|map|tgz)$|(?<!\.d)\.ts$/;
    expect(paths.filter((p) => forbidden.test(p))).toEqual([]);
    for (const p of ['build/lib/index.js', 'build/lib/index.d.ts', 'build/lib/cli/main.js', 'build/lib/pki/engine.js', 'build/lib/pki/pkijs-bundle.js', 'build/imports/k8s.js', 'build/imports/k8s.d.ts', 'README.md', 'docs/API.md', 'LICENSE', 'CHANGELOG.md']) {
      expect(paths).toContain(p);
    }
    // Every module has its declarations next to it, except the bundle and engine.js, the stub that loads it:
    // nothing imports their types, and their declarations would name pkijs and asn1js, which the package does
    // not depend on.
    const untyped = ['build/lib/pki/engine.js', 'build/lib/pki/pkijs-bundle.js'];
    for (const js of paths.filter((p) => p.endsWith('.js') && !untyped.includes(p))) expect(paths).toContain(js.replace(/\.js$/, '.d.ts'));
    expect(paths).not.toContain('build/lib/pki/engine.d.ts');
    // imports/k8s.js with its .d.ts (~1.9 MB unpacked), the pki bundle (~0.8 MB) and the other controllers' CRD
    // classes (~0.4 MB, loaded only by their targets; Traefik's and the Gateway-era targets' took the package to
    // 805 KB) are most of it. The bound catches a fixture or a second bundle slipping in (each is 100 KB or more),
    // not growth of our own code.
    expect(packed.size).toBeLessThan(900_000);
    expect(packed.unpackedSize).toBeLessThan(5_000_000);
  });

  test('package.json: no runtime dependencies, the cdk8s peers (and the optional PKCS#11 one, not installed), Apache-2.0 with its text, and where the project lives', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', PKG.name, 'package.json'), 'utf8'));
    expect(manifest.dependencies).toBeUndefined();
    // node-webcrypto-p11 only for CA keys in a PKCS#11 token: an optional peer, which npm does not install.
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['cdk8s', 'constructs', 'node-webcrypto-p11']);
    expect(manifest.peerDependenciesMeta).toEqual({ 'node-webcrypto-p11': { optional: true } });
    expect(existsSync(join(app, 'node_modules', 'node-webcrypto-p11'))).toBe(false);
    expect(manifest.license).toBe('Apache-2.0');
    expect(readFileSync(join(app, 'node_modules', PKG.name, 'LICENSE'), 'utf8')).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n[\s\S]*END OF TERMS AND CONDITIONS/);
    expect(manifest.repository).toEqual({ type: 'git', url: 'git+https://github.com/cdk8s-mtls-ingress/cdk8s-mtls-ingress.git' });
    expect(manifest.homepage).toBe('https://github.com/cdk8s-mtls-ingress/cdk8s-mtls-ingress#readme');
    expect(manifest.bugs).toEqual({ url: 'https://github.com/cdk8s-mtls-ingress/cdk8s-mtls-ingress/issues' });
  });

  test('the bundle requires only node built-ins, and THIRD-PARTY-LICENSES.md carries the license of each package in it', () => {
    const installed = join(app, 'node_modules', PKG.name, 'build');
    const bundle = readFileSync(join(installed, 'lib', 'pki', 'pkijs-bundle.js'), 'utf8');
    expect([...new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))]).toEqual(['node:crypto']);
    const named = [...bundle.matchAll(/^\/\/ (@?[\w./-]+) (\d+\.\d+\.\d+) \(([\w.-]+)\)$/gm)].map((m) => m[1]).sort();
    expect(named).toEqual([...BUNDLED].sort());
    const licenses = readFileSync(join(installed, 'THIRD-PARTY-LICENSES.md'), 'utf8');
    for (const name of BUNDLED) {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string; license: string };
      expect(licenses).toContain(`- ${name} ${pkg.version} (${pkg.license})`);
      expect(licenses).toContain(readFileSync(join(ROOT, 'node_modules', name, 'LICENSE'), 'utf8').trim());
    }
  });

  test('no other module requires pkijs or asn1js: lib/pki/engine.ts is their one importer, and only it is bundled', () => {
    const js = packed.files.map((f) => f.path).filter((p) => p.endsWith('.js') && p !== 'build/lib/pki/pkijs-bundle.js');
    expect(js.filter((p) => /require\("(pkijs|asn1js)"\)/.test(readFileSync(join(app, 'node_modules', PKG.name, p), 'utf8')))).toEqual([]);
  });

  test('no declaration file of ours imports pkijs, asn1js or the bundle', () => {
    const dts = packed.files.map((f) => f.path).filter((p) => p.endsWith('.d.ts'));
    const offending = dts.filter((p) => /(from|import\()\s*['"](pkijs|asn1js|\.\/engine|\.\.\/pki\/engine)['"]/.test(readFileSync(join(app, 'node_modules', PKG.name, p), 'utf8')));
    expect(offending).toEqual([]);
  });
});

describe('installed into the cdk8s typescript-app template', () => {
  test('the package has its bin and no dev files; nothing of pkijs is installed; one cdk8s and constructs', () => {
    const installed = join(app, 'node_modules', PKG.name);
    expect(existsSync(join(app, 'node_modules', '.bin', 'mtls-pki'))).toBe(true);
    expect(readdirSync(installed).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'build', 'docs', 'lib', 'package.json']);
    expect(readdirSync(join(installed, 'build')).sort()).toEqual(['THIRD-PARTY-LICENSES.md', 'imports', 'lib']);
    for (const name of BUNDLED) expect([name, existsSync(join(app, 'node_modules', name))]).toEqual([name, false]);
    // Peers: one copy, or the construct tree would mix two Construct classes.
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
  });

  test('imports/k8s.ts generated offline for the app is the one this repository commits', () => {
    expect(readFileSync(join(app, 'imports', 'k8s.ts'), 'utf8')).toBe(readFileSync(join(ROOT, 'imports', 'k8s.ts'), 'utf8'));
  });

  test('npm run compile: the template\'s tsc and tsconfig accept our declarations and the examples', () => {
    ok(npm(['run', 'compile'], app), 'npm run compile');
    for (const f of ['main.js', 'main.test.js', 'consumer-main.js']) expect([f, existsSync(join(app, f))]).toEqual([f, true]);
  }, 180_000);

  test('…and with module nodenext, which resolves our types through package.json "exports"', () => {
    ok(run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext'], app), 'tsc --module nodenext');
  }, 180_000);

  test('npm run synth (cdk8s synth, ts-node): the files example writes the Namespace first and the Service the Ingress routes to', () => {
    ok(npm(['run', 'synth', '--', '--no-check-upgrade'], app), 'npm run synth');
    const objects = Yaml.load(join(app, 'dist', 'shop.k8s.yaml')) as Manifest[];
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/shop', expect.stringMatching(/^Deployment\/shop-api-/), 'Service/api', 'Secret/api-mtls-server-tls', 'Secret/api-mtls-client-ca', 'Ingress/api-mtls',
    ]);
    const [, deployment, service, serverSecret, , ingress] = objects;
    expect(Buffer.from(serverSecret.data!['tls.crt'], 'base64').toString()).toBe(readFileSync(join(EXAMPLES, 'certs', 'server-cert-chain.pem'), 'utf8'));
    // The Ingress's backend is the Service, and the Service selects the Deployment's pods on the port it serves.
    expect(ingress.spec.rules[0].http.paths[0].backend).toEqual({ service: { name: 'api', port: { number: 8080 } } });
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([{ port: 8080 }]); // targetPort: the same number
    expect(deployment.spec.template.spec.containers[0].ports).toEqual([expect.objectContaining({ containerPort: 8080 })]);
    expect(ok(mtlsPki(['check', '--manifests', 'dist'], app), 'check --manifests').stdout).toContain('ok');
  }, 180_000);

  test('npm test (jest, ts-jest): the snapshot test passes, and passes again against the snapshot it wrote', () => {
    const first = ok(npm(['test'], app), 'npm test');
    expect(first.stderr).toMatch(/Tests: +1 passed, 1 total/);
    expect(first.stderr).toMatch(/1 snapshot written/);
    const snapshotFile = join(app, '__snapshots__', 'main.test.ts.snap');
    const written = readFileSync(snapshotFile, 'utf8');
    expect(written).toContain('"nginx.ingress.kubernetes.io/auth-tls-secret": "shop/api-mtls-client-ca"');
    expect(written).toContain(`"ca.crl": "${Buffer.from(readFileSync(join(EXAMPLES, 'certs', 'client-ca.crl'))).toString('base64')}"`);
    // --ci: a missing or different snapshot fails instead of being written.
    const second = ok(npm(['test', '--', '--ci'], app), 'npm test -- --ci');
    expect(second.stderr).toMatch(/Snapshots: +1 passed, 1 total/);
    expect(readFileSync(snapshotFile, 'utf8')).toBe(written);
  }, 240_000);

  test('the PKI store example compiles, synthesizes, and a second synth changes nothing', () => {
    copyFileSync(join(EXAMPLES, 'pki-store', 'main.ts'), join(app, 'main.ts'));
    ok(npm(['run', 'compile'], app), 'npm run compile (pki-store)');
    ok(npm(['run', 'synth', '--', '--no-check-upgrade'], app), 'npm run synth (pki-store)');
    const manifest = readFileSync(join(app, 'dist', 'shop.k8s.yaml'), 'utf8');
    const objects = Yaml.load(join(app, 'dist', 'shop.k8s.yaml')) as Manifest[];
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'Deployment', 'Service', 'Secret', 'Secret', 'Ingress']);
    expect(Object.keys(objects[4].data!).sort()).toEqual(['ca.crl', 'ca.crt']);
    expect(existsSync(join(app, 'pki', 'store.json'))).toBe(true);
    ok(mtlsPki(['check', '--manifests', 'dist'], app), 'check --manifests');
    ok(npm(['run', 'synth', '--', '--no-check-upgrade'], app), 'npm run synth (pki-store, again)');
    expect(readFileSync(join(app, 'dist', 'shop.k8s.yaml'), 'utf8')).toBe(manifest);
  }, 240_000);

  test('the app differs from `cdk8s init`\'s only by our dependency in package.json, and the user\'s code', () => {
    const userCode = new Set(['main.ts', 'main.test.ts', '__snapshots__/main.test.ts.snap']);
    for (const [file, rendered] of template) {
      if (userCode.has(file)) continue;
      const now = readFileSync(join(app, file), 'utf8');
      if (file !== 'package.json') {
        expect([file, now]).toEqual([file, rendered]);
        continue;
      }
      const expected = JSON.parse(rendered);
      expected.dependencies[PKG.name] = expect.stringMatching(new RegExp(`^file:.*${packed.filename.replace(/\./g, '\\.')}$`));
      expect(JSON.parse(now)).toEqual(expected);
    }
    // No configuration appeared beside the template's (a babel or jest config, an .npmrc, a tsconfig.*.json…).
    const configLike = readdirSync(app).filter((f) => /^\.|\.(json|js|cjs|mjs|ya?ml)$/.test(f) && !/^(package-lock\.json|main(\.test)?\.js|consumer-main\.js)$/.test(f));
    expect(configLike.sort()).toEqual([...template.keys()].filter((f) => !f.includes('/') && /^\.|\.(json|js|cjs|mjs|ya?ml)$/.test(f)).sort());
  });
});

describe('synth with node, beside a cdk8s-plus-33 workload, from the seed\'s openssl files', () => {
  let result: Run;
  beforeAll(() => {
    result = ok(node(['consumer-main.js'], app), 'node consumer-main.js');
  }, 120_000);

  test('three objects of ours in the chart\'s namespace, byte for byte the seed\'s PEM', () => {
    const docs = Yaml.load(join(app, 'seed-dist', 'shop.k8s.yaml')) as Manifest[];
    expect(docs.map((d) => `${d.apiVersion}/${d.kind}`)).toEqual(['apps/v1/Deployment', 'v1/Service', 'v1/Secret', 'v1/Secret', 'networking.k8s.io/v1/Ingress']);
    for (const d of docs) expect(d.metadata.namespace).toBe('shop');
    const [, service, serverSecret, caSecret, ingress] = docs;
    const seed = (f: string) => readFileSync(join(SEED, f), 'utf8');
    expect(serverSecret.type).toBe('kubernetes.io/tls');
    expect(serverSecret.metadata.name).toBe('mtls-server-tls');
    expect(Buffer.from(serverSecret.data!['tls.crt'], 'base64').toString()).toBe(seed('server-cert-chain.pem'));
    expect(Buffer.from(serverSecret.data!['tls.key'], 'base64').toString()).toBe(seed('server-key.pem'));
    expect(caSecret.type).toBe('Opaque');
    expect(caSecret.metadata.name).toBe('mtls-client-ca');
    expect(caSecret.metadata.annotations).toEqual({ 'cdk8s-mtls-ingress/crl-next-update': '2124-01-01T00:00:00.000Z' });
    expect(Buffer.from(caSecret.data!['ca.crt'], 'base64').toString()).toBe(seed('client-ca-cert.pem'));
    expect(Buffer.from(caSecret.data!['ca.crl'], 'base64').toString()).toBe(seed('client-ca.crl'));
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
    expect(JSON.parse(result.stdout.trim().split('\n').pop()!)).toEqual({ construct: [], manifests: [] });
    expect(result.stderr).toBe('');
  });

  test('a failing check fails synth with its code and writes no manifest', () => {
    const r = node(['consumer-main.js'], app, { OUTDIR: 'dist-bad', SERVER_CHAIN: 'seed/server-ca-cert.pem', SERVER_KEY: 'seed/server-ca-key.pem' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('MTLS001 error serverTls.certificateChainPem');
    expect(existsSync(join(app, 'dist-bad')) ? readdirSync(join(app, 'dist-bad')) : []).toEqual([]);
  });
});

describe('plain node', () => {
  test('require() works without warnings', () => {
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

  test('without a project, as the README says: npx -p <package> and a global install', () => {
    const empty = join(work, 'no-project');
    mkdirSync(empty);
    // The README's spelling, `npx -p cdk8s-mtls-ingress -- mtls-pki --help`, with the tarball for the package name.
    const viaNpx = ok(run('npx', ['--yes', '--prefer-offline', '-p', tarball, '--', 'mtls-pki', '--help'], empty, { timeoutMs: 220_000 }), 'npx -p');
    expect(viaNpx.stdout).toContain('Usage: mtls-pki <command>');
    const prefix = join(work, 'global');
    ok(npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], empty, 220_000), 'npm install -g');
    expect(ok(run(join(prefix, 'bin', 'mtls-pki'), ['--version'], empty), 'global mtls-pki --version').stdout.trim()).toBe(`mtls-pki ${PKG.version}`);
    const global = ok(run(join(prefix, 'bin', 'mtls-pki'), ['init', '--dir', 'pki'], empty), 'global mtls-pki init');
    expect(global.stdout).toMatch(/server CA/i);
    expect(existsSync(join(empty, 'pki', 'client-ca', 'key.pem'))).toBe(true);
  }, 460_000);

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
