// The YAML examples in shared/reference/controllers.md against the CRDs they were written for, strictly.
// §13 of the reference says the 11 CRD-typed objects pass Draft 7 validation; this is the same claim with the
// API server's closed objects added (an unknown field anywhere is an error).
import { referenceExamples } from '../support/reference-examples';
import { KubernetesSchemas } from '../support/schema';

const schemas = KubernetesSchemas.shared();
const SECTIONS = ['2.5', '3.3', '4.4', '5.5', '6.5', '7.4', '9'];
const examples = referenceExamples().filter((e) => SECTIONS.includes(e.section));
const isCore = (o: { apiVersion: string; kind: string }) => !!schemas.sourceOf(o.apiVersion, o.kind)?.startsWith('Kubernetes ');
const custom = examples.filter((e) => !isCore(e.object));
const core = examples.filter((e) => isCore(e.object));
const label = (e: { section: string; object: { apiVersion: string; kind: string; metadata: { name: string } } }) => `§${e.section} ${e.object.apiVersion} ${e.object.kind} ${e.object.metadata.name}`;

test('the sections hold the 11 CRD-typed objects §13 lists', () => {
  expect(custom.map((e) => `${e.section} ${e.object.kind}`)).toEqual([
    '2.5 Gateway', '2.5 HTTPRoute', '2.5 ClientTrafficPolicy', '3.3 Gateway', '4.4 HTTPProxy', '5.5 Gateway', '5.5 VirtualService',
    '6.5 Policy', '6.5 VirtualServer', '9 TLSOption', '9 IngressRoute',
  ]);
});

describe('each CRD-typed object passes its CRD, closed objects included', () => {
  test.each(custom.map((e) => [label(e), e.object]))('%s', (_, object) => {
    expect(schemas.sourceOf(object.apiVersion, object.kind)).toMatch(/^CRD /);
    expect(schemas.violations(object)).toEqual([]);
  });
});

describe('the core objects pass Kubernetes 1.33 once their <b64> placeholders hold base64', () => {
  const filled = (object: { data?: Record<string, string> }) => ({
    ...object, ...(object.data ? { data: Object.fromEntries(Object.entries(object.data).map(([k, v]) => [k, /^<.*>$/.test(v) ? Buffer.from(v).toString('base64') : v])) } : {}),
  });
  test.each(core.map((e) => [label(e), e.object]))('%s', (_, object) => {
    expect(schemas.violations(filled(object))).toEqual([]);
    // As printed, a placeholder is what the API server would refuse, and nothing else.
    for (const v of schemas.violations(object)) expect(v).toMatch(/^data\["[^"]+"\]: not a valid byte: "<.*>"$/);
  });
});

/** Every path in `value` that holds a plain object, e.g. `spec.tls.clientValidation`. */
function objectPaths(value: unknown, path: string[] = []): string[][] {
  if (!value || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => objectPaths(v, [...path, String(i)]));
  return [path, ...Object.entries(value).flatMap(([k, v]) => objectPaths(v, [...path, k]))];
}

test('the check can fail on these very objects: an extra field in any of their nested objects is refused', () => {
  let tried = 0;
  for (const { object } of custom) {
    for (const path of objectPaths(object)) {
      const mutated = structuredClone(object);
      const target = path.reduce((o: Record<string, unknown>, k) => o[k] as Record<string, unknown>, mutated);
      target.zzUnknown = {};
      const violations = schemas.violations(mutated);
      // A closed object calls it an unknown field; a map of strings (labels, selector) refuses an object value.
      expect([path.join('.'), violations.some((v) => /zzUnknown: (unknown field|must be string)/.test(v))]).toEqual([path.join('.'), true]);
      tried++;
    }
  }
  expect(tried).toBeGreaterThan(60);
});
