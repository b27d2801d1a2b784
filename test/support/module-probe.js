// Preloaded into a CLI process by test/cli/startup.test.ts (`NODE_OPTIONS=--require …`): when the process exits,
// writes the file of every module it loaded (require.cache) to $MODULE_PROBE_OUT, one per line.
'use strict';
const { writeFileSync } = require('node:fs');

process.on('exit', () => writeFileSync(process.env.MODULE_PROBE_OUT, Object.keys(require.cache).join('\n')));
