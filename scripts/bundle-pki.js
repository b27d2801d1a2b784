#!/usr/bin/env node
// The second half of `npm run build`, after tsc. pkijs and asn1js are ESM-only: jest's module loader (ts-jest,
// which the cdk8s app template uses), ts-node and require() before Node 20.19 cannot load them. So this bundles
// lib/pki/engine.ts, the one module that imports them, with pkijs, asn1js and their dependencies into one
// CommonJS file, build/lib/pki/pkijs-bundle.js. The published package then depends on neither.
//
// tsc's build/lib/pki/engine.js is replaced by a stub of a few lines with the same exports, which requires the
// bundle on first use: loading it (~0.8 MB to read, compile and run) costs a CLI process ~30 ms, and `--help`,
// `list` and the store's bookkeeping never touch pkijs. Every module still imports './engine' as in the sources
// (tsx and jest load engine.ts itself, eagerly; the behaviour is the same).
//
// It also writes build/THIRD-PARTY-LICENSES.md: name, version, license and full license text of every package
// whose code is in the bundle (the package ships it; test/consumer checks it lists what the bundle holds).
//
//   node scripts/bundle-pki.js        (npm run build runs it)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..');
const ENTRY = path.join(ROOT, 'lib', 'pki', 'engine.ts');
const STUB = path.join(ROOT, 'build', 'lib', 'pki', 'engine.js');
const OUT = path.join(ROOT, 'build', 'lib', 'pki', 'pkijs-bundle.js');
const LICENSES = path.join(ROOT, 'build', 'THIRD-PARTY-LICENSES.md');
const NODE_TARGET = 'node20';

if (!fs.existsSync(STUB)) {
  console.error(`${path.relative(ROOT, STUB)} is missing: run tsc first (npm run build does both).`);
  process.exit(1);
}

/** The packages under node_modules whose files esbuild put into the bundle, by their package.json. */
function bundledPackages(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(path.resolve(ROOT, m[1]));
  }
  return [...dirs].map((dir) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    if (!file) throw new Error(`${pkg.name} ${pkg.version} is bundled but has no LICENSE file: its license text must ship with the bundle`);
    return { name: pkg.name, version: pkg.version, license: pkg.license, text: fs.readFileSync(path.join(dir, file), 'utf8').trim() };
  }).sort((a, b) => a.name.localeCompare(b.name));
}

const first = esbuild.buildSync({
  entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'cjs', target: NODE_TARGET,
  write: false, metafile: true, legalComments: 'none', logLevel: 'warning',
});
const packages = bundledPackages(first.metafile);
const banner = [
  '// lib/pki/engine.ts bundled with its dependencies by scripts/bundle-pki.js, as CommonJS (pkijs and asn1js are ESM-only).',
  ...packages.map((p) => `// ${p.name} ${p.version} (${p.license})`),
  '// Their license texts: ../../THIRD-PARTY-LICENSES.md',
].join('\n');
fs.writeFileSync(OUT, `${banner}\n${Buffer.from(first.outputFiles[0].contents).toString('utf8')}`);

// The stub: each export of engine.ts as a getter. `subtle` is node:crypto's own and needs no pkijs.
const LAZY = ['asn1js', 'engineFor', 'pkijs'];
const exported = Object.keys(require(OUT)).sort();
if (JSON.stringify(exported) !== JSON.stringify([...LAZY, 'subtle'].sort())) {
  console.error(`lib/pki/engine.ts exports ${exported.join(', ')}, but the stub in scripts/bundle-pki.js forwards ${[...LAZY, 'subtle'].join(', ')}: update LAZY.`);
  process.exit(1);
}
fs.writeFileSync(STUB, [
  '"use strict";',
  '// lib/pki/engine.ts\'s exports, loaded from the bundle on first use (scripts/bundle-pki.js says why).',
  'Object.defineProperty(exports, "__esModule", { value: true });',
  'let bundle;',
  'const load = () => (bundle ??= require("./pkijs-bundle.js"));',
  ...LAZY.map((name) => `Object.defineProperty(exports, "${name}", { enumerable: true, get: () => load().${name} });`),
  'Object.defineProperty(exports, "subtle", { enumerable: true, get: () => require("node:crypto").webcrypto.subtle });',
  '',
].join('\n'));
// tsc's source map describes the module this replaced.
fs.rmSync(`${STUB}.map`, { force: true });

fs.writeFileSync(LICENSES, [
  '# Third-party licenses',
  '',
  `\`build/lib/pki/pkijs-bundle.js\` contains these packages, bundled by \`scripts/bundle-pki.js\`:`,
  '',
  ...packages.map((p) => `- ${p.name} ${p.version} (${p.license})`),
  '',
  ...packages.flatMap((p) => [`## ${p.name} ${p.version}`, '', '```text', p.text, '```', '']),
].join('\n'));

console.log(`bundled ${path.relative(ROOT, OUT)} (${(fs.statSync(OUT).size / 1024).toFixed(0)} KiB): ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`);
