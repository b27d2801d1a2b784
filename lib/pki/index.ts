export * from './errors';
export * from './pem';
export * from './keys';
export * from './names';
export * from './inspect';
export * from './certificate';
export * from './verify';
export { KeyUsageName } from './asn1';
export * from './crl';
