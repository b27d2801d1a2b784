import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asn1js, pkijs } from '../../lib/pki/engine';
import { readCrls, readCrlsWithoutPkijs } from '../../lib/pki/crl';
import { formatName } from '../../lib/pki/name-text';
import { tlv } from '../../lib/pki/der';
import { der, name, pem as pemOf } from '../support/der-builder';
import { openssl, scratchDir } from '../support/openssl';

// The store reads its CRLs without pkijs (`mtls-pki list` loads none): issuer text, CRL Number and AKI key
// identifier come from the lean reader. They are compared here with independent peers: openssl's own reading
// of CRLs it wrote, and pkijs's reading of the same names, which is what these fields showed before.

// Counts every use of pkijs and asn1js, to tell the lean reading from the fallback to pkijs.
jest.mock('../../lib/pki/engine', () => {
  const actual = jest.requireActual('../../lib/pki/engine');
  const usage = { calls: 0 };
  const counted = <T extends object>(lib: T): T => new Proxy(lib, { get: (target, key) => { usage.calls++; return Reflect.get(target, key); } });
  return { ...actual, usage, pkijs: counted(actual.pkijs), asn1js: counted(actual.asn1js) };
});
const engineUsage: { calls: number } = jest.requireMock('../../lib/pki/engine').usage;

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress', '2.5.4.5': 'serialNumber',
};

/** The oracle: a Name's text as formatName printed it when it took pkijs objects. */
function pkijsNameText(nameDer: Uint8Array): string {
  const parsed = new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(Uint8Array.from(nameDer)).result });
  const escape = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
  return parsed.typesAndValues.map((tv) => `${ATTRIBUTE_NAMES[tv.type] ?? tv.type}=${escape(String(tv.value.valueBlock.value))}`).reverse().join(',');
}

const tmp = scratchDir('mtls-crl-lean-read-');
afterAll(() => tmp.cleanup());

interface OpensslCa { readonly name: string; readonly key: 'rsa' | 'ec'; readonly subject: string; readonly crlNumber: string; readonly aki: string; readonly subjectOptions?: string[] }

/** A CRL that `openssl ca -gencrl` signs, with one revoked entry, and openssl's reading of it. */
function opensslCrl(ca: OpensslCa): { pem: string; text: string } {
  const dir = join(tmp.dir, ca.name);
  mkdirSync(dir);
  const write = (file: string, content: string) => writeFileSync(join(dir, file), content);
  write('ca.cnf', [
    '[ca]', 'default_ca=test_ca', '[test_ca]', `dir=${dir}`, `database=${dir}/index.txt`, `crlnumber=${dir}/crlnumber`, 'default_md=sha256', 'default_crl_days=30', 'crl_extensions=crl_ext',
    '[crl_ext]', `authorityKeyIdentifier=${ca.aki}`, '[req]', 'distinguished_name=dn', '[dn]',
    '[v3]', 'basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', '',
  ].join('\n'));
  write('index.txt', 'R\t301231235959Z\t250101000000Z,keyCompromise\t0A1B\tunknown\t/CN=Client009\n');
  write('crlnumber', `${ca.crlNumber}\n`);
  openssl(ca.key === 'rsa' ? ['genrsa', '-out', 'key.pem', '2048'] : ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem'], { cwd: dir });
  openssl(['req', '-new', '-x509', '-key', 'key.pem', '-out', 'cert.pem', '-days', '365', '-subj', ca.subject, '-config', 'ca.cnf', '-extensions', 'v3', ...(ca.subjectOptions ?? [])], { cwd: dir });
  openssl(['ca', '-config', 'ca.cnf', '-gencrl', '-keyfile', 'key.pem', '-cert', 'cert.pem', '-out', 'crl.pem'], { cwd: dir });
  return { pem: readFileSync(join(dir, 'crl.pem'), 'utf8'), text: openssl(['crl', '-in', 'crl.pem', '-noout', '-text'], { cwd: dir }) };
}

const CAS: OpensslCa[] = [
  { name: 'rsa', key: 'rsa', subject: '/CN=RSA Test CA/O=Acme, Inc.', crlNumber: '01', aki: 'keyid' },
  { name: 'ec', key: 'ec', subject: '/CN=EC Test CA', crlNumber: '05', aki: 'keyid' },
  { name: 'multi-rdn-utf8', key: 'ec', subject: '/DC=org/DC=example/O=Ünïcödé Örg+OU=Unit #1/CN= lead space; "quoted"=x', crlNumber: '0A', aki: 'keyid', subjectOptions: ['-utf8', '-multivalue-rdn'] },
  { name: 'number-beyond-2^64', key: 'ec', subject: '/CN=Big Number CA', crlNumber: '0123456789ABCDEF0123456789ABCDEF', aki: 'keyid' },
  { name: 'aki-with-issuer', key: 'rsa', subject: '/C=DE/ST=Berlin/CN=AKI issuer CA/emailAddress=ca@example.com', crlNumber: '7F', aki: 'keyid,issuer:always' },
];

test.each(CAS)('$name: the lean reading of openssl\'s CRL gives openssl\'s CRL Number and key identifier, and pkijs\'s issuer text', (ca) => {
  const { pem, text } = opensslCrl(ca);
  engineUsage.calls = 0;
  const [lean] = readCrlsWithoutPkijs(pem, ca.name);
  // An AKI that also names the issuer is read by pkijs, which validates that part; the rest is lean.
  expect(engineUsage.calls > 0).toBe(ca.aki.includes('issuer'));
  expect(lean.crlNumber).toBe(BigInt(`0x${ca.crlNumber}`));
  expect(text).toMatch(new RegExp(`X509v3 CRL Number: \\n\\s+${lean.crlNumber}\\n`));
  expect(lean.authorityKeyId).toMatch(/^[0-9a-f]{40}$/);
  expect(text.replace(/:/g, '').toLowerCase()).toContain(lean.authorityKeyId);
  expect(lean.issuer).toBe(pkijsNameText(Buffer.from(lean.issuerDerHex, 'hex')));
  // With pkijs checking the envelope as well, the facts are the same.
  expect(readCrls(pem, ca.name)).toEqual([lean]);
});

test('the one name formatter decodes every string type as pkijs did, and hands other values to asn1js', () => {
  const attr = (value: Uint8Array): [string, Uint8Array] => ['2.5.4.3', value];
  const names = [
    name(attr(der.utf8('Ünïcödé, "x"')), attr(der.printable('#Acme ')), attr(der.ia5('a+b=c'))),
    name([attr(der.bmp('Zürich 😀')), ['2.5.4.10', der.utf8('O')]], attr(tlv(0x1e, Uint8Array.of(0xd8, 0x00)))),
    name(attr(tlv(0x0c, Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))), attr(tlv(0x0c, Uint8Array.of(0xc3, 0x28))), attr(tlv(0x14, Uint8Array.of(0xe9, 0x41)))),
    name(attr(tlv(0x1c, Uint8Array.of(0, 1, 0xf6, 0x00, 0, 0, 0, 0x41))), attr(tlv(0x1c, Uint8Array.of(0, 0, 0xd8, 0)))),
    name(attr(der.int(10)), attr(der.utcTime('250101000000Z')), attr(tlv(0x2c, der.utf8('x'))), attr(der.bool(true)), ['1.2.3.4', der.null()]),
    der.seq(),
  ];
  for (const nameDer of names) expect([formatName(nameDer)]).toEqual([pkijsNameText(nameDer)]);
});

