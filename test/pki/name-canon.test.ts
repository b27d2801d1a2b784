import { canonicalNameKey } from '../../lib/pki/name-canon';
import { craftCertificate, keyPairOf } from '../support/crafted-cert';
import { der, keyIdOf, name, OIDS } from '../support/der-builder';
import { openssl, scratchDir } from '../support/openssl';

// Our canonical name keys against OpenSSL's: `openssl x509 -subject_hash` hashes the canonical encoding that
// X509_NAME_cmp compares, so two names are the same to OpenSSL (and nginx, and curl) exactly when their hashes
// are equal. Every pair of these names must be equal for both or for neither.

const t61 = (text: string) => Uint8Array.from([0x14, text.length, ...Buffer.from(text, 'latin1')]);
const universal = (text: string) => { const b = Buffer.alloc(text.length * 4); [...text].forEach((c, i) => b.writeUInt32BE(c.codePointAt(0)!, i * 4)); return Uint8Array.from([0x1c, b.length, ...b]); };
const numeric = (text: string) => Uint8Array.from([0x12, text.length, ...Buffer.from(text, 'latin1')]);
const cn = (value: Uint8Array) => name([OIDS.commonName, value]);

const NAMES: Record<string, Uint8Array> = {
  'UTF8 "Corpus CA"': cn(der.utf8('Corpus CA')),
  'Printable "Corpus CA"': cn(der.printable('Corpus CA')),
  'IA5 "Corpus CA"': cn(der.ia5('Corpus CA')),
  'BMP "Corpus CA"': cn(der.bmp('Corpus CA')),
  'Universal "Corpus CA"': cn(universal('Corpus CA')),
  'T61 "Corpus CA"': cn(t61('Corpus CA')),
  'UTF8 "corpus ca"': cn(der.utf8('corpus ca')),
  'UTF8 "  Corpus \\t\\n CA  "': cn(der.utf8('  Corpus \t\n CA  ')),
  'UTF8 "CorpusCA"': cn(der.utf8('CorpusCA')),
  'UTF8 "Ärzte"': cn(der.utf8('Ärzte')),
  'UTF8 "ÄRZTE"': cn(der.utf8('ÄRZTE')),
  'UTF8 "ärzte"': cn(der.utf8('ärzte')),
  'T61 "Ärzte" (Latin-1)': cn(t61('Ärzte')),
  'Numeric "123"': cn(numeric('123')),
  'UTF8 "123"': cn(der.utf8('123')),
  'O=x + CN=y (one RDN)': name([[OIDS.organizationName, der.utf8('x')], [OIDS.commonName, der.utf8('y')]]),
  'CN=y + O=x (one RDN)': name([[OIDS.commonName, der.utf8('y')], [OIDS.organizationName, der.utf8('X')]]),
  'O=x, CN=y (two RDNs)': name([OIDS.organizationName, der.utf8('x')], [OIDS.commonName, der.utf8('y')]),
  'CN=y, O=x (two RDNs)': name([OIDS.commonName, der.utf8('y')], [OIDS.organizationName, der.utf8('x')]),
};

test('canonicalNameKey partitions names exactly as OpenSSL\'s subject hash does', () => {
  const tmp = scratchDir('mtls-names-');
  try {
    const key = keyPairOf('ec');
    const ours: Record<string, string> = {};
    const theirs: Record<string, string> = {};
    for (const [label, subject] of Object.entries(NAMES)) {
      const self = { key: key.privateKey, subject, keyId: keyIdOf(key.spki), algorithm: key.algorithm };
      const cert = craftCertificate({ subject, spki: key.spki, issuer: self, notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z'), extensions: [] });
      theirs[label] = openssl(['x509', '-noout', '-subject_hash', '-in', tmp.write('c.pem', cert.pem)]).trim();
      ours[label] = canonicalNameKey(subject);
    }
    const labels = Object.keys(NAMES);
    const disagreements = labels.flatMap((a) => labels.filter((b) => a < b && (ours[a] === ours[b]) !== (theirs[a] === theirs[b])).map((b) => `${a} vs ${b}: openssl ${theirs[a] === theirs[b] ? 'same' : 'different'}`));
    expect(disagreements).toEqual([]);
    // The partition is not trivial: both equal and different pairs occur.
    expect(new Set(Object.values(theirs)).size).toBeGreaterThan(5);
    expect(new Set(Object.values(theirs)).size).toBeLessThan(labels.length - 5);
  } finally {
    tmp.cleanup();
  }
});

test('a name that is not DER fails with a DerError, which the certificate and CRL readers turn into a user error', () => {
  expect(() => canonicalNameKey(Uint8Array.of(0x30, 0x03, 0x31, 0x01, 0x30))).toThrow(/truncated|exceeds/);
  expect(() => canonicalNameKey(Uint8Array.of(0x30, 0x02, 0x31, 0x00))).toThrow(/holds no attribute/);
});
