export * from './errors';
export * from './pem';
export * from './keys';
export * from './names';
export * from './inspect';
export * from './certificate';
// rememberX509 stays internal: it is how inspect.ts shares its node:crypto parse with verify.ts.
export { coversHost, isIssuedBy, isSignedBy, keyMatchesCertificate, publicKeyOf } from './verify';
export { KeyUsageName } from './asn1';
export * from './crl';
export * from './pkcs12';
