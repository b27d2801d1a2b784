// Validates any Kubernetes object the way the API server with `kubectl apply --validate=strict` would, with a
// real JSON-Schema validator (ajv) and the real schemas:
// - custom resources against the `openAPIV3Schema` of their CRD in shared/crds/ (by group, served version, kind);
// - core objects against the Kubernetes 1.33 definitions in shared/k8s-schema/ (by x-kubernetes-group-version-kind).
// What "strict" means is in schema-strict.ts. Not checked: CEL rules, and the apiserver's Go validation code
// (name syntax, port ranges of core types, and the like).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Yaml } from 'cdk8s';
import { kubernetesAjv, OBJECT_META_REF, strictSchema } from './schema-strict';

const { sharedPath } = require('../../scripts/shared-dir') as { sharedPath(...segments: string[]): string };

export interface SchemaSources {
  /** a folder of CRD files, searched recursively (default: shared/crds) */
  readonly crdsDir?: string;
  /** the Kubernetes `_definitions.json` (default: shared/k8s-schema/v1.33.0/_definitions.json) */
  readonly k8sDefinitions?: string;
}

interface SchemaEntry { readonly source: string; readonly schema?: unknown; readonly unserved?: boolean; validate?: ValidateFunction }

type K8sObject = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };

export class KubernetesSchemas {
  private static defaults?: KubernetesSchemas;

  /** The schemas in shared/, loaded once per test file. */
  public static shared(): KubernetesSchemas {
    return (KubernetesSchemas.defaults ??= new KubernetesSchemas());
  }

  private readonly ajv: Ajv = kubernetesAjv();
  /** `${apiVersion} ${kind}` → where its schema comes from */
  private readonly entries = new Map<string, SchemaEntry>();
  /** CRD files not parsed yet, with their text: parsing all of them takes seconds, so only candidates are. */
  private readonly unparsedCrds = new Map<string, string>();

