import { crlExpiryOf, DataPlaneBehaviour } from './data-plane';
import { CertificateFacts, CrlFacts, isWeakSignatureAlgorithm } from '../pki';
import { SignatureCheck } from '../pki/signature';
import { verifyCrlSignature } from '../pki/crl';
import { DAY_MS } from '../pki/time';
import { IssuerIndex, namesIssuer } from '../pki/verify';
import { extensionList } from './chain-rules';
import { Findings } from './finding';

const REGENERATE = 'regenerate it with the CA\'s own key (`mtls-pki crl`, or `openssl ca -gencrl -cert client-ca-cert.pem -keyfile client-ca-key.pem`).';

/**
 * Which client CAs a CRL can stand for, found the way OpenSSL picks a CRL for a certificate: the CRL's issuer
 * name must match the CA's (RFC 5280 §7.1 matching), its Authority Key Identifier must match the CA's Subject
 * Key Identifier when both are present (otherwise OpenSSL "is unable to get certificate CRL"), and the CA's
 * key must verify it under an algorithm of that key's type.
 */
export interface CrlCoverage {
  /** Client CAs whose subject is the CRL's issuer name. */
  readonly named: readonly CertificateFacts[];
  /** Of those, the ones whose key identifier fits the CRL's AKI. */
  readonly keyMatched: readonly CertificateFacts[];
  /** Of those, the ones whose key verifies the CRL (or whose algorithm we cannot check): the CAs it covers. */
  readonly covers: readonly CertificateFacts[];
  /** The signature outcome that explains the result: success, or the most telling failure. */
  readonly signature?: SignatureCheck;
}

export function crlCoverage(crl: CrlFacts, index: IssuerIndex): CrlCoverage {
  const named = index.withSubject(crl.issuerKey);
  const keyMatched = named.filter((ca) => !crl.authorityKeyId || !ca.subjectKeyId || ca.subjectKeyId === crl.authorityKeyId);
  const covers: CertificateFacts[] = [];
  let signature: SignatureCheck | undefined;
  for (const ca of keyMatched) {
    const outcome = verifyCrlSignature(crl, ca);
    if (outcome.ok || outcome.reason === 'unsupported') covers.push(ca);
    if (!signature || rank(outcome) > rank(signature)) signature = outcome;
  }
  return { named, keyMatched, covers, signature };
}

const rank = (s: SignatureCheck) => (s.ok ? 3 : s.reason === 'unsupported' ? 2 : s.reason === 'wrong-key-type' ? 1 : 0);

export interface CrlCheckContext {
  readonly cas: readonly CertificateFacts[];
  readonly index: IssuerIndex;
  readonly field: string;
  readonly now: Date;
  readonly crlMinValidityDays: number;
  /** Who refuses clients once a CRL has expired, and with what status. */
  readonly dataPlane: DataPlaneBehaviour;
}

