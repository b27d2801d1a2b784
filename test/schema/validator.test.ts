// The schema validator itself: it passes valid objects and fails each kind of mistake with a readable path,
// against the real Kubernetes 1.33 definitions and the real CRDs in shared/.
import { KubernetesSchemas } from '../support/schema';
import { scratchDir } from '../support/openssl';

const schemas = KubernetesSchemas.shared();
const UNKNOWN = 'unknown field (the API server drops it; kubectl apply --validate=strict refuses it)';

const secret = (data: Record<string, string>, extra: object = {}) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'client-ca', namespace: 'demo' }, type: 'Opaque', data, ...extra });
const service = (port: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, ...port }] } });
const ingress = (path: Record<string, unknown>) => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'demo' },
  spec: { rules: [{ host: 'www.example.com', http: { paths: [{ path: '/', backend: { service: { name: 'web', port: { number: 80 } } }, ...path }] } }] },
});
const httpProxy = (tls: Record<string, unknown>, port = 80) => ({
  apiVersion: 'projectcontour.io/v1', kind: 'HTTPProxy', metadata: { name: 'web', namespace: 'demo' },
  spec: { virtualhost: { fqdn: 'www.example.com', tls: { secretName: 'www-tls', ...tls } }, routes: [{ services: [{ name: 'web', port }] }] },
});
const gateway = (listeners: object[]) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'eg', namespace: 'demo' }, spec: { gatewayClassName: 'eg', listeners } });
const httpsListener = (name: string, tls: object = { mode: 'Terminate', certificateRefs: [{ name: 'www-tls' }] }) => ({ name, protocol: 'HTTPS', port: 443, tls });

describe('valid objects pass', () => {
  test.each([
    ['a core Secret', secret({ 'ca.crt': 'QUJD', 'ca.crl': 'QQ==' })],
    ['a Service with a numeric and a named targetPort (int-or-string)', { ...service({ targetPort: 8080 }), spec: { ports: [{ port: 80, targetPort: 8080, name: 'a' }, { port: 81, targetPort: 'http', name: 'b' }] } }],
    ['an Ingress', ingress({ pathType: 'Prefix' })],
    ['a Contour HTTPProxy with client validation', httpProxy({ clientValidation: { caSecret: 'client-ca', crlSecret: 'client-crl', crlOnlyVerifyLeafCert: false } })],
    ['a Gateway', gateway([httpsListener('https')])],
  ])('%s', (_, object) => {
    expect(schemas.violations(object)).toEqual([]);
  });
});

describe('each kind of mistake fails with a readable path', () => {
  test('a misspelt field, in a core object and in a custom resource (also in its metadata)', () => {
    expect(schemas.violations(ingress({ pathType: 'Prefix', pathtype: 'Prefix' }))).toEqual([`spec.rules[0].http.paths[0].pathtype: ${UNKNOWN}`]);
    expect(schemas.violations(httpProxy({ clientValidation: { caSecret: 'client-ca', crlSecrets: 'client-crl' } }))).toEqual([`spec.virtualhost.tls.clientValidation.crlSecrets: ${UNKNOWN}`]);
    expect(schemas.violations({ ...gateway([httpsListener('https')]), metadata: { name: 'eg', labells: {} } })).toEqual([`metadata.labells: ${UNKNOWN}`]);
  });

  test('a missing required field', () => {
    expect(schemas.violations(ingress({}))).toEqual(['spec.rules[0].http.paths[0].pathType: required field is missing']);
    const noFqdn = httpProxy({});
    delete (noFqdn.spec.virtualhost as Record<string, unknown>).fqdn;
    expect(schemas.violations(noFqdn)).toEqual(['spec.virtualhost.fqdn: required field is missing']);
  });

  test('a wrong type', () => {
    expect(schemas.violations(service({ port: '80' }))).toEqual(['spec.ports[0].port: must be integer, got string "80"']);
    expect(schemas.violations(secret({}, { immutable: 'true' }))).toEqual(['immutable: must be boolean, got string "true"']);
    expect(schemas.violations(gateway([{ ...httpsListener('https'), port: '443' }]))).toEqual(['spec.listeners[0].port: must be integer, got string "443"']);
  });

  test('a bad enum value', () => {
    expect(schemas.violations(gateway([httpsListener('https', { mode: 'terminate', certificateRefs: [{ name: 'www-tls' }] })])))
      .toEqual(['spec.listeners[0].tls.mode: must be one of "Terminate", "Passthrough"; got "terminate"']);
    expect(schemas.violations({ ...ingress({ pathType: 'Prefix' }), kind: 'Ingress', apiVersion: 'v1' })[0]).toMatch(/no schema for apiVersion v1 kind Ingress/);
  });

  test('a required field with a default in the CRD is filled by the server, so it is not missing', () => {
    const policy = (externalAuth: object) => ({ apiVersion: 'k8s.nginx.org/v1', kind: 'Policy', metadata: { name: 'p' }, spec: { externalAuth } });
    expect(schemas.violations(policy({ authServiceName: 'auth' }))).toEqual([]); // authURI: required, default "/"
    expect(schemas.violations(policy({ authURI: '/auth' }))).toEqual(['spec.externalAuth.authServiceName: required field is missing']);
  });
});

