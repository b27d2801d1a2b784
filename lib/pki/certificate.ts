import { createHash, randomBytes } from 'node:crypto';
import { distinguishedName, keyUsageBitString, KeyUsageName, OID, timeOf, toArrayBuffer } from './asn1';
import { asn1js, pkijs } from './engine';
import { UserInputError } from './errors';
import { CertificateFacts, inspectCertificate, inspectCertificateDer } from './inspect';
import { DEFAULT_KEY_ALGORITHM, exportPrivateKeyPem, exportPublicKeyDer, generateKeyPair, hashFor, importPrivateKeyPem, KeyAlgorithm, KeyPair } from './keys';
import { inferSubjectAltName, ipToBytes, SubjectAltName, validateCommonName } from './names';
import { decodePemExpecting, encodePem, PemLabel } from './pem';
import { checkX509Date, DAY_MS, notBeforeFor } from './time';

/** Validity defaults, in days. */
export const DEFAULT_VALIDITY_DAYS = {
  /** Ten years, as mkcert: rotating a root means redistributing trust to every client. */
  rootCa: 3650,
  /** Five years: shorter than its root, so the root never expires under a live intermediate. */
  intermediateCa: 1825,
  /** 397 days, the CA/Browser Forum ceiling for TLS server certificates; clients that enforce it accept it. */
  server: 397,
  /** One year; shorter-lived client certificates keep CRLs small (expired entries can be pruned). */
  client: 365,
} as const;

/** A certificate with its private key, both PEM. */
export interface IssuedCertificate {
  readonly certificatePem: string;
  /** PKCS#8 PEM. Write it 0600. */
  readonly privateKeyPem: string;
  readonly facts: CertificateFacts;
}

/** A CA that can sign: its certificate and key. Create one with `createRootCa` or `loadCertificateAuthority`. */
export interface CertificateAuthority {
  readonly certificatePem: string;
  readonly facts: CertificateFacts;
  readonly keyPair: KeyPair;
  /** @internal the parsed certificate, whose subject becomes the issuer of what this CA signs. */
  readonly certificate: pkijs.Certificate;
}

interface CommonOptions {
  /** @default ec-p256 */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** @default see DEFAULT_VALIDITY_DAYS */
  readonly validityDays?: number;
  /** The start of validity. @default now, minus five minutes of allowance for clock skew */
  readonly notBefore?: Date;
  /** The end of validity, instead of notBefore + validityDays (e.g. clamped to the issuer's notAfter). */
  readonly notAfter?: Date;
  /** Reuse this key instead of generating one (for re-issuing). */
  readonly keyPair?: KeyPair;
}

export interface CaOptions extends CommonOptions {
  readonly commonName: string;
  readonly organization?: string;
  /** BasicConstraints pathLenConstraint. @default none for a root, 0 for an intermediate */
  readonly pathLength?: number;
}

export interface ServerCertificateOptions extends CommonOptions {
  /** Host names, wildcards, IPs: each becomes a SAN of the inferred kind. The first is also the CN. */
  readonly names: readonly string[];
}

export interface ClientCertificateOptions extends CommonOptions {
  readonly commonName: string;
  readonly organization?: string;
  /** Extra SANs: emails or URIs (kind inferred). @default none */
  readonly altNames?: readonly string[];
}

/**
 * 16 random bytes with the top bit clear: positive, within RFC 5280's 20 octets, 127 bits from the CSPRNG.
 * A leading zero byte would make the DER INTEGER 15 bytes long, so those draws are repeated.
 */
export function randomSerial(): Uint8Array {
  for (;;) {
    const bytes = randomBytes(16);
    bytes[0] &= 0x7f;
    if (bytes[0] !== 0) return new Uint8Array(bytes);
  }
}

function validity(options: CommonOptions, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const days = options.validityDays ?? defaultDays;
  if (!Number.isInteger(days) || days < 1 || days > 36525) {
    throw new UserInputError('validityDays', `${days} is not a whole number of days between 1 and 36525.`);
  }
  const notBefore = options.notBefore ?? notBeforeFor(new Date());
  checkX509Date(notBefore, 'notBefore');
  if (options.notAfter !== undefined) {
    checkX509Date(options.notAfter, 'notAfter');
    if (!(options.notAfter.getTime() > notBefore.getTime())) {
      throw new UserInputError('notAfter', `${options.notAfter.toISOString()} is not after notBefore (${notBefore.toISOString()}).`);
    }
  }
  return { notBefore, notAfter: options.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS) };
}