/** Adds the findings for one CRL; returns false when it names a client CA but OpenSSL cannot use it for it at all. */
export function checkCrl(findings: Findings, crl: CrlFacts, coverage: CrlCoverage, context: CrlCheckContext): boolean {
  const { field, cas } = context;
  if (!coverage.named.length) {
    findings.error('MTLS032', field, `was issued by "${crl.issuer}", which is not one of the client CAs (${cas.map((c) => `"${c.subject}"`).join(', ')}). nginx ignores it, and the CA it should cover has no CRL. Generate the CRL with the client CA's key (\`mtls-pki crl\`, or \`openssl ca -gencrl -cert client-ca-cert.pem -keyfile client-ca-key.pem\`).`);
    return true;
  }
  if (!coverage.keyMatched.length) {
    findings.error('MTLS043', field, `names "${crl.issuer}" as issuer, but its Authority Key Identifier ${crl.authorityKeyId} is not the Subject Key Identifier of that CA (${coverage.named.map((c) => c.subjectKeyId).join(', ')}): it was signed by another key with the same name (a rollover key, or another CA). OpenSSL then finds no CRL for the CA's clients ("unable to get certificate CRL") and nginx answers 400 to every client. Fix: ${REGENERATE}`);
    return false;
  }
  const signature = coverage.signature!;
  const issuer = coverage.covers[0] ?? coverage.keyMatched[0];
  if (!signature.ok && signature.reason === 'wrong-key-type') {
    findings.error('MTLS044', field, `is signed with ${signature.algorithm}, which does not fit the ${signature.keyType.toUpperCase()} key of "${issuer.subject}". OpenSSL refuses it ("CRL signature failure") and nginx answers 400 to every client. The CRL was made by a broken or misconfigured tool; ${REGENERATE}`);
  } else if (!signature.ok && signature.reason === 'bad-signature') {
    findings.error('MTLS033', field, `names "${crl.issuer}" as issuer, but its signature does not verify with that CA's key, so OpenSSL says "CRL signature failure" and nginx answers 400 to every client. It was signed by another key with the same name, or altered; ${REGENERATE}`);
  } else if (!signature.ok && signature.known) {
    findings.warn('MTLS046', field, `is signed with ${signature.algorithm}, which these checks cannot verify; if its signature is wrong, nginx answers 400 to every client. Verify it yourself: \`openssl crl -in crl.pem -noout -verify -CAfile ca.pem\`.`);
  } else if (!signature.ok) {
    findings.error('MTLS046', field, `is signed with the algorithm ${signature.algorithm}, which is none of those OpenSSL verifies CRLs with (RSA, RSASSA-PSS, ECDSA, DSA, Ed25519, Ed448), so nginx would answer 400 to every client ("CRL signature failure"). Fix: ${REGENERATE}`);
  }
  if (isWeakSignatureAlgorithm(crl.signatureAlgorithm)) {
    findings.warn('MTLS045', field, `is signed with ${crl.signatureAlgorithm}. nginx with OpenSSL 3.0 still accepts it, but SHA-1 and MD5 signatures can be forged by collision, and systems that ban SHA-1 signatures (RHEL 9's DEFAULT crypto policy, for one) refuse the CRL, and with it every client. Regenerate it with SHA-256 (\`openssl ca -gencrl -md sha256\`).`);
  }
  if (issuer.keyUsage && !issuer.keyUsage.includes('cRLSign')) {
    findings.error('MTLS027', field, `is signed by "${issuer.subject}", whose KeyUsage (${issuer.keyUsage.join(', ') || 'empty'}) lacks cRLSign, so OpenSSL refuses the CRL ("key usage does not include CRL signing") and nginx answers 400 to every client. Re-issue the CA with keyUsage = keyCertSign, cRLSign (keeping its key, so issued clients stay valid).`);
  }
  const critical = [...crl.unhandledCriticalExtensions, ...crl.unhandledCriticalEntryExtensions.map((oid) => `${oid} in an entry`)];
  if (critical.length) {
    findings.error('MTLS041', field, `has the critical extension(s) ${extensionList(critical)}, which OpenSSL does not process, so nginx answers 400 to every client: \`openssl verify -crl_check\` says "unhandled critical CRL extension". Fix: ${REGENERATE} (\`mtls-pki crl\` writes only AKI and CRL Number, non-critical.)`);
  }
  checkScope(findings, crl, issuer, context);
  if (crl.deltaCrl) {
    findings.error('MTLS047', field, `is a delta CRL (it has a deltaCRLIndicator): it lists only the changes since a full CRL, and nginx never combines the two. OpenSSL 3.0.19 and older take it as the full CRL, so every client revoked only in the full CRL is admitted; releases with the fix for openssl#31040 ignore it, so nginx answers 400 to every client ("unable to get certificate CRL"). Give the full CRL instead.`);
  }
  if (crl.foreignEntries) {
    findings.error('MTLS048', field, `assigns ${crl.foreignEntries} of its ${crl.entries.length} entries to another CA with a certificateIssuer extension (an indirect CRL). OpenSSL applies those entries only to certificates of that CA, so the clients they list are not revoked: nginx admits them. Put each CA's revocations in a CRL of its own, signed by that CA.`);
  }
  checkCrlContent(findings, crl, context);
  return coverage.covers.length > 0;
}

