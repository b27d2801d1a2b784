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
