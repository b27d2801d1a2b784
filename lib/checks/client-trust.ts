import { CertificateFacts, CrlFacts, isCrlSignedBy, isIssuedBy, readCertificates, readCrls } from '../pki';
import { DataPlaneBehaviour, NGINX_DATA_PLANE } from './data-plane';
import { Findings } from './finding';

const DAY_MS = 86_400_000;

export interface ClientTrustInput {
  readonly clientCaPem: string;
  readonly crlPem?: string;
}

export interface ClientTrustCheckOptions {
  readonly now: Date;
  /** A CRL whose nextUpdate is closer than this is an error: nginx rejects every client once it passes. */
  readonly crlMinValidityDays: number;
  readonly caField: string;
  readonly crlField: string;
  /** Who refuses clients and with what status, for the messages. @default nginx, 400 */
  readonly dataPlane?: DataPlaneBehaviour;
  /** Where the CRL in effect comes from when it is not in the input (a file on the data plane): no MTLS058 then. */
  readonly crlElsewhere?: string;
}

export interface ClientTrustFacts {
  readonly cas: readonly CertificateFacts[];
  readonly crls: readonly CrlFacts[];
}

/**
 * Checks what goes into the auth-tls secret: `ca.crt` must be CA certificates whose chain reaches a root
 * (OpenSSL needs a self-signed anchor), and `ca.crl` must be PEM, signed by those CAs, fresh, and present
 * for every CA, because nginx checks CRLs along the whole chain.
 */
export function checkClientTrust(findings: Findings, input: ClientTrustInput, options: ClientTrustCheckOptions): ClientTrustFacts | undefined {
  const { caField, crlField } = options;
  if (!input.clientCaPem?.trim()) {
    findings.error('MTLS020', caField, 'is empty. Without ca.crt ingress-nginx logs "mutual authentication disabled" and admits every client; give the client CA certificate(s) in PEM.');
    return undefined;
  }
  const cas = findings.read('MTLS020', caField, () => readCertificates(input.clientCaPem, caField));
  if (!cas) return undefined;
  const now = options.now.getTime();
  cas.forEach((ca, i) => {
    const field = cas.length > 1 ? `${caField} (certificate ${i + 1})` : caField;
    if (!ca.isCa) {
      findings.error('MTLS021', field, `"${ca.subject}" is not a CA certificate (cA is not TRUE); nginx cannot verify clients against it. Give the client CA's certificate (client-ca-cert.pem), not a client certificate.`);
    } else if (ca.keyUsage && !ca.keyUsage.includes('keyCertSign')) {
      findings.error('MTLS021', field, `"${ca.subject}" is a CA whose KeyUsage (${ca.keyUsage.join(', ') || 'empty'}) lacks keyCertSign, so OpenSSL refuses every client it issued ("key usage does not include certificate signing"). Re-issue the CA with keyUsage = keyCertSign, cRLSign.`);
    }
    if (now < ca.notBefore.getTime() || now > ca.notAfter.getTime()) {
      findings.error('MTLS022', field, `"${ca.subject}" is valid only from ${ca.notBefore.toISOString()} to ${ca.notAfter.toISOString()}; outside that window nginx rejects every client it issued. Renew the CA.`);
    }
    if (!ca.selfIssued && !cas.some((other) => other !== ca && isIssuedBy(ca, other))) {
      findings.error('MTLS023', field, `"${ca.subject}" is an intermediate issued by "${ca.issuer}", which is not in ${caField}. nginx needs the chain up to a self-signed root to verify clients; append the root CA certificate.`);
    }
  });

  if (input.crlPem === undefined) {
    if (options.crlElsewhere !== undefined) return { cas, crls: [] };
    const { server, crlSetting } = options.dataPlane ?? NGINX_DATA_PLANE;
    findings.warn('MTLS058', crlField, `no CRL is given, so revocation checking is off: ${server} gets no ${crlSetting} and admits a revoked client certificate (200) until it expires. Add the CRL of each client CA (crlPem, --crl, or ca.crl in the CA Secret; \`mtls-pki crl\` writes them).`);
    return { cas, crls: [] };
  }
  const crls = readCrlInput(findings, input.crlPem, crlField);
  if (!crls) return { cas, crls: [] };
  crls.forEach((crl, i) => checkCrl(findings, crl, cas, crls.length > 1 ? `${crlField} (CRL ${i + 1})` : crlField, options));
  for (const ca of cas.filter((c) => c.isCa)) {
    if (!crls.some((crl) => crl.issuerDerHex === ca.subjectDerHex)) {
      findings.error('MTLS036', crlField, `has no CRL for the CA "${ca.subject}". nginx checks CRLs for every CA in the chain, so every client would fail with "unable to get certificate CRL". Append that CA's CRL (one PEM block per CA, concatenated).`);
    }
  }
  return { cas, crls };
}

