import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';

// pkijs picks a crypto engine from globals, which differ between node, jest and bundlers. Binding it to
// node:crypto's WebCrypto once, here, makes every sign/verify in lib/pki use the same implementation.
const ENGINE_NAME = 'node-webcrypto';
pkijs.setEngine(ENGINE_NAME, new pkijs.CryptoEngine({ name: ENGINE_NAME, crypto: webcrypto as unknown as Crypto }));

export const subtle = webcrypto.subtle as unknown as SubtleCrypto;
export { pkijs };
