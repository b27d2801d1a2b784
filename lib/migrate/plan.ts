// What one ingress-nginx mTLS setup becomes on another target: each setting carried over, each one that cannot
// be (a loss), and the MtlsIngress props that emit the rest. Read through the ingress-nginx target's own
// annotation table (AUTH_TLS), the same one it writes with; nothing here parses an annotation a second time.
import type { MtlsIngressProps } from '../constructs/mtls-ingress';
import type { ControllerTarget, DeployedMtls, ManifestObject, OptionalSetting, ReadContext } from '../controllers/controller';
import { AUTH_TLS, AuthTls } from '../controllers/ingress-nginx';
import type { VerifyClient } from '../checks/ingress-settings';

/** A setting that reaches the target (`to` says how, when it changes form). */
export interface CarriedSetting {
  /** The annotation or field it was read from, e.g. `nginx.ingress.kubernetes.io/auth-tls-verify-client`. */
  readonly from: string;
  readonly value: string;
  readonly to: string;
}

/** A setting the target cannot express: refused unless --allow-loss, then listed as dropped. */
export interface LostSetting {
  readonly from: string;
  readonly value: string;
  /** What users would see without it, and what to do instead. */
  readonly why: string;
}

export interface MigrationPlan {
  /** e.g. `Ingress odcp/mtls-test-ingress`. */
  readonly source: string;
  readonly carried: readonly CarriedSetting[];
  readonly lost: readonly LostSetting[];
  /** Changes that are not losses but that the user must know before applying (a class or Secret type change). */
  readonly notes: readonly string[];
  /** Why the setup cannot be migrated at all (no CA Secret, no TLS Secret, no CRL without consent). */
  readonly refusals: readonly string[];
  /** The objects of the input this setup was made of (the Ingress and its Secrets). */
  readonly inputObjects: readonly ManifestObject[];
  /** The construct's props, without the lost settings; undefined when refused. */
  readonly props?: MtlsIngressProps;
  /** Where each of the construct's prop names comes from in the input: a finding on `crlPem` is about `Secret odcp/x ca.crl`. */
  readonly fieldOf: (prop: string) => string;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface PlanOptions {
  readonly allowNoCrl: boolean;
  readonly now?: Date;
  readonly crlMinValidityDays?: number;
  readonly serverMinValidityDays?: number;
}

/** The plan for one setup that the ingress-nginx target read from the input. */
export function planMigration(context: ReadContext, deployed: DeployedMtls, target: ControllerTarget, options: PlanOptions): MigrationPlan {
  const ingress = deployed.route ?? {};
  const namespace = deployed.namespace;
  const annotations = ingress.metadata?.annotations ?? {};
  const carried: CarriedSetting[] = [];
  const lost: LostSetting[] = [];
  const notes: string[] = [];
  const refusals: string[] = [];
  const trust = deployed.clientTrust;
  const tls = deployed.serverTls[0];
  const caField = trust?.field ?? 'the client CA Secret';
  const tlsField = tls?.field ?? 'the TLS Secret';

  // The auth-tls annotations, through the table ingress-nginx writes them with.
  const settings = AUTH_TLS.read(annotations);
  const kept: { -readonly [K in keyof AuthTls]?: AuthTls[K] } = {};
  for (const setting of Object.keys(settings) as (keyof AuthTls)[]) {
    const from = AUTH_TLS.keyOf(setting);
    const value = annotations[from];
    // The table's settings are the intent's (but `secret`): the target's `unsupported` says which it cannot express.
    const isSet = setting === 'passCertificateToUpstream' ? settings.passCertificateToUpstream === true : settings[setting] !== undefined;
    const why = setting !== 'secret' && isSet ? target.unsupported[setting as OptionalSetting] : undefined;
    if (why !== undefined) {
      lost.push({ from, value, why: `${why} (--allow-loss migrates without it.)` });
      continue;
    }
    (kept as Record<string, unknown>)[setting] = settings[setting];
    carried.push({ from, value, to: setting === 'secret' ? `Secret ${namespace}/${trust?.secretName ?? value} (${target.secrets.clientTrust.type}, ${target.secrets.clientTrust.caKey}${trust?.crlPem !== undefined ? ` + ${target.secrets.clientTrust.crlKey}` : ''})` : `${setting} "${value}" on ${target.displayName}` });
  }

  // Every other annotation: ingress-nginx's own are lost (the target does not read them); the rest are copied.
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations)) {
    if (AUTH_TLS.keys.includes(key) || key === LAST_APPLIED) continue;
    if (key.startsWith(AUTH_TLS.prefix)) {
      lost.push({ from: key, value, why: `an ingress-nginx annotation that ${target.displayName} does not read, so the behaviour it sets is gone. Configure the equivalent on ${target.displayName} by hand after the migration, then pass --allow-loss.` });
    } else {
      extra[key] = value;
      carried.push({ from: key, value, to: 'the same annotation on the route object' });
    }
  }

  lostSpecFields(ingress, deployed, lost);
  const className = ingress.spec?.ingressClassName;
  const newClass = target.defaultIngressClassName;
  notes.push(className === newClass
    ? `spec.ingressClassName stays "${newClass}", which is also ${target.displayName}'s default: make sure the IngressClass "${newClass}" in the cluster names ${target.displayName}'s controller, not ingress-nginx's, or ingress-nginx keeps serving the host.`
    : `spec.ingressClassName ${className === undefined ? '(none)' : `"${className}"`} becomes "${newClass}", ${target.displayName}'s default class: the host is then served by ${target.displayName} (${target.minimumVersion} or newer), not ingress-nginx.`);
  notes.push(`The objects keep their names and namespace: applying them replaces the ingress-nginx ones (a cut-over). To run both side by side, apply them into another namespace.`);

  if (trust && deployed.clientCaSecretNamespace !== namespace) {
    notes.push(`${caField} is in another namespace than the Ingress (ingress-nginx's allowCrossNamespaceResources); the migrated one is written into "${namespace}", where ${target.displayName} looks for it.`);
  }
  if (!trust) refusals.push(`${deployed.where}: its client CA Secret is not usable in the input (see the findings above); give the file or folder that holds it.`);
  if (!tls) refusals.push(`${deployed.where}: none of the TLS Secrets of spec.tls is in the input; give the file or folder that holds it (kubectl get secret -o yaml).`);
  if (trust && trust.crlPem === undefined) {
    const message = `${caField} has no ca.crl: revocation is not checked today, and would not be on ${target.displayName} either (a revoked client certificate gets in until it expires). Add the CRL to the Secret (mtls-pki crl writes it) and migrate again`;
    if (options.allowNoCrl) notes.push(`${message}; --allow-no-crl was given, so the manifests are written without one.`);
    else refusals.push(`${message}, or pass --allow-no-crl to migrate without revocation on purpose.`);
  }
  for (const [field, source, shape] of [[caField, trust && context.secret(namespace ?? '', trust.secretName), target.secrets.clientTrust], [tlsField, tls && context.secret(namespace ?? '', tls.secretName), target.secrets.serverTls]] as const) {
    const type = source?.type ?? 'Opaque';
    if (source && type !== shape.type) {
      notes.push(`${field} changes type from "${type}" to "${shape.type}": a Secret's type cannot be changed in place, so \`kubectl apply\` fails with "field is immutable" while the old one exists. Delete the old Secret first (the old controller then loses it), or apply into a new namespace.`);
    }
  }

  const inputObjects = [ingress, ...[trust && context.secret(namespace ?? '', trust.secretName), tls && context.secret(namespace ?? '', tls.secretName)].filter((o): o is ManifestObject => o !== undefined)];
  const fieldOf = fieldsOfProps(deployed, caField, tlsField);
  if (refusals.length || !trust || !tls) return { source: deployed.where, carried, lost, notes, refusals, inputObjects, fieldOf };
  const props: MtlsIngressProps = {
    controller: target, namespace, hosts: deployed.hosts, backend: deployed.backend, path: deployed.path, pathType: deployed.pathType as MtlsIngressProps['pathType'],
    serverTls: { certificateChainPem: tls.chainPem, privateKeyPem: tls.keyPem }, clientCaPem: trust.caPem, crlPem: trust.crlPem,
    verifyClient: (kept.verifyClient ?? 'on') as VerifyClient, verifyDepth: kept.verifyDepth ?? 1, errorPage: kept.errorPage, matchCn: kept.matchCn, passCertificateToUpstream: kept.passCertificateToUpstream,
    ingressName: ingress.metadata?.name, serverSecretName: tls.secretName, clientCaSecretName: trust.secretName,
    annotations: extra, ...(ingress.metadata?.labels ? { labels: { ...ingress.metadata.labels } } : {}),
    now: options.now, crlMinValidityDays: options.crlMinValidityDays, serverCertificateMinValidityDays: options.serverMinValidityDays,
  };
  return { source: deployed.where, carried, lost, notes, refusals, inputObjects, props, fieldOf };
}

