import { CertificateFacts, coversHost, isSignedBy, isWeakSignatureAlgorithm, keyMatchesCertificate, readCertificates, readPrivateKey } from '../pki';
import { DAY_MS } from '../pki/time';
import { actsAsCa, extensionList } from './chain-rules';
import { Findings } from './finding';


export interface ServerTlsInput {
  readonly certificateChainPem: string;
  readonly privateKeyPem: string;
}

export interface ServerTlsCheckOptions {
  readonly hosts: readonly string[];
  readonly now: Date;
  /** Warn when the leaf expires within this many days. */
  readonly minValidityDays: number;
  /** How the inputs are named in findings, e.g. `serverTls` or a file path. */
  readonly chainField: string;
  readonly keyField: string;
}

/**
 * Checks the server certificate chain and key the way ingress-nginx and its clients will judge them,
 * catching the three classic controller errors (CA as server certificate, incomplete chain, CN without
 * SAN) before deployment.
 */
export function checkServerTls(findings: Findings, input: ServerTlsInput, options: ServerTlsCheckOptions): readonly CertificateFacts[] | undefined {
  const { chainField, keyField } = options;
  if (!input.certificateChainPem?.trim()) {
    findings.error('MTLS010', chainField, 'is empty; give the server certificate followed by its CA chain (PEM), e.g. `cat server-cert.pem server-ca-cert.pem`.');
    return undefined;
  }
  const chain = findings.read('MTLS010', chainField, () => readCertificates(input.certificateChainPem, chainField));
  const key = input.privateKeyPem?.trim()
    ? findings.read('MTLS010', keyField, () => readPrivateKey(input.privateKeyPem, keyField))
    : (findings.error('MTLS010', keyField, 'is empty; give the server certificate\'s private key (PEM).'), undefined);
  if (!chain) return undefined;

  const leaf = chain[0];
  const leafIsCa = leaf.isCa;
  if (leafIsCa) {
    findings.error('MTLS001', chainField, `the first certificate, "${leaf.subject}", is a CA certificate (cA=TRUE), not a server certificate. ingress-nginx would log "x509: certificate is not valid for any names". Put the server certificate first and its CA after it (\`cat server-cert.pem server-ca-cert.pem\`), with the server certificate's own key.`);
  }
  checkChainLinks(findings, chain, chainField);
  if (key && !keyMatchesCertificate(leaf, input.privateKeyPem)) {
    findings.error('MTLS007', keyField, `does not belong to the certificate "${leaf.subject}" (serial ${leaf.serialHex}). ingress-nginx cannot load such a Secret (its log says "tls: private key does not match public key") and serves its self-signed default certificate instead, so clients fail with curl: (60). Give the key generated with that certificate (a common slip: the CA's key paired with the server certificate).`);
  }
  if (!leafIsCa) checkNames(findings, leaf, options);
  checkValidity(findings, chain, options);
  if (leaf.extendedKeyUsage && !leaf.extendedKeyUsage.includes('serverAuth') && !leaf.extendedKeyUsage.includes('2.5.29.37.0')) {
    findings.error('MTLS011', chainField, `"${leaf.subject}" has ExtendedKeyUsage ${leaf.extendedKeyUsage.join(', ')} without serverAuth, so browsers and curl refuse it as a server certificate. Re-issue it with extendedKeyUsage = serverAuth (\`mtls-pki server <host>\`).`);
  }
  chain.forEach((cert, i) => {
    if (!cert.selfIssued && isWeakSignatureAlgorithm(cert.signatureAlgorithm)) {
      findings.error('MTLS012', `${chainField} (certificate ${i + 1})`, `"${cert.subject}" is signed with ${cert.signatureAlgorithm}, which OpenSSL 3 and current clients reject. Re-issue it with SHA-256 (openssl: -sha256).`);
    }
  });
  checkChainCertificates(findings, chain, chainField);
  return chain;
}

/** What TLS clients (curl, browsers, through OpenSSL's chain rules) refuse in any certificate of the chain. */
function checkChainCertificates(findings: Findings, chain: readonly CertificateFacts[], chainField: string): void {
  let casBelow = 0;
  chain.forEach((cert, i) => {
    const field = `${chainField} (certificate ${i + 1})`;
    const issuesPrevious = i > 0 && chain[i - 1].issuerKey === cert.subjectKey;
    if (issuesPrevious && !actsAsCa(cert)) {
      findings.error('MTLS013', field, `"${cert.subject}" issues the certificate before it, but is not a CA (BasicConstraints cA is not TRUE), so clients refuse the chain: curl: (60) "invalid CA certificate". Serve the real intermediate CA certificate, or re-issue this one with basicConstraints = critical, CA:TRUE.`);
    } else if (issuesPrevious && cert.keyUsage && !cert.keyUsage.includes('keyCertSign')) {
      findings.error('MTLS013', field, `"${cert.subject}" issues the certificate before it, but its KeyUsage (${cert.keyUsage.join(', ') || 'empty'}) lacks keyCertSign, so clients refuse the chain: curl: (60) "invalid CA certificate" ("key usage does not include certificate signing"). Re-issue it with keyUsage = keyCertSign, cRLSign.`);
    }
    if (i > 0 && cert.pathLength !== undefined && casBelow > cert.pathLength) {
      findings.error('MTLS014', field, `"${cert.subject}" allows ${cert.pathLength} CA certificate(s) below it (pathLenConstraint ${cert.pathLength}), but the chain has ${casBelow}, so clients refuse it: curl: (60) "path length constraint exceeded". Re-issue it with a larger pathlen, or issue the server certificate from a CA within the limit.`);
    }
    if (i > 0 && !cert.selfIssued) casBelow++;
    if (cert.explicitCurve) {
      findings.error('MTLS015', field, `"${cert.subject}" has an EC key with explicit curve parameters instead of a named curve; OpenSSL 3 clients refuse it (curl: (60) "Certificate public key has explicit ECC parameters"), and Go, which the ingress controller is written in, cannot parse it. Re-issue it with a named-curve key (P-256 or P-384).`);
    }
    if (cert.unhandledCriticalExtensions.length) {
      findings.error('MTLS016', field, `"${cert.subject}" has the critical extension(s) ${extensionList(cert.unhandledCriticalExtensions)}, which TLS clients do not process, so they refuse the chain: curl: (60) "unhandled critical extension". Re-issue it without them, or with them marked non-critical.`);
    }
  });
}