describe('Kubernetes formats and extensions', () => {
  test('format byte (Secret.data) is padded standard base64, as Go decodes it', () => {
    expect(schemas.violations(secret({ 'ca.crt': 'QQ' }))).toEqual(['data["ca.crt"]: not a valid byte: "QQ"']);
    expect(schemas.violations(secret({ 'ca.crt': '-----BEGIN CERTIFICATE-----' }))).toEqual(['data["ca.crt"]: not a valid byte: "-----BEGIN CERTIFICATE-----"']);
    expect(schemas.violations(secret({ 'ca.crt': 'QUJD+/8=' }))).toEqual([]);
  });

  test('format int32 and int64 bound integers; date-time is RFC 3339', () => {
    expect(schemas.violations(service({ port: 2 ** 31 }))).toEqual([`spec.ports[0].port: not a valid int32: ${2 ** 31}`]);
    expect(schemas.violations(service({ port: 2 ** 31 - 1 }))).toEqual([]);
    expect(schemas.violations(secret({}, { metadata: { name: 'x', generation: 1.5 } }))).toEqual(['metadata.generation: must be integer, got number 1.5']);
    expect(schemas.violations(secret({}, { metadata: { name: 'x', creationTimestamp: '2026-03-01 10:00' } }))).toEqual(['metadata.creationTimestamp: not a valid date-time: "2026-03-01 10:00"']);
    expect(schemas.violations(secret({}, { metadata: { name: 'x', creationTimestamp: '2026-03-01T10:00:00Z' } }))).toEqual([]);
  });

  test('x-kubernetes-int-or-string admits an integer or a string, nothing else', () => {
    expect(schemas.violations(service({ targetPort: true }))).toEqual(['spec.ports[0].targetPort: must be string or integer, got boolean true']);
    const ctp = (bufferLimit: unknown) => ({ apiVersion: 'gateway.envoyproxy.io/v1alpha1', kind: 'ClientTrafficPolicy', metadata: { name: 'c' }, spec: { connection: { bufferLimit } } });
    expect(schemas.violations(ctp(32768))).toEqual([]);
    expect(schemas.violations(ctp('32Ki'))).toEqual([]);
    expect(schemas.violations(ctp([1]))).toEqual(['spec.connection.bufferLimit: must be integer or string, got array [1]']);
  });

  test('nullable admits null only where the CRD says so', () => {
    const vs = (http: object) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'web' }, spec: { hosts: ['www.example.com'], http: [http] } });
    expect(schemas.violations(vs({ corsPolicy: { allowCredentials: null } }))).toEqual([]);
    expect(schemas.violations(vs({ name: null }))).toEqual(['spec.http[0].name: must be string, got null']);
  });

  test('x-kubernetes-preserve-unknown-fields keeps an object open; its siblings stay closed', () => {
    const gw = (extra: object) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw' }, spec: { selector: { istio: 'ingressgateway' } }, ...extra });
    expect(schemas.violations(gw({ status: { anything: { goes: 1 } } }))).toEqual([]);
    expect(schemas.violations(gw({ spec: { selectr: {} } }))).toEqual([`spec.selectr: ${UNKNOWN}`]);
  });

  test('an OpenAPI 3.0 boolean exclusiveMaximum excludes the bound (HTTPProxy service port < 65536)', () => {
    expect(schemas.violations(httpProxy({}, 65535))).toEqual([]);
    expect(schemas.violations(httpProxy({}, 65536))).toEqual(['spec.routes[0].services[0].port: must be < 65536']);
  });

  test('x-kubernetes-list-type map refuses two entries with the same key (two listeners named https)', () => {
    expect(schemas.violations(gateway([httpsListener('https'), { ...httpsListener('https'), port: 8443 }]))).toEqual(['spec.listeners: duplicate entry name="https" in a list-type=map']);
  });
});

describe('a CRD written for these tests: embedded resources and versions', () => {
  const tmp = scratchDir('mtls-schema-');
  afterAll(() => tmp.cleanup());
  const version = (name: string, served: boolean) => ({
    name, served, storage: name === 'v1',
    schema: {
      openAPIV3Schema: {
        type: 'object',
        properties: {
          spec: {
            type: 'object', required: ['template'],
            properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true }, replicas: { type: 'integer', format: 'int32' } },
          },
        },
      },
    },
  });
  tmp.write('widgets.yaml', JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.test' },
    spec: { group: 'example.test', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced', versions: [version('v1', true), version('v2', false)] },
  }));
  const local = new KubernetesSchemas({ crdsDir: tmp.dir });
  const widget = (apiVersion: string, template: object) => ({ apiVersion, kind: 'Widget', metadata: { name: 'w' }, spec: { template } });

  test('an embedded resource needs apiVersion and kind, and its metadata is an ObjectMeta', () => {
    expect(local.violations(widget('example.test/v1', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }))).toEqual([]);
    expect(local.violations(widget('example.test/v1', { metadata: { name: 'c', nam: 'x' } }))).toEqual([
      'spec.template.apiVersion: required field is missing',
      'spec.template.kind: required field is missing',
      `spec.template.metadata.nam: ${UNKNOWN}`,
    ]);
  });

  test('a version the CRD does not serve is refused', () => {
    expect(local.violations(widget('example.test/v2', { apiVersion: 'v1', kind: 'ConfigMap' }))).toEqual(['(root): CRD widgets.example.test v2 is not served: use a served version']);
  });
});