function readCrlInput(findings: Findings, crlPem: string, field: string): CrlFacts[] | undefined {
  if (!crlPem.includes('-----BEGIN') && looksBinary(crlPem)) {
    findings.error('MTLS030', field, 'is DER (binary), but nginx\'s ssl_crl reads only PEM and `nginx -t` would fail. Convert it: `openssl crl -inform DER -in crl.der -out crl.pem`.');
    return undefined;
  }
  if (!crlPem.trim()) {
    findings.error('MTLS031', field, 'is empty; leave crlPem out to deploy without revocation, or give the PEM CRL(s).');
    return undefined;
  }
  return findings.read('MTLS031', field, () => readCrls(crlPem, field));
}

function looksBinary(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text) || text.charCodeAt(0) === 0x30 && text.charCodeAt(1) >= 0x80;
}

function checkCrl(findings: Findings, crl: CrlFacts, cas: readonly CertificateFacts[], field: string, options: ClientTrustCheckOptions): void {
  const issuer = cas.find((ca) => ca.subjectDerHex === crl.issuerDerHex);
  if (!issuer) {
    findings.error('MTLS032', field, `was issued by "${crl.issuer}", which is not one of the client CAs (${cas.map((c) => `"${c.subject}"`).join(', ')}). nginx ignores it, and the CA it should cover has no CRL. Generate the CRL with the client CA's key (\`mtls-pki crl\`, or \`openssl ca -gencrl -cert client-ca-cert.pem -keyfile client-ca-key.pem\`).`);
    return;
  }
  if (!isCrlSignedBy(crl, issuer)) {
    findings.error('MTLS033', field, `names "${crl.issuer}" as issuer, but its signature does not verify with that CA's key. It was signed by another key with the same name, or altered; regenerate it with the CA's own key.`);
  }
  if (crl.version !== 2 || !crl.nextUpdate) {
    findings.error('MTLS039', field, `is ${crl.version !== 2 ? `version ${crl.version}` : 'missing nextUpdate'}; RFC 5280 requires a v2 CRL with nextUpdate, and without nextUpdate nobody can tell when it goes stale. Regenerate it with \`mtls-pki crl\`.`);
  }
  const now = options.now.getTime();
  if (crl.thisUpdate.getTime() > now) {
    findings.error('MTLS038', field, `is not valid until ${crl.thisUpdate.toISOString()} (thisUpdate is in the future); nginx rejects every client with "CRL is not yet valid" until then. Check the clock of the machine that generated it.`);
  }
  if (crl.nextUpdate) {
    const left = crl.nextUpdate.getTime() - now;
    const regenerate = 'Regenerate it (`mtls-pki crl`, or `openssl ca -gencrl -crldays N`), re-synth and apply.';
    const { server, refusal } = options.dataPlane ?? NGINX_DATA_PLANE;
    if (left <= 0) {
      findings.error('MTLS034', field, `from "${crl.issuer}" expired at ${crl.nextUpdate.toISOString()}. ${server} then rejects EVERY client certificate ("CRL has expired"): ${refusal} for every client. ${regenerate}`);
    } else if (left < options.crlMinValidityDays * DAY_MS) {
      findings.error('MTLS035', field, `from "${crl.issuer}" expires at ${crl.nextUpdate.toISOString()}, in ${(left / DAY_MS).toFixed(1)} days, within the ${options.crlMinValidityDays}-day threshold; after that ${server} rejects every client: ${refusal} for every client. ${regenerate}`);
    }
  }
  if (crl.duplicateSerials.length) {
    findings.error('MTLS037', field, `lists serial(s) ${crl.duplicateSerials.slice(0, 5).join(', ')} more than once; RFC 5280 allows each serial once per CRL, so the CRL's generator or its database is broken. Regenerate it from a clean revocation list.`);
  }
}
