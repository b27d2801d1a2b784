import { rmSync } from 'node:fs';

export default function teardown(): void {
  if (process.env.MTLS_TEST_SOFTHSM_DIR) rmSync(process.env.MTLS_TEST_SOFTHSM_DIR, { recursive: true, force: true });
}
