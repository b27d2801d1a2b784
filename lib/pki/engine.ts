import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

// The one module that imports pkijs and asn1js; the rest of lib/pki takes them from here. Both are ESM-only,
// which jest's module loader (ts-jest in the cdk8s app template), ts-node and `require()` before Node 20.19
// cannot load. So `npm run build` bundles this module, pkijs, asn1js and their dependencies as CommonJS
// (scripts/bundle-pki.js), and the published package depends on neither; the compiled engine.js becomes a stub
// that loads the bundle on first use, so a CLI command that needs no pkijs never pays for loading it. In this
// repository tsx and swc load the sources as they are.
//
// pkijs picks a crypto engine from globals, which differ between node, jest and bundlers. Binding it to
// node:crypto's WebCrypto once, here, makes every sign/verify in lib/pki use the same implementation.
const ENGINE_NAME = 'node-webcrypto';
pkijs.setEngine(ENGINE_NAME, new pkijs.CryptoEngine({ name: ENGINE_NAME, crypto: webcrypto as unknown as Crypto }));

export const subtle = webcrypto.subtle as unknown as SubtleCrypto;
export { asn1js, pkijs };

const engines = new WeakMap<object, pkijs.CryptoEngine>();

/**
 * The pkijs engine that signs with keys held by `provider` (a PKCS#11 token's WebCrypto), or the node:crypto
 * engine above when there is none: a key signs only through the WebCrypto that holds it.
 */
export function engineFor(provider: { readonly name: string; readonly subtle: unknown } | undefined): pkijs.ICryptoEngine {
  if (!provider) return pkijs.getCrypto(true);
  let engine = engines.get(provider);
  if (!engine) {
    engine = new pkijs.CryptoEngine({ name: provider.name, crypto: provider as unknown as Crypto });
    engines.set(provider, engine);
  }
  return engine;
}
