// The scenario matrix every target runs on its real data plane (nginx as ingress-nginx or F5 renders it, haproxy as
// HAProxy Ingress renders it): the same scenarios, synthesized by MtlsIngress with the target as `controller`,
// written to YAML, read back and served. EXPECTED is what each data plane answered; the matrix-*.test.ts files
// assert it against the real servers, and the README's table is rendered from it (test/docs/matrix-table.test.ts).
import {
  buildCrl, CertificateAuthority, ControllerTarget, createIntermediateCa, createRootCa, IngressController, IssuedCertificate, issueClientCertificate,
  loadCertificateAuthority, MtlsIngressProps, readCertificates, readCrls, RevokedEntry,
} from '../../lib';
import { seedFixture } from '../fixtures';
import { seedChart, synthSeedToDisk } from '../support/chart';
import { E2E_TEST_TIMEOUT, probe, ProbeResult, ServedEndpoint } from './process-harness';
import type { K8sObject } from './render-nginx';
import { DAY } from '../fixtures';

export const COLUMNS = ['ingress-nginx', 'f5-nginx', 'f5-nginx (VirtualServer)', 'haproxy-ingress'] as const;
export type Column = typeof COLUMNS[number];

export const SCENARIOS = {
  'no-certificate': 'no client certificate',
  valid: 'a valid client (`Client002`)',
  revoked: 'a revoked client (`Client001`)',
  'crl-update': 'after a CRL update: `Client002` revoked / a new `Client003`',
  'foreign-ca': 'a client of another CA with the same name',
  'expired-client': 'an expired client certificate',
  intermediate: 'root → intermediate → client, both CRLs: a client / one the intermediate revoked',
  'intermediate-only-crl': 'only the intermediate\'s CRL (synth refuses: `MTLS036`), served anyway: every client',
  'deep-chain': 'root → 2 intermediates → client with `verifyDepth: 1`',
  'expired-crl': 'an expired CRL (synth refuses: `MTLS034`), served anyway: `Client002`',
  optional: '`verifyClient: optional`, no certificate',
  'error-page': '`errorPage`: no certificate / a revoked client',
  identity: 'what the upstream learns of `Client002`',
} as const;
export type ScenarioId = keyof typeof SCENARIOS;

const same = (v: string): Record<Column, string> => ({ 'ingress-nginx': v, 'f5-nginx': v, 'f5-nginx (VirtualServer)': v, 'haproxy-ingress': v });
const nginx = (v: string, haproxy: string): Record<Column, string> => ({ ...same(v), 'haproxy-ingress': haproxy });

/** What each data plane answered (status codes; "/" separates the clients of one scenario). */
export const EXPECTED: Record<ScenarioId, Record<Column, string>> = {
  'no-certificate': nginx('400', '496'),
  valid: same('200'),
  revoked: nginx('400', '495'),
  'crl-update': nginx('400 / 200', '495 / 200'),
  'foreign-ca': nginx('400', '495'),
  'expired-client': nginx('400', '495'),
  intermediate: nginx('200 / 400', '200 / 495'),
  'intermediate-only-crl': nginx('400', '495'),
  'deep-chain': nginx('400', '200 (no depth setting; synth refuses: `MTLS085`)'),
  'expired-crl': nginx('400', '495'),
  optional: same('200'),
  'error-page': {
    'ingress-nginx': '302 / 302 to the page', 'f5-nginx': 'synth refuses: `MTLS080`', 'f5-nginx (VirtualServer)': 'synth refuses: `MTLS080`', 'haproxy-ingress': '303 / 303 to the page',
  },
  identity: {
    'ingress-nginx': 'ssl-client-subject-dn: CN=Client002',
    'f5-nginx': 'nothing',
    'f5-nginx (VirtualServer)': 'ssl-client-subject-dn: CN=Client002',
    'haproxy-ingress': 'x-ssl-client-cn: Client002, x-ssl-client-dn: /CN=Client002',
  },
};

/** A data plane serving synthesized objects, reloadable. */
export interface ServedTarget extends ServedEndpoint {
  reload(objects: K8sObject[]): Promise<void>;
  stop(): Promise<void>;
}

const SERVER_CA = seedFixture('server-ca-cert.pem');
const CA_SECRET = 'mtls-client-ca-secret';
interface Client { certPem: string; keyPem: string }
const asClient = (c: IssuedCertificate): Client => ({ certPem: c.certificatePem, keyPem: c.privateKeyPem });
const seedClient = (name: string): Client => ({ certPem: seedFixture(`${name}-cert.pem`), keyPem: seedFixture(`${name}-key.pem`) });

