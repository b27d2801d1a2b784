import { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KeyUsageName } from '../../lib/pki';
import { opensslResult, scratchDir } from '../support/openssl';
import { Signer } from '../support/crafted-crl';
import { basicConstraints, caExtensions, CraftedCertificate, craftCertificate, CraftedKeyType, keyPairOf, keyUsage, subjectKeyId } from '../support/crafted-cert';
import { der, extension, keyIdOf, name, OIDS } from '../support/der-builder';
import { akiExtension } from '../support/crafted-crl';
import { VALIDITY } from './context';

export const SERVED_HOST = 'corpus.example.com';

/** Certificates for a case: what is trusted (ca.crt, or the client's trust store) and the certificate verified. */
export interface CertCaseMaterial {
  /** The client-CA side: ca.crt. The served side: the root the TLS client trusts. */
  readonly caPem: string;
  /** The served side only: leaf, intermediates and root, as tls.crt holds them; and the leaf's key. */
  readonly chainPem?: string;
  readonly keyPem?: string;
  /** The certificate openssl verifies: a client (client-CA side) or the served leaf; untrusted intermediates with it. */
  readonly leafPem: string;
  readonly untrustedPem?: string;
}

export interface CertCase {
  readonly name: string;
  readonly side: 'client-ca' | 'served';
  build(): CertCaseMaterial;
}

interface Node extends CraftedCertificate {
  readonly signer: Signer;
  readonly keyPem: string;
}

const cn = (text: string, encode: (t: string) => Uint8Array = der.utf8) => name([OIDS.commonName, encode(text)]);
const unknownCritical = () => extension(OIDS.unknown, true, der.utf8('whatever'));
const san = (host: string) => extension('2.5.29.17', false, der.seq(der.implicit(2, new Uint8Array(Buffer.from(host)))));
const serverAuth = () => extension(OIDS.extKeyUsage, false, der.seq(der.oid('1.3.6.1.5.5.7.3.1')));

interface NodeOptions {
  readonly subject: Uint8Array;
  readonly issuer?: Node;
  /** The issuer name written in the certificate, when it should differ from the issuer's subject bytes. */
  readonly issuerName?: Uint8Array;
  readonly type?: CraftedKeyType;
  readonly spki?: (key: KeyObject, spki: Uint8Array) => Uint8Array;
  readonly extensions: (spki: Uint8Array, issuer: Signer | 'self') => Uint8Array[];
}

