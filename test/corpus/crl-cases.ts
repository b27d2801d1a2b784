import { constants, X509Certificate } from 'node:crypto';
import { CorpusPki, days, VALIDITY } from './context';
import { akiExtension, craftCrl, crlNumberExtension, CrlSpec, idpExtension, revokedEntry, Signer, time } from '../support/crafted-crl';
import { caExtensions, craftCertificate, craftRootCa, keyPairOf } from '../support/crafted-cert';
import { der, extension, name, OIDS } from '../support/der-builder';

/** One crafted CRL, the CA bundle it goes with, and a client that is valid unless the CRL says otherwise. */
export interface CrlCaseMaterial {
  readonly caPem: string;
  readonly crlPem: string;
  readonly clientPem: string;
}

export interface CrlCase {
  readonly name: string;
  build(pki: CorpusPki): CrlCaseMaterial;
}

const base = (): Pick<CrlSpec, 'thisUpdate' | 'nextUpdate'> => ({ thisUpdate: time(days(-1)), nextUpdate: time(days(90)) });
const otherEntry = (...extensions: Uint8Array[]) => revokedEntry('0A0B0C', time(days(-2)), ...extensions);
const standardExtensions = (signer: Signer) => [akiExtension(signer.keyId!), crlNumberExtension(1)];

function onEc(caseName: string, spec: (s: Signer, pki: CorpusPki) => Partial<CrlSpec>): CrlCase {
  return {
    name: caseName,
    build: (pki) => ({ caPem: pki.ec.certificatePem, crlPem: craftCrl(pki.ec.signer, { ...base(), ...spec(pki.ec.signer, pki) }), clientPem: pki.ecClient.certificatePem }),
  };
}

/** Root → intermediate → client; the root's and the intermediate's CRLs, one of them crafted. */
function onChain(caseName: string, crafted: 'root' | 'intermediate', spec: (s: Signer) => Partial<CrlSpec>): CrlCase {
  return {
    name: caseName,
    build: (pki) => {
      const crlOf = (signer: Signer, special: boolean) => craftCrl(signer, { ...base(), ...(special ? spec(signer) : {}) });
      return {
        caPem: pki.root.certificatePem + pki.intermediate.certificatePem,
        crlPem: crlOf(pki.root.signer, crafted === 'root') + crlOf(pki.intermediate.signer, crafted === 'intermediate'),
        clientPem: pki.intermediateClient.certificatePem,
      };
    },
  };
}

const unknownCritical = (critical = true) => extension(OIDS.unknown, critical, der.utf8('whatever'));

