// What the three targets whose data plane is Envoy (Envoy Gateway, Contour, Istio) share: Envoy refuses a client
// in the TLS handshake (no HTTP status, no page), loads the CRLs into its validation context, and tells the
// backend nothing of the client unless x-forwarded-client-cert is set up.
import type { DataPlaneBehaviour } from '../checks/data-plane';
import type { Findings } from '../checks/finding';
import type { SettingsWording } from '../checks/ingress-settings';
import type { TargetCheckInput } from './controller';
import { checkDepthUnenforced, checkFieldVersion, refuseVerifyClient, requireOneHost, requirePortNumber, warnLeafOnlyCrl } from './target-checks';

/** Envoy as the data plane; `crlExpiry` says what the controller in front of it does once a CRL expires. */
export function envoyDataPlane(crlExpiry: string, leafOnlyCrl = false): DataPlaneBehaviour {
  return { server: 'Envoy', refusal: 'a failed TLS handshake', crlSetting: 'crl (validation context)', crlExpiry, leafOnlyCrl };
}

/** When the controller only hands the CRL to Envoy: Envoy then refuses every client certificate. */
export function envoyRefusesExpiredCrl(controller: string): string {
  return `${controller} does not look at the CRL's dates; Envoy then refuses every client certificate ("CRL has expired"): the TLS handshake fails for every client`;
}

/** How the settings checks speak of an Envoy-based controller. */
export function envoyWording(controller: string, mode: string): SettingsWording {
  return {
    controller, invalidVerifyClient: `${controller} has no such ${mode}`, invalidVerifyDepth: `${controller} has no depth setting at all`,
    unverifiedClient: 'and nothing tells the backend whether a certificate was verified', backendCheck: 'the x-forwarded-client-cert header',
  };
}

/** Why errorPage is refused: there is no HTTP exchange to answer with a page. */
export function envoyNoErrorPage(controller: string): string {
  return `${controller} has no page for refused clients: Envoy ends the TLS handshake before any HTTP exchange. Remove errorPage.`;
}

/** What an Envoy-based target declares for the checks they share. */
export interface EnvoyTargetChecks {
  readonly controller: string;
  readonly minimumVersion: string;
  /** The route object when it serves one host only (e.g. "an HTTPProxy virtual host"). */
  readonly oneHost?: string;
  /** The object that names the backend by port number (e.g. "an HTTPRoute backendRef"). */
  readonly portNumber: string;
  /** Leaf-only CRL checking was chosen in the target's options. */
  readonly leafOnlyCrl?: boolean;
  /** The field verifyClient "optional" writes, when it is newer than the target's minimum. */
  readonly optionalField?: { readonly object: string; readonly since: string; readonly inUse?: string; readonly optionName: string };
}

/**
 * The checks every Envoy-based target makes: one host, port numbers, leaf-only CRL checking (MTLS103) and the
 * verify-client values it cannot write (MTLS080) on the props only (manifests hold what was written); the version
 * of the field "optional" needs (MTLS105), and no verify depth (MTLS085).
 */
export function checkEnvoyTarget(findings: Findings, input: TargetCheckInput, target: EnvoyTargetChecks): void {
  if (!input.asDeployed) {
    if (target.oneHost) requireOneHost(findings, input, target.oneHost);
    requirePortNumber(findings, input, target.portNumber);
    if (target.leafOnlyCrl) warnLeafOnlyCrl(findings, 'leafOnlyCrl', target.controller);
    // deployed, a mode that verifies nothing (skipClientCertValidation, RequireAny) is MTLS054's to warn about
    refuseVerifyClient(findings, input, ['on', 'optional'], target.controller);
  }
  if (input.settings.verifyClient === 'optional' && target.optionalField) {
    checkFieldVersion(findings, input.fieldOf('verifyClient'), { controller: target.controller, minimum: target.minimumVersion, ...target.optionalField });
  }
  checkDepthUnenforced(findings, input, target.controller, 'Envoy');
}
