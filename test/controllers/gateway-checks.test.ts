// The checks of the Gateway-era targets and Traefik, MTLS100-MTLS105 (and MTLS080, MTLS085 and MTLS036 as they
// apply to them), each on real bad input: what the construct refuses or warns about at synth, and what
// `check --manifests` finds in YAML edited by hand the way a migration by hand would leave it.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import {
  buildCrl, checkManifests, ControllerTarget, createIntermediateCa, createRootCa, Finding, IngressController, issueClientCertificate, MtlsIngressProps,
} from '../../lib';
import { FIXTURE_NOW } from '../fixtures';
import { seedChart, seedProps } from '../support/chart';
import { scratchDir } from '../support/openssl';
import { KubernetesSchemas } from '../support/schema';

import { DAY } from '../fixtures';
const longAgo = new Date('2026-01-01T00:00:00Z');
const findingsOf = (o: Partial<MtlsIngressProps>) => seedChart(o).mtls.findings.map((f) => [f.code, f.severity, f.field, f.message]);
const withCode = (o: Partial<MtlsIngressProps>, code: string) => findingsOf(o).filter((f) => f[0] === code);

/** Synthesizes the seed for `controller` into a folder, lets `edit` change the parsed objects, and checks the folder. */
function checkEdited(controller: ControllerTarget, edit: (objects: any[]) => void, props: Partial<MtlsIngressProps> = {}): Finding[] {
  const tmp = scratchDir();
  try {
    seedChart({ controller, ...props }, tmp.dir).app.synth();
    const file = join(tmp.dir, 'seed.k8s.yaml');
    const objects = Yaml.load(file) as any[];
    edit(objects);
    writeFileSync(file, Yaml.stringify(...objects));
    return checkManifests(tmp.dir, { now: FIXTURE_NOW });
  } finally {
    tmp.cleanup();
  }
}
const secretNamed = (objects: any[], name: string) => objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