export const CRL_CASES: readonly CrlCase[] = [
  onEc('baseline: AKI + CRL Number, one other serial revoked', () => ({ entries: [otherEntry()] })),
  onEc('unknown critical CRL extension', (s) => ({ extensions: [...standardExtensions(s), unknownCritical()] })),
  onEc('unknown non-critical CRL extension', (s) => ({ extensions: [...standardExtensions(s), unknownCritical(false)] })),
  onEc('critical CRL Number', (s) => ({ extensions: [akiExtension(s.keyId!), crlNumberExtension(1, true)] })),
  onEc('critical Authority Key Identifier', (s) => ({ extensions: [akiExtension(s.keyId!, true), crlNumberExtension(1)] })),
  onEc('unknown critical entry extension', () => ({ entries: [otherEntry(unknownCritical())] })),
  onEc('critical reasonCode entry extension', () => ({ entries: [otherEntry(extension(OIDS.crlReason, true, der.enumerated(1)))] })),
  onEc('non-critical invalidityDate entry extension', () => ({ entries: [otherEntry(extension(OIDS.invalidityDate, false, der.generalizedTime('20260101000000Z')))] })),
  onEc('critical certificateIssuer entry extension naming the CRL issuer', (s) => ({
    entries: [otherEntry(extension(OIDS.certificateIssuer, true, der.seq(der.implicitConstructed(4, s.subject))))],
  })),
  onEc('an entry that certificateIssuer gives to another CA', () => ({
    entries: [revokedEntry('0D0E0F', time(days(-2))), otherEntry(extension(OIDS.certificateIssuer, true, der.seq(der.implicitConstructed(4, name([OIDS.commonName, der.utf8('Another CA')])))))],
  })),
  onEc('reasonCode 99 (not a defined reason)', () => ({ entries: [otherEntry(extension(OIDS.crlReason, false, der.enumerated(99)))] })),
  onEc('reasonCode 300 (a two-octet ENUMERATED)', () => ({ entries: [otherEntry(extension(OIDS.crlReason, false, der.enumerated(300)))] })),
  onEc('critical IDP onlyContainsCACerts', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ onlyContainsCACerts: true })] })),
  onEc('critical IDP onlyContainsUserCerts', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ onlyContainsUserCerts: true })] })),
  onEc('IDP onlyContainsAttributeCerts', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ onlyContainsAttributeCerts: true })] })),
  onEc('IDP onlySomeReasons keyCompromise', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ onlySomeReasons: { bits: Uint8Array.of(0x40), unused: 6 } })] })),
  onEc('IDP with a distributionPoint of its own', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ distributionPointUri: 'http://crl.example/part1.crl' })] })),
  onEc('IDP indirectCRL', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ indirectCRL: true })] })),
  onEc('IDP with both onlyContainsUserCerts and onlyContainsCACerts', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ onlyContainsUserCerts: true, onlyContainsCACerts: true })] })),
  onEc('non-critical empty IDP', (s) => ({ extensions: [...standardExtensions(s), idpExtension({}, false)] })),
  onEc('AKI keyid does not match the CA\'s SKI', () => ({ extensions: [akiExtension(new Uint8Array(20).fill(7)), crlNumberExtension(1)] })),
  onEc('no AKI', () => ({ extensions: [crlNumberExtension(1)] })),
  onEc('RSA signature OID on an EC key', () => ({ tbsAlgorithm: OIDS.sha256WithRsa, digest: 'sha256' })),
  onEc('SM2 signature OID on a P-256 key (an algorithm OpenSSL does not use with it)', () => ({ tbsAlgorithm: '1.2.156.10197.1.501', digest: 'sha256' })),
  onEc('outer signature algorithm differs from the TBS one', () => ({ outerAlgorithm: '1.2.840.10045.4.3.3', digest: 'sha256' })),
  onEc('TBS algorithm ecdsa-with-SHA384, envelope and signature ecdsa-with-SHA256', () => ({ tbsAlgorithm: '1.2.840.10045.4.3.3', outerAlgorithm: OIDS.ecdsaWithSha256 })),
  onEc('ecdsa-with-SHA1', () => ({ tbsAlgorithm: OIDS.ecdsaWithSha1 })),
  onEc('thisUpdate UTCTime with 11 digits (18102813516Z)', () => ({ thisUpdate: der.utcTime('18102813516Z') })),
  onEc('nextUpdate UTCTime without seconds (3001010000Z)', () => ({ nextUpdate: der.utcTime('3001010000Z') })),
  onEc('thisUpdate with a +0100 offset', () => ({ thisUpdate: der.utcTime('260530000000+0100') })),
  onEc('revocationDate of another entry with 11 digits', () => ({ entries: [revokedEntry('0A0B0C', der.utcTime('18102813516Z'))] })),
  onEc('thisUpdate GeneralizedTime with fractional seconds', () => ({ thisUpdate: der.generalizedTime('20260531000000.5Z') })),
  onEc('empty revokedCertificates SEQUENCE', () => ({ emptyList: true })),
  onEc('thisUpdate as GeneralizedTime before 2050', () => ({ thisUpdate: der.generalizedTime('20260531000000Z') })),
  onEc('thisUpdate in the future', () => ({ thisUpdate: time(days(2)) })),
  onEc('no nextUpdate', () => ({ nextUpdate: null })),
  onEc('expired: nextUpdate passed', () => ({ thisUpdate: time(days(-30)), nextUpdate: time(days(-1)) })),
  onEc('version 1 (v1 CRL with extensions)', () => ({ version: null })),
  onEc('version 3 (INTEGER 2)', () => ({ version: 2 })),
  onEc('critical delta CRL indicator', (s) => ({ extensions: [...standardExtensions(s), extension(OIDS.deltaCrlIndicator, true, der.int(1))] })),
  onEc('non-critical delta CRL indicator', (s) => ({ extensions: [...standardExtensions(s), extension(OIDS.deltaCrlIndicator, false, der.int(1))] })),
  onEc('non-critical freshestCRL', (s) => ({
    extensions: [...standardExtensions(s), extension(OIDS.freshestCrl, false, der.seq(der.seq(der.implicitConstructed(0, der.implicitConstructed(0, der.implicit(6, new Uint8Array(Buffer.from('http://crl.example/delta.crl'))))))))],
  })),
  onEc('critical freshestCRL', (s) => ({
    extensions: [...standardExtensions(s), extension(OIDS.freshestCrl, true, der.seq(der.seq(der.implicitConstructed(0, der.implicitConstructed(0, der.implicit(6, new Uint8Array(Buffer.from('http://crl.example/delta.crl'))))))))],
  })),
  onEc('duplicate CRL Number extension', (s) => ({ extensions: [...standardExtensions(s), crlNumberExtension(2)] })),
  onEc('duplicate AKI extension', (s) => ({ extensions: [...standardExtensions(s), akiExtension(s.keyId!)] })),
  // Our builder writes O and CN as one multi-valued RDN (`O=Corpus + CN=Corpus Client CA`).
  onEc('issuer re-encoded as PrintableString', () => ({ issuer: name([[OIDS.organizationName, der.printable('Corpus')], [OIDS.commonName, der.printable('Corpus Client CA')]]) })),
  onEc('issuer in other case and spacing', () => ({ issuer: name([[OIDS.organizationName, der.utf8('CORPUS')], [OIDS.commonName, der.utf8('  corpus   client CA ')]]) })),
  onEc('issuer as BMPString', () => ({ issuer: name([[OIDS.organizationName, der.bmp('Corpus')], [OIDS.commonName, der.bmp('Corpus Client CA')]]) })),
  onEc('issuer with the multi-valued RDN\'s attributes in the other order', () => ({ issuer: name([[OIDS.commonName, der.utf8('Corpus Client CA')], [OIDS.organizationName, der.utf8('Corpus')]]) })),
  onEc('issuer split into two RDNs', () => ({ issuer: name([OIDS.organizationName, der.utf8('Corpus')], [OIDS.commonName, der.utf8('Corpus Client CA')]) })),
  onEc('issuer with another name', () => ({ issuer: name([OIDS.commonName, der.utf8('Someone Else')]) })),
  onEc('signed by another key with the CA\'s name (rollover key), its AKI', (_s, pki) => ({ signWith: pki.ecTwin.signer.key, extensions: standardExtensions(pki.ecTwin.signer) })),
  onEc('signed by another key with the CA\'s name, no AKI', (_s, pki) => ({ signWith: pki.ecTwin.signer.key, extensions: [crlNumberExtension(1)] })),
  {
    name: 'signed by a rollover key whose certificate (new-with-old) is in ca.crt, client of the old key',
    build: (pki) => {
      const rollover = craftCertificate({ subject: pki.ec.signer.subject, spki: spkiOf(pki.ecTwin.certificatePem), issuer: pki.ec.signer, ...VALIDITY, extensions: caExtensions(spkiOf(pki.ecTwin.certificatePem), pki.ec.signer) });
      return { caPem: pki.ec.certificatePem + rollover.pem, crlPem: craftCrl(pki.ecTwin.signer, base()), clientPem: pki.ecClient.certificatePem };
    },
  },
  {
    name: 'RSA: baseline',
    build: (pki) => ({ caPem: pki.rsa.certificatePem, crlPem: craftCrl(pki.rsa.signer, base()), clientPem: pki.rsaClient.certificatePem }),
  },
  {
    name: 'ECDSA signature OID on an RSA key',
    build: (pki) => ({ caPem: pki.rsa.certificatePem, crlPem: craftCrl(pki.rsa.signer, { ...base(), tbsAlgorithm: OIDS.ecdsaWithSha256, digest: 'sha256' }), clientPem: pki.rsaClient.certificatePem }),
  },
  {
    name: 'RSA: RSASSA-PSS with SHA-256, MGF1 SHA-256, salt 32',
    build: (pki) => {
      const sha256 = der.seq(der.oid('2.16.840.1.101.3.4.2.1'), der.null());
      const pss = der.seq(der.oid(OIDS.rsassaPss), der.seq(der.explicit(0, sha256), der.explicit(1, der.seq(der.oid('1.2.840.113549.1.1.8'), sha256)), der.explicit(2, der.int(32))));
      const crlPem = craftCrl(pki.rsa.signer, { ...base(), tbsAlgorithm: pss, digest: 'sha256', signWith: { key: pki.rsa.signer.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } });
      return { caPem: pki.rsa.certificatePem, crlPem, clientPem: pki.rsaClient.certificatePem };
    },
  },
  {
    name: 'RSA: sha1WithRSAEncryption',
    build: (pki) => ({ caPem: pki.rsa.certificatePem, crlPem: craftCrl(pki.rsa.signer, { ...base(), tbsAlgorithm: OIDS.sha1WithRsa }), clientPem: pki.rsaClient.certificatePem }),
  },
  crafted('CA KeyUsage without cRLSign', 'ec', { extensions: (spki) => caExtensions(spki, 'self', { usages: ['digitalSignature', 'keyCertSign'] }) }),
  crafted('CA without KeyUsage', 'ec', { extensions: (spki) => caExtensions(spki, 'self').filter((_, i) => i !== 1) }),
  // OpenSSL folds the case of ASCII letters only.
  crafted('issuer "ÄRZTE ca" for the CA "Ärzte CA" (ASCII letters in another case)', 'ec', { caName: 'Ärzte CA', crlIssuer: 'ÄRZTE ca' }),
  crafted('issuer "ärzte CA" for the CA "Ärzte CA" (a non-ASCII letter in another case)', 'ec', { caName: 'Ärzte CA', crlIssuer: 'ärzte CA' }),
  crafted('DSA CA, dsa-with-SHA256', 'dsa'),
  crafted('DSA CA, dsa-with-SHA1', 'dsa', { crl: { tbsAlgorithm: OIDS.dsaWithSha1 } }),
  crafted('Ed25519 CA', 'ed25519'),
  onChain('chain: both CRLs plain', 'root', () => ({})),
  onChain('chain: root CRL with IDP onlyContainsUserCerts', 'root', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ onlyContainsUserCerts: true })] })),
  onChain('chain: root CRL with IDP onlyContainsCACerts', 'root', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ onlyContainsCACerts: true })] })),
  onChain('chain: intermediate CRL with IDP onlyContainsUserCerts', 'intermediate', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ onlyContainsUserCerts: true })] })),
  onChain('chain: intermediate CRL with IDP onlyContainsCACerts', 'intermediate', (s) => ({ extensions: [...standardExtensions(s), idpExtension({ onlyContainsCACerts: true })] })),
  onChain('chain: intermediate CRL with an unknown critical extension', 'intermediate', (s) => ({ extensions: [...standardExtensions(s), unknownCritical()] })),
  onChain('chain: root CRL with an unknown critical entry extension', 'root', () => ({ entries: [otherEntry(unknownCritical())] })),
];