/** A CRL valid by the real clock (the data planes judge CRLs against it). */
async function crlFor(issuer: CertificateAuthority, revoked: string[], validity = { from: -5 * 60_000, to: 30 * DAY }, base?: { readonly entries: readonly RevokedEntry[]; readonly crlNumber?: bigint }) {
  const now = Date.now();
  return (await buildCrl({
    issuer, crlNumber: (base?.crlNumber ?? 0n) + 1n, thisUpdate: new Date(now + validity.from), nextUpdate: new Date(now + validity.to),
    entries: [...(base?.entries ?? []), ...revoked.map((serialHex) => ({ serialHex, revokedAt: new Date(now - 60_000), reason: 'keyCompromise' as const }))],
  })).pem;
}

/**
 * The matrix on one target: one test per scenario, each applying its own synthesized configuration, so that any
 * one can run alone. `serve` starts the data plane with the target's seed output.
 */
export function defineMatrix(column: Column, controller: () => ControllerTarget, serve: (objects: K8sObject[]) => Promise<ServedTarget>): void {
  jest.setTimeout(E2E_TEST_TIMEOUT);
  describe(`the scenario matrix on ${column}, served by its real data plane`, () => {
    let s: ServedTarget;
    let seedCa: CertificateAuthority;
    const synth = (o: Partial<MtlsIngressProps> = {}) => synthSeedToDisk({ controller: controller(), ...o });
    /** The codes a synth refuses with (errors), without writing anything. */
    const refusals = (o: Partial<MtlsIngressProps>) => seedChart({ controller: controller(), ...o }).mtls.findings.filter((f) => f.severity === 'error').map((f) => f.code);
    const get = (c?: Client, path?: string): Promise<ProbeResult> => probe(s, { caPem: SERVER_CA, ...c, path });
    const status = async (c?: Client) => String((await get(c)).status);
    /** The valid synthesized objects with the CA Secret's CRL replaced: what the construct refuses to produce. */
    const withCrl = (objects: K8sObject[], crlPem: string): K8sObject[] => {
      const copy: K8sObject[] = JSON.parse(JSON.stringify(objects));
      copy.find((o) => o.kind === 'Secret' && o.metadata.name === CA_SECRET)!.data[controller().secrets.clientTrust.crlKey] = Buffer.from(crlPem).toString('base64');
      return copy;
    };

    beforeAll(async () => {
      seedCa = await loadCertificateAuthority(seedFixture('client-ca-cert.pem'), seedFixture('client-ca-key.pem'), 'seed client CA');
      s = await serve(synth().objects);
    });
    afterAll(async () => s?.stop());

    const observe: Record<ScenarioId, () => Promise<string>> = {
      'no-certificate': async () => (await s.reload(synth().objects), status()),
      valid: async () => (await s.reload(synth().objects), status(seedClient('client002'))),
      revoked: async () => (await s.reload(synth().objects), status(seedClient('client001'))),
      'crl-update': async () => {
        const seedCrl = readCrls(seedFixture('client-ca.crl'))[0];
        const crl = await crlFor(seedCa, [readCertificates(seedFixture('client002-cert.pem'))[0].serialHex], undefined, seedCrl);
        expect(readCrls(crl)[0].crlNumber).toBe(2n);
        const out = synth({ crlPem: crl, now: new Date() });
        expect(out.mtls.findings).toEqual([]);
        await s.reload(out.objects);
        const client003 = asClient(await issueClientCertificate(seedCa, { commonName: 'Client003' }));
        return `${await status(seedClient('client002'))} / ${await status(client003)}`;
      },
      'foreign-ca': async () => {
        await s.reload(synth().objects);
        const impostor = await createRootCa({ commonName: 'Aispeech Client Cert Authority' });
        return status(asClient(await issueClientCertificate(impostor, { commonName: 'Client002' })));
      },
      'expired-client': async () => {
        await s.reload(synth().objects);
        const expired = await issueClientCertificate(seedCa, { commonName: 'Client004', notBefore: new Date(Date.now() - 3 * DAY), validityDays: 1 });
        return status(asClient(expired));
      },
      intermediate: async () => {
        const { props, good, revoked } = await chain();
        await s.reload(synth(props).objects);
        return `${await status(good)} / ${await status(revoked)}`;
      },
      'intermediate-only-crl': async () => {
        const { props, good, revoked, direct, intermediateCrl } = await chain();
        expect(refusals({ ...props, crlPem: intermediateCrl })).toEqual(['MTLS036']);
        await s.reload(withCrl(synth(props).objects, intermediateCrl));
        const all = new Set([await status(good), await status(revoked), await status(direct)]);
        return [...all].join(' / ');
      },
      'deep-chain': async () => {
        const root = await createRootCa({ commonName: 'Matrix Deep Root', pathLength: 2 });
        const first = await createIntermediateCa(root, { commonName: 'Matrix Deep 1', pathLength: 1 });
        const second = await createIntermediateCa(first, { commonName: 'Matrix Deep 2' });
        const deep = asClient(await issueClientCertificate(second, { commonName: 'DeepClient' }));
        const props = {
          clientCaPem: root.certificatePem + first.certificatePem + second.certificatePem, now: new Date(),
          crlPem: (await crlFor(root, [])) + (await crlFor(first, [])) + (await crlFor(second, [])),
        };
        const refused = refusals({ ...props, verifyDepth: 1 });
        // what synth refuses, served anyway: the same objects without the depth (HAProxy Ingress writes none)
        await s.reload(synth(refused.length ? props : { ...props, verifyDepth: 1 }).objects);
        const got = await status(deep);
        return refused.length ? `${got} (no depth setting; synth refuses: ${refused.map((c) => `\`${c}\``).join(', ')})` : got;
      },
      'expired-crl': async () => {
        const expired = await crlFor(seedCa, [], { from: -10 * DAY, to: -DAY });
        expect(refusals({ crlPem: expired, now: new Date() })).toEqual(['MTLS034']);
        await s.reload(withCrl(synth().objects, expired));
        return status(seedClient('client002'));
      },
      optional: async () => (await s.reload(synth({ verifyClient: 'optional' }).objects), status()),
      'error-page': async () => {
        const page = s.upstreamUrl('/mtls-denied');
        const refused = refusals({ errorPage: page });
        if (refused.length) return `synth refuses: ${refused.map((c) => `\`${c}\``).join(', ')}`;
        await s.reload(synth({ errorPage: page }).objects);
        const answers = [await get(), await get(seedClient('client001'))];
        for (const a of answers) expect([a.headers.location, a.upstream]).toEqual([page, undefined]);
        return `${answers.map((a) => a.status).join(' / ')} to the page`;
      },
      identity: async () => {
        await s.reload(synth().objects);
        const r = await get(seedClient('client002'));
        expect(r.status).toBe(200);
        const headers = r.upstream?.headers ?? {};
        const subject = ['ssl-client-subject-dn', 'x-ssl-client-cn', 'x-ssl-client-dn'].filter((h) => headers[h] !== undefined);
        return subject.length ? subject.map((h) => `${h}: ${headers[h]}`).join(', ') : 'nothing';
      },
    };

    /** root → intermediate → clients, with a CRL for each CA. */
    async function chain() {
      const root = await createRootCa({ commonName: 'Matrix Client Root CA' });
      const intermediate = await createIntermediateCa(root, { commonName: 'Matrix Client Intermediate CA' });
      const good = asClient(await issueClientCertificate(intermediate, { commonName: 'ChainClient' }));
      const revokedCert = await issueClientCertificate(intermediate, { commonName: 'ChainRevoked' });
      const direct = asClient(await issueClientCertificate(root, { commonName: 'RootClient' }));
      const intermediateCrl = await crlFor(intermediate, [revokedCert.facts.serialHex]);
      const props = { clientCaPem: root.certificatePem + intermediate.certificatePem, crlPem: (await crlFor(root, [])) + intermediateCrl, now: new Date() };
      return { props, good, revoked: asClient(revokedCert), direct, intermediateCrl };
    }

    test.each(Object.entries(SCENARIOS) as [ScenarioId, string][])('%s: %s', async (id) => {
      expect({ [id]: await observe[id]() }).toEqual({ [id]: EXPECTED[id][column] });
    });
  });
}

/** The controllers, by column. */
export const CONTROLLERS: Record<Column, () => ControllerTarget> = {
  'ingress-nginx': () => IngressController.ingressNginx(),
  'f5-nginx': () => IngressController.f5Nginx(),
  'f5-nginx (VirtualServer)': () => IngressController.f5Nginx({ resource: 'virtualServer' }),
  'haproxy-ingress': () => IngressController.haproxyIngress(),
};

/** The README's table: one row per scenario, one column per controller (F5's two forms share a column). */
export function matrixTable(): string {
  const f5 = (id: ScenarioId) => {
    const [ingress, vs] = [EXPECTED[id]['f5-nginx'], EXPECTED[id]['f5-nginx (VirtualServer)']];
    return ingress === vs ? ingress : `Ingress: ${ingress}; VirtualServer: ${vs}`;
  };
  return [
    '| scenario | ingress-nginx | f5-nginx | haproxy-ingress |',
    '|---|---|---|---|',
    ...(Object.entries(SCENARIOS) as [ScenarioId, string][]).map(([id, title]) => `| ${title} | ${EXPECTED[id]['ingress-nginx']} | ${f5(id)} | ${EXPECTED[id]['haproxy-ingress']} |`),
  ].join('\n');
}
