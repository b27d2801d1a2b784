import { CheckCode, checkClientTrust, checkServerTls, Finding, Findings } from '../../lib';
import { FIXTURE_NOW } from '../fixtures';

/**
 * Our verdict on a client CA bundle and CRLs: the findings of the same checks synth and `mtls-pki check` run.
 * The certificate cases give no CRL on purpose; the "revocation checking is off" warning (MTLS058) that this
 * draws is about the missing CRL, not the CA under test, so it is left out of their verdict.
 */
export function clientTrustFindings(caPem: string, crlPem?: string): readonly Finding[] {
  const findings = new Findings();
  checkClientTrust(findings, { clientCaPem: caPem, crlPem }, { now: FIXTURE_NOW, crlMinValidityDays: 7, caField: 'ca.crt', crlField: 'ca.crl' });
  return crlPem === undefined ? findings.all.filter((f) => f.code !== 'MTLS058') : findings.all;
}

export function serverTlsFindings(chainPem: string, keyPem: string, host: string): readonly Finding[] {
  const findings = new Findings();
  checkServerTls(findings, { certificateChainPem: chainPem, privateKeyPem: keyPem }, { hosts: [host], now: FIXTURE_NOW, minValidityDays: 30, chainField: 'tls.crt', keyField: 'tls.key' });
  return findings.all;
}

/** `MTLS041, MTLS036 (warning MTLS045)`, or `pass`: how a verdict reads in the corpus tables. */
export function summary(findings: readonly Finding[]): string {
  const errors = [...new Set(findings.filter((f) => f.severity === 'error').map((f) => f.code))];
  const warnings = [...new Set(findings.filter((f) => f.severity === 'warning').map((f) => f.code))];
  return `${errors.join(', ') || 'pass'}${warnings.length ? ` (warning ${warnings.join(', ')})` : ''}`;
}

export function errorCodes(findings: readonly Finding[]): CheckCode[] {
  return [...new Set(findings.filter((f) => f.severity === 'error').map((f) => f.code))];
}
