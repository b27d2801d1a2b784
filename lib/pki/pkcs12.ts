import { createHash } from 'node:crypto';
import { toArrayBuffer } from './asn1';
import { asn1js, pkijs } from './engine';
import { UserInputError } from './errors';
import { inspectCertificate, readCertificates } from './inspect';
import { pbes2Parameters, PBKDF2_MIN_ITERATIONS } from './key-encryption';
import { readPrivateKey } from './keys';
import { keyMatchesCertificate } from './verify';

// PKCS#12 (RFC 7292) bundles of a client certificate, its key and its CA chain, for browsers and Java clients,
// built with pkijs the way OpenSSL 3 builds them by default (so `openssl pkcs12` reads them without -legacy):
//
//   PFX v3, integrity by password: MAC HMAC-SHA-256, key from the RFC 7292 appendix B KDF with SHA-256
//   └─ AuthenticatedSafe
//      ├─ EncryptedData (PBES2: PBKDF2-HMAC-SHA-256 + AES-256-CBC) ─ SafeContents: CertBag leaf, CertBag CA…
//      └─ Data ─ SafeContents: PKCS8ShroudedKeyBag (PBES2: PBKDF2-HMAC-SHA-256 + AES-256-CBC)
//
// The leaf's cert bag and the key bag share a localKeyId and a friendlyName, which is how Java's KeyStore,
// NSS (Firefox) and Windows pair a key with its certificate; the CA certificates carry neither.

const OID = {
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
} as const;

/**
 * PBKDF2 and MAC iterations. OpenSSL 3 writes 2048; the MAC's KDF is also a password oracle, so both get the
 * same, higher count. About half a second to build on a laptop; Java reads up to 5,000,000.
 */
export const PKCS12_DEFAULT_ITERATIONS = 200_000;
/** RFC 8018 asks for at least 1000; we ask for the OpenSSL 3 default. */
export const PKCS12_MIN_ITERATIONS = PBKDF2_MIN_ITERATIONS;

export interface Pkcs12Options {
  /** The leaf certificate, PEM (one certificate). */
  readonly certificatePem: string;
  /** Its private key, PEM (PKCS#8, PKCS#1 or SEC1, unencrypted). */
  readonly privateKeyPem: string;
  /** The CA certificates to include (e.g. the client CA, and its intermediate), PEM; none when omitted. */
  readonly caCertificatesPem?: string;
  /** The password that encrypts the key and the certificates and keys the MAC. Must not be empty. */
  readonly password: string;
  /** Shown by browsers and keytool as the entry's name. @default the certificate's CN */
  readonly friendlyName?: string;
  /** @default PKCS12_DEFAULT_ITERATIONS */
  readonly iterations?: number;
}

/**
 * Builds a PKCS#12 (.p12/.pfx) file: DER bytes, to be written 0600 (it holds the private key, encrypted with
 * the password). Refuses a key that does not belong to the certificate and an empty password.
 */
export async function buildPkcs12(options: Pkcs12Options): Promise<Uint8Array> {
  const iterations = options.iterations ?? PKCS12_DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < PKCS12_MIN_ITERATIONS) {
    throw new UserInputError('iterations', `${iterations} is too low for a PKCS#12 file; use at least ${PKCS12_MIN_ITERATIONS}.`);
  }
  if (options.password.length === 0) throw new UserInputError('password', 'is empty; a PKCS#12 file needs a password that protects its private key.');
  const leaf = inspectCertificate(options.certificatePem, 'certificate');
  const key = readPrivateKey(options.privateKeyPem, 'private key');
  if (!keyMatchesCertificate(leaf, options.privateKeyPem)) {
    throw new UserInputError('private key', `does not belong to the certificate ${leaf.subject} (serial ${leaf.serialHex}).`);
  }
  const cas = options.caCertificatesPem ? readCertificates(options.caCertificatesPem, 'CA certificates') : [];
  // pkijs draws the IV (16 bytes) and the PBKDF2 salt (64 bytes) itself, for each encryption.
  const pbes2 = pbes2Parameters(options.password, iterations);
  const { password } = pbes2;

  const localKeyId = new Uint8Array(createHash('sha256').update(leaf.der).digest());
  const friendlyName = options.friendlyName ?? leaf.commonName ?? leaf.subject;
  const leafAttributes = () => [
    new pkijs.Attribute({ type: OID.friendlyName, values: [new asn1js.BmpString({ value: friendlyName })] }),
    new pkijs.Attribute({ type: OID.localKeyId, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(localKeyId) })] }),
  ];
  const certBag = (der: Uint8Array, attributes?: pkijs.Attribute[]) => new pkijs.SafeBag({
    bagId: OID.certBag,
    bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(toArrayBuffer(der)) }),
    ...(attributes ? { bagAttributes: attributes } : {}),
  });

  const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(key.export({ format: 'der', type: 'pkcs8' })) });
  await keyBag.makeInternalValues(pbes2);

  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: [certBag(leaf.der, leafAttributes()), ...cas.map((ca) => certBag(ca.der))] }) },
        { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [new pkijs.SafeBag({ bagId: OID.pkcs8ShroudedKeyBag, bagValue: keyBag, bagAttributes: leafAttributes() })] }) },
      ],
    },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [pbes2, {}] });

  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues({ password, iterations, pbkdf2HashAlgorithm: { name: 'SHA-256' }, hmacHashAlgorithm: 'SHA-256' });
  return new Uint8Array(pfx.toSchema().toBER(false));
}
