import { CertificateFacts, CrlFacts, readCertificates, readCrls } from '../pki';
import { IssuerIndex } from '../pki/verify';
import { actsAsCa, extensionList } from './chain-rules';
import { checkCrl, crlCoverage } from './crl-checks';
import { DataPlaneBehaviour, NGINX_DATA_PLANE } from './data-plane';
import { Findings } from './finding';

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
 * for every CA, because nginx checks CRLs along the whole chain. Every rule is what OpenSSL (and so nginx)
 * applies; the corpus tests in test/corpus hold each one against `openssl verify`.
 */
export function checkClientTrust(findings: Findings, input: ClientTrustInput, options: ClientTrustCheckOptions): ClientTrustFacts | undefined {
  const { caField, crlField } = options;
  if (!input.clientCaPem?.trim()) {
    findings.error('MTLS020', caField, 'is empty. Without ca.crt ingress-nginx logs "mutual authentication disabled" and admits every client; give the client CA certificate(s) in PEM.');
    return undefined;
  }
  const cas = findings.read('MTLS020', caField, () => readCertificates(input.clientCaPem, caField));
  if (!cas) return undefined;
  const index = new IssuerIndex(cas);
  // Each intermediate's issuers in ca.crt, found once: the chain (MTLS023) and path length (MTLS025) checks share them.
  const issuers = new Map(cas.filter((ca) => !ca.selfIssued).map((ca) => [ca, index.issuersOf(ca)]));
  const fieldOf = (ca: CertificateFacts) => (cas.length > 1 ? `${caField} (certificate ${cas.indexOf(ca) + 1})` : caField);
  for (const ca of cas) checkCa(findings, ca, issuers.get(ca), fieldOf(ca), options);
  checkPathLengths(findings, cas, issuers, fieldOf);

  if (input.crlPem === undefined) {
    if (options.crlElsewhere !== undefined) return { cas, crls: [] };
    const { server, crlSetting } = options.dataPlane ?? NGINX_DATA_PLANE;
    findings.warn('MTLS058', crlField, `no CRL is given, so revocation checking is off: ${server} gets no ${crlSetting} and admits a revoked client certificate (200) until it expires. Add the CRL of each client CA (crlPem, --crl, or ca.crl in the CA Secret; \`mtls-pki crl\` writes them).`);
    return { cas, crls: [] };
  }
  const crls = readCrlInput(findings, input.crlPem, crlField);
  if (!crls) return { cas, crls: [] };
  // A CA is covered by a CRL that OpenSSL can use for it, or already reported through a CRL that names it
  // but that OpenSSL cannot use (its finding says why); MTLS036 is for the CAs no CRL even tries to cover.
  const covered = new Set<CertificateFacts>();
  crls.forEach((crl, i) => {
    const field = crls.length > 1 ? `${crlField} (CRL ${i + 1})` : crlField;
    const coverage = crlCoverage(crl, index);
    const usable = checkCrl(findings, crl, coverage, { cas, index, field, now: options.now, crlMinValidityDays: options.crlMinValidityDays, dataPlane: options.dataPlane ?? NGINX_DATA_PLANE });
    (usable ? coverage.covers : coverage.named).forEach((ca) => covered.add(ca));
  });
  const dataPlane = options.dataPlane ?? NGINX_DATA_PLANE;
  // Leaf-only checking needs the CRL of each CA that may issue clients: here, those that issue no other CA of the bundle.
  const issuesCas = new Set([...issuers.values()].flat());
  for (const ca of cas.filter(actsAsCa)) {
    if (covered.has(ca) || (dataPlane.leafOnlyCrl && issuesCas.has(ca))) continue;
    if (dataPlane.leafOnlyCrl) {
      findings.error('MTLS036', crlField, `has no CRL for the CA "${ca.subject}"${ca.subjectKeyId ? ` (key ${ca.subjectKeyId})` : ''}, which issues client certificates. Even with leaf-only CRL checking ${dataPlane.server} needs the CRL of the client's issuer, so its clients would be refused ("unable to get certificate CRL"). Append that CA's CRL, signed with that CA's own key.`);
    } else {
      findings.error('MTLS036', crlField, `has no CRL for the CA "${ca.subject}"${ca.subjectKeyId ? ` (key ${ca.subjectKeyId})` : ''}. ${dataPlane.server} checks CRLs for every CA in the chain, so every client would fail with "unable to get certificate CRL". Append that CA's CRL, signed with that CA's own key (one PEM block per CA, concatenated).`);
    }
  }
  return { cas, crls };
}

