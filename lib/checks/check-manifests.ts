import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Yaml } from 'cdk8s';
import { UserInputError } from '../pki';
import { checkClientTrust } from './client-trust';
import { DEFAULT_CRL_MIN_VALIDITY_DAYS, DEFAULT_SERVER_MIN_VALIDITY_DAYS } from './check-files';
import { Finding, Findings } from './finding';
import { checkIngressSettings } from './ingress-settings';
import { checkSecretSize } from './secret-size';
import { checkServerTls } from './server-tls';

const PREFIX = 'nginx.ingress.kubernetes.io/';

interface K8sObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly annotations?: Record<string, string> };
  readonly type?: string;
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
  readonly spec?: any;
}

export interface CheckManifestsOptions {
  readonly now?: Date;
  readonly crlMinValidityDays?: number;
  readonly serverMinValidityDays?: number;
}

/**
 * Every YAML document under `dir` (a folder like `dist/`, or one file). Symbolic links inside the folder are not
 * followed (a link back into the folder would be walked forever); each one is passed to `onSymlink`. `dir` itself
 * may be a link: the user named it.
 */
export function loadManifestObjects(dir: string, onSymlink: (path: string) => void = () => undefined): K8sObject[] {
  let files: string[];
  try {
    files = statSync(dir).isDirectory() ? yamlFilesUnder(dir, onSymlink) : [dir];
  } catch (e) {
    throw new UserInputError('--manifests', `cannot read "${dir}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the folder cdk8s synthesized into, e.g. dist/.`);
  }
  return files.flatMap((file) => {
    try {
      return (Yaml.load(file) as K8sObject[]).filter((o) => o && typeof o === 'object');
    } catch (e) {
      throw new UserInputError(file, `is not valid YAML (${(e as Error).message.split('\n')[0]}).`);
    }
  });
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
      findings.warn('MTLS059', `${field} ${key}`, `is set in both data and stringData. The API server writes the stringData value over the data one, so the certificate or CRL seen in data is not what nginx gets. Keep the key in one of them.`);
    }
    values[key] = String(text);
  }
  return values;
}

/**
 * Checks synthesized manifests as the controller will read them: every Ingress with auth-tls annotations,
 * its TLS secret and its CA secret. Meant for CI and for a cron job that warns before a CRL expires.
 */
export function checkManifests(dir: string, options: CheckManifestsOptions = {}): Finding[] {
  const findings = new Findings();
  const objects = loadManifestObjects(dir, (link) => findings.warn('MTLS064', link, `is a symbolic link; it was not followed (it may point outside "${dir}" or back into it), so anything behind it was not checked. Check its target directly: mtls-pki check --manifests <target>.`));
  const now = options.now ?? new Date();
  const secrets = new Map(objects.filter((o) => o.kind === 'Secret').map((s) => [`${s.metadata?.namespace ?? ''}/${s.metadata?.name}`, s]));
  const merged = new Map<K8sObject, Record<string, string>>();
  /** Each Secret's values, merged once (so a Secret two Ingresses use is warned about once). */
  const valuesOf = (secret: K8sObject, field: string) => {
    if (!merged.has(secret)) merged.set(secret, secretValues(findings, field, secret));
    return merged.get(secret)!;
  };
  const ingresses = objects.filter((o) => o.kind === 'Ingress' && o.metadata?.annotations?.[`${PREFIX}auth-tls-secret`] !== undefined);
  if (ingresses.length === 0) {
    throw new UserInputError('--manifests', `"${dir}" holds no Ingress with the nginx.ingress.kubernetes.io/auth-tls-secret annotation; nothing to check.`);
  }
  for (const ingress of ingresses) {
    const name = ingress.metadata?.name ?? '(unnamed)';
    const namespace = ingress.metadata?.namespace;
    const a = ingress.metadata?.annotations ?? {};
    const at = (field: string) => `Ingress ${namespace}/${name} ${field}`;
    const [secretNs, secretName] = (a[`${PREFIX}auth-tls-secret`] ?? '').includes('/') ? a[`${PREFIX}auth-tls-secret`].split('/', 2) : [namespace ?? '', a[`${PREFIX}auth-tls-secret`]];
    const hosts: string[] = (ingress.spec?.rules ?? []).map((r: { host?: string }) => r.host).filter(Boolean);
    const backend = ingress.spec?.rules?.[0]?.http?.paths?.[0];
    checkIngressSettings(findings, {
      hosts, namespace, clientCaSecretNamespace: secretNs, allowCrossNamespace: false, names: {},
      verifyClient: a[`${PREFIX}auth-tls-verify-client`] ?? 'on',
      verifyDepth: a[`${PREFIX}auth-tls-verify-depth`] === undefined ? 1 : Number(a[`${PREFIX}auth-tls-verify-depth`]),
      errorPage: a[`${PREFIX}auth-tls-error-page`], matchCn: a[`${PREFIX}auth-tls-match-cn`], matchCnAsDeployed: true,
      backend: { serviceName: backend?.backend?.service?.name ?? '', port: backend?.backend?.service?.port?.number ?? backend?.backend?.service?.port?.name ?? 0 },
      path: backend?.path ?? '/', pathType: backend?.pathType ?? 'ImplementationSpecific', extraAnnotations: {}, annotationPrefix: PREFIX,
    });
    const caSecret = secrets.get(`${secretNs}/${secretName}`);
    if (!caSecret) {
      findings.warn('MTLS070', at('auth-tls-secret'), `names Secret "${secretNs}/${secretName}", which is not in "${dir}"; it cannot be checked here. If it is missing in the cluster, ingress-nginx answers 403 for the host.`);
    } else {
      const ca = valuesOf(caSecret, `Secret ${secretNs}/${secretName}`);
      const caPem = ca['ca.crt'];
      if (caPem === undefined) {
        findings.error('MTLS070', `Secret ${secretNs}/${secretName}`, 'has no ca.crt. ingress-nginx then logs "mutual authentication disabled" and admits every client (fail-open). Add the client CA as ca.crt.');
      } else {
        const crlPem = ca['ca.crl'];
        const trust = checkClientTrust(findings, { clientCaPem: caPem, crlPem }, {
          now, crlMinValidityDays: options.crlMinValidityDays ?? DEFAULT_CRL_MIN_VALIDITY_DAYS,
          caField: `Secret ${secretNs}/${secretName} ca.crt`, crlField: `Secret ${secretNs}/${secretName} ca.crl`,
        });
        checkSecretSize(findings, `Secret ${secretNs}/${secretName}`, secretName, { 'ca.crt': caPem, ...(crlPem ? { 'ca.crl': crlPem } : {}) }, trust?.crls.reduce((n, c) => n + c.entries.length, 0));
      }
    }
    for (const tls of ingress.spec?.tls ?? []) {
      const tlsSecret = secrets.get(`${namespace ?? ''}/${tls.secretName}`);
      if (!tlsSecret) continue;
      const field = `Secret ${namespace}/${tls.secretName}`;
      const tlsValues = valuesOf(tlsSecret, field);
      checkServerTls(findings, { certificateChainPem: tlsValues['tls.crt'] ?? '', privateKeyPem: tlsValues['tls.key'] ?? '' }, {
        hosts: tls.hosts ?? hosts, now, minValidityDays: options.serverMinValidityDays ?? DEFAULT_SERVER_MIN_VALIDITY_DAYS,
        chainField: `${field} tls.crt`, keyField: `${field} tls.key`,
      });
    }
  }
  return [...findings.all];
}