test('a CRL Number or AKI of an unusual shape is read by pkijs, as before', () => {
  const ext = (oid: string, value: Uint8Array) => der.seq(der.oid(oid), der.octets(value));
  const crlWith = (...extensions: Uint8Array[]) => {
    const tbs = der.seq(der.int(1), der.seq(der.oid('1.2.840.10045.4.3.2')), name(['2.5.4.3', der.utf8('CA')]), der.utcTime('250101000000Z'), der.explicit(0, der.seq(...extensions)));
    return der.seq(tbs, der.seq(der.oid('1.2.840.10045.4.3.2')), der.bits(Uint8Array.of(1)));
  };
  const cases = [
    crlWith(ext('2.5.29.20', der.int(2n ** 70n)), ext('2.5.29.35', der.seq(der.implicit(0, Uint8Array.of(1, 2, 3))))),
    crlWith(ext('2.5.29.20', der.octets(Uint8Array.of(7))), ext('2.5.29.35', der.seq())),
    crlWith(ext('2.5.29.20', Uint8Array.of(0x02, 0x81, 0x01, 0x05)), ext('2.5.29.35', der.seq(der.implicit(0, Uint8Array.of(9)), der.implicit(2, Uint8Array.of(1))))),
    crlWith(ext('2.5.29.20', Uint8Array.of(0x02, 0x01, 0x05, 0x00)), ext('2.5.29.35', der.octets(Uint8Array.of(1)))),
  ];
  const pkijsReading = (crlDer: Uint8Array) => {
    const crl = new pkijs.CertificateRevocationList({ schema: asn1js.fromBER(Uint8Array.from(crlDer)).result });
    const find = (oid: string) => crl.crlExtensions?.extensions.find((x) => x.extnID === oid)?.parsedValue;
    const number = find('2.5.29.20') as asn1js.Integer | undefined;
    const aki = find('2.5.29.35') as pkijs.AuthorityKeyIdentifier | undefined;
    return {
      crlNumber: number ? BigInt(`0x${Buffer.from(number.valueBlock.valueHexView ?? []).toString('hex') || '0'}`) : undefined,
      authorityKeyId: aki?.keyIdentifier ? Buffer.from(aki.keyIdentifier.valueBlock.valueHexView).toString('hex') : undefined,
    };
  };
  const readings = cases.map((c) => {
    const [facts] = readCrlsWithoutPkijs(pemOf('X509 CRL', c), 'crafted');
    return { crlNumber: facts.crlNumber, authorityKeyId: facts.authorityKeyId };
  });
  expect(readings).toEqual(cases.map(pkijsReading));
  expect(readings[0]).toEqual({ crlNumber: 2n ** 70n, authorityKeyId: '010203' });
});
