import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  buildCrl, CertificateAuthority, createIntermediateCa, createRootCa, IssuedCertificate, issueClientCertificate, issueServerCertificate,
} from '../../lib/pki';
import { DAY, FIXTURE_NOW, SEED_HOST } from '../fixtures';
import { scratchDir } from '../support/openssl';

const longAgo = new Date('2026-01-01T00:00:00Z');

/** Bad and good PKI material for the check tests, made once per file. */
export interface BadMaterial {
  serverCa: CertificateAuthority & IssuedCertificate;
  server: IssuedCertificate;
  clientCa: CertificateAuthority & IssuedCertificate;
  client: IssuedCertificate;
  impostorServerCa: CertificateAuthority & IssuedCertificate;
  impostorClientCa: CertificateAuthority & IssuedCertificate;
  expiredServer: IssuedCertificate;
  futureServer: IssuedCertificate;
  expiringServer: IssuedCertificate;
  cnOnlyServerPem: string;
  sha1ServerPem: string;
  root: CertificateAuthority & IssuedCertificate;
  intermediate: CertificateAuthority & IssuedCertificate;
  expiredCa: CertificateAuthority & IssuedCertificate;
  crl(issuer: CertificateAuthority, options?: { thisUpdate?: Date; nextUpdate?: Date; serials?: string[] }): Promise<string>;
  v1CrlPem: string;
}

export async function makeBadMaterial(): Promise<BadMaterial> {
  const serverCa = await createRootCa({ commonName: 'Server CA', notBefore: longAgo });
  const clientCa = await createRootCa({ commonName: 'Client CA', notBefore: longAgo });
  const impostorServerCa = await createRootCa({ commonName: 'Server CA', notBefore: longAgo });
  const impostorClientCa = await createRootCa({ commonName: 'Client CA', notBefore: longAgo });
  const root = await createRootCa({ commonName: 'Client Root', notBefore: longAgo, pathLength: 1 });
  const intermediate = await createIntermediateCa(root, { commonName: 'Client Issuing', notBefore: longAgo });
  const expiredCa = await createRootCa({ commonName: 'Old Client CA', notBefore: new Date(FIXTURE_NOW.getTime() - 10 * DAY), validityDays: 2 });

  const tmp = scratchDir();
  try {
    tmp.write('ca.pem', serverCa.certificatePem);
    tmp.write('ca.key', serverCa.privateKeyPem);
    // The seed's third error: a server certificate with a CN and no SAN, made exactly as the seed made it.
    const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: tmp.dir, stdio: 'pipe' });
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-keyout', 'cn.key', '-out', 'cn.csr', '-nodes', '-subj', `/CN=${SEED_HOST}`]);
    openssl(['x509', '-req', '-sha256', '-days', '36500', '-in', 'cn.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '01', '-out', 'cn.pem']);
    openssl(['x509', '-req', '-sha1', '-days', '36500', '-in', 'cn.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '02', '-extfile', tmp.write('san.cnf', `subjectAltName=DNS:${SEED_HOST}\n`), '-out', 'sha1.pem']);
    tmp.write('client-ca.pem', clientCa.certificatePem);
    tmp.write('client-ca.key', clientCa.privateKeyPem);
    tmp.write('index.txt', '');
    tmp.write('ca.cnf', '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ndefault_md=sha256\ndefault_crl_days=36000\n');
    // Without a crlnumber file and CRL extensions, openssl writes a version 1 CRL.
    openssl(['ca', '-config', 'ca.cnf', '-gencrl', '-cert', 'client-ca.pem', '-keyfile', 'client-ca.key', '-out', 'v1.crl']);
    const read = (f: string) => readFileSync(`${tmp.dir}/${f}`, 'utf8');
    return {
      serverCa, clientCa, impostorServerCa, impostorClientCa, root, intermediate, expiredCa,
      server: await issueServerCertificate(serverCa, { names: [SEED_HOST], notBefore: longAgo }),
      client: await issueClientCertificate(clientCa, { commonName: 'Client002', notBefore: longAgo }),
      expiredServer: await issueServerCertificate(serverCa, { names: [SEED_HOST], notBefore: new Date(FIXTURE_NOW.getTime() - 10 * DAY), validityDays: 5 }),
      futureServer: await issueServerCertificate(serverCa, { names: [SEED_HOST], notBefore: new Date(FIXTURE_NOW.getTime() + DAY) }),
      expiringServer: await issueServerCertificate(serverCa, { names: [SEED_HOST], notBefore: new Date(FIXTURE_NOW.getTime() - DAY), validityDays: 10 }),
      cnOnlyServerPem: read('cn.pem') + serverCa.certificatePem,
      sha1ServerPem: read('sha1.pem') + serverCa.certificatePem,
      v1CrlPem: read('v1.crl'),
      async crl(issuer, options = {}) {
        const thisUpdate = options.thisUpdate ?? new Date(FIXTURE_NOW.getTime() - DAY);
        return (await buildCrl({
          issuer, crlNumber: 1n, thisUpdate, nextUpdate: options.nextUpdate ?? new Date(FIXTURE_NOW.getTime() + 90 * DAY),
          entries: (options.serials ?? []).map((serialHex) => ({ serialHex, revokedAt: thisUpdate })),
        })).pem;
      },
    };
  } finally {
    tmp.cleanup();
  }
}
