import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// jest globalSetup: one SoftHSM2 token directory for the run. SoftHSM2 reads SOFTHSM2_CONF from the C
// environment when a process first initializes it, and a test file's process.env is jest's copy, so the
// variable is set here, in the process the test workers inherit their environment from. Each test makes its
// own tokens in it, with labels of its own (test/support/softhsm.ts).
export default function setup(): void {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  process.env.MTLS_TEST_SOFTHSM_DIR = dir;
}
