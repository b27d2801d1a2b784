import { isIP } from 'node:net';
import { validateDnsName } from '../pki';
import { Findings } from './finding';

export const VERIFY_CLIENT_VALUES = ['on', 'off', 'optional', 'optional_no_ca'] as const;
export type VerifyClient = typeof VERIFY_CLIENT_VALUES[number];
export const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'] as const;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The controller as the settings messages name it, and what it does with a value it cannot use. */
export interface SettingsWording {
  /** e.g. "ingress-nginx" */
  readonly controller: string;
  /** What the controller does with an invalid verify-client value, e.g. `ingress-nginx would silently use "on"`. */
  readonly invalidVerifyClient: string;
  /** What it does with an invalid verify depth. */
  readonly invalidVerifyDepth: string;
  /** How a client without a certificate reaches the backend under "optional", and what the backend must do about it. */
  readonly unverifiedClient: string;
  /** What the backend must check itself when verification is not enforced, e.g. "ssl-client-verify". */
  readonly backendCheck: string;
}

/** ingress-nginx's wording: the default. */
export const INGRESS_NGINX_WORDING: SettingsWording = {
  controller: 'ingress-nginx', invalidVerifyClient: 'ingress-nginx would silently use "on"', invalidVerifyDepth: 'ingress-nginx would silently use 1',
  unverifiedClient: 'with ssl-client-verify: NONE; the backend must check it (and refuse anything but SUCCESS)', backendCheck: 'ssl-client-verify',
};

export interface IngressSettings {
  readonly hosts: readonly string[];
  readonly namespace?: string;
  readonly clientCaSecretNamespace: string | undefined;
  readonly allowCrossNamespace: boolean;
  readonly names: Readonly<Record<string, string>>;
  readonly verifyClient: string;
  /** undefined: not set (the controller's default applies). */
  readonly verifyDepth?: number;
  readonly backend: { readonly serviceName: string; readonly port: number | string };
  readonly path: string;
  readonly pathType: string;
  readonly extraAnnotations: Readonly<Record<string, string>>;
  /** Whether an annotation is one the construct writes from its props (users may not set it themselves). */
  ownsAnnotation(key: string): boolean;
  /** @default INGRESS_NGINX_WORDING */
  readonly wording?: SettingsWording;
}

/**
 * Validates the settings every controller takes (hosts, names, namespace, verify-client and depth, backend, path),
 * as the controller would read them. The controller-specific values (error page, CN match) are its target's checks.
 */
export function checkIngressSettings(findings: Findings, s: IngressSettings): void {
  const wording = s.wording ?? INGRESS_NGINX_WORDING;
  if (s.hosts.length === 0) findings.error('MTLS060', 'host', 'no host is set; mutual TLS is per host (SNI), so give `host` or `hosts`.');
  s.hosts.forEach((host, i) => {
    const field = s.hosts.length > 1 ? `hosts[${i}]` : 'host';
    if (isIP(host)) {
      findings.error('MTLS060', field, `"${host}" is an IP address; Kubernetes accepts only DNS names as Ingress hosts. Give the DNS name clients use (mTLS needs it for SNI anyway).`);
      return;
    }
    findings.read('MTLS060', field, () => validateDnsName(host, 'host'));
  });
  if (new Set(s.hosts).size !== s.hosts.length) findings.error('MTLS060', 'hosts', `lists a host twice (${s.hosts.join(', ')}); list each once.`);

  for (const [field, name] of Object.entries(s.names)) {
    if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
      findings.error('MTLS061', field, `"${name.length > 60 ? `${name.slice(0, 60)}…` : name}" is not a valid Kubernetes object name: use at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit.`);
    }
  }
  if (!s.namespace) {
    findings.error('MTLS062', 'namespace', 'is not set. The auth-tls-secret annotation must name "namespace/secret", so set the chart\'s namespace (`new Chart(app, id, { namespace })`) or the `namespace` prop.');
  } else if (s.clientCaSecretNamespace && s.clientCaSecretNamespace !== s.namespace && !s.allowCrossNamespace) {
    findings.error('MTLS062', 'clientCaSecretNamespace', `"${s.clientCaSecretNamespace}" differs from the Ingress namespace "${s.namespace}". ${wording.controller} refuses a client CA Secret in another namespace unless configured to allow it (ingress-nginx: allow-cross-namespace-resources in its ConfigMap); keep the secret in "${s.namespace}", or set allowCrossNamespace after enabling that option.`);
  }

  if (!(VERIFY_CLIENT_VALUES as readonly string[]).includes(s.verifyClient)) {
    findings.error('MTLS050', 'verifyClient', `"${s.verifyClient}" is not one of ${VERIFY_CLIENT_VALUES.join(', ')}. ${wording.invalidVerifyClient}.`);
  } else if (s.verifyClient === 'off' || s.verifyClient === 'optional_no_ca') {
    findings.warn('MTLS054', 'verifyClient', `"${s.verifyClient}" does not enforce client certificates${s.verifyClient === 'optional_no_ca' ? ' from the trusted CA' : ''}; any client reaches the backend. Use "on" unless the backend checks ${wording.backendCheck} itself.`);
  } else if (s.verifyClient === 'optional') {
    findings.warn('MTLS056', 'verifyClient', `"optional" admits clients that send no certificate: clients without a certificate reach the backend ${wording.unverifiedClient}. Use "on" unless some requests must get through without a certificate.`);
  }
  if (s.verifyDepth !== undefined && (!Number.isInteger(s.verifyDepth) || s.verifyDepth < 1)) {
    findings.error('MTLS051', 'verifyDepth', `${s.verifyDepth} is not a whole number of at least 1. ${wording.invalidVerifyDepth}. It counts the intermediate CAs between client and root: 1 covers a root or one intermediate, 2 covers two.`);
  }
  const { serviceName, port } = s.backend;
  if (!serviceName || serviceName.length > 63 || !DNS1035_LABEL.test(serviceName)) {
    findings.error('MTLS063', 'backend.serviceName', `"${serviceName}" is not a valid Service name: at most 63 lowercase letters, digits and "-", starting with a letter.`);
  }
  if (typeof port === 'number' ? !Number.isInteger(port) || port < 1 || port > 65535 : port.length > 15 || !PORT_NAME.test(port)) {
    findings.error('MTLS063', 'backend.port', `${JSON.stringify(port)} is neither a port number from 1 to 65535 nor a port name (up to 15 lowercase letters, digits and "-").`);
  }
  if (!s.path.startsWith('/')) findings.error('MTLS063', 'path', `"${s.path}" must start with "/".`);
  if (!(PATH_TYPES as readonly string[]).includes(s.pathType)) findings.error('MTLS063', 'pathType', `"${s.pathType}" is not one of ${PATH_TYPES.join(', ')}.`);

  for (const key of Object.keys(s.extraAnnotations)) {
    if (s.ownsAnnotation(key)) {
      findings.error('MTLS055', `annotations["${key}"]`, 'is set by this construct from its props; set the matching prop (verifyClient, verifyDepth, errorPage, matchCn, passCertificateToUpstream) instead.');
    }
  }
}
