// The checks of one mTLS setup for one target, the same for the construct's props and for manifests read back:
// the common settings, the PEM material (checkMtls, once whatever the target), then the target's own checks.
import { checkMtls, MtlsCheckInput, MtlsFacts } from '../checks/check-mtls';
import type { DataPlaneBehaviour } from '../checks/data-plane';
import type { Findings } from '../checks/finding';
import { checkIngressSettings } from '../checks/ingress-settings';
import type { ControllerTarget, MtlsBackend, MtlsSettings, OptionalSetting, TargetCheckInput } from './controller';
import { OPTIONAL_SETTINGS } from './controller';

export interface SetupToCheck {
  readonly hosts: readonly string[];
  readonly namespace?: string;
  readonly clientCaSecretNamespace?: string;
  readonly allowCrossNamespace: boolean;
  /** Object names to validate, by field. */
  readonly names: Readonly<Record<string, string>>;
  readonly settings: MtlsSettings;
  readonly backend: MtlsBackend;
  readonly path: string;
  readonly pathType: string;
  readonly extraAnnotations: Readonly<Record<string, string>>;
  readonly asDeployed: boolean;
  fieldOf: TargetCheckInput['fieldOf'];
  readonly material: MtlsCheckInput;
  /** What the data plane does, when the manifests say otherwise than the target's defaults (leaf-only CRL checking). */
  readonly dataPlane?: DataPlaneBehaviour;
}

export interface SetupCheckOptions {
  readonly now: Date;
  readonly crlMinValidityDays: number;
  readonly serverMinValidityDays: number;
}

export function checkSetup(findings: Findings, target: ControllerTarget, setup: SetupToCheck, options: SetupCheckOptions): MtlsFacts {
  const { settings } = setup;
  checkIngressSettings(findings, {
    hosts: setup.hosts, namespace: setup.namespace, clientCaSecretNamespace: setup.clientCaSecretNamespace, allowCrossNamespace: setup.allowCrossNamespace,
    names: setup.names, verifyClient: settings.verifyClient, verifyDepth: settings.verifyDepth, backend: setup.backend, path: setup.path, pathType: setup.pathType,
    extraAnnotations: setup.extraAnnotations, ownsAnnotation: (key) => target.ownedAnnotationPrefixes.some((prefix) => key.startsWith(prefix)), wording: target.wording,
  });
  const facts = checkMtls(findings, setup.material, { ...options, dataPlane: setup.dataPlane ?? target.dataPlane });
  target.check(findings, { settings, hosts: setup.hosts, backend: setup.backend, pathType: setup.pathType, trust: facts.trust, fieldOf: setup.fieldOf, asDeployed: setup.asDeployed });
  return facts;
}

/**
 * MTLS080: each setting the target cannot express is refused, with the target's reason and fix. Returns the
 * settings without them, so that no other check judges a value that will not be written.
 */
export function refuseUnsupported(findings: Findings, target: ControllerTarget, settings: MtlsSettings, fieldOf: TargetCheckInput['fieldOf']): MtlsSettings {
  const set = (s: OptionalSetting) => (s === 'passCertificateToUpstream' ? settings[s] === true : settings[s] !== undefined);
  const refused = OPTIONAL_SETTINGS.filter((s) => set(s) && target.unsupported[s] !== undefined);
  for (const s of refused) findings.error('MTLS080', fieldOf(s), `is set, but ${target.unsupported[s]}`);
  return Object.fromEntries(Object.entries(settings).filter(([k]) => !(refused as readonly string[]).includes(k))) as unknown as MtlsSettings;
}
