import { DerError, DerReader, TAG } from './der';

// Which extensions OpenSSL processes, and therefore which critical ones it tolerates. A verifier must refuse
// a certificate or CRL with a critical extension it does not understand (RFC 5280 §4.2, §5.2, §5.3), and
// OpenSSL does: nginx then answers 400 to every client. These sets are OpenSSL 3's (v3_purp.c
// supported_nids for certificates; x_crl.c crl_cb and crl_set_issuers for CRLs and their entries), checked
// against `openssl verify` by the corpus tests (test/corpus).

export const EXTENSION_OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  authorityKeyIdentifier: '2.5.29.35',
  freshestCrl: '2.5.29.46',
} as const;

/** Certificate extensions OpenSSL accepts as critical. SKI and AKI are not among them. */
const CERTIFICATE_HANDLED = new Set([
  '2.16.840.1.113730.1.1', // Netscape cert type
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.32', // certificatePolicies
  '2.5.29.31', // cRLDistributionPoints
  '2.5.29.37', // extKeyUsage
  '1.3.6.1.5.5.7.1.7', // sbgp-ipAddrBlock
  '1.3.6.1.5.5.7.1.8', // sbgp-autonomousSysNum
  '1.3.6.1.5.5.7.48.1.5', // OCSP noCheck
  '2.5.29.36', // policyConstraints
  '1.3.6.1.5.5.7.1.14', // proxyCertInfo
  '2.5.29.30', // nameConstraints
  '2.5.29.33', // policyMappings
  '2.5.29.54', // inhibitAnyPolicy
]);
/** CRL extensions OpenSSL accepts as critical: everything else critical, even the CRL Number, is refused. */
const CRL_HANDLED = new Set<string>([EXTENSION_OIDS.issuingDistributionPoint, EXTENSION_OIDS.authorityKeyIdentifier, EXTENSION_OIDS.deltaCrlIndicator]);
/** CRL entry extensions OpenSSL accepts as critical: a critical reasonCode is refused. */
const CRL_ENTRY_HANDLED = new Set<string>([EXTENSION_OIDS.certificateIssuer]);

export type ExtensionScope = 'certificate' | 'crl' | 'crl entry';
const HANDLED: Record<ExtensionScope, ReadonlySet<string>> = { certificate: CERTIFICATE_HANDLED, crl: CRL_HANDLED, 'crl entry': CRL_ENTRY_HANDLED };

/** Whether OpenSSL refuses `oid` when it is marked critical in a certificate, a CRL, or a CRL entry. */
export function isUnhandledWhenCritical(scope: ExtensionScope, oid: string): boolean {
  return !HANDLED[scope].has(oid);
}

const NAMES: Record<string, string> = {
  '2.5.29.14': 'subjectKeyIdentifier', '2.5.29.15': 'keyUsage', '2.5.29.17': 'subjectAltName', '2.5.29.19': 'basicConstraints',
  '2.5.29.20': 'cRLNumber', '2.5.29.21': 'reasonCode', '2.5.29.24': 'invalidityDate', '2.5.29.27': 'deltaCRLIndicator',
  '2.5.29.28': 'issuingDistributionPoint', '2.5.29.29': 'certificateIssuer', '2.5.29.31': 'cRLDistributionPoints',
  '2.5.29.32': 'certificatePolicies', '2.5.29.35': 'authorityKeyIdentifier', '2.5.29.37': 'extKeyUsage', '2.5.29.46': 'freshestCRL',
  '1.3.6.1.5.5.7.1.1': 'authorityInfoAccess',
};

/** `cRLNumber (2.5.29.20)`, or the bare OID when we do not know its name. */
export function extensionLabel(oid: string): string {
  return NAMES[oid] ? `${NAMES[oid]} (${oid})` : oid;
}

/** Dotted text of an OBJECT IDENTIFIER's content octets. */
export function oidText(content: Uint8Array): string {
  if (!content.length) throw new DerError('an OBJECT IDENTIFIER is empty', 0);
  const arcs: string[] = [];
  let value = 0n;
  for (let i = 0; i < content.length; i++) {
    value = (value << 7n) | BigInt(content[i] & 0x7f);
    if (content[i] & 0x80) continue;
    if (!arcs.length) arcs.push(value < 80n ? String(value / 40n) : '2', String(value < 80n ? value % 40n : value - 80n));
    else arcs.push(String(value));
    value = 0n;
  }
  if (content[content.length - 1] & 0x80) throw new DerError('an OBJECT IDENTIFIER ends inside an arc', 0);
  return arcs.join('.');
}

export interface RawExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The content of extnValue (the DER of the extension's value). */
  readonly value: Uint8Array;
}

/** Reads `Extensions ::= SEQUENCE OF Extension` from the content [start, end) of that SEQUENCE. */
export function readExtensions(bytes: Uint8Array, start: number, end: number): RawExtension[] {
  const list = new DerReader(bytes, start, end);
  const out: RawExtension[] = [];
  while (!list.done) {
    const ext = list.expect(TAG.SEQUENCE, 'extension').children();
    out.push(readExtension(ext));
  }
  return out;
}

/** One Extension from a reader over its content: extnID, critical BOOLEAN DEFAULT FALSE, extnValue. */
export function readExtension(ext: DerReader): RawExtension {
  const oid = oidText(ext.expect(TAG.OID, 'extension id').content());
  let critical = false;
  if (ext.next() === TAG.BOOLEAN) {
    critical = ext.end > ext.start && ext.bytes[ext.start] !== 0;
    ext.expect(TAG.OCTET_STRING, 'extension value');
  } else if (ext.tag !== TAG.OCTET_STRING) {
    throw new DerError('extension value is not an OCTET STRING', ext.headerStart);
  }
  const value = ext.content();
  if (!ext.done) throw new DerError('extension has trailing data', ext.pos);
  return { oid, critical, value };
}

/** What an IssuingDistributionPoint restricts a CRL to (RFC 5280 §5.2.5). */
export interface IssuingDistributionPoint {
  readonly critical: boolean;
  /** The CRL covers only certificates whose cRLDistributionPoints name this point. */
  readonly hasDistributionPoint: boolean;
  readonly onlyContainsUserCerts: boolean;
  readonly onlyContainsCACerts: boolean;
  readonly onlySomeReasons: boolean;
  readonly indirectCRL: boolean;
  readonly onlyContainsAttributeCerts: boolean;
}

/** Parses the value of an IssuingDistributionPoint extension. */
export function readIssuingDistributionPoint(value: Uint8Array, critical: boolean): IssuingDistributionPoint {
  const fields = new DerReader(value).expect(TAG.SEQUENCE, 'IssuingDistributionPoint').children();
  const seen = new Set<number>();
  const flags = new Set<number>();
  while (!fields.done) {
    const tag = fields.next();
    const number = tag & 0x1f;
    if ((tag & 0xc0) !== 0x80 || number > 5 || seen.has(number)) throw new DerError('IssuingDistributionPoint has an unexpected field', fields.headerStart);
    seen.add(number);
    // [1], [2], [4], [5] are BOOLEANs (IMPLICIT); only TRUE is written in DER.
    if (number !== 0 && number !== 3 && fields.end > fields.start && value[fields.start] !== 0) flags.add(number);
  }
  return {
    critical,
    hasDistributionPoint: seen.has(0),
    onlyContainsUserCerts: flags.has(1),
    onlyContainsCACerts: flags.has(2),
    onlySomeReasons: seen.has(3),
    indirectCRL: flags.has(4),
    onlyContainsAttributeCerts: flags.has(5),
  };
}
