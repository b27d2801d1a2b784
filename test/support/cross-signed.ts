import { craftCertificate, caExtensions, keyPairOf } from './crafted-cert';
import { Signer } from './crafted-crl';
import { der, keyIdOf, name, OIDS } from './der-builder';

/**
 * `count` CA certificates under two names that cross-sign each other, as after many key rollovers: each of
 * `count / 2` keys per name has one certificate, issued by a key of the other name. Every certificate's
 * issuer is in the bundle, found by name and key identifier; a search that compares names only has
 * `count / 2` candidates for each certificate and checks their signatures one by one.
 */
export function crossSignedCas(count: number, validity: { notBefore: Date; notAfter: Date }): string {
  const half = Math.floor(count / 2);
  const subjects = [name([OIDS.commonName, der.utf8('Cross A')]), name([OIDS.commonName, der.utf8('Cross B')])];
  const keys = [0, 1].map(() => Array.from({ length: half }, () => keyPairOf('ec')));
  const signer = (side: number, i: number): Signer => {
    const k = keys[side][i];
    return { key: k.privateKey, subject: subjects[side], keyId: keyIdOf(k.spki), algorithm: k.algorithm };
  };
  const pems: string[] = [];
  for (let i = 0; i < half; i++) {
    for (const side of [0, 1]) {
      // A_i is issued by B_i's key; B_i by A_(i+1)'s.
      const issuer = side === 0 ? signer(1, i) : signer(0, (i + 1) % half);
      const spki = keys[side][i].spki;
      pems.push(craftCertificate({ subject: subjects[side], spki, issuer, ...validity, extensions: caExtensions(spki, issuer) }).pem);
    }
  }
  return pems.join('');
}