function node(options: NodeOptions): Node {
  const key = keyPairOf(options.type ?? 'ec');
  const spki = options.spki ? options.spki(key.privateKey, key.spki) : key.spki;
  const self: Signer = { key: key.privateKey, subject: options.subject, keyId: keyIdOf(spki), algorithm: key.algorithm };
  const issuer = options.issuer?.signer ?? self;
  const cert = craftCertificate({
    subject: options.subject, spki, issuer, issuerName: options.issuerName, ...VALIDITY,
    extensions: options.extensions(spki, options.issuer ? options.issuer.signer : 'self'),
  }, key.privateKey, key.algorithm);
  return { ...cert, signer: self, keyPem: key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** The same EC key's SubjectPublicKeyInfo with the curve written out (explicit parameters), by openssl. */
function explicitCurve(key: KeyObject): Uint8Array {
  const tmp = scratchDir('mtls-explicit-');
  try {
    const r = opensslResult(['pkey', '-in', tmp.write('k.pem', key.export({ format: 'pem', type: 'pkcs8' }).toString()), '-pubout', '-ec_param_enc', 'explicit', '-outform', 'DER', '-out', `${tmp.dir}/p.der`]);
    if (r.status !== 0) throw new Error(r.output);
    return new Uint8Array(readFileSync(`${tmp.dir}/p.der`));
  } finally {
    tmp.cleanup();
  }
}

const ca = (options: { pathLength?: number; usages?: KeyUsageName[]; ca?: boolean; extra?: Uint8Array[] } = {}) =>
  (spki: Uint8Array, issuer: Signer | 'self') => [...caExtensions(spki, issuer, { pathLength: options.pathLength, usages: options.usages, ca: options.ca ?? true }).filter((e) => options.ca !== false || !isClientAuth(e)), ...(options.extra ?? [])];
const isClientAuth = (e: Uint8Array) => Buffer.from(e).includes(Buffer.from('2b06010505070302', 'hex'));
const clientLeaf = (extra: Uint8Array[] = []) => (spki: Uint8Array, issuer: Signer | 'self') => [...caExtensions(spki, issuer, { ca: false }), ...extra];
const serverLeaf = (extra: Uint8Array[] = []) => (spki: Uint8Array, issuer: Signer | 'self') => [
  basicConstraints(false), keyUsage(['digitalSignature']), subjectKeyId(spki), akiExtension((issuer as Signer).keyId!), serverAuth(), san(SERVED_HOST), ...extra,
];

/** Root → (intermediate →) client, all of it in ca.crt except the client. */
function clientSide(caseName: string, make: () => { trusted: Node[]; client: Node }): CertCase {
  return { name: caseName, side: 'client-ca', build: () => { const { trusted, client } = make(); return { caPem: trusted.map((n) => n.pem).join(''), leafPem: client.pem }; } };
}

/** Root → (intermediate →) leaf served in tls.crt with the whole chain; the TLS client trusts the root. */
function servedSide(caseName: string, make: () => { root: Node; intermediates: Node[]; leaf: Node }): CertCase {
  return {
    name: caseName,
    side: 'served',
    build: () => {
      const { root, intermediates, leaf } = make();
      return {
        caPem: root.pem, leafPem: leaf.pem, keyPem: leaf.keyPem, untrustedPem: intermediates.map((n) => n.pem).join('') || undefined,
        chainPem: [leaf, ...intermediates, root].map((n) => n.pem).join(''),
      };
    },
  };
}

function rootAnd(rootOptions: Partial<NodeOptions>, intermediateOptions: Partial<NodeOptions> | undefined, leafOptions: Partial<NodeOptions>, leafKind: 'client' | 'server') {
  const root = node({ subject: cn('Corpus Root'), extensions: ca({ pathLength: 1 }), ...rootOptions });
  const intermediate = intermediateOptions ? node({ subject: cn('Corpus Issuing'), issuer: root, extensions: ca({ pathLength: 0 }), ...intermediateOptions }) : undefined;
  const parent = intermediate ?? root;
  const leaf = node({ subject: cn(leafKind === 'client' ? 'corpus-client' : SERVED_HOST), issuer: parent, extensions: leafKind === 'client' ? clientLeaf() : serverLeaf(), ...leafOptions });
  return { root, intermediates: intermediate ? [intermediate] : [], leaf };
}

const client = (root: Partial<NodeOptions>, intermediate: Partial<NodeOptions> | undefined, leaf: Partial<NodeOptions> = {}) => () => {
  const made = rootAnd(root, intermediate, leaf, 'client');
  return { trusted: [made.root, ...made.intermediates], client: made.leaf };
};
const served = (root: Partial<NodeOptions>, intermediate: Partial<NodeOptions> | undefined, leaf: Partial<NodeOptions> = {}) => () => rootAnd(root, intermediate, leaf, 'server');

export const CERT_CASES: readonly CertCase[] = [
  clientSide('client CA: baseline root → intermediate', client({}, {})),
  clientSide('client CA: root with an unknown critical extension', client({ extensions: ca({ pathLength: 1, extra: [unknownCritical()] }) }, undefined)),
  clientSide('client CA: intermediate with an unknown critical extension', client({}, { extensions: ca({ pathLength: 0, extra: [unknownCritical()] }) })),
  clientSide('client CA: root with a critical Subject Key Identifier', client({ extensions: (spki) => [basicConstraints(true), keyUsage(['keyCertSign', 'cRLSign']), subjectKeyId(spki, true)] }, undefined)),
  clientSide('client CA: intermediate without the CA bit', client({}, { extensions: ca({ ca: false }) })),
  clientSide('client CA: intermediate without keyCertSign', client({}, { extensions: ca({ pathLength: 0, usages: ['digitalSignature', 'cRLSign'] }) })),
  clientSide('client CA: root pathLen 0 above an intermediate', client({ extensions: ca({ pathLength: 0 }) }, {})),
  clientSide('client CA: intermediate pathLen 0 above another intermediate', () => {
    const root = node({ subject: cn('Corpus Root'), extensions: ca() });
    const upper = node({ subject: cn('Corpus Upper'), issuer: root, extensions: ca({ pathLength: 0 }) });
    const lower = node({ subject: cn('Corpus Lower'), issuer: upper, extensions: ca({ pathLength: 0 }) });
    return { trusted: [root, upper, lower], client: node({ subject: cn('corpus-client'), issuer: lower, extensions: clientLeaf() }) };
  }),
  clientSide('client CA: root with an explicit-curve EC key', client({ spki: (key) => explicitCurve(key) }, undefined)),
  clientSide('client CA: intermediate whose issuer name is the root\'s re-encoded as PrintableString', client({ subject: cn('Corpus Root', der.printable) }, { issuerName: cn('Corpus Root') })),
  clientSide('client CA: intermediate whose issuer name differs in case and spacing', client({}, { issuerName: cn(' corpus  ROOT') })),
  clientSide('client CA: v1 root without extensions', client({ extensions: () => [] }, undefined)),
  clientSide('client CA: DSA root', client({ type: 'dsa' }, undefined)),
  servedSide('served: baseline leaf → intermediate → root', served({}, {})),
  servedSide('served: intermediate without the CA bit', served({}, { extensions: ca({ ca: false }) })),
  servedSide('served: intermediate without BasicConstraints', served({}, { extensions: (spki, issuer) => ca({ pathLength: 0 })(spki, issuer).slice(1) })),
  servedSide('served: intermediate without keyCertSign', served({}, { extensions: ca({ pathLength: 0, usages: ['digitalSignature', 'cRLSign'] }) })),
  servedSide('served: root pathLen 0 above an intermediate', served({ extensions: ca({ pathLength: 0 }) }, {})),
  servedSide('served: intermediate with an explicit-curve EC key', served({}, { spki: (key) => explicitCurve(key) })),
  servedSide('served: leaf with an unknown critical extension', served({}, {}, { extensions: serverLeaf([unknownCritical()]) })),
  servedSide('served: intermediate with an unknown critical extension', served({}, { extensions: ca({ pathLength: 0, extra: [unknownCritical()] }) })),
  servedSide('served: leaf whose issuer name is the intermediate\'s re-encoded as PrintableString', served({}, { subject: cn('Corpus Issuing', der.printable) }, { issuerName: cn('Corpus Issuing') })),
  servedSide('served: intermediate whose issuer name differs in case', served({}, { issuerName: cn('CORPUS ROOT') })),
];
