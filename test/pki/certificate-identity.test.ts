import { createRootCa, inspectCertificate } from '../../lib/pki';
import { certificateIdentityOf } from '../../lib/pki/certificate-identity';
import { seedFixture } from '../fixtures';
import { pem as pemOf } from '../support/der-builder';
import { openssl, scratchDir } from '../support/openssl';

// The store pins its CA certificates through certificateIdentityOf (node:crypto and the lean reader) instead of
// inspectCertificate (pkijs): where both read a certificate, they must agree on what the pin and the CRL checks use.

const tmp = scratchDir('mtls-identity-');
afterAll(() => tmp.cleanup());

const multiValuedUtf8 = () => {
  const key = tmp.write('key.pem', openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout']));
  return openssl(['req', '-new', '-x509', '-key', key, '-days', '1', '-utf8', '-multivalue-rdn', '-subj', '/DC=org/O=Ünïcödé Örg+OU=Unit #1/CN=  Spaced   CA ']);
};

test('a certificate\'s identity has the DER, fingerprint and canonical subject that inspectCertificate gives', async () => {
  const pems = [
    seedFixture('client-ca-cert.pem'), seedFixture('server-ca-cert.pem'), seedFixture('client001-cert.pem'), seedFixture('server-cert.pem'),
    (await createRootCa({ commonName: 'Identity RSA CA', keyAlgorithm: 'rsa-2048' })).certificatePem, multiValuedUtf8(),
  ];
  for (const pem of pems) {
    const facts = inspectCertificate(pem);
    expect(certificateIdentityOf(pem)).toEqual({ der: facts.der, fingerprintSha256: facts.fingerprintSha256, subjectKey: facts.subjectKey });
  }
});

test('anything but exactly one readable certificate has no identity, so the caller\'s full parse says what is wrong', () => {
  const one = seedFixture('client-ca-cert.pem');
  const der = inspectCertificate(one).der;
  const truncated = pemOf('CERTIFICATE', der.subarray(0, der.length - 8));
  for (const pem of ['', one + one, seedFixture('client-ca-key.pem'), truncated, one.replace('CERTIFICATE', 'X509 CRL')]) {
    expect(certificateIdentityOf(pem)).toBeUndefined();
  }
});
