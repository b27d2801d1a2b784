import { isIP } from 'node:net';
import { validateDnsName } from '../pki';
import { Findings } from './finding';
import { checkMatchCn } from './match-cn';

export const VERIFY_CLIENT_VALUES = ['on', 'off', 'optional', 'optional_no_ca'] as const;
export type VerifyClient = typeof VERIFY_CLIENT_VALUES[number];
export const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'] as const;

/**
 * The controller's pattern for auth-tls-error-page: a named location, or an optional http(s)://host[:port]
 * followed by an optional path of [A-Za-z0-9-_.] segments. Anything else makes it reject the whole Ingress.
 */
const ERROR_PAGE = /^(@[A-Za-z0-9_-]+|(https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)?(\/[A-Za-z0-9._-]*)*)$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export interface IngressSettings {
  readonly hosts: readonly string[];
  readonly namespace?: string;
  readonly clientCaSecretNamespace: string | undefined;
  readonly allowCrossNamespace: boolean;
  readonly names: Readonly<Record<string, string>>;
  readonly verifyClient: string;
  readonly verifyDepth: number;
  readonly errorPage?: string;
  readonly matchCn?: string;
  /** `matchCn` is the annotation as deployed (check --manifests), not the construct's prop, which is anchored on output. */
  readonly matchCnAsDeployed?: boolean;
  readonly backend: { readonly serviceName: string; readonly port: number | string };
  readonly path: string;
  readonly pathType: string;
  readonly extraAnnotations: Readonly<Record<string, string>>;
  /** Prefix of the annotations this construct owns. */
  readonly annotationPrefix: string;
}

/** Validates the annotation values exactly as ingress-nginx does, plus hosts and object names. */
export function checkIngressSettings(findings: Findings, s: IngressSettings): void {
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
    findings.error('MTLS062', 'clientCaSecretNamespace', `"${s.clientCaSecretNamespace}" differs from the Ingress namespace "${s.namespace}". ingress-nginx refuses cross-namespace auth-tls secrets unless its ConfigMap sets allow-cross-namespace-resources; keep the secret in "${s.namespace}", or set allowCrossNamespace after enabling that option.`);
  }

  if (!(VERIFY_CLIENT_VALUES as readonly string[]).includes(s.verifyClient)) {
    findings.error('MTLS050', 'verifyClient', `"${s.verifyClient}" is not one of ${VERIFY_CLIENT_VALUES.join(', ')}. ingress-nginx would silently use "on".`);
  } else if (s.verifyClient === 'off' || s.verifyClient === 'optional_no_ca') {
    findings.warn('MTLS054', 'verifyClient', `"${s.verifyClient}" does not enforce client certificates${s.verifyClient === 'optional_no_ca' ? ' from the trusted CA' : ''}; any client reaches the backend. Use "on" unless the backend checks ssl-client-verify itself.`);
  } else if (s.verifyClient === 'optional') {
    findings.warn('MTLS056', 'verifyClient', '"optional" admits clients that send no certificate: clients without a certificate reach the backend with ssl-client-verify: NONE; the backend must check it (and refuse anything but SUCCESS). Use "on" unless some requests must get through without a certificate.');
  }
  if (!Number.isInteger(s.verifyDepth) || s.verifyDepth < 1) {
    findings.error('MTLS051', 'verifyDepth', `${s.verifyDepth} is not a whole number of at least 1. ingress-nginx would silently use 1. It counts the intermediate CAs between client and root: 1 covers a root or one intermediate, 2 covers two.`);
  }
  if (s.errorPage !== undefined && (s.errorPage === '' || !ERROR_PAGE.test(s.errorPage))) {
    findings.error('MTLS052', 'errorPage', `"${s.errorPage}" does not match what ingress-nginx accepts (an @named_location, or http(s)://host[:port] with an optional path of letters, digits, "-", "_" and "."; no query string), and the controller would reject the whole Ingress. Example: "https://errors.example.com/mtls-denied".`);
  }
  if (s.matchCn !== undefined) checkMatchCn(findings, 'matchCn', s.matchCn, s.matchCnAsDeployed);

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
    if (key.startsWith(`${s.annotationPrefix}auth-tls-`)) {
      findings.error('MTLS055', `annotations["${key}"]`, 'is set by this construct from its props; set the matching prop (verifyClient, verifyDepth, errorPage, matchCn, passCertificateToUpstream) instead.');
    }
  }
}
