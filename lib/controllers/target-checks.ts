// Checks that several targets make in the same words, each naming its own controller: route shapes a resource
// cannot hold, a verify depth no setting can limit, verify-client values a controller has no form for, CRL
// checking restricted to the client certificate, and fields newer than the controller version in use.
import type { Findings } from '../checks/finding';
import type { TargetCheckInput } from './controller';

/** MTLS080: the route object serves one host (`what`, e.g. "a VirtualServer"); `alternative` starts with ", or". */
export function requireOneHost(findings: Findings, input: TargetCheckInput, what: string, alternative = ''): void {
  if (input.hosts.length > 1) {
    findings.error('MTLS080', input.fieldOf('hosts'), `lists ${input.hosts.length} hosts, but ${what} serves one. Use one MtlsIngress per host${alternative}.`);
  }
}

/** MTLS080: the route object names the backend by port number only (`what`, e.g. "a VirtualServer upstream"). */
export function requirePortNumber(findings: Findings, input: TargetCheckInput, what: string): void {
  if (typeof input.backend.port !== 'number') {
    findings.error('MTLS080', input.fieldOf('backend.port'), `is the port name "${input.backend.port}", but ${what} takes a port number. Give the Service's port number.`);
  }
}

/** MTLS080: verifyClient values the controller has no form for (the others are warned about by the common checks). */
export function refuseVerifyClient(findings: Findings, input: TargetCheckInput, expressible: readonly string[], controller: string): void {
  const { verifyClient } = input.settings;
  if (['off', 'optional_no_ca'].includes(verifyClient) && !expressible.includes(verifyClient)) {
    findings.error('MTLS080', input.fieldOf('verifyClient'), `is "${verifyClient}", which ${controller} cannot express here: it verifies every client certificate it asks for. Use ${expressible.map((v) => `"${v}"`).join(' or ')}.`);
  }
}

/** The most intermediates a client of this bundle can have above it (0 when every CA is a root). */
function deepestClientChain(cas: readonly { readonly selfIssued: boolean; readonly subjectDerHex: string; readonly issuerDerHex: string }[]): number {
  const depthOf = (ca: typeof cas[number], seen: number): number => {
    if (ca.selfIssued || seen > cas.length) return 0;
    const issuer = cas.find((c) => c.subjectDerHex === ca.issuerDerHex && c !== ca);
    return 1 + (issuer ? depthOf(issuer, seen + 1) : 0);
  };
  return Math.max(0, ...cas.map((ca) => depthOf(ca, 0)));
}

/**
 * MTLS085: the controller has no verify-depth setting and its data plane (`server`) checks chains of any depth,
 * so a verifyDepth below what the bundle holds would admit clients nginx refuses.
 */
export function checkDepthUnenforced(findings: Findings, input: TargetCheckInput, controller: string, server: string): void {
  const { verifyDepth } = input.settings;
  const depth = input.trust ? deepestClientChain(input.trust.cas) : 0;
  if (verifyDepth !== undefined && depth > verifyDepth) {
    findings.error('MTLS085', input.fieldOf('verifyDepth'), `is ${verifyDepth}, but the client CA bundle holds a CA with ${depth} intermediate(s) between its clients and the root. ${controller} has no verify-depth setting and ${server} checks chains of any depth, so those clients would be admitted where nginx refuses them. Remove the deeper CAs from clientCaPem, or set verifyDepth to ${depth} to admit them on purpose.`);
  }
}

/** MTLS103: CRL checking for the client certificate only was chosen (Envoy's only_verify_leaf_cert_crl). */
export function warnLeafOnlyCrl(findings: Findings, field: string, controller: string): void {
  findings.warn('MTLS103', field, `makes ${controller} check only the client certificate against the CRL, not the CAs above it: a revoked intermediate CA's clients are still admitted (200). Keep it only if intermediates are never revoked; otherwise turn it off and give the CRL of every CA in the chain.`);
}

/** Compares dotted versions (`v1.6.2`, `1.24`): negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, '').split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/**
 * MTLS105: a field the target writes for this setting exists only from `since`. With the version the user runs
 * (`inUse`) older, an error; without it, a warning whenever the field is newer than the target's minimum.
 */
export function checkFieldVersion(
  findings: Findings, field: string, what: { readonly controller: string; readonly object: string; readonly since: string; readonly minimum: string; readonly inUse?: string; readonly optionName: string },
): void {
  const { controller, object, since, minimum, inUse, optionName } = what;
  if (inUse !== undefined && compareVersions(inUse, since) < 0) {
    findings.error('MTLS105', field, `needs ${object}, which ${controller} has only from ${since}; ${inUse} (${optionName}) does not know the field, so \`kubectl apply\` refuses it (unknown field) or drops it. Upgrade ${controller}, or leave the setting out.`);
  } else if (inUse === undefined && compareVersions(since, minimum) > 0) {
    findings.warn('MTLS105', field, `needs ${object}, which ${controller} has only from ${since} (the target's minimum is ${minimum}); older releases do not know the field, so \`kubectl apply\` refuses it (unknown field) or drops it. Run ${since} or later and say so with ${optionName}: '${since}' to silence this.`);
  }
}