  constructor(sources: SchemaSources = {}) {
    const definitionsFile = sources.k8sDefinitions ?? sharedPath('k8s-schema', 'v1.33.0', '_definitions.json');
    const { definitions } = JSON.parse(readFileSync(definitionsFile, 'utf8')) as { definitions: Record<string, Record<string, unknown>> };
    const strictDefinitions: Record<string, unknown> = {};
    for (const [name, definition] of Object.entries(definitions)) {
      strictDefinitions[name] = strictSchema(definition);
      for (const gvk of (definition['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined) ?? []) {
        const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
        this.entries.set(`${apiVersion} ${gvk.kind}`, { source: `Kubernetes 1.33 ${name}`, schema: { $ref: `k8s#/definitions/${name}` } });
      }
    }
    this.ajv.addSchema({ $id: 'k8s', definitions: strictDefinitions });
    for (const file of yamlFiles(sources.crdsDir ?? sharedPath('crds'))) this.unparsedCrds.set(file, readFileSync(file, 'utf8'));
  }

  /** The readable violations of one object (`spec.tls[0].secretNam: unknown field`); empty when it is valid. */
  public violations(object: unknown): string[] {
    const o = object as K8sObject;
    if (!o || typeof o !== 'object' || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') return ['(root): apiVersion and kind must be strings'];
    const entry = this.entryFor(o.apiVersion, o.kind);
    if (!entry) return [`(root): no schema for apiVersion ${o.apiVersion} kind ${o.kind}; the known ones are in shared/crds and the Kubernetes 1.33 definitions`];
    if (entry.unserved) return [`(root): ${entry.source} is not served: use a served version`];
    entry.validate ??= this.ajv.compile(entry.schema as object);
    return entry.validate(object) ? [] : readableErrors(entry.validate.errors ?? []);
  }

  /** Each object's violations, prefixed with `Kind namespace/name`. */
  public violationsOf(objects: readonly unknown[]): string[] {
    return objects.flatMap((object) => {
      const o = object as K8sObject;
      const id = `${String(o?.kind)} ${o?.metadata?.namespace ? `${String(o.metadata.namespace)}/` : ''}${String(o?.metadata?.name)}`;
      return this.violations(object).map((v) => `${id} ${v}`);
    });
  }

  /** Where an object's schema comes from, e.g. `CRD gateways.gateway.networking.k8s.io v1`. */
  public sourceOf(apiVersion: string, kind: string): string | undefined {
    return this.entryFor(apiVersion, kind)?.source;
  }

  private entryFor(apiVersion: string, kind: string): SchemaEntry | undefined {
    const key = `${apiVersion} ${kind}`;
    const group = apiVersion.split('/').slice(0, -1).join('/');
    // The apiserver names every CRD `<plural>.<group>`, so only files that hold such a name can define the
    // kind; the parse below decides.
    const crdName = new RegExp(`[a-z0-9-]\\.${group.replace(/\./g, '\\.')}(?![\\w.-])`);
    for (const [file, text] of this.unparsedCrds) {
      if (this.entries.has(key)) break;
      if (group && crdName.test(text)) {
        this.unparsedCrds.delete(file);
        this.addCrds(file);
      }
    }
    return this.entries.get(key);
  }

  private addCrds(file: string): void {
    for (const crd of Yaml.load(file).filter((d) => d?.kind === 'CustomResourceDefinition')) {
      const { group, names, versions } = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Record<string, unknown> } }[] };
      for (const version of versions) {
        const source = `CRD ${crd.metadata.name} ${version.name}`;
        const key = `${group}/${version.name} ${names.kind}`;
        if (this.entries.has(key)) throw new Error(`${file}: ${key} is defined twice (also by ${this.entries.get(key)!.source})`);
        const root = version.schema?.openAPIV3Schema;
        if (!root) throw new Error(`${file}: ${source} has no openAPIV3Schema`);
        // The apiserver always knows apiVersion, kind and metadata, and checks metadata as an ObjectMeta on top
        // of what the CRD says about it (at most limits on name).
        const properties = (root.properties ?? {}) as Record<string, unknown>;
        const metadata = properties.metadata ? { allOf: [{ $ref: OBJECT_META_REF }, properties.metadata] } : { $ref: OBJECT_META_REF };
        const strict = strictSchema({ ...root, properties: { ...properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata } });
        this.entries.set(key, { source, schema: strict, unserved: !version.served });
      }
    }
  }
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** ajv's errors as `path: message`, one per problem: the alternatives of an anyOf/oneOf are folded into it. */
function readableErrors(errors: readonly ErrorObject[]): string[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.schemaPath);
  const kept = errors.filter((e) => !alternatives.some((p) => e.schemaPath !== p && e.schemaPath.startsWith(`${p}/`)));
  return [...new Set(kept.map(describe))];
}

function describe(e: ErrorObject): string {
  const value = e.data;
  const at = readablePath(e.instancePath);
  const field = (name: string) => readablePath(`${e.instancePath}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  switch (e.keyword) {
    case 'additionalProperties':
      return `${field(String(e.params.additionalProperty))}: unknown field (the API server drops it; kubectl apply --validate=strict refuses it)`;
    case 'required':
      return `${field(String(e.params.missingProperty))}: required field is missing`;
    case 'type':
      return `${at}: must be ${String(e.params.type).replace(',', ' or ')}, got ${got(value)}`;
    case 'enum':
      return `${at}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(value)}`;
    case 'format':
      return `${at}: not a valid ${String(e.params.format)}: ${JSON.stringify(value)}`;
    case 'anyOf':
    case 'oneOf': {
      // int-or-string and Quantity are alternatives of bare types: name them.
      const types = (e.schema as { type?: unknown }[]).map((branch) => branch.type);
      if (types.every((t) => typeof t === 'string')) return `${at}: must be ${types.join(' or ')}, got ${got(value)}`;
      return `${at}: must match ${e.keyword === 'oneOf' ? 'exactly one' : 'one'} of the ${types.length} allowed forms, got ${got(value)}`;
    }
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

function got(value: unknown): string {
  if (value === null) return 'null';
  const type = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  return `${type} ${JSON.stringify(value)}`;
}

/** `/spec/rules/0/host` → `spec.rules[0].host`; `/data/tls.crt` → `data["tls.crt"]`. */
function readablePath(pointer: string): string {
  const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_$][\w$-]*$/.test(s) ? `${i ? '.' : ''}${s}` : `[${JSON.stringify(s)}]`)).join('');
  return path || '(root)';
}
