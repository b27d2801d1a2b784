import { existsSync, readdirSync } from 'node:fs';
import { Testing } from 'cdk8s';
import { authTlsAnnotations, CRL_NEXT_UPDATE_ANNOTATION } from '../../lib';
import { seedFixture } from '../fixtures';
import { seedChart } from '../support/chart';
import { scratchDir } from '../support/openssl';

describe('MtlsIngress on the seed material', () => {
  test('synthesizes the seed\'s three objects (snapshot)', () => {
    const { chart, mtls } = seedChart();
    expect(mtls.findings).toEqual([]);
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('the Ingress carries the seed\'s annotations, host, TLS and backend', () => {
    const { chart } = seedChart();
    const ingress = Testing.synth(chart).find((o) => o.kind === 'Ingress');
    expect(ingress.metadata).toMatchObject({
      name: 'mtls-test-ingress', namespace: 'odcp',
      annotations: {
        'nginx.ingress.kubernetes.io/auth-tls-secret': 'odcp/mtls-client-ca-secret',
        'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on',
        'nginx.ingress.kubernetes.io/auth-tls-verify-depth': '1',
        'nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream': 'false',
      },
    });
    expect(Object.keys(ingress.metadata.annotations)).not.toContain('nginx.ingress.kubernetes.io/auth-tls-error-page');
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [{ host: 'mtls.dev.ityoudao.cn', http: { paths: [{ backend: { service: { name: 'nginx-test', port: { number: 80 } } }, path: '/', pathType: 'ImplementationSpecific' }] } }],
      tls: [{ hosts: ['mtls.dev.ityoudao.cn'], secretName: 'mtls-server-secret' }],
    });
  });

  test('Secret data equals what `kubectl create secret tls|generic --dry-run=client -o yaml` holds for the same files', () => {
    const { chart } = seedChart();
    const objects = Testing.synth(chart);
    const b64 = (name: string) => Buffer.from(seedFixture(name), 'utf8').toString('base64');
    // kubectl create secret tls -n odcp mtls-server-secret --cert server-cert-chain.pem --key server-key.pem
    expect(objects.find((o) => o.metadata.name === 'mtls-server-secret')).toEqual({
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
      metadata: { name: 'mtls-server-secret', namespace: 'odcp' },
      data: { 'tls.crt': b64('server-cert-chain.pem'), 'tls.key': b64('server-key.pem') },
    });
    // kubectl create secret generic -n odcp mtls-client-ca-secret --from-file=ca.crt=client-ca-cert.pem --from-file=ca.crl=client-ca.crl
    const ca = objects.find((o) => o.metadata.name === 'mtls-client-ca-secret');
    expect(ca).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', data: { 'ca.crt': b64('client-ca-cert.pem'), 'ca.crl': b64('client-ca.crl') } });
    expect(Object.keys(ca.data)).toEqual(['ca.crl', 'ca.crt']); // sorted, as kubectl (Go maps) writes them
    expect(ca.stringData).toBeUndefined();
  });

  test('the CA Secret is annotated with the CRL nextUpdate for monitoring', () => {
    const { chart } = seedChart();
    const ca = Testing.synth(chart).find((o) => o.metadata.name === 'mtls-client-ca-secret');
    expect(ca.metadata.annotations).toEqual({ [CRL_NEXT_UPDATE_ANNOTATION]: '2124-01-01T00:00:00.000Z' });
  });

  test('without a CRL there is no ca.crl key and no annotation', () => {
    const { chart } = seedChart({ crlPem: undefined });
    const ca = Testing.synth(chart).find((o) => o.metadata.name === 'mtls-client-ca-secret');
    expect(Object.keys(ca.data)).toEqual(['ca.crt']);
    expect(ca.metadata.annotations).toBeUndefined();
  });

  test('names default from the construct id; optional annotations appear when set', () => {
    const { chart } = seedChart({ ingressName: undefined, serverSecretName: undefined, clientCaSecretName: undefined, errorPage: 'https://www.ityoudao.cn/', matchCn: 'CN=Client00[0-9]', passCertificateToUpstream: true, verifyClient: 'optional' });
    const objects = Testing.synth(chart);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Ingress/mtls', 'Secret/mtls-client-ca', 'Secret/mtls-server-tls']);
    const annotations = objects.find((o) => o.kind === 'Ingress').metadata.annotations;
    expect(annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/auth-tls-secret': 'odcp/mtls-client-ca',
      'nginx.ingress.kubernetes.io/auth-tls-error-page': 'https://www.ityoudao.cn/',
      // anchored: ingress-nginx would search an unanchored pattern anywhere in the subject DN (e2e: scenarios-match-cn)
      'nginx.ingress.kubernetes.io/auth-tls-match-cn': 'CN=[^\\s\\S]|^CN=(?:Client00[0-9])(?:,|\\+|$)',
      'nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream': 'true',
      'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'optional',
    });
  });

  test('authTlsAnnotations anchors match-cn once: an anchored value is kept, one without CN= is left for MTLS053', () => {
    const annotation = (matchCn: string) => authTlsAnnotations({ secret: 'ns/ca', verifyClient: 'on', verifyDepth: 1, passCertificateToUpstream: false, matchCn })['nginx.ingress.kubernetes.io/auth-tls-match-cn'];
    const anchored = annotation('CN=Client002');
    expect(anchored).toBe('CN=[^\\s\\S]|^CN=(?:Client002)(?:,|\\+|$)');
    expect(annotation(anchored)).toBe(anchored);
    expect(annotation('Client002')).toBe('Client002');
  });

  test('app.synth() reports every error at once and writes nothing', () => {
    const tmp = scratchDir();
    try {
      const out = `${tmp.dir}/dist`;
      const { app } = seedChart({
        serverTls: { certificateChainPem: seedFixture('server-cert.pem'), privateKeyPem: seedFixture('client002-key.pem') },
        clientCaPem: '',
        verifyDepth: 0,
      }, out);
      let message = '';
      try {
        app.synth();
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/MTLS002 error serverTls.certificateChainPem: the chain is incomplete/);
      expect(message).toMatch(/MTLS007 error serverTls.privateKeyPem/);
      expect(message).toMatch(/MTLS020 error clientCaPem: is empty/);
      expect(message).toMatch(/MTLS051 error verifyDepth/);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  test('two synths of the same inputs are byte-identical', () => {
    const a = JSON.stringify(Testing.synth(seedChart().chart));
    const b = JSON.stringify(Testing.synth(seedChart().chart));
    expect(a).toBe(b);
  });
});
