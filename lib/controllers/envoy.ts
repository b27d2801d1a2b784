// What the three targets whose data plane is Envoy (Envoy Gateway, Contour, Istio) share: Envoy refuses a client
// in the TLS handshake (no HTTP status, no page), loads the CRLs into its validation context, and tells the
// backend nothing of the client unless x-forwarded-client-cert is set up.
import type { DataPlaneBehaviour } from '../checks/data-plane';
import type { SettingsWording } from '../checks/ingress-settings';

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
