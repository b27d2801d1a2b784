// The target checks, MTLS080-MTLS086, each on real bad input: what the construct refuses at synth (writing
// nothing), and what `check --manifests` finds in YAML a user edited by hand. What each prevents on a real
// nginx or haproxy is in test/e2e/scenarios-targets.test.ts.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { checkManifests, createIntermediateCa, createRootCa, Finding, IngressController, MtlsIngressProps } from '../../lib';
import { FIXTURE_NOW } from '../fixtures';
import { seedChart } from '../support/chart';
import { scratchDir } from '../support/openssl';

const errorsOf = (o: Partial<MtlsIngressProps>) => seedChart(o).mtls.findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.field, f.message]);

describe('the construct refuses what a target cannot express (MTLS080), never drops it', () => {
  test.each([
    ['HAProxy Ingress, matchCn', { controller: IngressController.haproxyIngress(), matchCn: 'CN=Client002' }, 'matchCn', /HAProxy Ingress has no annotation that matches the client CN.*X-SSL-Client-CN/],
    ['HAProxy Ingress, passCertificateToUpstream', { controller: IngressController.haproxyIngress(), passCertificateToUpstream: true }, 'passCertificateToUpstream', /IngressController\.haproxyIngress\(\{ certificateHeader: true \}\).*X-SSL-Client-Cert/],
    ['F5, errorPage', { controller: IngressController.f5Nginx(), errorPage: 'https://errors.example.com/mtls' }, 'errorPage', /nginx answers 400 itself.*Remove errorPage/],
    ['F5 VirtualServer, errorPage', { controller: IngressController.f5Nginx({ resource: 'virtualServer' }), errorPage: 'https://errors.example.com/mtls' }, 'errorPage', /before any route's errorPages apply/],
    ['F5, matchCn', { controller: IngressController.f5Nginx(), matchCn: 'CN=Client002' }, 'matchCn', /cannot match the client CN/],
    ['F5 Ingress, passCertificateToUpstream', { controller: IngressController.f5Nginx(), passCertificateToUpstream: true }, 'passCertificateToUpstream', /resource: 'virtualServer' \}\), whose VirtualServer sends ssl-client-cert/],
    ['F5 VirtualServer, two hosts', { controller: IngressController.f5Nginx({ resource: 'virtualServer' }), host: undefined, hosts: ['mtls.dev.ityoudao.cn', 'mtls.dev.ityoudao.cn'] }, 'hosts', /a VirtualServer serves one/],
    ['F5 VirtualServer, a named port', { controller: IngressController.f5Nginx({ resource: 'virtualServer' }), backend: { serviceName: 'nginx-test', port: 'http' } }, 'backend.port', /takes a port number/],
  ] as const)('%s', (_, props, field, message) => {
    const tmp = scratchDir();
    try {
      const { app, mtls } = seedChart(props as Partial<MtlsIngressProps>, join(tmp.dir, 'dist'));
      const refused = mtls.findings.filter((f) => f.code === 'MTLS080');
      expect(refused.map((f) => [f.severity, f.field])).toEqual([['error', field]]);
      expect(refused[0].message).toMatch(message);
      expect(() => app.synth()).toThrow(/MTLS080/);
      expect(existsSync(join(tmp.dir, 'dist')) ? readdirSync(join(tmp.dir, 'dist')) : []).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  test('what a target can express passes: F5 VirtualServer with passCertificateToUpstream, HAProxy Ingress with errorPage', () => {
    expect(errorsOf({ controller: IngressController.f5Nginx({ resource: 'virtualServer' }), passCertificateToUpstream: true })).toEqual([]);
    expect(errorsOf({ controller: IngressController.haproxyIngress(), errorPage: 'https://errors.example.com/mtls-denied' })).toEqual([]);
    // passCertificateToUpstream: false expresses nothing to refuse
    expect(errorsOf({ controller: IngressController.haproxyIngress(), passCertificateToUpstream: false })).toEqual([]);
  });

  test('HAProxy Ingress redirects to the error page as given: it must be an absolute http(s) URL (MTLS052)', () => {
    for (const errorPage of ['@mtls_denied', '/denied', 'https://errors.example.com/a b']) {
      expect(errorsOf({ controller: IngressController.haproxyIngress(), errorPage })).toEqual([['MTLS052', 'errorPage', expect.stringMatching(/is not an http\(s\) URL.*303 Location/)]]);
    }
  });
});

test('MTLS081: one name for both Secrets would make one Secret hold the key pair and the client CA', () => {
  for (const controller of [IngressController.haproxyIngress(), IngressController.ingressNginx()]) {
    expect(errorsOf({ controller, clientCaSecretName: 'mtls-server-secret' })).toEqual([['MTLS081', 'clientCaSecretName', expect.stringMatching(/is also the server TLS Secret's name.*different names/)]]);
  }
});

describe('MTLS085: HAProxy Ingress cannot limit the verify depth', () => {
  let deepBundle: string;
  beforeAll(async () => {
    const root = await createRootCa({ commonName: 'Depth Root', notBefore: new Date('2026-01-01T00:00:00Z'), pathLength: 2 });
    const first = await createIntermediateCa(root, { commonName: 'Depth Intermediate 1', pathLength: 1, notBefore: new Date('2026-01-01T00:00:00Z') });
    const second = await createIntermediateCa(first, { commonName: 'Depth Intermediate 2', notBefore: new Date('2026-01-01T00:00:00Z') });
    deepBundle = root.certificatePem + first.certificatePem + second.certificatePem;
  });
  const depthErrors = (o: Partial<MtlsIngressProps>) => errorsOf({ controller: IngressController.haproxyIngress(), clientCaPem: deepBundle, crlPem: undefined, ...o }).filter((e) => e[0] === 'MTLS085');

  test('a verifyDepth smaller than the bundle\'s deepest chain is refused: haproxy would admit those clients', () => {
    expect(depthErrors({ verifyDepth: 1 })).toEqual([['MTLS085', 'verifyDepth', expect.stringMatching(/is 1, but the client CA bundle holds a CA with 2 intermediate\(s\).*haproxy checks chains of any depth.*set verifyDepth to 2/)]]);
  });

  test('a verifyDepth that covers the bundle, or none, is fine; on nginx targets the same depth is expressed (no MTLS085)', () => {
    expect(depthErrors({ verifyDepth: 2 })).toEqual([]);
    expect(depthErrors({})).toEqual([]);
    expect(errorsOf({ controller: IngressController.f5Nginx(), clientCaPem: deepBundle, crlPem: undefined, verifyDepth: 1 })).toEqual([]);
  });
});

describe('check --manifests on hand-edited YAML of each target', () => {
  const tmp = scratchDir();
  afterAll(() => tmp.cleanup());
  let n = 0;
  /** The seed synthesized for `controller`, edited by `edit`, written to its own folder. */
  const deployed = (controller: MtlsIngressProps['controller'], edit: (objects: any[]) => void, props: Partial<MtlsIngressProps> = {}): string => {
    const dir = join(tmp.dir, `case-${++n}`);
    seedChart({ controller, ...props }, dir).app.synth();
    const file = join(dir, 'seed.k8s.yaml');
    const objects = Yaml.load(file);
    edit(objects);
    writeFileSync(file, objects.map((o: unknown) => Yaml.stringify(o)).join('---\n'));
    return dir;
  };
  const found = (dir: string): [string, string, string, string][] => checkManifests(dir, { now: FIXTURE_NOW }).map((f: Finding) => [f.code, f.severity, f.field, f.message]);
  const byName = (objects: any[], name: string) => objects.find((o) => o.metadata.name === name);
  const annotations = (objects: any[]) => objects.find((o) => o.kind === 'Ingress').metadata.annotations;

  test('MTLS081: a HAProxy Ingress CA Secret that also holds tls.crt and tls.key', () => {
    const dir = deployed(IngressController.haproxyIngress(), (o) => {
      Object.assign(byName(o, 'mtls-client-ca-secret').data, byName(o, 'mtls-server-secret').data);
    });
    expect(found(dir)).toEqual([['MTLS081', 'error', 'Secret odcp/mtls-client-ca-secret', expect.stringMatching(/holds tls\.crt and tls\.key next to the client CA: HAProxy Ingress then takes it for a server certificate: when ca\.crt also issued tls\.crt, ca\.crl is ignored and revoked clients get 200/)]]);
  });

  test('MTLS081: an F5 CA Secret of type Opaque, and a TLS Secret of the wrong type', () => {
    const dir = deployed(IngressController.f5Nginx(), (o) => {
      byName(o, 'mtls-client-ca-secret').type = 'Opaque';
      byName(o, 'mtls-server-secret').type = 'Opaque';
    });
    expect(found(dir)).toEqual([
      ['MTLS081', 'error', 'Secret odcp/mtls-server-secret', expect.stringMatching(/is of type "Opaque", but F5 NGINX Ingress Controller reads only a Secret of type "kubernetes\.io\/tls"/)],
      ['MTLS081', 'error', 'Secret odcp/mtls-client-ca-secret', expect.stringMatching(/reads only a Secret of type "nginx\.org\/ca" here and ignores it: rejects the Policy and answers 500 to every request of the route/)],
    ]);
  });

  test('MTLS082: referenced objects missing from the folder (warnings) or unusable (errors), with each controller\'s consequence', () => {
    const noCaSecret = deployed(IngressController.haproxyIngress(), (o) => o.splice(o.indexOf(byName(o, 'mtls-client-ca-secret')), 1));
    expect(found(noCaSecret)).toEqual([['MTLS082', 'warning', 'Ingress odcp/mtls-test-ingress haproxy-ingress.github.io/auth-tls-secret', expect.stringMatching(/not in ".*"; it cannot be checked here\. If it is missing in the cluster, HAProxy Ingress then refuses every client of the host \(496 without a certificate, 495 with one\)/)]]);
    const noPolicy = deployed(IngressController.f5Nginx(), (o) => o.splice(o.findIndex((x) => x.kind === 'Policy'), 1));
    expect(found(noPolicy)).toEqual([['MTLS082', 'warning', 'Ingress odcp/mtls-test-ingress', expect.stringMatching(/names Policy "odcp\/mtls-test-ingress-mtls", not in .*answers 500 to every request of the route/)]]);
    const noCaCrt = deployed(IngressController.f5Nginx(), (o) => { delete byName(o, 'mtls-client-ca-secret').data['ca.crt']; });
    expect(found(noCaCrt)).toEqual([['MTLS082', 'error', 'Secret odcp/mtls-client-ca-secret', expect.stringMatching(/has no ca\.crt: F5 NGINX Ingress Controller then rejects the Policy and answers 500/)]]);
  });

  test('an F5 Policy in another namespace, with its Secret there: read and checked, no cross-namespace finding', () => {
    const dir = deployed(IngressController.f5Nginx(), (o) => {
      for (const x of [o.find((y) => y.kind === 'Policy'), byName(o, 'mtls-client-ca-secret')]) x.metadata.namespace = 'shared';
      annotations(o)['nginx.org/policies'] = 'shared/mtls-test-ingress-mtls';
    });
    expect(found(dir)).toEqual([]);
    expect(checkManifests(dir, { now: new Date('2124-01-02T00:00:00Z') }).filter((f) => f.code === 'MTLS034').map((f) => f.field)).toEqual(['Secret shared/mtls-client-ca-secret ca.crl']);
  });

  test('MTLS083: an F5 Policy with crlFileName, which silently replaces ca.crl', () => {
    const dir = deployed(IngressController.f5Nginx(), (o) => { o.find((x) => x.kind === 'Policy').spec.ingressMTLS.crlFileName = 'webapp.crl'; });
    expect(found(dir)).toEqual([['MTLS083', 'warning', 'Policy odcp/mtls-test-ingress-mtls spec.ingressMTLS.crlFileName', expect.stringMatching(/\/etc\/nginx\/secrets\/webapp\.crl.*ignore ca\.crl in the Secret/)]]);
  });

  test('MTLS084: HAProxy Ingress auth-tls-strict "false"', () => {
    const dir = deployed(IngressController.haproxyIngress(), (o) => { annotations(o)['haproxy-ingress.github.io/auth-tls-strict'] = 'false'; });
    expect(found(dir)).toEqual([['MTLS084', 'error', 'Ingress odcp/mtls-test-ingress haproxy-ingress.github.io/auth-tls-strict', expect.stringMatching(/turns client verification off for the host and admits every client/)]]);
  });

  test('MTLS086: F5 ignores the IngressMTLS policy for a host without TLS, and a second IngressMTLS policy', () => {
    const noTls = deployed(IngressController.f5Nginx(), (o) => { o.find((x) => x.kind === 'Ingress').spec.tls[0].hosts = ['other.ityoudao.cn']; });
    expect(found(noTls).filter((f) => f[0] === 'MTLS086')).toEqual([['MTLS086', 'error', 'Ingress odcp/mtls-test-ingress spec.tls', expect.stringMatching(/does not cover host "mtls\.dev\.ityoudao\.cn".*serves it without client verification/)]]);
    const two = deployed(IngressController.f5Nginx(), (o) => {
      const policy = o.find((x) => x.kind === 'Policy');
      o.push({ ...policy, metadata: { ...policy.metadata, name: 'second' } });
      annotations(o)['nginx.org/policies'] += ',second';
    });
    expect(found(two)).toEqual([['MTLS086', 'warning', 'Ingress odcp/mtls-test-ingress', expect.stringMatching(/names 2 Policies with ingressMTLS.*applies the first and ignores the rest/)]]);
  });

  test('the common checks run for every target: an F5 VirtualServer whose ca.crl was emptied (MTLS031), HAProxy optional (MTLS056)', () => {
    const vs = deployed(IngressController.f5Nginx({ resource: 'virtualServer' }), (o) => { byName(o, 'mtls-client-ca-secret').data['ca.crl'] = Buffer.from('').toString('base64'); });
    expect(found(vs).map((f) => [f[0], f[2]])).toEqual([['MTLS031', 'Secret odcp/mtls-client-ca-secret ca.crl']]);
    const optional = deployed(IngressController.haproxyIngress(), () => undefined, { verifyClient: 'optional' });
    expect(found(optional)).toEqual([['MTLS056', 'warning', 'verifyClient', expect.stringMatching(/with X-SSL-Client-CN, -DN and -SHA1 empty; the backend must refuse requests where they are empty/)]]);
    expect(readFileSync(join(optional, 'seed.k8s.yaml'), 'utf8')).toContain('haproxy-ingress.github.io/auth-tls-verify-client: optional');
  });
});
