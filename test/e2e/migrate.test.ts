// What `mtls-pki migrate` writes from `kubectl get -o yaml` of the hand-made ingress-nginx setup, served by the
// target's real data plane (nginx as F5 configures it, haproxy as HAProxy Ingress does): the clients get the
// answers the scenario matrix records for a synthesized setup, so the revoked client is still refused.
import { join } from 'node:path';
import { cli, requireBuild } from '../cli/cli';
import { seedFixture } from '../fixtures';
import { scratchDir } from '../support/openssl';
import { serveF5 } from './f5-harness';
import { serveHaproxy } from './haproxy-harness';
import { EXPECTED } from './matrix';
import { E2E_TEST_TIMEOUT, probe, ServedEndpoint } from './process-harness';
import { K8sObject, loadManifests } from './render-nginx';

// Every test serves a real data plane and may reload it: see E2E_TEST_TIMEOUT.
jest.setTimeout(E2E_TEST_TIMEOUT);

beforeAll(requireBuild);

const FIXTURE = join(__dirname, '../fixtures/kubectl/odcp-mtls.yaml');
const tmp = scratchDir('mtls-migrate-e2e-');
afterAll(() => tmp.cleanup());

const SERVE: Record<'f5-nginx' | 'haproxy-ingress', (objects: K8sObject[]) => Promise<ServedEndpoint & { stop(): Promise<void> }>> = {
  'f5-nginx': (objects) => serveF5({ objects }),
  'haproxy-ingress': (objects) => serveHaproxy({ objects }),
};

describe.each(Object.keys(SERVE) as (keyof typeof SERVE)[])('migrate --to %s, served', (to) => {
  test('no certificate, the valid Client002 and the revoked Client001 get what the matrix records', async () => {
    const out = join(tmp.dir, to);
    expect(cli(['migrate', '--to', to, FIXTURE, '--out', out]).status).toBe(0);
    const s = await SERVE[to](loadManifests(out));
    try {
      const status = async (name?: string) => String((await probe(s, {
        caPem: seedFixture('server-ca-cert.pem'), ...(name ? { certPem: seedFixture(`${name}-cert.pem`), keyPem: seedFixture(`${name}-key.pem`) } : {}),
      })).status);
      expect([await status(), await status('client002'), await status('client001')]).toEqual([EXPECTED['no-certificate'][to], EXPECTED.valid[to], EXPECTED.revoked[to]]);
    } finally {
      await s.stop();
    }
  });
});
