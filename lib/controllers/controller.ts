// What a controller target is: the one mTLS intent, and what each target declares about the objects it emits,
// the Secret shapes its controller reads, the options it can express, and what its data plane does when things
// go wrong. The construct and `mtls-pki check --manifests` work through this interface only; neither branches on
// a target's name.
import type { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { KubeIngress, KubeSecret } from '../../imports/k8s';
import type { ClientTrustFacts } from '../checks/client-trust';
import type { DataPlaneBehaviour } from '../checks/data-plane';
import type { SettingsWording } from '../checks/ingress-settings';
import type { Findings } from '../checks/finding';

/** The names `npm run synth -- --controller <name>` and the README use. */
export const CONTROLLER_NAMES = ['ingress-nginx', 'f5-nginx', 'haproxy-ingress', 'envoy-gateway', 'contour', 'istio', 'traefik'] as const;
export type ControllerName = typeof CONTROLLER_NAMES[number];

/** The server certificate chain and key: what `kubectl create secret tls --cert --key` takes. */
export interface ServerTlsMaterial {
  /** The server certificate first, then each issuer up to and including the CA (PEM). */
  readonly certificateChainPem: string;
  /** The server certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1). */
  readonly privateKeyPem: string;
}

/** The Service that receives the verified traffic. */
export interface MtlsBackend {
  /** Name of the Service in the Ingress namespace. */
  readonly serviceName: string;
  /** Port number or port name of the Service. */
  readonly port: number | string;
}

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** How the client verification is configured: the settings every target maps to its own annotations or fields. */
export interface MtlsSettings {
  /** `on`, `off`, `optional` or `optional_no_ca` (anything else is reported, not passed on). */
  readonly verifyClient: string;
  /** Intermediates allowed between client and root; undefined when not set (the target's default applies). */
  readonly verifyDepth?: number;
  readonly errorPage?: string;
  readonly passCertificateToUpstream?: boolean;
  readonly matchCn?: string;
}

/** One mTLS host setup, target-neutral: what MtlsIngress was asked for, built once from its props. */
export interface MtlsIntent extends MtlsSettings {
  readonly namespace?: string;
  readonly hosts: readonly string[];
  readonly backend: MtlsBackend;
  readonly path: string;
  readonly pathType: PathType;
  /** undefined: the target's default class. */
  readonly ingressClassName?: string;
  readonly names: {
    /** The Ingress, or the route object the target emits instead (e.g. F5's VirtualServer). */
    readonly route: string;
    readonly serverSecret: string;
    readonly clientCaSecret: string;
  };
  readonly serverTls: ServerTlsMaterial;
  readonly clientCaPem: string;
  readonly crlPem?: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
}

/** The Secret type and key names a controller reads. */
export interface SecretShapes {
  readonly serverTls: {
    readonly type: string;
    /** The controller refuses a Secret of another type (otherwise it reads the keys whatever the type). */
    readonly typeRequired: boolean;
    readonly certificateKey: string;
    readonly privateKeyKey: string;
  };
  readonly clientTrust: {
    readonly type: string;
    readonly typeRequired: boolean;
    readonly caKey: string;
    readonly crlKey: string;
    /** Keys that, all present, make the controller read the Secret as something else: never emitted, refused when found. */
    readonly forbiddenKeys: readonly string[];
    /** ca.crt and the CRL are keys of the server TLS Secret (Istio's credential Secret), not of a Secret of their own. @default false */
    readonly inServerSecret?: boolean;
    /** Each CRL gets a Secret of its own, because the controller checks only the first PEM block of each (Envoy Gateway). @default false */
    readonly secretPerCrl?: boolean;
    /** The controller never reads a CRL (Traefik): no CRL key is written. @default false */
    readonly crlNotRead?: boolean;
  };
}

/** The options of the intent that a target may be unable to express; each is refused, never dropped. */
export const OPTIONAL_SETTINGS = ['errorPage', 'matchCn', 'passCertificateToUpstream'] as const;
export type OptionalSetting = typeof OPTIONAL_SETTINGS[number];

/** A setting findings can name: one of MtlsSettings, the hosts, or the backend's port. */
export type SettingName = keyof MtlsSettings | 'hosts' | 'backend.port';

/**
 * How findings on deployed manifests name a setting: by the manifest field the target wrote it to (`written`),
 * else by its prop name, as findings on the construct do.
 */
export function settingFields(written: Partial<Record<SettingName, string>> = {}): (setting: SettingName) => string {
  return (setting) => written[setting] ?? setting;
}

/** The input of a target's own checks: the settings as given (construct) or as deployed (manifests). */
export interface TargetCheckInput {
  readonly settings: MtlsSettings;
  readonly hosts: readonly string[];
  readonly backend: MtlsBackend;
  readonly pathType: string;
  /** The parsed client CA bundle and CRLs, when they could be read. */
  readonly trust?: ClientTrustFacts;
  /** Names a setting for a message: the prop (`verifyDepth`) or the annotation or field that holds it. */
  fieldOf(setting: SettingName): string;
  /** The settings are read back from manifests (`check --manifests`), not the construct's props. */
  readonly asDeployed: boolean;
}

/** The objects a target emitted; the construct exposes them. */
export interface EmittedObjects {
  readonly serverSecret: KubeSecret;
  readonly clientCaSecret: KubeSecret;
  /** The Ingress, for the targets that route with one. */
  readonly ingress?: KubeIngress;
  /** Every object, in the order emitted. */
  readonly objects: readonly ApiObject[];
}

/** A Kubernetes object as read from a manifest file. */
export interface ManifestObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly annotations?: Record<string, string>; readonly labels?: Record<string, string> };
  readonly type?: string;
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
  readonly spec?: any;
}

