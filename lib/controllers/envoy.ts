// What the three targets whose data plane is Envoy (Envoy Gateway, Contour, Istio) share: Envoy refuses a client
// in the TLS handshake (no HTTP status, no page), loads the CRLs into its validation context, and tells the
// backend nothing of the client unless x-forwarded-client-cert is set up.
import type { DataPlaneBehaviour } from '../checks/data-plane';
import type { Findings } from '../checks/finding';
import type { SettingsWording } from '../checks/ingress-settings';
import type { TargetCheckInput, TargetDeclaration } from './controller';
import { DeclaredTarget } from './controller';
import { checkDepthUnenforced, checkFieldVersion, refuseVerifyClient, requireOneHost, requirePortNumber, warnLeafOnlyCrl } from './target-checks';

/** Envoy as the data plane; `crlExpiry` says what the controller in front of it does once a CRL expires. */
function envoyDataPlane(crlExpiry: string, leafOnlyCrl = false): DataPlaneBehaviour {
  return { server: 'Envoy', refusal: 'a failed TLS handshake', crlSetting: 'crl (validation context)', crlExpiry, leafOnlyCrl };
}

/** When the controller only hands the CRL to Envoy: Envoy then refuses every client certificate. */
function envoyRefusesExpiredCrl(controller: string): string {
  return `${controller} does not look at the CRL's dates; Envoy then refuses every client certificate ("CRL has expired"): the TLS handshake fails for every client`;
}

/** How the settings checks speak of an Envoy-based controller. */
function envoyWording(controller: string, mode: string): SettingsWording {
  return {
    controller, invalidVerifyClient: `${controller} has no such ${mode}`, invalidVerifyDepth: `${controller} has no depth setting at all`,
    unverifiedClient: 'and nothing tells the backend whether a certificate was verified', backendCheck: 'the x-forwarded-client-cert header',
  };
}

/** Why errorPage is refused: there is no HTTP exchange to answer with a page. */
function envoyNoErrorPage(controller: string): string {
  return `${controller} has no page for refused clients: Envoy ends the TLS handshake before any HTTP exchange. Remove errorPage.`;
}

/** What an Envoy-based target declares: its identity, how it words things, and what the family's checks need. */
export interface EnvoyTargetDeclaration extends Pick<TargetDeclaration, 'name' | 'displayName' | 'minimumVersion' | 'defaultIngressClassName' | 'secrets'> {
  /** What the controller calls its verification mode, in "has no such …". */
  readonly modeWord: string;
  /** What users see when the CRL has expired. @default - Envoy refuses every client certificate */
  readonly crlExpiry?: string;
  /** Leaf-only CRL checking was chosen in the target's options. */
  readonly leafOnlyCrl?: boolean;
  /** Why matchCn and passCertificateToUpstream cannot be expressed, in this controller's words. */
  readonly unsupported: Required<Pick<TargetDeclaration['unsupported'], 'matchCn' | 'passCertificateToUpstream'>>;
  /** The route object when it serves one host only (e.g. "an HTTPProxy virtual host"). */
  readonly oneHost?: string;
  /** The object that names the backend by port number (e.g. "an HTTPRoute backendRef"). */
  readonly portNumber: string;
  /** The field verifyClient "optional" writes, when it is newer than the target's minimum. */
  readonly optionalField?: { readonly object: string; readonly since: string; readonly inUse?: string; readonly optionName: string };
}

/** The whole declaration an Envoy-based target's own one implies (what the checks need is kept apart, in EnvoyTarget). */
function familyDeclaration({ modeWord, crlExpiry, leafOnlyCrl, unsupported, oneHost, portNumber, optionalField, ...identity }: EnvoyTargetDeclaration): TargetDeclaration {
  return {
    ...identity,
    ownedAnnotationPrefixes: [],
    unsupported: { errorPage: envoyNoErrorPage(identity.displayName), ...unsupported },
    dataPlane: envoyDataPlane(crlExpiry ?? envoyRefusesExpiredCrl(identity.displayName), leafOnlyCrl === true),
    wording: envoyWording(identity.displayName, modeWord),
  };
}

/**
 * The base of the Envoy-based targets: no annotations, no error page, Envoy's data plane and wording, and the
 * family's checks; each target writes its objects and reads them back.
 */
export abstract class EnvoyTarget extends DeclaredTarget {
  private readonly envoy: EnvoyTargetDeclaration;

  protected constructor(declaration: EnvoyTargetDeclaration) {
    super(familyDeclaration(declaration));
    this.envoy = declaration;
  }

  check(findings: Findings, input: TargetCheckInput): void {
    checkEnvoyTarget(findings, input, this.envoy);
  }
}

/**
 * The checks every Envoy-based target makes: one host, port numbers, leaf-only CRL checking (MTLS103) and the
 * verify-client values it cannot write (MTLS080) on the props only (manifests hold what was written); the version
 * of the field "optional" needs (MTLS105), and no verify depth (MTLS085).
 */
function checkEnvoyTarget(findings: Findings, input: TargetCheckInput, target: EnvoyTargetDeclaration): void {
  if (!input.asDeployed) {
    if (target.oneHost) requireOneHost(findings, input, target.oneHost);
    requirePortNumber(findings, input, target.portNumber);
    if (target.leafOnlyCrl) warnLeafOnlyCrl(findings, 'leafOnlyCrl', target.displayName);
    // deployed, a mode that verifies nothing (skipClientCertValidation, RequireAny) is MTLS054's to warn about
    refuseVerifyClient(findings, input, ['on', 'optional'], target.displayName);
  }
  if (input.settings.verifyClient === 'optional' && target.optionalField) {
    checkFieldVersion(findings, input.fieldOf('verifyClient'), { controller: target.displayName, minimum: target.minimumVersion, ...target.optionalField });
  }
  checkDepthUnenforced(findings, input, target.displayName, 'Envoy');
}
