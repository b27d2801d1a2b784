import { UserInputError } from '../pki/errors';

export type Severity = 'error' | 'warning';

/** One problem found in the inputs of an mTLS ingress, before anything is deployed. */
export interface Finding {
  /** Stable identifier, e.g. `MTLS001`; see `CHECKS` for the list. */
  readonly code: CheckCode;
  readonly severity: Severity;
  /** The prop, file or object field at fault, e.g. `serverTls.certificateChainPem`. */
  readonly field: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/**
 * Every check, by stable code. Codes are never reused or renumbered: tooling and runbooks match on them.
 * The text is the short title; each finding's message carries the specifics and the fix.
 */
export const CHECKS = {
  MTLS001: 'the server certificate is a CA certificate',
  MTLS002: 'the server chain is incomplete',
  MTLS003: 'the server chain is out of order',
  MTLS004: 'a server chain signature does not verify',
  MTLS005: 'the server certificate has no subjectAltName (CN only)',
  MTLS006: 'the server certificate does not cover the host',
  MTLS007: 'the server key does not match the server certificate',
  MTLS008: 'the server certificate is expired or not yet valid',
  MTLS009: 'the server certificate expires soon',
  MTLS010: 'the server certificate or key is unreadable',
  MTLS011: 'the server certificate is not for TLS servers (ExtendedKeyUsage)',
  MTLS012: 'a certificate is signed with SHA-1 or MD5',
  MTLS013: 'a served intermediate is not a CA (no cA=TRUE, or KeyUsage without keyCertSign)',
  MTLS014: 'the served chain exceeds a pathLenConstraint',
  MTLS015: 'a served certificate has an EC key with explicit curve parameters',
  MTLS016: 'a served certificate has a critical extension OpenSSL does not handle',
  MTLS020: 'the client CA is missing or unreadable',
  MTLS021: 'a client CA certificate is not a CA',
  MTLS022: 'a client CA certificate is expired or not yet valid',
  MTLS023: 'the client CA chain does not reach a root',
  MTLS024: 'a client CA certificate has a critical extension OpenSSL does not handle',
  MTLS025: 'the client CA hierarchy exceeds a pathLenConstraint',
  MTLS026: 'a client CA certificate has an EC key with explicit curve parameters',
  MTLS027: 'a CRL is signed by a CA whose KeyUsage lacks cRLSign',
  MTLS030: 'the CRL is not PEM',
  MTLS031: 'the CRL is unreadable',
  MTLS032: 'the CRL was not issued by any client CA',
  MTLS033: 'the CRL signature does not verify',
  MTLS034: 'the CRL has expired',
  MTLS035: 'the CRL expires within the threshold',
  MTLS036: 'a client CA has no CRL',
  MTLS037: 'the CRL lists a serial twice',
  MTLS038: 'the CRL is not yet valid',
  MTLS039: 'the CRL has no nextUpdate or is not version 2',
  MTLS040: 'a Secret exceeds the 1 MiB Kubernetes limit',
  MTLS041: 'the CRL has a critical extension OpenSSL does not handle',
  MTLS042: 'the CRL\'s IssuingDistributionPoint leaves clients out of its scope',
  MTLS043: 'the CRL\'s Authority Key Identifier is not the CA\'s key',
  MTLS044: 'the CRL\'s signature algorithm does not fit the CA\'s key type',
  MTLS045: 'the CRL is signed with SHA-1 or MD5',
  MTLS046: 'the CRL\'s signature algorithm cannot be checked',
  MTLS047: 'the CRL is a delta CRL',
  MTLS048: 'the CRL assigns entries to another CA (indirect CRL)',
  MTLS050: 'auth-tls-verify-client is invalid',
  MTLS051: 'auth-tls-verify-depth is invalid',
  MTLS052: 'auth-tls-error-page is invalid',
  MTLS053: 'auth-tls-match-cn is invalid',
  MTLS054: 'client verification is not enforced',
  MTLS055: 'annotations conflict with the auth-tls annotations',
  MTLS056: 'verify-client optional admits clients without a certificate',
  MTLS057: 'auth-tls-match-cn is not anchored',
  MTLS058: 'no CRL: revocation checking is off',
  MTLS059: 'a Secret sets the same key in data and stringData',
  MTLS060: 'a host is not a valid DNS name',
  MTLS061: 'an object name is not a valid Kubernetes name',
  MTLS062: 'the auth-tls secret is in another namespace, or no namespace is set',
  MTLS063: 'the backend or path is invalid',
  MTLS064: 'a symbolic link in the manifests folder was not followed',
  MTLS070: 'the Ingress has no usable client CA secret (fail-open)',
  MTLS080: 'the controller cannot express a setting, so it is refused',
  MTLS081: 'a Secret has a type or keys the controller misreads',
  MTLS082: 'a referenced client CA Secret or Policy is missing or unusable',
  MTLS083: 'an F5 Policy reads its CRL from a file outside the manifests (crlFileName)',
  MTLS084: 'HAProxy Ingress auth-tls-strict is false (fail-open on a broken CA Secret)',
  MTLS085: 'the controller cannot limit the verify depth the client CA bundle needs',
  MTLS086: 'F5 NGINX Ingress Controller ignores an IngressMTLS policy',
  MTLS090: 'the store\'s current server certificate is revoked',
  MTLS091: 'a client certificate of the store expires soon or has expired',
  MTLS100: 'the controller cannot check a CRL (Traefik), so the target is refused',
  MTLS101: 'revocation checking is off by choice (Traefik with acceptNoRevocation)',
  MTLS102: 'an Envoy Gateway CRL reference holds more than one PEM block',
  MTLS103: 'the CRL is checked for the client certificate only (leaf-only)',
  MTLS104: 'the CRL is under a key or in an object the controller does not read',
  MTLS105: 'a field needs a newer controller version',
} as const;
export type CheckCode = keyof typeof CHECKS;

/** Collects findings; also turns a UserInputError thrown while reading input into a finding. */
export class Findings {
  private readonly items: Finding[] = [];

  error(code: CheckCode, field: string, message: string): void {
    this.items.push({ code, severity: 'error', field, message });
  }

  warn(code: CheckCode, field: string, message: string): void {
    this.items.push({ code, severity: 'warning', field, message });
  }

  /** Runs `read`; a UserInputError becomes an error finding with `code`, and `undefined` is returned. */
  read<T>(code: CheckCode, field: string, read: () => T): T | undefined {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof UserInputError)) throw e;
      this.error(code, field, e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message);
      return undefined;
    }
  }

  get all(): readonly Finding[] {
    return this.items;
  }
}

export function formatFinding(f: Finding): string {
  return `${f.code} ${f.severity === 'error' ? 'error' : 'warning'} ${f.field}: ${f.message}`;
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
