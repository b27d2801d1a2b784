#!/usr/bin/env node
// Regenerates imports/k8s.ts exactly as `cdk8s import k8s@1.33.0` would, but from a local copy of the
// schema: the importer downloads `_definitions.json`, and our machines cannot reach that download.
// The cdk8s CLI looks its download helper up on the module's exports at call time, so swapping that one
// function for a file read leaves the rest of the importer (json2jsii code generation) untouched.
//
//   node scripts/import-k8s.js [path/to/_definitions.json] [app-dir]
//   default path: ../shared/k8s-schema/v1.33.0/_definitions.json (Kubernetes 1.33, Apache-2.0)
//   default app-dir: this repository; the consumer test passes the cdk8s template app it renders, whose own
//   `npm run import` would download the schema. Either way the result is <app-dir>/imports/k8s.ts.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const K8S_VERSION = '1.33.0';
const cliRoot = () => path.dirname(require.resolve('cdk8s-cli/package.json'));

if (process.env.MTLS_OFFLINE_SCHEMA) {
  // Second stage: we are inside the cdk8s CLI process (loaded with -r).
  // The package's export map hides lib/, so reach the file through its resolved root.
  const util = require(path.join(cliRoot(), 'lib', 'util.js'));
  util.download = async (url) => {
    if (!url.endsWith(`/kubernetes-schemas/v${K8S_VERSION}/_definitions.json`)) {
      throw new Error(`refusing to download ${url}: only the local k8s ${K8S_VERSION} schema is available offline`);
    }
    return fs.readFileSync(process.env.MTLS_OFFLINE_SCHEMA, 'utf8');
  };
  return;
}

const { sharedPath } = require('./shared-dir');
let schema;
try {
  schema = path.resolve(process.argv[2] || sharedPath('k8s-schema', `v${K8S_VERSION}`, '_definitions.json'));
} catch (e) {
  console.error(`${e.message}, or pass the path to the Kubernetes ${K8S_VERSION} _definitions.json as the first argument.`);
  process.exit(2);
}
if (!fs.existsSync(schema)) {
  console.error(`schema not found: ${schema}\nPass the path to the Kubernetes ${K8S_VERSION} _definitions.json as the first argument.`);
  process.exit(2);
}
const cli = path.join(cliRoot(), 'bin', 'cdk8s');
const res = spawnSync(process.execPath, ['-r', __filename, cli, 'import', `k8s@${K8S_VERSION}`, '--language', 'typescript', '--no-save', '--no-check-upgrade', '--output', 'imports'], {
  cwd: process.argv[3] ? path.resolve(process.argv[3]) : path.join(__dirname, '..'),
  stdio: 'inherit',
  env: { ...process.env, MTLS_OFFLINE_SCHEMA: schema },
});
process.exit(res.status ?? 1);
