// Kubernetes schemas → draft-07 JSON Schema for ajv, made as strict as the API server with
// `kubectl apply --validate=strict`. Two sources, one dialect:
// - a CRD's `openAPIV3Schema` (a structural OpenAPI 3.0 schema with x-kubernetes-* extensions);
// - the Kubernetes 1.33 `_definitions.json` (swagger 2.0 definitions, IntOrString already a oneOf).
import { isIPv4, isIPv6 } from 'node:net';
import Ajv, { ErrorObject } from 'ajv';

type Schema = Record<string, unknown>;

/** Where a subschema sits: a value's own schema, or one branch of allOf/anyOf/oneOf/not. */
type Position = 'value' | 'branch';

/** The apiserver's ObjectMeta, which it checks on every object whatever the CRD says about `metadata`. */
export const OBJECT_META_REF = 'k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * One subschema made strict. The rules, each the API server's:
 * - An object schema closes unless it has `additionalProperties` or `x-kubernetes-preserve-unknown-fields:
 *   true`: structural pruning drops unknown fields silently (a typo'd field is lost, not refused) and strict
 *   field validation refuses them. This includes `type: object` without `properties` (e.g. Envoy Gateway's
 *   `http3: {}`), whose every field would be pruned. Branches of allOf/anyOf/oneOf/not stay open: a
 *   structural schema may only restate its parent's fields there, so closing a branch would refuse them.
 * - A required field whose schema has a `default` is never missing: defaulting runs before validation.
 * - `nullable: true` admits null; elsewhere null is a type error (the server would prune it silently).
 * - `x-kubernetes-int-or-string` admits an integer or a string.
 * - `x-kubernetes-embedded-resource` needs `apiVersion` and `kind`, and `metadata` is an ObjectMeta.
 * - OpenAPI 3.0's boolean `exclusiveMaximum`/`exclusiveMinimum` become draft-07's numbers.
 * CEL rules (`x-kubernetes-validations`) are not evaluated.
 */
export function strictSchema(schema: unknown, position: Position = 'value'): unknown {
  if (Array.isArray(schema)) return schema.map((s) => strictSchema(s, position));
  if (!schema || typeof schema !== 'object') return schema;
  const s: Schema = { ...(schema as Schema) };

  if (s.properties) s.properties = mapValues(s.properties as Record<string, unknown>, (p) => strictSchema(p));
  if (s.items) s.items = strictSchema(s.items);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') s.additionalProperties = strictSchema(s.additionalProperties);
  for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[k])) s[k] = strictSchema(s[k], 'branch');
  if (s.not) s.not = strictSchema(s.not, 'branch');

  if (s['x-kubernetes-embedded-resource'] === true) {
    s.properties = { apiVersion: { type: 'string', minLength: 1 }, kind: { type: 'string', minLength: 1 }, metadata: { $ref: OBJECT_META_REF }, ...(s.properties as Schema | undefined) };
    s.required = [...new Set([...((s.required as string[] | undefined) ?? []), 'apiVersion', 'kind'])];
  }
  if (Array.isArray(s.required) && s.properties) {
    const props = s.properties as Record<string, Schema>;
    s.required = (s.required as string[]).filter((name) => props[name]?.default === undefined);
  }
  const isObject = s.type === 'object' || (s.type === undefined && s.properties !== undefined);
  if (position === 'value' && isObject && s.additionalProperties === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true) {
    s.additionalProperties = false;
  }
  for (const bound of ['Maximum', 'Minimum'] as const) {
    const exclusive = `exclusive${bound}`;
    const inclusive = bound.toLowerCase();
    if (s[exclusive] === true) { s[exclusive] = s[inclusive]; delete s[inclusive]; } else if (s[exclusive] === false) delete s[exclusive];
  }
  if (s['x-kubernetes-int-or-string'] === true && !s.anyOf && !s.oneOf && s.type === undefined) s.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (s.nullable === true) {
    delete s.nullable;
    if (typeof s.type === 'string') s.type = [s.type, 'null'];
    if (Array.isArray(s.enum)) s.enum = [...s.enum, null];
    if (s.type === undefined) return { anyOf: [{ type: 'null' }, s] };
  }
  delete s.nullable;
  return s;
}

function mapValues<T>(o: Record<string, T>, f: (v: T) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

// RFC 3339 as Go's time.RFC3339 parses it (what metav1.Time and CRD `date-time` accept).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
// Standard base64 with padding: what Go's encoding/json decodes into []byte (Secret.data, `format: byte`).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INT32 = 2 ** 31;
const INT64 = 2 ** 63;

/** An ajv that knows the formats and x-kubernetes-* keywords of both sources; any other keyword or format is an error. */
export function kubernetesAjv(): Ajv {
  const ajv = new Ajv({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, allErrors: true, verbose: true });
  // A fraction is the `type: integer` keyword's error; the formats bound the range.
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => n >= -INT32 && n < INT32 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => n >= -INT64 && n < INT64 });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('byte', BASE64);
  ajv.addFormat('date-time', (v: string) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));
  ajv.addFormat('ipv4', (v: string) => isIPv4(v));
  ajv.addFormat('ipv6', (v: string) => isIPv6(v));
  // Annotations only: handled by strictSchema above, or not checkable here (CEL, patch strategies).
  for (const keyword of ['x-kubernetes-validations', 'x-kubernetes-map-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', 'x-kubernetes-group-version-kind', 'x-kubernetes-patch-merge-key',
    'x-kubernetes-patch-strategy', 'x-kubernetes-unions', 'example']) {
    ajv.addKeyword({ keyword });
  }
  ajv.addKeyword({ keyword: 'x-kubernetes-list-type', type: 'array', schemaType: 'string', validate: validateListType, errors: true });
  return ajv;
}

/** `set` items and `map` items' keys must be unique: the apiserver refuses duplicates (a merge would lose one). */
function validateListType(this: unknown, listType: string, data: unknown[], parentSchema?: Schema): boolean {
  if (listType !== 'set' && listType !== 'map') return true;
  const keys = listType === 'map' ? ((parentSchema?.['x-kubernetes-list-map-keys'] as string[] | undefined) ?? []) : [];
  const itemSchema = (parentSchema?.items ?? {}) as Schema;
  const keyOf = (item: unknown): string => (listType === 'set'
    ? JSON.stringify(item)
    : keys.map((k) => `${k}=${JSON.stringify((item as Schema)?.[k] ?? ((itemSchema.properties as Record<string, Schema> | undefined)?.[k]?.default))}`).join(','));
  const seen = new Set<string>();
  for (const item of data) {
    const key = keyOf(item);
    if (seen.has(key)) {
      (validateListType as { errors?: Partial<ErrorObject>[] }).errors = [{ keyword: 'x-kubernetes-list-type', message: `duplicate entry ${key} in a list-type=${listType}`, params: {} }];
      return false;
    }
    seen.add(key);
  }
  return true;
}
