import { BuiltCrl, CrlOptions, REVOCATION_REASONS, serialToBytes } from '../../lib/pki';
import { asn1js, pkijs } from '../../lib/pki/engine';
import { hashFor } from '../../lib/pki/keys';

// The reference the lean `buildCrl` (der.ts writer, splice, node:crypto signature) is compared against: the
// same CRL built the plain pkijs way, one object per entry and pkijs signing through WebCrypto (~75 µs per
// entry). It builds the envelope itself rather than sharing crl.ts' code, so that the comparison also
// covers the envelope, and its PEM the plain way (one string per line), so that pem.ts' encoder is checked
// too. It validates nothing: test/pki/crl-lean.test.ts gives it only valid input.

const OID = { authorityKeyIdentifier: '2.5.29.35', crlNumber: '2.5.29.20', crlReason: '2.5.29.21' };

/** RFC 5280 §4.1.2.5, written out here rather than imported, so that lib's choice is checked, not copied. */
function time(date: Date): pkijs.Time {
  const year = date.getUTCFullYear();
  return new pkijs.Time({ type: year >= 1950 && year < 2050 ? 0 : 1, value: new Date(Math.floor(date.getTime() / 1000) * 1000) });
}

function extension(extnID: string, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical: false, extnValue: value.toBER(false) });
}

export async function buildCrlWithPkijs(options: CrlOptions): Promise<BuiltCrl> {
  const { issuer } = options;
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = issuer.certificate.subject;
  crl.thisUpdate = time(options.thisUpdate);
  crl.nextUpdate = time(options.nextUpdate);
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [
      extension(OID.authorityKeyIdentifier, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: Buffer.from(issuer.facts.subjectKeyId!, 'hex') }) }).toSchema()),
      extension(OID.crlNumber, asn1js.Integer.fromBigInt(options.crlNumber)),
    ],
  });
  if (options.entries.length) {
    crl.revokedCertificates = options.entries.map((e) => new pkijs.RevokedCertificate({
      userCertificate: new asn1js.Integer({ valueHex: serialToBytes(e.serialHex) }),
      revocationDate: time(e.revokedAt),
      ...(e.reason && e.reason !== 'unspecified'
        ? { crlEntryExtensions: new pkijs.Extensions({ extensions: [extension(OID.crlReason, new asn1js.Enumerated({ value: REVOCATION_REASONS[e.reason] }))] }) }
        : {}),
    }));
  }
  await crl.sign(issuer.keyPair.privateKey as CryptoKey, hashFor(issuer.keyPair.algorithm));
  const der = new Uint8Array(crl.toSchema(true).toBER(false));
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return { der, pem: `-----BEGIN X509 CRL-----\n${lines.join('\n')}\n-----END X509 CRL-----\n` };
}
