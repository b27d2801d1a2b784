import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { readInputText } from '../files/input';
import { UserInputError } from '../pki';
import { IngressController } from '../controllers';
import { checkSetup } from '../controllers/check-setup';
import type { DeployedMtls, ManifestObject as K8sObject, ReadContext } from '../controllers/controller';
import { DEFAULT_CRL_MIN_VALIDITY_DAYS, DEFAULT_SERVER_MIN_VALIDITY_DAYS } from './check-mtls';
import { Finding, Findings } from './finding';

export interface CheckManifestsOptions {
  readonly now?: Date;
  readonly crlMinValidityDays?: number;
  readonly serverMinValidityDays?: number;
}

/**
 * Every object under `dir` (a folder like `dist/`, or one file): each YAML document, and each item of a
 * `kind: List` (what `kubectl get -o yaml` writes for several objects). Symbolic links inside the folder are not
 * followed (a link back into the folder would be walked forever); each one is passed to `onSymlink`. `dir` itself
 * may be a link: the user named it. `option` names the command-line option in the error for an unreadable path.
 */
export function loadManifestObjects(dir: string, onSymlink: (path: string) => void = () => undefined, option = '--manifests'): K8sObject[] {
  let files: string[];
  try {
    files = statSync(dir).isDirectory() ? yamlFilesUnder(dir, onSymlink) : [dir];
  } catch (e) {
    throw new UserInputError(option, `cannot read "${dir}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the folder cdk8s synthesized into, e.g. dist/, or a YAML file.`);
  }
  return files.flatMap((file) => parseYamlObjects(readInputText(file, file), file).flatMap(listItems));
}

// cdk8s's own YAML parser (a bundled dependency of cdk8s, so always there), called directly: cdk8s's Yaml.load
// keeps whatever it could salvage from a broken document without a word, and reads each file in a child process.
interface YamlDocument {
  readonly errors: readonly { readonly message: string; readonly pos: [number, number]; readonly linePos?: [{ line: number; col: number }] }[];
  toJSON(): unknown;
}
const YAML = require(require.resolve('yaml', { paths: [dirname(require.resolve('cdk8s'))] })) as {
  parseAllDocuments(text: string, options: { version: '1.1'; prettyErrors: boolean }): YamlDocument[];
};

/** The documents of one YAML text; a syntax error names the file and the line (`dist/app.yaml:12`). */
function parseYamlObjects(text: string, file: string): K8sObject[] {
  const documents = YAML.parseAllDocuments(text, { version: '1.1', prettyErrors: false });
  for (const document of documents) {
    const error = document.errors[0];
    if (error) {
      const line = error.linePos?.[0].line ?? text.slice(0, error.pos[0]).split('\n').length;
      throw new UserInputError(`${file}:${line}`, `is not valid YAML: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}. Fix the file (it was not read at all, so nothing in it was used).`);
    }
  }
  return documents.map((d) => d.toJSON() as unknown).filter((o): o is K8sObject => o !== null && typeof o === 'object' && !Array.isArray(o));
}

/** The items of a `kind: List` (kubectl's, or a typed `SecretList` from the API), or the object itself. */
function listItems(object: K8sObject): K8sObject[] {
  const items = (object as { items?: unknown }).items;
  if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(items)) {
    return items.filter((o): o is K8sObject => o !== null && typeof o === 'object' && !Array.isArray(o)).flatMap(listItems);
  }
  return [object];
}

/** The `.yaml`/`.yml` files under `dir`, sorted by relative path, without following symbolic links. */
function yamlFilesUnder(dir: string, onSymlink: (path: string) => void): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isSymbolicLink()) onSymlink(path);
      else if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) files.push(path);
    }
  };
  walk(dir);
  return files.sort((a, b) => (relative(dir, a) < relative(dir, b) ? -1 : 1));
}

/**
 * A Secret's values as the API server stores them: `data` base64-decoded, then each `stringData` key written
 * over it (stringData is write-only and wins). A key in both is a warning: the `data` value shown is not served.
 */
function secretValues(findings: Findings, field: string, secret: K8sObject): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, b64] of Object.entries(secret.data ?? {})) values[key] = Buffer.from(String(b64), 'base64').toString('utf8');
  for (const [key, text] of Object.entries(secret.stringData ?? {})) {
    if (key in values) {
      findings.warn('MTLS059', `${field} ${key}`, `is set in both data and stringData. The API server writes the stringData value over the data one, so the certificate or CRL seen in data is not what the controller gets. Keep the key in one of them.`);
    }
    values[key] = String(text);
  }
  return values;
}

