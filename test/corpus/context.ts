import { CertificateAuthority, createIntermediateCa, createRootCa, IssuedCertificate, issueClientCertificate } from '../../lib/pki';
import { opensslResult, scratchDir } from '../support/openssl';
import { signerOf, Signer } from '../support/crafted-crl';
import { DAY, FIXTURE_NOW } from '../fixtures';

export const VALIDITY = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2030-01-01T00:00:00Z') };
export const days = (n: number) => new Date(FIXTURE_NOW.getTime() + n * DAY);

type Ca = CertificateAuthority & IssuedCertificate & { signer: Signer };

/** The PKI every case starts from: real CAs and valid clients made by our builder. */
export interface CorpusPki {
  ec: Ca;
  ecClient: IssuedCertificate;
  rsa: Ca;
  rsaClient: IssuedCertificate;
  root: Ca;
  intermediate: Ca;
  intermediateClient: IssuedCertificate;
  /** Another CA with the same name as `ec` and its own key: a rollover key, or an impostor. */
  ecTwin: Ca;
}

export async function makeCorpusPki(): Promise<CorpusPki> {
  const withSigner = (ca: CertificateAuthority & IssuedCertificate): Ca => ({ ...ca, signer: signerOf(ca) });
  const notBefore = VALIDITY.notBefore;
  const ec = withSigner(await createRootCa({ commonName: 'Corpus Client CA', organization: 'Corpus', notBefore }));
  const ecTwin = withSigner(await createRootCa({ commonName: 'Corpus Client CA', organization: 'Corpus', notBefore }));
  const rsa = withSigner(await createRootCa({ commonName: 'Corpus RSA CA', notBefore, keyAlgorithm: 'rsa-2048' }));
  const root = withSigner(await createRootCa({ commonName: 'Corpus Root', notBefore, pathLength: 1 }));
  const intermediate = withSigner(await createIntermediateCa(root, { commonName: 'Corpus Issuing', notBefore }));
  return {
    ec, ecTwin, rsa, root, intermediate,
    ecClient: await issueClientCertificate(ec, { commonName: 'valid-ec', notBefore }),
    rsaClient: await issueClientCertificate(rsa, { commonName: 'valid-rsa', notBefore }),
    intermediateClient: await issueClientCertificate(intermediate, { commonName: 'valid-chain', notBefore }),
  };
}

export interface OpensslVerdict {
  readonly accepted: boolean;
  /** openssl's last line for a refusal, e.g. `error 3 at 0 depth lookup: unable to get certificate CRL`. */
  readonly reason: string;
}

/**
 * `openssl verify` of one client under `caPem` (every certificate trusted, as nginx's ssl_client_certificate)
 * and `crlPem`, at FIXTURE_NOW, with the CRL flags nginx sets (`ssl_crl` turns on CRL_CHECK and CRL_CHECK_ALL).
 * The CRLs go into the trust store with the CAs (one -CAfile), as nginx's ssl_crl loads them, rather than
 * through -CRLfile: OpenSSL then picks CRLs the way nginx has it pick them, and gives the same reasons.
 */
export function opensslVerify(caPem: string, crlPem: string | undefined, clientPem: string, flags: string[] = ['-crl_check_all']): OpensslVerdict {
  const tmp = scratchDir('mtls-corpus-');
  try {
    const args = ['verify', '-attime', String(Math.floor(FIXTURE_NOW.getTime() / 1000)), ...(crlPem ? flags : []), '-CAfile', tmp.write('ca.pem', caPem + (crlPem ?? ''))];
    args.push(tmp.write('client.pem', clientPem));
    const r = opensslResult(args);
    const reason = r.output.split('\n').filter((l) => /^error \d+ at/.test(l)).join('; ') || r.output.trim().split('\n').pop() || '';
    return { accepted: r.status === 0, reason: r.status === 0 ? 'OK' : reason };
  } finally {
    tmp.cleanup();
  }
}