/** What `check --manifests` gives a target to read a folder of objects with. */
export interface ReadContext {
  readonly findings: Findings;
  readonly objects: readonly ManifestObject[];
  /** The folder, for messages ("not in dist/"). */
  readonly source: string;
  /** The Secret `namespace/name`, if the folder holds it. */
  secret(namespace: string, name: string): ManifestObject | undefined;
  /** A Secret's values as the API server stores them (data decoded, stringData over it). */
  secretValues(secret: ManifestObject, field: string): Readonly<Record<string, string>>;
}

/** One mTLS setup found in manifests, with what is needed to check it like the construct checks its props. */
export interface DeployedMtls {
  /** e.g. `Ingress odcp/web`: what the findings are about. */
  readonly where: string;
  /** The object the setup was read from (the Ingress, or the route resource), for `mtls-pki migrate`. */
  readonly route?: ManifestObject;
  readonly namespace?: string;
  readonly hosts: readonly string[];
  readonly backend: MtlsBackend;
  readonly path: string;
  readonly pathType: string;
  readonly settings: MtlsSettings;
  /** The namespace of the client CA Secret as referenced. */
  readonly clientCaSecretNamespace?: string;
  fieldOf(setting: SettingName): string;
  /** The client CA bundle and CRLs, when the referenced Secret is in the folder and usable. */
  readonly clientTrust?: {
    readonly field: string;
    readonly secretName: string;
    readonly caPem: string;
    readonly crlPem?: string;
    /** Where the CRL in effect comes from when it is not in the manifests (then crlPem is undefined). */
    readonly crlElsewhere?: string;
    /** What else the same Secret holds, counted in its size (Istio's credential holds the key pair too). */
    readonly alsoHolds?: Readonly<Record<string, string>>;
    /** How findings name the CA and the CRL. @default - "<field> ca.crt", "<field> ca.crl" */
    readonly caField?: string;
    readonly crlField?: string;
  };
  /** What the data plane does as deployed, when it differs from the target's defaults (leaf-only CRL checking). */
  readonly dataPlane?: DataPlaneBehaviour;
  /** The server TLS Secrets the routes name, found in the folder. */
  readonly serverTls: readonly { readonly field: string; readonly secretName: string; readonly hosts: readonly string[]; readonly chainPem: string; readonly keyPem: string }[];
}

/** A controller target: one per module in lib/controllers/. */
export interface ControllerTarget {
  readonly name: ControllerName;
  /** As users know it, e.g. "HAProxy Ingress (jcmoraisjr)". */
  readonly displayName: string;
  /** The oldest controller version that does all this target emits (and checks the CRL), e.g. "v0.16.0". */
  readonly minimumVersion: string;
  /** The IngressClass (or class field) used when the construct's prop is not set. */
  readonly defaultIngressClassName: string;
  readonly secrets: SecretShapes;
  /** For each option this target cannot express: why, and what to do instead (the refusal's message). */
  readonly unsupported: Readonly<Partial<Record<OptionalSetting, string>>>;
  readonly dataPlane: DataPlaneBehaviour;
  /** How the common settings checks name this controller and what it does with bad values. */
  readonly wording: SettingsWording;
  /** The annotation prefixes the target writes from the settings: users may not set annotations under them. */
  readonly ownedAnnotationPrefixes: readonly string[];
  /** The target's own checks, on the construct's props and on deployed manifests alike. */
  check(findings: Findings, input: TargetCheckInput): void;
  /** Creates the objects (cdk8s L1) in `scope`. */
  emit(scope: Construct, intent: MtlsIntent, clientCaAnnotations: Readonly<Record<string, string>> | undefined): EmittedObjects;
  /** Finds this target's mTLS setups among parsed manifests, reporting wiring problems as findings. */
  read(context: ReadContext): DeployedMtls[];
}

/** What a target declares about itself: the fields of ControllerTarget that are data, not behaviour. */
export type TargetDeclaration = Pick<ControllerTarget, 'name' | 'displayName' | 'minimumVersion' | 'defaultIngressClassName' | 'secrets' | 'ownedAnnotationPrefixes' | 'unsupported' | 'dataPlane' | 'wording'>;

/** The base of every target: its declaration as read-only fields; each target writes its checks, emit and read. */
export abstract class DeclaredTarget implements ControllerTarget {
  declare readonly name: ControllerName;
  declare readonly displayName: string;
  declare readonly minimumVersion: string;
  declare readonly defaultIngressClassName: string;
  declare readonly secrets: SecretShapes;
  declare readonly ownedAnnotationPrefixes: readonly string[];
  declare readonly unsupported: ControllerTarget['unsupported'];
  declare readonly dataPlane: DataPlaneBehaviour;
  declare readonly wording: SettingsWording;

  protected constructor(declaration: TargetDeclaration) {
    Object.assign(this, declaration);
  }

  abstract check(findings: Findings, input: TargetCheckInput): void;
  abstract emit(scope: Construct, intent: MtlsIntent, clientCaAnnotations: Readonly<Record<string, string>> | undefined): EmittedObjects;
  abstract read(context: ReadContext): DeployedMtls[];
}
