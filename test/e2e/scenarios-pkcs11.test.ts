// A PKI whose two CAs live in a PKCS#11 token (SoftHSM2), end to end: the store signs the server certificate, the
// clients and the CRL inside the token, MtlsIngress synthesizes the YAML, and a real nginx configured as
// ingress-nginx would answers 400 without a certificate, 200 for Client002 and 400 for the revoked Client001.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { closePkcs11Tokens } from '../../lib/pki/pkcs11';
import { PkiMaterial, PkiStore } from '../../lib/store';
import { seedChart } from '../support/chart';
import { certificateSpkiHex, findPrivateKeys } from '../support/key-scan';
import { SoftHsm, softHsm } from '../support/softhsm';
import { SEED_HOST } from '../fixtures';
import { loadManifests, probe, ServedIngress, serveIngress } from './nginx-harness';
import { E2E_TEST_TIMEOUT } from './process-harness';

// Every test serves a real data plane and may reload it: see E2E_TEST_TIMEOUT.
jest.setTimeout(E2E_TEST_TIMEOUT);

describe('CAs in SoftHSM2, served by nginx', () => {
  let hsm: SoftHsm;
  let storeDir: string;
  let pki: PkiMaterial;
  let s: ServedIngress;

  beforeAll(async () => {
    hsm = softHsm();
    const token = hsm.initToken('e2e');
    storeDir = path.join(hsm.dir, 'pki');
    pki = await (await PkiStore.open(storeDir, { onWarning: () => undefined })).ensure({
      serverCa: { commonName: 'Aispeech Server Cert Authority' },
      clientCa: { commonName: 'Aispeech Client Cert Authority' },
      servers: [{ name: 'mtls', names: [SEED_HOST] }],
      clients: [{ commonName: 'Client001' }, { commonName: 'Client002' }],
      revoked: [{ commonName: 'Client001', reason: 'keyCompromise' }],
      caKeys: hsm.uri(token) as `pkcs11:${string}`,
    });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pkcs11-synth-'));
    try {
      // nginx judges the CRL by the real clock, and so do the construct's checks here.
      const { app } = seedChart({ serverTls: pki.serverTls('mtls'), ...pki.clientTrust(), now: new Date() }, out);
      app.synth();
      s = await serveIngress({ objects: loadManifests(out) });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await s?.stop();
    closePkcs11Tokens();
    hsm?.cleanup();
  });

  test('no certificate 400, Client002 200, revoked Client001 400', async () => {
    const get = (cn?: string) => probe(s, { caPem: pki.serverCaPem, ...(cn ? { certPem: pki.client(cn).certificatePem, keyPem: pki.client(cn).privateKeyPem } : {}) });
    expect((await get()).status).toBe(400);
    const ok = await get('Client002');
    expect(ok.status).toBe(200);
    expect(ok.upstream?.headers).toMatchObject({ 'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=Client002' });
    const mark = s.errorLog().length;
    expect((await get('Client001')).status).toBe(400);
    expect(s.errorLog().slice(mark)).toMatch(/client SSL certificate verify error: \(23:certificate revoked\)/);
  });

  test('the store holds no CA private key: only the leaf keys it hands out', () => {
    const caSpkis = ['server-ca', 'client-ca'].map((id) => certificateSpkiHex(fs.readFileSync(path.join(storeDir, id, 'cert.pem'), 'utf8')));
    const keys = findPrivateKeys(storeDir);
    expect(keys.some((k) => k.spkiHex === certificateSpkiHex(pki.client('Client002').certificatePem))).toBe(true);
    expect(keys.filter((k) => caSpkis.includes(k.spkiHex))).toEqual([]);
  });
});
