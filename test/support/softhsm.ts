import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closePkcs11Tokens } from '../../lib/pki/pkcs11';
import { scratchDir } from './openssl';

// SoftHSM2 (Debian's softhsm2) as the PKCS#11 token of the tests, in the token directory jest's globalSetup
// made (softhsm-setup.ts); tokens are initialised with softhsm2-util as an operator would, each with a
// label of its own so that tests never see each other's keys.

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const USER_PIN = '246810';
const SO_PIN = '13579111';

export interface SoftHsm {
  /** A scratch directory holding the PIN file. */
  readonly dir: string;
  readonly pinFile: string;
  /** A `pkcs11:` URI naming token `label` with the module and the PIN file. */
  uri(label: string, object?: string): string;
  /** Creates (initialises) a token with a fresh label starting with `prefix`; returns the label. */
  initToken(prefix?: string): string;
  /** The environment child processes need to see these tokens. */
  readonly env: NodeJS.ProcessEnv;
  /** `pkcs11-tool` (OpenSC) against token `label`, logged in. */
  tool(label: string, args: string[]): string;
  cleanup(): void;
}

export function softHsm(): SoftHsm {
  const conf = process.env.SOFTHSM2_CONF;
  if (!conf || !process.env.MTLS_TEST_SOFTHSM_DIR) throw new Error('SOFTHSM2_CONF is not set: run the tests through jest (jest.config.js globalSetup sets it)');
  const tmp = scratchDir('mtls-pin-');
  const pinFile = join(tmp.dir, 'pin');
  writeFileSync(pinFile, `${USER_PIN}\n`, { mode: 0o600 });
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  return {
    dir: tmp.dir,
    pinFile,
    env,
    uri: (label, object) => `pkcs11:token=${label}${object ? `;object=${object}` : ''}?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`,
    initToken(prefix = 't') {
      // SoftHSM2 lists the tokens it found when initialized: finalize, so that this process sees the new one.
      closePkcs11Tokens();
      const label = `${prefix}-${randomBytes(4).toString('hex')}`;
      execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', USER_PIN], { env, stdio: 'pipe' });
      return label;
    },
    tool: (label, args) => execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', label, '--login', '--pin', USER_PIN, ...args], { env, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }),
    cleanup: tmp.cleanup,
  };
}