/** The parts of the Ingress spec the construct's one-backend shape cannot hold: each is a loss. */
function lostSpecFields(ingress: ManifestObject, deployed: DeployedMtls, lost: LostSetting[]): void {
  const spec = ingress.spec ?? {};
  const port = (p: { number?: number; name?: string } | undefined) => String(p?.number ?? p?.name ?? '');
  const first = `${deployed.path} ${deployed.pathType} → ${deployed.backend.serviceName}:${deployed.backend.port}`;
  const why = `the migrated route sends every host's ${deployed.path} to ${deployed.backend.serviceName}:${deployed.backend.port} (the first rule's path), so requests this one routes elsewhere would go there or get 404. Add the route by hand on the target after the migration, then pass --allow-loss.`;
  if (spec.defaultBackend) lost.push({ from: 'spec.defaultBackend', value: `${spec.defaultBackend.service?.name ?? spec.defaultBackend.resource?.name ?? ''}:${port(spec.defaultBackend.service?.port)}`, why });
  (spec.rules ?? []).forEach((rule: { host?: string; http?: { paths?: any[] } }, i: number) => {
    if (!rule.host) lost.push({ from: `spec.rules[${i}]`, value: '(no host)', why });
    (rule.http?.paths ?? []).forEach((p, j) => {
      const shape = `${p.path ?? '/'} ${p.pathType ?? 'ImplementationSpecific'} → ${p.backend?.service?.name ?? p.backend?.resource?.name ?? ''}:${port(p.backend?.service?.port)}`;
      if (shape !== first) lost.push({ from: `spec.rules[${i}].http.paths[${j}]`, value: shape, why });
    });
  });
  const secrets = [...new Set((spec.tls ?? []).map((t: { secretName?: string }) => t.secretName))];
  secrets.slice(1).forEach((name) => lost.push({ from: 'spec.tls', value: `secretName ${String(name)}`, why: `the migrated route serves every host with the first TLS Secret (${String(secrets[0])}), so clients of the hosts this one covered would get a certificate for other names (curl: (60)). Migrate those hosts separately, then pass --allow-loss.` }));
}