function extension(extnID: string, critical: boolean, value: { toSchema(): asn1js.AsnType } | asn1js.AsnType): pkijs.Extension {
  const schema = 'toSchema' in value && typeof value.toSchema === 'function' ? value.toSchema() : value as asn1js.AsnType;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value. */
function keyIdentifier(spkiDer: Uint8Array): Uint8Array {
  const spki = pkijs.PublicKeyInfo.fromBER(toArrayBuffer(spkiDer));
  return new Uint8Array(createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest());
}

function generalName(san: SubjectAltName): pkijs.GeneralName {
  switch (san.kind) {
    case 'email': return new pkijs.GeneralName({ type: 1, value: san.value });
    case 'dns': return new pkijs.GeneralName({ type: 2, value: san.value });
    case 'uri': return new pkijs.GeneralName({ type: 6, value: san.value });
    case 'ip': return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: ipToBytes(san.value) }) });
  }
}

interface Template {
  subject: pkijs.RelativeDistinguishedNames;
  keyPair: KeyPair;
  notBefore: Date;
  notAfter: Date;
  ca?: { pathLength?: number };
  keyUsage: KeyUsageName[];
  extendedKeyUsage?: string[];
  altNames?: SubjectAltName[];
}

async function sign(template: Template, issuer: CertificateAuthority | 'self'): Promise<IssuedCertificate> {
  const spkiDer = await exportPublicKeyDer(template.keyPair);
  const subjectKeyId = keyIdentifier(spkiDer);
  const signer = issuer === 'self' ? template.keyPair : issuer.keyPair;
  const authorityKeyId = issuer === 'self' ? subjectKeyId : keyIdentifierOfIssuer(issuer);

  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: randomSerial() });
  cert.subject = template.subject;
  cert.issuer = issuer === 'self' ? template.subject : issuer.certificate.subject;
  cert.notBefore = timeOf(template.notBefore, 'notBefore');
  cert.notAfter = timeOf(template.notAfter, 'notAfter');
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(toArrayBuffer(spkiDer));
  const extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints(template.ca
      ? { cA: true, ...(template.ca.pathLength !== undefined ? { pathLenConstraint: template.ca.pathLength } : {}) }
      : { cA: false })),
    extension(OID.keyUsage, true, keyUsageBitString(template.keyUsage)),
    ...(template.extendedKeyUsage ? [extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: template.extendedKeyUsage }))] : []),
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: subjectKeyId })),
    extension(OID.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: authorityKeyId }) })),
    // RFC 5280 §4.2.1.6: the SAN is critical only when the subject is empty, which we never produce.
    ...(template.altNames?.length ? [extension(OID.subjectAltName, false, new pkijs.GeneralNames({ names: template.altNames.map(generalName) }))] : []),
  ];
  cert.extensions = extensions;
  await cert.sign(signer.privateKey as CryptoKey, hashFor(signer.algorithm));
  const der = new Uint8Array(cert.toSchema(true).toBER(false));
  return { certificatePem: encodePem(PemLabel.CERTIFICATE, der), privateKeyPem: await exportPrivateKeyPem(template.keyPair), facts: inspectCertificateDer(der) };
}

function keyIdentifierOfIssuer(issuer: CertificateAuthority): Uint8Array {
  // An openssl-made CA normally has an SKI; when it has none, derive it the way openssl would.
  if (issuer.facts.subjectKeyId) return new Uint8Array(Buffer.from(issuer.facts.subjectKeyId, 'hex'));
  return keyIdentifier(new Uint8Array(issuer.certificate.subjectPublicKeyInfo.toSchema().toBER(false)));
}

/** The subject of a CA or client certificate; names outside validateCommonName's set are refused, never issued. */
function subjectOf(options: { readonly commonName: string; readonly organization?: string }): ReturnType<typeof distinguishedName> {
  const organization = options.organization === undefined ? undefined : validateCommonName(options.organization, 'organization');
  return distinguishedName(validateCommonName(options.commonName, 'commonName'), organization);
}

async function keyFor(options: CommonOptions): Promise<KeyPair> {
  return options.keyPair ?? generateKeyPair(options.keyAlgorithm ?? DEFAULT_KEY_ALGORITHM);
}

async function toAuthority(issued: IssuedCertificate, keyPair: KeyPair): Promise<CertificateAuthority & IssuedCertificate> {
  const der = decodePemExpecting(issued.certificatePem, [PemLabel.CERTIFICATE], 'certificate')[0].der;
  return { ...issued, keyPair, certificate: pkijs.Certificate.fromBER(toArrayBuffer(der)) };
}

