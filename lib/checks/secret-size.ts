import { Findings } from './finding';

/** Kubernetes refuses a Secret whose data, decoded, exceeds 1 MiB (MaxSecretSize). */
export const SECRET_SIZE_LIMIT = 1024 * 1024;

/** Roughly what one revoked entry costs in a PEM CRL (about 36 DER bytes, base64-inflated). */
const PEM_BYTES_PER_CRL_ENTRY = 48;

export function secretDataSize(data: Readonly<Record<string, string>>): number {
  return Object.values(data).reduce((sum, v) => sum + Buffer.byteLength(v, 'utf8'), 0);
}

export function checkSecretSize(findings: Findings, field: string, secretName: string, data: Readonly<Record<string, string>>, crlEntries?: number): void {
  const size = secretDataSize(data);
  if (size <= SECRET_SIZE_LIMIT) return;
  const over = size - SECRET_SIZE_LIMIT;
  const crlHint = crlEntries !== undefined
    ? ` The CRL holds ${crlEntries} entries (~${PEM_BYTES_PER_CRL_ENTRY} bytes each); drop at least ${Math.ceil(over / PEM_BYTES_PER_CRL_ENTRY)} by pruning entries whose certificates have expired (\`mtls-pki crl --prune-expired\`, allowed by RFC 5280 once they appeared on a CRL after expiry), and issue shorter-lived client certificates.`
    : '';
  findings.error('MTLS040', field, `Secret "${secretName}" would hold ${size} bytes of data, ${over} over Kubernetes' 1 MiB (${SECRET_SIZE_LIMIT} bytes) limit, so the API server rejects it.${crlHint}`);
}