/** An IssuingDistributionPoint narrows a CRL's scope; nginx then finds no CRL for some or all clients. */
function checkScope(findings: Findings, crl: CrlFacts, issuer: CertificateFacts, context: CrlCheckContext): void {
  const idp = crl.issuingDistributionPoint;
  if (!idp) return;
  const { field, cas } = context;
  const subordinates = cas.filter((c) => c !== issuer && !c.selfIssued && namesIssuer(c, issuer));
  const scopeError = (what: string, openssl: string) => findings.error('MTLS042', field, `has an IssuingDistributionPoint that ${what}, so OpenSSL says "${openssl}" and nginx answers 400 to ${issuer.selfIssued || subordinates.length ? 'every client' : 'the clients it should cover'}. Give a full CRL without an IssuingDistributionPoint (\`mtls-pki crl\` writes none).`);
  const onlyFlags = [idp.onlyContainsUserCerts, idp.onlyContainsCACerts, idp.onlyContainsAttributeCerts].filter(Boolean).length;
  if (onlyFlags > 1) scopeError('sets more than one of onlyContainsUserCerts, onlyContainsCACerts and onlyContainsAttributeCerts, which is invalid', 'unable to get certificate CRL');
  else if (idp.onlySomeReasons) scopeError('covers only some revocation reasons (onlySomeReasons), which OpenSSL handles only with extended CRL support, which nginx does not turn on', 'unable to get certificate CRL');
  else if (idp.indirectCRL) scopeError('marks it as an indirect CRL, which OpenSSL handles only with extended CRL support, which nginx does not turn on', 'unable to get certificate CRL');
  else if (idp.onlyContainsAttributeCerts) scopeError('limits it to attribute certificates, which client certificates are not', 'different CRL scope');
  else if (idp.hasDistributionPoint) scopeError('names a distribution point of its own: it covers only certificates whose cRLDistributionPoints name that point', 'different CRL scope');
  else if (idp.onlyContainsCACerts && !subordinates.length) scopeError(`limits it to CA certificates (onlyContainsCACerts), but "${issuer.subject}" issues client certificates`, 'different CRL scope');
  else if (idp.onlyContainsCACerts) {
    findings.warn('MTLS042', field, `has an IssuingDistributionPoint that limits it to CA certificates (onlyContainsCACerts): it covers ${subordinates.map((c) => `"${c.subject}"`).join(', ')}, but any client issued directly by "${issuer.subject}" would get 400 ("different CRL scope"). Issue clients only from the intermediate CA(s).`);
  } else if (idp.onlyContainsUserCerts && (issuer.selfIssued || subordinates.length)) {
    const cause = issuer.selfIssued ? `nginx also checks the root "${issuer.subject}" itself against its own CRL` : `"${issuer.subject}" issued the CA(s) ${subordinates.map((c) => `"${c.subject}"`).join(', ')}`;
    scopeError(`limits it to end-entity certificates (onlyContainsUserCerts), but ${cause}, and CA certificates are out of its scope`, 'different CRL scope');
  }
}

/** Version, validity window and entries: the rules that existed before the OpenSSL corpus. */
function checkCrlContent(findings: Findings, crl: CrlFacts, context: CrlCheckContext): void {
  const { field } = context;
  if (crl.version !== 2 || !crl.nextUpdate) {
    findings.error('MTLS039', field, `is ${crl.version !== 2 ? `version ${crl.version}` : 'missing nextUpdate'}; RFC 5280 requires a v2 CRL with nextUpdate, and without nextUpdate nobody can tell when it goes stale. Regenerate it with \`mtls-pki crl\`.`);
  }
  const now = context.now.getTime();
  if (crl.thisUpdate.getTime() > now) {
    findings.error('MTLS038', field, `is not valid until ${crl.thisUpdate.toISOString()} (thisUpdate is in the future); nginx rejects every client with "CRL is not yet valid" until then. Check the clock of the machine that generated it.`);
  }
  if (crl.nextUpdate) {
    const left = crl.nextUpdate.getTime() - now;
    const regenerate = 'Regenerate it (`mtls-pki crl`, or `openssl ca -gencrl -crldays N`), re-synth and apply.';
    const { server, refusal, crlExpiry } = context.dataPlane;
    const expiry = crlExpiryOf(context.dataPlane);
    if (left <= 0) {
      findings.error('MTLS034', field, `from "${crl.issuer}" expired at ${crl.nextUpdate.toISOString()}. ${expiry}. ${regenerate}`);
    } else if (left < context.crlMinValidityDays * DAY_MS) {
      const after = crlExpiry === undefined ? `after that ${server} rejects every client: ${refusal} for every client` : `once it has expired, ${expiry}`;
      findings.error('MTLS035', field, `from "${crl.issuer}" expires at ${crl.nextUpdate.toISOString()}, in ${(left / DAY_MS).toFixed(1)} days, within the ${context.crlMinValidityDays}-day threshold; ${after}. ${regenerate}`);
    }
  }
  if (crl.duplicateSerials.length) {
    findings.error('MTLS037', field, `lists serial(s) ${crl.duplicateSerials.slice(0, 5).join(', ')} more than once; RFC 5280 allows each serial once per CRL, so the CRL's generator or its database is broken. Regenerate it from a clean revocation list.`);
  }
}