/** Each certificate must be issued by the next one, and the chain must end at a self-signed CA. */
function checkChainLinks(findings: Findings, chain: readonly CertificateFacts[], field: string): void {
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i];
    const next = chain[i + 1];
    if (cert.selfIssued) {
      if (!isSignedBy(cert, cert)) findings.error('MTLS004', field, `certificate ${i + 1}, "${cert.subject}", is self-issued but its signature does not verify with its own key; the file is corrupted or forged.`);
      if (next) findings.error('MTLS003', field, `certificate ${i + 1}, "${cert.subject}", is a root, but ${chain.length - i - 1} more certificate(s) follow it. Order the chain leaf first, then each issuer, ending with the root.`);
      return;
    }
    const issuerIndex = chain.findIndex((c) => c.subjectKey === cert.issuerKey);
    if (issuerIndex === -1) {
      findings.error('MTLS002', field, `the chain is incomplete: certificate ${i + 1}, "${cert.subject}", is issued by "${cert.issuer}", which is not in the file. Clients then fail with "unable to get local issuer certificate" (curl: (60)). Append the issuer's certificate: \`cat server-cert.pem server-ca-cert.pem > server-cert-chain.pem\`.`);
      return;
    }
    if (issuerIndex !== i + 1) {
      findings.error('MTLS003', field, `the chain is out of order: certificate ${i + 1}, "${cert.subject}", is issued by certificate ${issuerIndex + 1}, "${chain[issuerIndex].subject}", which must come directly after it. Order the chain leaf first, then each issuer.`);
      return;
    }
    if (!isSignedBy(cert, chain[issuerIndex])) {
      findings.error('MTLS004', field, `certificate ${i + 1}, "${cert.subject}", names "${cert.issuer}" as issuer, but that certificate's key did not sign it (a CA with the same name but another key). Use the CA certificate that actually issued it.`);
      return;
    }
  }
}

function checkNames(findings: Findings, leaf: CertificateFacts, options: ServerTlsCheckOptions): void {
  const hostNames = leaf.subjectAltNames.filter((s) => s.kind === 'dns' || s.kind === 'ip');
  if (hostNames.length === 0) {
    findings.error('MTLS005', options.chainField, `"${leaf.subject}" has no subjectAltName${leaf.commonName ? ` (only CN=${leaf.commonName})` : ''}. ingress-nginx would log "x509: certificate relies on legacy Common Name field, use SANs instead". Re-issue it with a SAN: \`mtls-pki server ${options.hosts[0] ?? '<host>'}\`, or openssl with \`-extfile\` holding \`subjectAltName = DNS:${options.hosts[0] ?? '<host>'}\`.`);
    return;
  }
  for (const host of options.hosts) {
    if (!coversHost(leaf, host)) {
      findings.error('MTLS006', options.chainField, `"${leaf.subject}" does not cover host "${host}": its SANs are ${hostNames.map((s) => `${s.kind.toUpperCase()}:${s.value}`).join(', ')} (a wildcard covers exactly one label). Re-issue it with ${host} in subjectAltName, or serve a host it names.`);
    }
  }
}

function checkValidity(findings: Findings, chain: readonly CertificateFacts[], options: ServerTlsCheckOptions): void {
  const now = options.now.getTime();
  chain.forEach((cert, i) => {
    const field = i === 0 ? options.chainField : `${options.chainField} (certificate ${i + 1})`;
    if (now < cert.notBefore.getTime()) {
      findings.error('MTLS008', field, `"${cert.subject}" is not valid until ${cert.notBefore.toISOString()}; clients reject it until then. Check the issuing machine's clock, or re-issue it.`);
    } else if (now > cert.notAfter.getTime()) {
      findings.error('MTLS008', field, `"${cert.subject}" expired at ${cert.notAfter.toISOString()}; clients reject it. Re-issue it (\`mtls-pki server\`), then re-synth.`);
    } else if (i === 0 && cert.notAfter.getTime() - now < options.minValidityDays * DAY_MS) {
      const days = ((cert.notAfter.getTime() - now) / DAY_MS).toFixed(1);
      findings.warn('MTLS009', field, `"${cert.subject}" expires in ${days} days (${cert.notAfter.toISOString()}), within the ${options.minValidityDays}-day warning window. Renew it before then.`);
    }
  });
}
