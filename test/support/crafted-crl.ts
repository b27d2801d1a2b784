import { KeyObject, SignKeyObjectInput, webcrypto } from 'node:crypto';
import { CertificateAuthority } from '../../lib/pki';
import { timeText } from '../../lib/pki/time';
import { algorithm, der, extension, OIDS, pem, signed } from './der-builder';

/** Who signs a crafted CRL or certificate: a key, the name it signs as, and its key identifier. */
export interface Signer {
  readonly key: KeyObject;
  readonly subject: Uint8Array;
  readonly keyId?: Uint8Array;
  /** The signature algorithm OID that fits the key. */
  readonly algorithm: string;
}

export function signerOf(ca: CertificateAuthority): Signer {
  return {
    key: KeyObject.from(ca.keyPair.privateKey as unknown as webcrypto.CryptoKey),
    subject: new Uint8Array(Buffer.from(ca.facts.subjectDerHex, 'hex')),
    keyId: ca.facts.subjectKeyId ? new Uint8Array(Buffer.from(ca.facts.subjectKeyId, 'hex')) : undefined,
    algorithm: ca.keyPair.algorithm.startsWith('rsa') ? OIDS.sha256WithRsa : ca.keyPair.algorithm === 'ec-p384' ? '1.2.840.10045.4.3.3' : OIDS.ecdsaWithSha256,
  };
}

/** A Time as RFC 5280 chooses it (UTCTime until 2049). */
export function time(date: Date): Uint8Array {
  const text = timeText(date);
  return text.length === 13 ? der.utcTime(text) : der.generalizedTime(text);
}

export function akiExtension(keyId: Uint8Array, critical = false): Uint8Array {
  return extension(OIDS.authorityKeyIdentifier, critical, der.seq(der.implicit(0, keyId)));
}

export function crlNumberExtension(n: number, critical = false): Uint8Array {
  return extension(OIDS.crlNumber, critical, der.int(n));
}

/** IssuingDistributionPoint fields; booleans are written only when true (DER leaves out DEFAULT FALSE). */
export interface IdpFields {
  readonly distributionPointUri?: string;
  readonly onlyContainsUserCerts?: boolean;
  readonly onlyContainsCACerts?: boolean;
  /** Reason flags, as the BIT STRING's content octets (unused bits given separately). */
  readonly onlySomeReasons?: { readonly bits: Uint8Array; readonly unused: number };
  readonly indirectCRL?: boolean;
  readonly onlyContainsAttributeCerts?: boolean;
}

export function idpExtension(fields: IdpFields, critical = true): Uint8Array {
  const flag = (n: number, on?: boolean) => (on ? [der.implicit(n, Uint8Array.of(0xff))] : []);
  const body = der.seq(
    // [0] DistributionPointName { [0] fullName GeneralNames { [6] URI } }
    ...(fields.distributionPointUri ? [der.implicitConstructed(0, der.implicitConstructed(0, der.implicit(6, new Uint8Array(Buffer.from(fields.distributionPointUri)))))] : []),
    ...flag(1, fields.onlyContainsUserCerts),
    ...flag(2, fields.onlyContainsCACerts),
    ...(fields.onlySomeReasons ? [der.implicit(3, Uint8Array.of(fields.onlySomeReasons.unused, ...fields.onlySomeReasons.bits))] : []),
    ...flag(4, fields.indirectCRL),
    ...flag(5, fields.onlyContainsAttributeCerts),
  );
  return extension(OIDS.issuingDistributionPoint, critical, body);
}

/** RevokedCertificate ::= SEQUENCE { serial, revocationDate, crlEntryExtensions OPTIONAL }. */
export function revokedEntry(serialHex: string, revokedAt: Uint8Array, ...extensions: Uint8Array[]): Uint8Array {
  const serial = der.int(BigInt(`0x${serialHex}`));
  return der.seq(serial, revokedAt, ...(extensions.length ? [der.seq(...extensions)] : []));
}

export interface CrlSpec {
  /** The version INTEGER; null leaves it out (a v1 CRL). @default 1 (v2) */
  readonly version?: number | null;
  /** The algorithm inside the TBSCertList (an OID, or a whole AlgorithmIdentifier). @default the signer's */
  readonly tbsAlgorithm?: string | Uint8Array;
  /** The algorithm of the envelope. @default tbsAlgorithm */
  readonly outerAlgorithm?: string | Uint8Array;
  /** The digest actually used to sign. @default the one outerAlgorithm names */
  readonly digest?: string | null;
  /** Name DER. @default the signer's subject */
  readonly issuer?: Uint8Array;
  readonly thisUpdate: Uint8Array;
  /** null leaves it out. */
  readonly nextUpdate: Uint8Array | null;
  readonly entries?: readonly Uint8Array[];
  /** Write an empty revokedCertificates SEQUENCE when there are no entries (RFC 5280 says to leave it out). */
  readonly emptyList?: boolean;
  /** The crlExtensions; null leaves the [0] field out. @default AKI and CRL Number, both non-critical */
  readonly extensions?: readonly Uint8Array[] | null;
  /** Another key, or signing options such as RSA-PSS padding (the CRL still names `signer` as issuer). */
  readonly signWith?: KeyObject | SignKeyObjectInput;
}

/** A CRL assembled field by field, signed with node:crypto. */
export function craftCrl(signer: Signer, spec: CrlSpec): string {
  const tbsAlgorithm = spec.tbsAlgorithm ?? signer.algorithm;
  const extensions = spec.extensions === undefined
    ? [...(signer.keyId ? [akiExtension(signer.keyId)] : []), crlNumberExtension(1)]
    : spec.extensions;
  const tbs = der.seq(
    ...(spec.version === null ? [] : [der.int(spec.version ?? 1)]),
    typeof tbsAlgorithm === 'string' ? algorithm(tbsAlgorithm) : tbsAlgorithm,
    spec.issuer ?? signer.subject,
    spec.thisUpdate,
    ...(spec.nextUpdate ? [spec.nextUpdate] : []),
    ...(spec.entries?.length || spec.emptyList ? [der.seq(...(spec.entries ?? []))] : []),
    ...(extensions ? [der.explicit(0, der.seq(...extensions))] : []),
  );
  return pem('X509 CRL', signed(tbs, spec.signWith ?? signer.key, spec.outerAlgorithm ?? tbsAlgorithm, spec.digest));
}
