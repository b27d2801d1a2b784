// Rolling the client CA with overlap (docs/operations.md, "Roll the client CA with overlap"), on a real nginx:
// while `ca.crt` holds the old and the new CA (and `ca.crl` one CRL for each), clients of both are admitted and a
// revocation under the old CA still holds; once the old CA is dropped, its clients get 400. The two CAs come from
// two PKI stores, as an operator would keep them (`pki/` and `pki-next/`).
import { join } from 'node:path';
import { PkiStore } from '../../lib';
import { ClientCredentials, PkiMaterial } from '../../lib/store';
import { seedFixture } from '../fixtures';
import { synthSeedToDisk } from '../support/chart';
import { scratchDir } from '../support/openssl';
import { probe, ServedIngress, serveIngress } from './nginx-harness';
import { E2E_TEST_TIMEOUT } from './process-harness';

// Every step reloads a real nginx and waits for it to answer: a second on a quiet machine, tens of seconds at
// load 8 on 2 cores.
jest.setTimeout(E2E_TEST_TIMEOUT);

const SERVER_CA = seedFixture('server-ca-cert.pem');
const quiet = { onChange: () => undefined, onWarning: () => undefined };

describe('rolling the client CA with overlap, on nginx', () => {
  const tmp = scratchDir('ca-rollover-');
  let old: PkiMaterial;
  let next: PkiMaterial;
  let s: ServedIngress;

  /** Synthesizes the seed setup with this trust and serves it; every synth must pass its checks. */
  const trust = async (...materials: PkiMaterial[]) => {
    const now = new Date();
    const out = synthSeedToDisk({
      clientCaPem: materials.map((m) => m.clientTrust().clientCaPem).join(''),
      crlPem: materials.map((m) => m.clientTrust().crlPem).join(''),
      now,
    });
    expect(out.mtls.findings.filter((f) => f.severity === 'error')).toEqual([]);
    if (s) await s.reload(out.objects);
    else s = await serveIngress({ objects: out.objects });
  };
  const status = async (c?: ClientCredentials) => (await probe(s, { caPem: SERVER_CA, ...(c ? { certPem: c.certificatePem, keyPem: c.privateKeyPem } : {}) })).status;

  beforeAll(async () => {
    const oldStore = await PkiStore.open(join(tmp.dir, 'pki'), quiet);
    old = await oldStore.ensure({
      clientCa: { commonName: 'Shop Client CA 2026' },
      clients: [{ commonName: 'partner-a' }, { commonName: 'partner-r' }],
      revoked: [{ commonName: 'partner-r', reason: 'keyCompromise' }],
    });
    const nextStore = await PkiStore.open(join(tmp.dir, 'pki-next'), quiet);
    next = await nextStore.ensure({ clientCa: { commonName: 'Shop Client CA 2027' }, clients: [{ commonName: 'partner-a' }] });
  });
  afterAll(async () => {
    await s?.stop();
    tmp.cleanup();
  });

  test('before: only the old CA is trusted, so the new CA\'s partner-a gets 400', async () => {
    await trust(old);
    expect({ old: await status(old.client('partner-a')), next: await status(next.client('partner-a')), revoked: await status(old.client('partner-r')) })
      .toEqual({ old: 200, next: 400, revoked: 400 });
  });

  test('overlap: ca.crt holds both CAs and ca.crl both CRLs; both partner-a certificates get 200, the revoked one 400, none 400', async () => {
    await trust(old, next);
    expect({
      old: await status(old.client('partner-a')),
      next: await status(next.client('partner-a')),
      revoked: await status(old.client('partner-r')),
      none: await status(),
    }).toEqual({ old: 200, next: 200, revoked: 400, none: 400 });
  });

  test('a CA in ca.crt without its CRL in ca.crl is refused at synth: nginx would answer 400 to all of its clients', () => {
    expect(() => synthSeedToDisk({
      clientCaPem: old.clientTrust().clientCaPem + next.clientTrust().clientCaPem,
      crlPem: old.clientTrust().crlPem,
      now: new Date(),
    })).toThrow(/MTLS036 error[^\n]*Shop Client CA 2027/);
  });

  test('after: the old CA is dropped, so its partner-a gets 400 and the new one 200', async () => {
    await trust(next);
    expect({ old: await status(old.client('partner-a')), next: await status(next.client('partner-a')) }).toEqual({ old: 400, next: 200 });
  });
});