/** What a target's `read` works on: the objects, their Secrets by `namespace/name`, and the Secrets' values. */
export function manifestReadContext(findings: Findings, objects: readonly K8sObject[], source: string): ReadContext {
  const secrets = new Map(objects.filter((o) => o.kind === 'Secret').map((s) => [`${s.metadata?.namespace ?? ''}/${s.metadata?.name}`, s]));
  const merged = new Map<K8sObject, Record<string, string>>();
  return {
    findings, objects, source,
    secret: (namespace, name) => secrets.get(`${namespace}/${name}`),
    /** Each Secret's values, merged once (so a Secret two routes use is warned about once). */
    secretValues: (secret, field) => {
      if (!merged.has(secret)) merged.set(secret, secretValues(findings, field, secret));
      return merged.get(secret)!;
    },
  };
}

/**
 * Checks synthesized manifests as each controller will read them: every mTLS setup any target finds (an Ingress
 * with ingress-nginx's or HAProxy Ingress's auth-tls annotations, an F5 Policy with ingressMTLS and the Ingress or
 * VirtualServer naming it, an Envoy Gateway ClientTrafficPolicy, a Contour HTTPProxy, an Istio Gateway, a Traefik
 * TLSOption), its TLS Secret and its CA and CRL Secrets, through the same annotation and field tables the
 * construct writes with. Meant for CI and for a cron job that warns before a CRL expires.
 */
export function checkManifests(dir: string, options: CheckManifestsOptions = {}): Finding[] {
  const findings = new Findings();
  const objects = loadManifestObjects(dir, (link) => findings.warn('MTLS064', link, `is a symbolic link; it was not followed (it may point outside "${dir}" or back into it), so anything behind it was not checked. Check its target directly: mtls-pki check --manifests <target>.`));
  const thresholds = {
    now: options.now ?? new Date(),
    crlMinValidityDays: options.crlMinValidityDays ?? DEFAULT_CRL_MIN_VALIDITY_DAYS,
    serverMinValidityDays: options.serverMinValidityDays ?? DEFAULT_SERVER_MIN_VALIDITY_DAYS,
  };
  const context = manifestReadContext(findings, objects, dir);
  const before = findings.all.length;
  const found = IngressController.all().flatMap((target) => target.read(context).map((deployed) => ({ target, deployed })));
  // A route whose mTLS objects are all outside the folder is reported by its target, not "nothing to check".
  if (found.length === 0 && findings.all.length === before) {
    throw new UserInputError('--manifests', `"${dir}" holds no mTLS setup of a known controller (an Ingress with the nginx.ingress.kubernetes.io/auth-tls-secret or haproxy-ingress.github.io/auth-tls-secret annotation, an F5 Policy with ingressMTLS that an Ingress or VirtualServer names, an Envoy Gateway ClientTrafficPolicy with tls.clientValidation, a Contour HTTPProxy with clientValidation, an Istio Gateway with a MUTUAL server, or a Traefik TLSOption with clientAuth); nothing to check.`);
  }
  for (const { target, deployed } of found) checkSetup(findings, target, setupOf(deployed), thresholds);
  return [...findings.all];
}

/** A setup read from manifests, in the shape the construct's props are checked in. */
function setupOf(d: DeployedMtls) {
  const trust = d.clientTrust;
  return {
    hosts: d.hosts, namespace: d.namespace, clientCaSecretNamespace: d.clientCaSecretNamespace, allowCrossNamespace: false, names: {},
    settings: d.settings, backend: d.backend, path: d.path, pathType: d.pathType, extraAnnotations: {}, asDeployed: true, fieldOf: d.fieldOf, dataPlane: d.dataPlane,
    material: {
      servers: d.serverTls.map((t) => ({
        hosts: t.hosts, certificateChainPem: t.chainPem, privateKeyPem: t.keyPem, chainField: `${t.field} tls.crt`, keyField: `${t.field} tls.key`, secret: { field: t.field, name: t.secretName },
      })),
      ...(trust ? {
        clientTrust: {
          clientCaPem: trust.caPem, crlPem: trust.crlPem, crlElsewhere: trust.crlElsewhere,
          caField: trust.caField ?? `${trust.field} ca.crt`, crlField: trust.crlField ?? `${trust.field} ca.crl`, secret: { field: trust.field, name: trust.secretName, alsoHolds: trust.alsoHolds },
        },
      } : {}),
    },
  };
}