/** A self-signed root CA: cA=TRUE (critical), keyCertSign + cRLSign, SKI = AKI. */
export async function createRootCa(options: CaOptions): Promise<CertificateAuthority & IssuedCertificate> {
  const keyPair = await keyFor(options);
  const issued = await sign({
    subject: subjectOf(options),
    keyPair,
    ...validity(options, DEFAULT_VALIDITY_DAYS.rootCa),
    ca: { pathLength: options.pathLength },
    keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
  }, 'self');
  return toAuthority(issued, keyPair);
}

/** An intermediate CA under `issuer`, with pathLenConstraint (default 0: it may sign only leaves). */
export async function createIntermediateCa(issuer: CertificateAuthority, options: CaOptions): Promise<CertificateAuthority & IssuedCertificate> {
  const keyPair = await keyFor(options);
  const issued = await sign({
    subject: subjectOf(options),
    keyPair,
    ...validity(options, DEFAULT_VALIDITY_DAYS.intermediateCa),
    ca: { pathLength: options.pathLength ?? 0 },
    keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
  }, issuer);
  return toAuthority(issued, keyPair);
}

/** A TLS server certificate: SANs inferred from `names` (DNS, wildcard, IP), serverAuth, cA=FALSE. */
export async function issueServerCertificate(issuer: CertificateAuthority, options: ServerCertificateOptions): Promise<IssuedCertificate> {
  if (!options.names?.length) throw new UserInputError('names', 'is empty; give at least one host name or IP for the server certificate.');
  const altNames = options.names.map((n, i) => inferSubjectAltName(n, `names[${i}]`));
  const bad = altNames.find((s) => s.kind !== 'dns' && s.kind !== 'ip');
  if (bad) throw new UserInputError('names', `"${bad.value}" is an ${bad.kind}; a server certificate names hosts (DNS names or IPs).`);
  const keyPair = await keyFor(options);
  return sign({
    subject: distinguishedName(altNames[0].value),
    keyPair,
    ...validity(options, DEFAULT_VALIDITY_DAYS.server),
    keyUsage: keyPair.algorithm.startsWith('rsa') ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
    extendedKeyUsage: [OID.serverAuth],
    altNames,
  }, issuer);
}

/** A TLS client certificate: the CN identifies the client, clientAuth, optional email/URI SANs. */
export async function issueClientCertificate(issuer: CertificateAuthority, options: ClientCertificateOptions): Promise<IssuedCertificate> {
  const altNames = (options.altNames ?? []).map((n, i) => inferSubjectAltName(n, `altNames[${i}]`));
  const keyPair = await keyFor(options);
  return sign({
    subject: subjectOf(options),
    keyPair,
    ...validity(options, DEFAULT_VALIDITY_DAYS.client),
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: [OID.clientAuth],
    altNames,
  }, issuer);
}

/**
 * Loads a CA from its certificate and key PEM, including one made by `openssl req -x509`.
 * Refuses a certificate that is not a CA, or a key that does not belong to it.
 */
export async function loadCertificateAuthority(certificatePem: string, privateKeyPem: string, source = 'CA'): Promise<CertificateAuthority> {
  const facts = inspectCertificate(certificatePem, `${source} certificate`);
  if (!facts.isCa) {
    throw new UserInputError(`${source} certificate`, `"${facts.subject}" is not a CA (BasicConstraints cA is not TRUE); give the CA's certificate, not a leaf.`);
  }
  if (facts.keyUsage && !facts.keyUsage.includes('keyCertSign')) {
    throw new UserInputError(`${source} certificate`, `"${facts.subject}" has a KeyUsage without keyCertSign, so it may not sign certificates; re-issue the CA with keyCertSign and cRLSign.`);
  }
  const keyPair = await importPrivateKeyPem(privateKeyPem, `${source} key`);
  const spki = Buffer.from(await exportPublicKeyDer(keyPair));
  const certificate = pkijs.Certificate.fromBER(toArrayBuffer(facts.der));
  if (!spki.equals(Buffer.from(certificate.subjectPublicKeyInfo.toSchema().toBER(false)))) {
    throw new UserInputError(`${source} key`, `does not belong to the CA certificate "${facts.subject}"; give the key that was used to create that certificate.`);
  }
  return { certificatePem: facts.pem, facts, keyPair, certificate };
}