/** Maps the construct's prop names in findings to the input's annotations and Secret keys. */
function fieldsOfProps(deployed: DeployedMtls, caField: string, tlsField: string): (prop: string) => string {
  const annotation = (s: keyof AuthTls) => `${deployed.where} ${AUTH_TLS.keyOf(s)}`;
  const fields: Record<string, string> = {
    'serverTls.certificateChainPem': `${tlsField} tls.crt`, 'serverTls.privateKeyPem': `${tlsField} tls.key`, serverTls: tlsField,
    clientCaPem: `${caField} ca.crt`, crlPem: `${caField} ca.crl`, verifyClient: annotation('verifyClient'), verifyDepth: annotation('verifyDepth'),
    errorPage: annotation('errorPage'), matchCn: annotation('matchCn'), passCertificateToUpstream: annotation('passCertificateToUpstream'),
    hosts: `${deployed.where} spec.rules[].host`, 'backend.port': `${deployed.where} spec.rules[0].http.paths[0].backend.service.port`,
    ingressName: `${deployed.where} metadata.name`, serverSecretName: `${deployed.where} spec.tls[0].secretName`, clientCaSecretName: annotation('secret'),
  };
  return (prop) => {
    const head = Object.keys(fields).sort((a, b) => b.length - a.length).find((k) => prop === k || prop.startsWith(`${k} `));
    return head === undefined ? `${deployed.where} (${prop})` : `${fields[head]}${prop.slice(head.length)}`;
  };
}