function checkCa(findings: Findings, ca: CertificateFacts, issuers: readonly CertificateFacts[] | undefined, field: string, options: ClientTrustCheckOptions): void {
  const { caField } = options;
  if (!actsAsCa(ca)) {
    findings.error('MTLS021', field, `"${ca.subject}" is not a CA certificate (cA is not TRUE); nginx cannot verify clients against it. Give the client CA's certificate (client-ca-cert.pem), not a client certificate.`);
  } else if (ca.keyUsage && !ca.keyUsage.includes('keyCertSign')) {
    findings.error('MTLS021', field, `"${ca.subject}" is a CA whose KeyUsage (${ca.keyUsage.join(', ') || 'empty'}) lacks keyCertSign, so OpenSSL refuses every client it issued ("key usage does not include certificate signing"). Re-issue the CA with keyUsage = keyCertSign, cRLSign.`);
  }
  const now = options.now.getTime();
  if (now < ca.notBefore.getTime() || now > ca.notAfter.getTime()) {
    findings.error('MTLS022', field, `"${ca.subject}" is valid only from ${ca.notBefore.toISOString()} to ${ca.notAfter.toISOString()}; outside that window nginx rejects every client it issued. Renew the CA.`);
  }
  if (issuers && !issuers.length) {
    findings.error('MTLS023', field, `"${ca.subject}" is an intermediate issued by "${ca.issuer}", which is not in ${caField}${ca.authorityKeyId ? ` (no certificate there with that name has its issuer's key ${ca.authorityKeyId})` : ''}. nginx needs the chain up to a self-signed root to verify clients; append the root CA certificate.`);
  }
  if (ca.unhandledCriticalExtensions.length) {
    findings.error('MTLS024', field, `"${ca.subject}" has the critical extension(s) ${extensionList(ca.unhandledCriticalExtensions)}, which OpenSSL does not process, so nginx answers 400 to every client under it: \`openssl verify\` says "unhandled critical extension". Re-issue the CA without them, or with them marked non-critical.`);
  }
  if (ca.explicitCurve) {
    findings.error('MTLS026', field, `"${ca.subject}" has an EC key with explicit curve parameters instead of a named curve; OpenSSL 3 refuses it ("Certificate public key has explicit ECC parameters"), so nginx answers 400 to every client under it. Re-issue the CA with a named-curve key (\`openssl ecparam -name prime256v1 -param_enc named_curve\`, or \`mtls-pki init\`).`);
  }
}

/**
 * OpenSSL counts, for each CA on a client's chain, the CA certificates below it (self-issued ones excepted)
 * and refuses the chain when that exceeds the CA's pathLenConstraint. In ca.crt every CA may issue clients,
 * so the deepest hierarchy below each CA must fit.
 */
function checkPathLengths(findings: Findings, cas: readonly CertificateFacts[], issuers: ReadonlyMap<CertificateFacts, readonly CertificateFacts[]>, fieldOf: (ca: CertificateFacts) => string): void {
  const children = new Map<CertificateFacts, CertificateFacts[]>();
  for (const [ca, parents] of issuers) {
    if (!actsAsCa(ca)) continue;
    for (const parent of parents) children.set(parent, [...(children.get(parent) ?? []), ca]);
  }
  const deepest = new Map<CertificateFacts, CertificateFacts[]>();
  // The longest run of CA certificates below `ca`, as a path of subjects; cycles (cross-signing) stop the walk.
  const below = (ca: CertificateFacts, visiting: Set<CertificateFacts>): CertificateFacts[] => {
    const known = deepest.get(ca);
    if (known) return known;
    visiting.add(ca);
    let longest: CertificateFacts[] = [];
    for (const child of children.get(ca) ?? []) {
      if (visiting.has(child)) continue;
      const path = [child, ...below(child, visiting)];
      if (path.length > longest.length) longest = path;
    }
    visiting.delete(ca);
    deepest.set(ca, longest);
    return longest;
  };
  for (const ca of cas) {
    if (ca.pathLength === undefined || !ca.isCa) continue;
    const path = below(ca, new Set());
    if (path.length > ca.pathLength) {
      const last = path[path.length - 1];
      findings.error('MTLS025', fieldOf(ca), `"${ca.subject}" allows ${ca.pathLength} CA certificate(s) below it (pathLenConstraint ${ca.pathLength}), but ${path.length} follow it in this bundle (${path.map((c) => `"${c.subject}"`).join(' → ')}). OpenSSL refuses every client of "${last.subject}" ("path length constraint exceeded"), so nginx answers 400 to them. Issue clients from a CA within the limit, or re-issue "${ca.subject}" with a larger pathlen.`);
    }
  }
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
