#!/usr/bin/env node
// Regenerates the typed classes in imports/ for the CRDs of the controllers the library targets besides
// ingress-nginx, with the cdk8s CLI's own importer (`cdk8s import <crd.yaml>`, offline for local files).
//
//   node scripts/import-crds.js [path/to/crds] [--output dir]
//   default crds: ../shared/crds (copied from each project at the tag in shared/reference/controllers.md)
//   default output: imports/
//
// All CRDs go to the importer as one multi-document spec, and it writes one module per API group
// (imports/<group>.ts); the CLI takes only one spec per run. Each CRD is cut down to the one version the
// reference uses (Istio and Gateway API also serve v1alpha3/v1beta1): the importer would otherwise emit a
// full copy of the classes per version, which every target would pay for at require() time.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Yaml } = require('cdk8s');
const { sharedPath } = require('./shared-dir');

/** folder under crds/ → the version to import (controllers.md's examples use exactly these). */
const CRD_IMPORTS = [
  { folder: 'contour', version: 'v1' },
  { folder: 'envoy-gateway', version: 'v1alpha1' },
  { folder: 'f5-nginx', version: 'v1' },
  { folder: 'gateway-api', version: 'v1' },
  { folder: 'istio', version: 'v1' },
  { folder: 'traefik', version: 'v1alpha1' },
];

function fail(message) {
  console.error(`import-crds: ${message}`);
  process.exit(2);
}

/** The folder's CRDs, each reduced to `version`, as one multi-document spec; and their API group. */
function groupSpec(crdsDir, { folder, version }) {
  const dir = path.join(crdsDir, folder);
  if (!fs.existsSync(dir)) fail(`${dir} not found: pass the directory that holds ${CRD_IMPORTS.map((c) => `${c.folder}/`).join(', ')}`);
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const groups = new Set();
  const docs = files.map((file) => {
    const crds = Yaml.load(path.join(dir, file)).filter(Boolean);
    if (crds.length !== 1 || crds[0].kind !== 'CustomResourceDefinition') fail(`${folder}/${file}: expected exactly one CustomResourceDefinition`);
    const crd = crds[0];
    const picked = (crd.spec.versions ?? []).filter((v) => v.name === version && v.served);
    if (picked.length !== 1) fail(`${folder}/${file}: ${crd.spec.names.kind} does not serve ${version} (it has ${(crd.spec.versions ?? []).map((v) => v.name).join(', ')})`);
    groups.add(crd.spec.group);
    return { ...crd, spec: { ...crd.spec, versions: picked } };
  });
  if (groups.size !== 1) fail(`${folder}/ mixes API groups (${[...groups].join(', ')}): one folder must make one module`);
  // JSON is YAML: the importer parses this exactly as it would the original file.
  return { group: [...groups][0], text: docs.map((d) => JSON.stringify(d, null, 1)).join('\n---\n') };
}

function main(argv) {
  const outIndex = argv.indexOf('--output');
  const output = path.resolve(outIndex >= 0 ? argv[outIndex + 1] ?? fail('--output needs a directory') : path.join(__dirname, '..', 'imports'));
  const positional = outIndex >= 0 ? argv.filter((_, i) => i !== outIndex && i !== outIndex + 1) : argv;
  let crdsDir;
  try {
    crdsDir = path.resolve(positional[0] ?? sharedPath('crds'));
  } catch (e) {
    fail(`${e.message}, or pass the crds directory as the first argument`);
  }

  const specs = CRD_IMPORTS.map((entry) => groupSpec(crdsDir, entry));
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-import-crds-'));
  try {
    const spec = path.join(staging, 'crds.yaml');
    fs.writeFileSync(spec, specs.map((s) => s.text).join('\n---\n'));
    const cli = path.join(path.dirname(require.resolve('cdk8s-cli/package.json')), 'bin', 'cdk8s');
    const res = spawnSync(process.execPath, [cli, 'import', spec, '--language', 'typescript', '--no-save', '--no-check-upgrade', '--output', output], {
      cwd: path.join(__dirname, '..'),
      stdio: 'inherit',
    });
    return res.status ?? 1;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

module.exports = { CRD_IMPORTS };
if (require.main === module) process.exit(main(process.argv.slice(2)));
