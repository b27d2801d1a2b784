import { DerError, DerReader, TAG } from './der';

// RFC 5280 §7.1 name matching, the way OpenSSL does it (x509_name_canon, X509_NAME_cmp), because OpenSSL is
// what nginx and curl judge names with. Every string attribute is turned into UTF-8, leading and trailing
// white space is dropped, inner runs of white space become one space, and ASCII letters are lowercased
// (OpenSSL folds ASCII only: `É` and `é` stay different). The order of attributes inside a multi-valued RDN
// does not matter (it is a SET); the order of RDNs does. Attributes that are not strings are compared by
// their encoding. So a PrintableString issuer and its UTF8String re-encoding are the same name, as are
// `CN=Client CA` and `cn=  client   ca`, while `O=x + CN=y` (one RDN) and `O=x, CN=y` (two) are not.

const SET = 0x31;
const UTF8_STRING = 0x0c;
/** The string types OpenSSL canonicalizes (ASN1_MASK_CANON), and how each is decoded. */
const STRING_DECODERS: Record<number, (bytes: Uint8Array) => string | undefined> = {
  [UTF8_STRING]: (b) => decodeUtf8(b),
  0x13: latin1, // PrintableString
  0x14: latin1, // T61String: OpenSSL reads it as Latin-1
  0x16: latin1, // IA5String
  0x1a: latin1, // VisibleString
  0x1c: (b) => (b.length % 4 ? undefined : String.fromCodePoint(...chunks(b, 4).map((c) => ((c[0] << 24) | (c[1] << 16) | (c[2] << 8) | c[3]) >>> 0))), // UniversalString
  0x1e: (b) => (b.length % 2 ? undefined : String.fromCharCode(...chunks(b, 2).map((c) => (c[0] << 8) | c[1]))), // BMPString
};

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** OpenSSL's asn1_string_canon on a decoded string. */
function canonicalText(text: string): string {
  return text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '').replace(/[ \t\n\v\f\r]+/g, ' ').replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function attributeKey(bytes: Uint8Array, ava: DerReader): string {
  ava.expect(TAG.OID, 'attribute type');
  const type = Buffer.from(ava.content()).toString('hex');
  if (ava.done) throw new DerError('attribute has no value', ava.pos);
  const tag = ava.next();
  const value = ava.content();
  if (!ava.done) throw new DerError('attribute has trailing data', ava.pos);
  const decoded = STRING_DECODERS[tag]?.(value);
  return decoded === undefined
    ? `${type}=${tag.toString(16)}:${Buffer.from(bytes.subarray(ava.headerStart, ava.end)).toString('hex')}`
    : `${type}=u:${canonicalText(decoded)}`;
}

/**
 * A string that is equal for two names exactly when OpenSSL's X509_NAME_cmp says they are the same name.
 * `nameDer` is a whole Name (SEQUENCE OF RDN). Throws a DerError when it is not one.
 */
export function canonicalNameKey(nameDer: Uint8Array): string {
  const rdns = new DerReader(nameDer).expect(TAG.SEQUENCE, 'Name').children();
  const keys: string[][] = [];
  while (!rdns.done) {
    const rdn = rdns.expect(SET, 'RelativeDistinguishedName').children();
    const attributes: string[] = [];
    while (!rdn.done) attributes.push(attributeKey(nameDer, rdn.expect(TAG.SEQUENCE, 'AttributeTypeAndValue').children()));
    if (!attributes.length) throw new DerError('an RDN holds no attribute', rdns.start);
    keys.push(attributes.sort());
  }
  return JSON.stringify(keys);
}