describe('MTLS100 / MTLS101: Traefik cannot check a CRL', () => {
  test('refused at synth, naming the gap and the targets that check CRLs; nothing is written', () => {
    const tmp = scratchDir();
    try {
      const { app, mtls } = seedChart({ controller: IngressController.traefik() }, join(tmp.dir, 'dist'));
      expect(mtls.findings.map((f) => [f.code, f.severity, f.field])).toEqual([['MTLS100', 'error', 'controller']]);
      expect(mtls.findings[0].message).toMatch(/Traefik cannot check a CRL.*revoked client certificate is admitted \(200\).*drops ca\.crl without a word.*ingress-nginx, f5-nginx, haproxy-ingress, envoy-gateway, contour, istio.*IngressController\.traefik\(\{ acceptNoRevocation: true \}\)/);
      expect(() => app.synth()).toThrow(/MTLS100/);
      expect(existsSync(join(tmp.dir, 'dist')) ? readdirSync(join(tmp.dir, 'dist')) : []).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  test('accepted explicitly: a warning on every synth, printed, never silent; the given CRL is not checked (it is not deployed)', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => (written.push(String(chunk)), true));
    try {
      for (let i = 0; i < 2; i++) {
        // onWarning: undefined, the default: each warning printed on stderr (the test props drop them).
        const { mtls } = seedChart({ controller: IngressController.traefik({ acceptNoRevocation: true }), now: new Date('2124-01-02T00:00:00Z'), serverCertificateMinValidityDays: 0, onWarning: undefined });
        expect(mtls.findings.map((f) => [f.code, f.severity])).toEqual([['MTLS101', 'warning']]);
        expect(mtls.node.validate()).toEqual([]);
      }
    } finally {
      spy.mockRestore();
    }
    expect(written.filter((w) => /MTLS101 warning controller: revocation checking is off, as chosen/.test(w))).toHaveLength(2);
  });

  test('check --manifests: the TLSOption marked as accepted is a warning; without the mark, an error', () => {
    const traefik = IngressController.traefik({ acceptNoRevocation: true });
    expect(checkEdited(traefik, () => undefined).map((f) => [f.code, f.severity, f.field])).toEqual([['MTLS101', 'warning', 'TLSOption odcp/mtls-test-ingress-mtls spec.clientAuth']]);
    const unmarked = checkEdited(traefik, (objects) => delete objects.find((o) => o.kind === 'TLSOption').metadata.annotations);
    expect(unmarked.map((f) => [f.code, f.severity])).toEqual([['MTLS100', 'error']]);
  });
});

describe('with a root and an intermediate CA, one CRL each', () => {
  let chain: { clientCaPem: string; rootCrl: string; issuingCrl: string };
  beforeAll(async () => {
    const root = await createRootCa({ commonName: 'Gateway Client Root', notBefore: longAgo, pathLength: 1 });
    const issuing = await createIntermediateCa(root, { commonName: 'Gateway Client Issuing', notBefore: longAgo });
    await issueClientCertificate(issuing, { commonName: 'Client002', notBefore: longAgo });
    const crl = async (issuer: typeof root) => (await buildCrl({ issuer, crlNumber: 1n, thisUpdate: new Date(FIXTURE_NOW.getTime() - DAY), nextUpdate: new Date(FIXTURE_NOW.getTime() + 90 * DAY), entries: [] })).pem;
    chain = { clientCaPem: root.certificatePem + issuing.certificatePem, rootCrl: await crl(root), issuingCrl: await crl(issuing) };
  });

  test('Envoy Gateway gets one Secret and one crl.refs entry per CRL, each with one PEM block', () => {
    const { chart, mtls } = seedChart({ controller: IngressController.envoyGateway(), clientCaPem: chain.clientCaPem, crlPem: chain.rootCrl + chain.issuingCrl });
    expect(mtls.findings).toEqual([]);
    const objects = chart.toJson() as any[];
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, Object.keys(o.data)])).toEqual([
      ['mtls-server-secret', ['tls.crt', 'tls.key']], ['mtls-client-ca-secret', ['ca.crt']], ['mtls-client-ca-secret-crl-1', ['ca.crl']], ['mtls-client-ca-secret-crl-2', ['ca.crl']],
    ]);
    expect([unb64(secretNamed(objects, 'mtls-client-ca-secret-crl-1').data['ca.crl']), unb64(secretNamed(objects, 'mtls-client-ca-secret-crl-2').data['ca.crl'])]).toEqual([chain.rootCrl, chain.issuingCrl]);
    expect(objects.find((o) => o.kind === 'ClientTrafficPolicy').spec.tls.clientValidation.crl.refs.map((r: any) => r.name)).toEqual(['mtls-client-ca-secret-crl-1', 'mtls-client-ca-secret-crl-2']);
    expect(KubernetesSchemas.shared().violationsOf(objects)).toEqual([]);
  });

  test('MTLS102: check --manifests refuses an Envoy Gateway CRL reference with two PEM blocks (only the first is checked)', () => {
    const props = { clientCaPem: chain.clientCaPem, crlPem: chain.rootCrl + chain.issuingCrl };
    const found = checkEdited(IngressController.envoyGateway(), (objects) => {
      secretNamed(objects, 'mtls-client-ca-secret-crl-1').data['ca.crl'] = b64(chain.rootCrl + chain.issuingCrl);
      const policy = objects.find((o) => o.kind === 'ClientTrafficPolicy');
      policy.spec.tls.clientValidation.crl.refs = policy.spec.tls.clientValidation.crl.refs.slice(0, 1);
    }, props);
    expect(found.map((f) => [f.code, f.severity, f.field])).toEqual([['MTLS102', 'error', 'Secret odcp/mtls-client-ca-secret-crl-1 ca.crl']]);
    expect(found[0].message).toMatch(/holds 2 PEM blocks\. Envoy Gateway checks only the first PEM block of each reference.*Put each CRL in a Secret of its own and list each in crl\.refs/);
    // the same CRLs, one per reference, as the construct writes them: nothing to report
    expect(checkEdited(IngressController.envoyGateway(), () => undefined, props)).toEqual([]);
  });

  test('MTLS036: every CA needs its CRL (Envoy checks the whole chain), named in the data plane\'s words', () => {
    const missingRoot = withCode({ controller: IngressController.envoyGateway(), clientCaPem: chain.clientCaPem, crlPem: chain.issuingCrl }, 'MTLS036');
    expect(missingRoot).toEqual([['MTLS036', 'error', 'crlPem', expect.stringMatching(/no CRL for the CA "CN=Gateway Client Root".*Envoy checks CRLs for every CA in the chain/)]]);
  });

  test('MTLS103: leaf-only CRL checking is warned about; the client\'s issuer still needs its CRL, the root does not', () => {
    for (const controller of [IngressController.envoyGateway({ leafOnlyCrl: true }), IngressController.contour({ leafOnlyCrl: true })]) {
      const issuingOnly = findingsOf({ controller, clientCaPem: chain.clientCaPem, crlPem: chain.issuingCrl });
      expect(issuingOnly.map((f) => [f[0], f[1], f[2]])).toEqual([['MTLS103', 'warning', 'leafOnlyCrl']]);
      expect(issuingOnly[0][3]).toMatch(/check only the client certificate against the CRL.*a revoked intermediate CA's clients are still admitted \(200\).*give the CRL of every CA in the chain/);
      const rootOnly = withCode({ controller, clientCaPem: chain.clientCaPem, crlPem: chain.rootCrl }, 'MTLS036');
      expect(rootOnly).toEqual([['MTLS036', 'error', 'crlPem', expect.stringMatching(/no CRL for the CA "CN=Gateway Client Issuing".*which issues client certificates\. Even with leaf-only CRL checking Envoy needs the CRL of the client's issuer/)]]);
    }
  });

  test('MTLS103 from manifests: leaf-only checking is warned about, and judged as such (no MTLS036 for the root); off, the root\'s CRL is missing', () => {
    const props = { clientCaPem: chain.clientCaPem, crlPem: chain.issuingCrl, verifyDepth: 1 };
    const leafOnly = checkEdited(IngressController.contour({ leafOnlyCrl: true }), () => undefined, props);
    expect(leafOnly.map((f) => [f.code, f.severity, f.field])).toEqual([['MTLS103', 'warning', 'HTTPProxy odcp/mtls-test-ingress spec.virtualhost.tls.clientValidation.crlOnlyVerifyLeafCert']]);
    const turnedOff = checkEdited(IngressController.contour({ leafOnlyCrl: true }), (objects) => {
      delete objects.find((o) => o.kind === 'HTTPProxy').spec.virtualhost.tls.clientValidation.crlOnlyVerifyLeafCert;
    }, props);
    expect(turnedOff.map((f) => [f.code, f.field])).toEqual([['MTLS036', 'Secret odcp/mtls-client-ca-secret crl.pem']]);
  });
});

test('check --manifests on a Contour HTTPProxy that skips verification: warned about (MTLS054), not refused as a prop would be', () => {
  const found = checkEdited(IngressController.contour(), (objects) => {
    objects.find((o) => o.kind === 'HTTPProxy').spec.virtualhost.tls.clientValidation.skipClientCertValidation = true;
  });
  expect(found.map((f) => [f.code, f.severity, f.field])).toEqual([['MTLS054', 'warning', 'verifyClient']]);
});

describe('MTLS104: a CRL under a key or in an object the controller does not read', () => {
  test('Contour: ca.crl instead of crl.pem in the CRL Secret, as copied from ingress-nginx', () => {
    const found = checkEdited(IngressController.contour(), (objects) => {
      const secret = secretNamed(objects, 'mtls-client-ca-secret');
      secret.data['ca.crl'] = secret.data['crl.pem'];
      delete secret.data['crl.pem'];
    });
    expect(found.map((f) => [f.code, f.severity, f.field])).toEqual([['MTLS104', 'error', 'Secret odcp/mtls-client-ca-secret']]);
    expect(found[0].message).toMatch(/has no crl\.pem \(it has ca\.crl, the key ingress-nginx reads; Contour reads crl\.pem\).*stops serving its virtual host\. Put the CRL\(s\) under the key crl\.pem/);
  });

  test('Contour: no crlSecret, the CRL left in the CA Secret: revocation silently off', () => {
    const found = checkEdited(IngressController.contour(), (objects) => {
      delete objects.find((o) => o.kind === 'HTTPProxy').spec.virtualhost.tls.clientValidation.crlSecret;
    });
    expect(found.map((f) => [f.code, f.severity, f.field])).toEqual([
      ['MTLS104', 'error', 'Secret odcp/mtls-client-ca-secret crl.pem'],
      ['MTLS058', 'warning', 'HTTPProxy odcp/mtls-test-ingress spec.virtualhost.tls.clientValidation.crlSecret'],
    ]);
    expect(found[0].message).toMatch(/revocation is off and a revoked client gets 200\. Set crlSecret: mtls-client-ca-secret/);
  });

  test('Istio: the CRL under crl next to ca.crt (mixed key styles): Istio drops it without a word', () => {
    const found = checkEdited(IngressController.istio(), (objects) => {
      const secret = secretNamed(objects, 'mtls-server-secret');
      secret.data.crl = secret.data['ca.crl'];
      delete secret.data['ca.crl'];
    });
    expect(found.filter((f) => f.code === 'MTLS104').map((f) => [f.severity, f.field])).toEqual([['error', 'Secret istio-system/mtls-server-secret crl']]);
    expect(found.find((f) => f.code === 'MTLS104')!.message).toMatch(/with the CA under ca\.crt, Istio takes the CRL from ca\.crl only, so revocation is off and a revoked client gets 200\. Rename crl to ca\.crl/);
    // the CRL is then truly absent for the checks too
    expect(found.map((f) => f.code)).toContain('MTLS058');
  });

  test('Istio: cacert with ca.crl, the other mix', () => {
    const found = checkEdited(IngressController.istio(), (objects) => {
      const secret = secretNamed(objects, 'mtls-server-secret');
      secret.data.cacert = secret.data['ca.crt'];
      delete secret.data['ca.crt'];
    });
    expect(found.find((f) => f.code === 'MTLS104')!.message).toMatch(/with the CA under cacert, Istio takes the CRL from crl only.*Rename ca\.crl to crl/);
  });

  test('Envoy Gateway: the CRL left in the CA Secret, no crl.refs (a hand migration from ingress-nginx)', () => {
    const found = checkEdited(IngressController.envoyGateway(), (objects) => {
      const crl = secretNamed(objects, 'mtls-client-ca-secret-crl-1');
      secretNamed(objects, 'mtls-client-ca-secret').data['ca.crl'] = crl.data['ca.crl'];
      delete objects.find((o) => o.kind === 'ClientTrafficPolicy').spec.tls.clientValidation.crl;
    });
    expect(found.filter((f) => f.code === 'MTLS104').map((f) => [f.severity, f.field])).toEqual([['error', 'Secret odcp/mtls-client-ca-secret ca.crl']]);
    expect(found.find((f) => f.code === 'MTLS104')!.message).toMatch(/Envoy Gateway takes CRLs only from the objects named in .*crl\.refs, so revocation is off and a revoked client gets 200/);
  });

  test('Envoy Gateway: a CRL Secret with several keys and none of them ca.crl', () => {
    const found = checkEdited(IngressController.envoyGateway(), (objects) => {
      const crl = secretNamed(objects, 'mtls-client-ca-secret-crl-1');
      crl.data = { 'crl.pem': crl.data['ca.crl'], note: b64('copied from Contour') };
    });
    expect(found.map((f) => [f.code, f.severity, f.field])).toEqual([['MTLS104', 'error', 'Secret odcp/mtls-client-ca-secret-crl-1']]);
    expect(found[0].message).toMatch(/has no ca\.crl \(it holds crl\.pem, note\).*500 on every route of the listener/);
  });
});

describe('MTLS105: a field newer than the controller version', () => {
  test.each([
    ['Envoy Gateway, mode VerifyIfGiven', (version?: string) => IngressController.envoyGateway({ version }), 'v1.8.0', 'v1.7.0'],
    ['Contour, optionalClientCertificate', (version?: string) => IngressController.contour({ version }), 'v1.24.0', 'v1.23.0'],
  ])('%s: a warning without a version, an error with an older one, nothing with a recent one', (_, controller, since, older) => {
    const optional = (version?: string) => withCode({ controller: controller(version), verifyClient: 'optional' }, 'MTLS105');
    expect(optional()).toEqual([['MTLS105', 'warning', 'verifyClient', expect.stringContaining(`only from ${since}`)]]);
    expect(optional(older)).toEqual([['MTLS105', 'error', 'verifyClient', expect.stringMatching(new RegExp(`only from ${since}; ${older} .*refuses it \\(unknown field\\).*Upgrade`))]]);
    expect(optional(since)).toEqual([]);
    expect(withCode({ controller: controller() }, 'MTLS105')).toEqual([]);
  });
});

describe('MTLS080 and MTLS085 on the Envoy-based targets', () => {
  test.each([
    ['Envoy Gateway, errorPage', { controller: IngressController.envoyGateway(), errorPage: 'https://errors.example.com/' }, 'errorPage', /Envoy ends the TLS handshake before any HTTP exchange/],
    ['Contour, matchCn', { controller: IngressController.contour(), matchCn: 'CN=Client002' }, 'matchCn', /Contour cannot match the client CN/],
    ['Istio, passCertificateToUpstream', { controller: IngressController.istio(), passCertificateToUpstream: true }, 'passCertificateToUpstream', /cannot send ingress-nginx's ssl-client-cert header/],
    ['Envoy Gateway, two hosts', { controller: IngressController.envoyGateway(), host: undefined, hosts: ['a.example.com', 'b.example.com'] }, 'hosts', /a Gateway listener .* serves one/],
    ['Contour, a named port', { controller: IngressController.contour(), backend: { serviceName: 'nginx-test', port: 'http' } }, 'backend.port', /an HTTPProxy service takes a port number/],
    ['Contour, an Exact path', { controller: IngressController.contour(), path: '/api', pathType: 'Exact' }, 'pathType', /Use "Prefix"/],
    ['Istio, verifyClient optional_no_ca', { controller: IngressController.istio(), verifyClient: 'optional_no_ca' }, 'verifyClient', /Istio cannot express here.*Use "on" or "optional"/],
  ] as const)('%s is refused', (_, props, field, message) => {
    const refused = withCode(props as Partial<MtlsIngressProps>, 'MTLS080');
    expect(refused.map((f) => [f[1], f[2]])).toEqual([['error', field]]);
    expect(refused[0][3]).toMatch(message);
  });

  test('no verify-depth setting in Envoy: a verifyDepth below the bundle\'s depth is refused', async () => {
    const root = await createRootCa({ commonName: 'Depth Root', notBefore: longAgo, pathLength: 2 });
    const first = await createIntermediateCa(root, { commonName: 'Depth Intermediate 1', pathLength: 1, notBefore: longAgo });
    const second = await createIntermediateCa(first, { commonName: 'Depth Intermediate 2', notBefore: longAgo });
    const clientCaPem = root.certificatePem + first.certificatePem + second.certificatePem;
    for (const controller of [IngressController.envoyGateway(), IngressController.contour(), IngressController.istio()]) {
      expect(withCode({ controller, clientCaPem, crlPem: undefined, verifyDepth: 1 }, 'MTLS085')).toEqual([
        ['MTLS085', 'error', 'verifyDepth', expect.stringMatching(new RegExp(`${controller.displayName} has no verify-depth setting and Envoy checks chains of any depth.*set verifyDepth to 2`))],
      ]);
    }
  });
});

test('the construct keeps the key names each controller reads (Contour crl.pem, Istio ca.* only, Envoy Gateway ca.crl per Secret)', () => {
  const keys = (controller: ControllerTarget) => (seedChart({ controller }).chart.toJson() as any[]).filter((o) => o.kind === 'Secret').map((o) => Object.keys(o.data).sort());
  expect(keys(IngressController.contour())).toEqual([['tls.crt', 'tls.key'], ['ca.crt', 'crl.pem']]);
  expect(keys(IngressController.istio())).toEqual([['ca.crl', 'ca.crt', 'tls.crt', 'tls.key']]);
  expect(keys(IngressController.envoyGateway())).toEqual([['tls.crt', 'tls.key'], ['ca.crt'], ['ca.crl']]);
});

test('MTLS040: Istio\'s one Secret holds the key pair, the CA and the CRL, so the 1 MiB limit applies to all four together', () => {
  // Text outside PEM blocks is ignored by every reader, but it is stored: 600 kB beside the chain, 600 kB beside the CA.
  const padded = (pem: string) => `${'#'.repeat(600 * 1024)}\n${pem}`;
  const props = (controller: ControllerTarget) => ({ controller, serverTls: { certificateChainPem: padded(seedProps().serverTls.certificateChainPem), privateKeyPem: seedProps().serverTls.privateKeyPem }, clientCaPem: padded(seedProps().clientCaPem) });
  expect(withCode(props(IngressController.istio()), 'MTLS040')).toEqual([['MTLS040', 'error', 'crlPem', expect.stringMatching(/^Secret "mtls-server-secret" would hold \d+ bytes of data, \d+ over Kubernetes' 1 MiB/)]]);
  // apart, as every other target keeps them, each Secret is under the limit
  expect(withCode(props(IngressController.contour()), 'MTLS040')).toEqual([]);
  // check --manifests counts the four keys of the deployed credential together too
  const deployed = checkEdited(IngressController.istio(), (objects) => {
    const secret = secretNamed(objects, 'mtls-server-secret');
    for (const key of ['tls.crt', 'ca.crt']) secret.data[key] = b64(padded(unb64(secret.data[key])));
  });
  expect(deployed.filter((f) => f.code === 'MTLS040').map((f) => f.field)).toEqual(['Secret istio-system/mtls-server-secret']);
});