function spkiOf(certificatePem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(certificatePem).publicKey.export({ format: 'der', type: 'spki' }));
}

interface CraftedOptions {
  readonly extensions?: (spki: Uint8Array) => Uint8Array[];
  readonly caName?: string;
  /** The CRL's issuer CN, when it should differ in bytes from the CA's. */
  readonly crlIssuer?: string;
  readonly crl?: Partial<CrlSpec>;
}

/** A CA built from crafted parts, a client it issued, and its CRL. */
function crafted(caseName: string, type: 'ec' | 'dsa' | 'ed25519', options: CraftedOptions = {}): CrlCase {
  return {
    name: caseName,
    build: () => {
      const ca = craftRootCa(der.utf8(options.caName ?? `Crafted ${type} CA`), type, VALIDITY, options.extensions);
      const clientKey = keyPairOf('ec');
      const client = craftCertificate({ subject: name([OIDS.commonName, der.utf8('valid-crafted')]), spki: clientKey.spki, issuer: ca.signer, ...VALIDITY, extensions: caExtensions(clientKey.spki, ca.signer, { ca: false }) });
      const issuer = options.crlIssuer ? name([OIDS.commonName, der.utf8(options.crlIssuer)]) : undefined;
      return { caPem: ca.pem, crlPem: craftCrl(ca.signer, { ...base(), issuer, ...options.crl }), clientPem: client.pem };
    },
  };
}
