import { DerError, DerReader, TAG } from './der';
import { asn1js } from './engine';
import { oidText } from './extensions';

// The one formatter of a Name as text, read from its DER with the lean reader, so that listing a store's
// CRLs needs no pkijs. The text is what it was when pkijs parsed the name (certificates and CRLs print the
// same issuer strings as before): attribute values are decoded as asn1js decodes them, for the string types
// a name holds in practice. A value of any other kind (a number, a time, a constructed string, a BMPString
// of odd length) is handed to asn1js, whose rendering of it is what this text has always shown; the engine
// loads pkijs only then.

const SET = 0x31;

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress', '2.5.4.5': 'serialNumber',
};

// asn1js keeps a byte order mark and falls back to one character per byte when the UTF-8 is invalid.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function oneCharPerByte(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

/** Value decoders by tag, each as asn1js decodes that type; undefined hands the value to asn1js. */
const DECODERS: Record<number, (bytes: Uint8Array) => string | undefined> = {
  0x0c: (b) => {
    try {
      return UTF8.decode(b);
    } catch {
      return oneCharPerByte(b);
    }
  },
  // NumericString, PrintableString, TeletexString, VideotexString, IA5String, GraphicString, VisibleString,
  // GeneralString, CharacterString: asn1js reads them all one character per byte.
  ...Object.fromEntries([0x12, 0x13, 0x14, 0x15, 0x16, 0x19, 0x1a, 0x1b, 0x1d].map((tag) => [tag, oneCharPerByte])),
  0x1e: (b) => { // BMPString: UTF-16BE code units, lone surrogates kept
    if (b.length % 2) return undefined;
    let text = '';
    for (let i = 0; i < b.length; i += 2) text += String.fromCharCode((b[i] << 8) | b[i + 1]);
    return text;
  },
  0x1c: (b) => { // UniversalString: UTF-32BE; a value with an invalid code point goes to asn1js, which substitutes U+FFFD
    if (b.length % 4) return undefined;
    const points: number[] = [];
    for (let i = 0; i < b.length; i += 4) {
      const point = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
      if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) return undefined;
      points.push(point);
    }
    return String.fromCodePoint(...points);
  },
};

/** The attribute value's text as pkijs showed it (`String(value.valueBlock.value)`). */
function valueText(value: DerReader): string {
  const lean = DECODERS[value.tag]?.(value.content());
  if (lean !== undefined) return lean;
  const parsed = asn1js.fromBER(value.element());
  return String((parsed.result.valueBlock as { value?: unknown }).value);
}

function escapeDnValue(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

/**
 * RFC 4514 text of a DER Name (most specific first, comma separated), which is also how nginx prints
 * `$ssl_client_s_dn`: `CN=Client002,O=Acme`. The attributes of a multi-valued RDN are listed one by one, as
 * pkijs listed them. Throws a DerError when `nameDer` is not a Name.
 */
export function formatName(nameDer: Uint8Array): string {
  const rdns = new DerReader(nameDer).expect(TAG.SEQUENCE, 'Name').children();
  const attributes: string[] = [];
  while (!rdns.done) {
    const rdn = rdns.expect(SET, 'RelativeDistinguishedName').children();
    while (!rdn.done) {
      const ava = rdn.expect(TAG.SEQUENCE, 'AttributeTypeAndValue').children();
      const type = oidText(ava.expect(TAG.OID, 'attribute type').content());
      if (ava.done) throw new DerError('attribute has no value', ava.pos);
      ava.next();
      attributes.push(`${ATTRIBUTE_NAMES[type] ?? type}=${escapeDnValue(valueText(ava))}`);
    }
  }
  return attributes.reverse().join(',');
}
