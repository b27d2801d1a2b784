// lib/pki: one home per concept. Search here before writing a helper again.
//   serial.ts   serial numbers: user input -> canonical uppercase hex, hex <-> DER INTEGER bytes
//   time.ts     X.509 time: DAY_MS, whole seconds, UTCTime/GeneralizedTime choice, the one time-text parser
//   pem.ts      PEM decoding and the one encoder
//   der.ts      the lean DER writer/reader for CRL revoked lists (and readTime for DER times)
//   asn1.ts     pkijs objects shared by certificates and CRLs (Time, names, key usage)
//   name-text.ts  the one RFC 4514 text of a Name, from DER (name-canon.ts: OpenSSL's matching of names)
//   certificate-identity.ts  DER, fingerprint and subject of a certificate through node:crypto, without pkijs
//   engine.ts   the only importer of pkijs/asn1js (bundled as CommonJS by the build)
// Test-only scaffolding lives in test/support (e.g. the pkijs reference CRL builder, pkijs-crl.ts).
export * from './errors';
export * from './pem';
export * from './keys';
export * from './names';
export * from './inspect';
export * from './certificate';
// rememberX509 stays internal: it is how inspect.ts shares its node:crypto parse with verify.ts.
export { coversHost, isIssuedBy, isSignedBy, keyMatchesCertificate, publicKeyOf } from './verify';
export { KeyUsageName } from './asn1';
// The CRL internals (the lean signing step the index path uses, extension objects) stay out of the package API.
export {
  REVOCATION_REASONS, RevocationReason, parseRevocationReason, RevokedEntry, CrlOptions, BuiltCrl, buildCrl,
  CrlFacts, parseCrlDer, readCrls, isCrlSignedBy,
} from './crl';
export { serialToBytes } from './serial';
export * from './pkcs12';
