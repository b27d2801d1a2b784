// Gateway API (gateway.networking.k8s.io/v1) as the Gateway-based targets write and read it: the path match of
// an HTTPRoute, a listener with the routes attached to it, and the Secret or ConfigMap references
// (SecretObjectReference) that policies name their CA and CRLs with.
import type { Findings } from '../checks/finding';
import { splitPem } from '../pki/pem';
import type { DeployedMtls, ManifestObject, MtlsIntent, ReadContext } from './controller';
import { isKind } from './read';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** An HTTPRoute path match for the intent's path: Exact stays Exact; Prefix and ImplementationSpecific are PathPrefix. */
export function pathMatchOf(intent: Pick<MtlsIntent, 'path' | 'pathType'>): { type: string; value: string } {
  return { type: intent.pathType === 'Exact' ? 'Exact' : 'PathPrefix', value: intent.path };
}

interface Attached extends Pick<DeployedMtls, 'hosts' | 'backend' | 'path' | 'pathType'> {
  /** The server certificates the listener(s) name. */
  readonly certificateRefs: readonly { readonly namespace: string; readonly name: string }[];
}

/**
 * The listener(s) of Gateway `namespace/gatewayName` (only `sectionName`, when given) and the first HTTPRoute
 * attached to them: hosts, backend and path as a route object would give them.
 */
export function gatewayHostsAndRoute(context: ReadContext, where: string, namespace: string, gatewayName: string, sectionName: string | undefined): Attached {
  const gateway = context.objects.find((o) => isKind(o, GATEWAY_API_GROUP, 'Gateway') && (o.metadata?.namespace ?? '') === namespace && o.metadata?.name === gatewayName);
  if (!gateway) {
    context.findings.warn('MTLS082', `${where} spec.targetRefs`, `names Gateway "${namespace}/${gatewayName}"${sectionName ? `, listener "${sectionName}"` : ''}, which is not in "${context.source}"; its host and server certificate cannot be checked here. If it is missing in the cluster, the policy applies to nothing.`);
  }
  const listeners = ((gateway?.spec?.listeners ?? []) as { name?: string; hostname?: string; tls?: { certificateRefs?: { name?: string; namespace?: string }[] } }[])
    .filter((l) => sectionName === undefined || l.name === sectionName);
  const routes = context.objects.filter((o) => isKind(o, GATEWAY_API_GROUP, 'HTTPRoute') && ((o.spec?.parentRefs ?? []) as { name?: string; namespace?: string; sectionName?: string }[])
    .some((p) => p.name === gatewayName && (p.namespace ?? o.metadata?.namespace ?? '') === namespace && (sectionName === undefined || p.sectionName === undefined || p.sectionName === sectionName)));
  const route = routes[0];
  const rule = route?.spec?.rules?.[0];
  const backendRef = rule?.backendRefs?.[0];
  const match = rule?.matches?.[0]?.path;
  const listenerHosts = listeners.map((l) => l.hostname).filter((h): h is string => typeof h === 'string');
  return {
    hosts: listenerHosts.length ? listenerHosts : ((route?.spec?.hostnames ?? []) as string[]),
    backend: { serviceName: backendRef?.name ?? '', port: backendRef?.port ?? 0 },
    path: match?.value ?? '/', pathType: match?.type === 'Exact' ? 'Exact' : 'Prefix',
    certificateRefs: listeners.flatMap((l) => l.tls?.certificateRefs ?? []).map((r) => ({ namespace: r.namespace ?? namespace, name: r.name ?? '' })),
  };
}

/** A Secret or ConfigMap reference's values (Secret data decoded; ConfigMap data as is), or a finding when it is not in the folder. */
export function readRefValues(context: ReadContext, field: string, ref: { kind?: string; name?: string; namespace?: string }, defaultNamespace: string) {
  const kind = ref.kind ?? 'Secret';
  const namespace = ref.namespace ?? defaultNamespace;
  const name = ref.name ?? '';
  const object: ManifestObject | undefined = kind === 'Secret' ? context.secret(namespace, name)
    : context.objects.find((o) => o.kind === kind && (o.metadata?.namespace ?? '') === namespace && o.metadata?.name === name);
  const objectField = `${kind} ${namespace}/${name}`;
  if (!object) {
    context.findings.warn('MTLS082', field, `names ${objectField}, which is not in "${context.source}"; it cannot be checked here. If it is missing in the cluster, the policy is rejected and every route of the listener answers 500.`);
    return undefined;
  }
  const values = kind === 'Secret' ? context.secretValues(object, objectField) : { ...(object.data ?? {}) };
  return { field: objectField, name, values };
}

/** What a CRL reference reader says about the controller, for its findings. */
interface CrlWording {
  readonly controller: string;
  /** What happens when a referenced object has no CRL under the key. */
  readonly missingKey: string;
  /** Why several PEM blocks in one reference are a problem, and the fix. */
  readonly oneBlockOnly: string;
}

/**
 * The CRLs of `refs` concatenated, as the controller hands them to Envoy: each object's `crlKey`, or its only
 * entry. MTLS104 for an object with several entries and none under the key; MTLS102 for a reference with more
 * than one PEM block.
 */
export function refCrls(
  context: ReadContext, field: string, refs: readonly { kind?: string; name?: string; namespace?: string }[], defaultNamespace: string, crlKey: string, wording: CrlWording,
): { crlPem?: string; crlField?: string; crlElsewhere?: string } {
  const { findings } = context;
  const texts: string[] = [];
  let unread = false;
  refs.forEach((ref, i) => {
    const read = readRefValues(context, `${field}[${i}]`, ref, defaultNamespace);
    if (!read) {
      unread = true;
      return;
    }
    const entries = Object.entries(read.values);
    const text = read.values[crlKey] ?? (entries.length === 1 ? entries[0][1] : undefined);
    if (text === undefined) {
      findings.error('MTLS104', read.field, `has no ${crlKey}${entries.length ? ` (it holds ${entries.map(([k]) => k).join(', ')})` : ''}: ${wording.missingKey}. Put the CRL under ${crlKey}.`);
      unread = true;
      return;
    }
    warnBlocks(findings, `${read.field} ${crlKey}`, text, wording.oneBlockOnly);
    texts.push(text.endsWith('\n') ? text : `${text}\n`);
  });
  if (!refs.length) return {};
  // A CRL object not in the folder (or unusable) is reported above; judging the others alone would claim a CA has no CRL.
  if (unread) return { crlElsewhere: `the objects named in ${field}` };
  return { crlPem: texts.join(''), crlField: `${field} (${texts.length} reference${texts.length > 1 ? 's' : ''})` };
}

/** MTLS102: more than one PEM block where the controller checks only the first. */
function warnBlocks(findings: Findings, field: string, text: string, why: string): void {
  let blocks = 0;
  try {
    blocks = splitPem(text, field).length;
  } catch {
    return; // the CRL checks report unreadable PEM
  }
  if (blocks > 1) findings.error('MTLS102', field, `holds ${blocks} PEM blocks. ${why}.`);
}
