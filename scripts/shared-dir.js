// Where the read-only reference material (CRDs, the Kubernetes schema, controllers.md) lives.
// CI copies it beside the clone as ../shared; a git worktree sits one level deeper (wt/<branch>/), so the
// copy beside the main clone is ../../shared from there. MTLS_SHARED_DIR overrides both.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const repoRoot = path.join(__dirname, '..');

/** The shared/ directory, or `undefined` when none of the places above has one. */
function findSharedDir() {
  if (process.env.MTLS_SHARED_DIR) return path.resolve(process.env.MTLS_SHARED_DIR);
  return [path.join(repoRoot, '..', 'shared'), path.join(repoRoot, '..', '..', 'shared')].find((d) => fs.existsSync(d));
}

/** A path inside shared/; throws, naming the places looked at and the fix, when shared/ is missing. */
function sharedPath(...segments) {
  const dir = findSharedDir();
  if (!dir) {
    throw new Error(`the reference material was not found at ${path.join(repoRoot, '..', 'shared')}: copy shared/ beside the clone or set MTLS_SHARED_DIR`);
  }
  return path.join(dir, ...segments);
}

module.exports = { sharedPath };
