import { generateKeyPair, KeyAlgorithm, KeyPair } from '../pki';

/**
 * Keys generated ahead, in parallel. RSA-4096 generation takes about a second per key on one core; WebCrypto
 * runs it on libuv's thread pool, so a cold store that needs five keys gets them in the time of two or three
 * when they are asked for together. Certificates are still issued one by one, in spec order, so store.json
 * comes out the same as with sequential generation.
 */
export class KeyPool {
  private readonly ready = new Map<KeyAlgorithm, Promise<KeyPair>[]>();

  /** Starts generating `count` keys of `algorithm` now. */
  prefetch(algorithm: KeyAlgorithm, count: number): void {
    const queue = this.ready.get(algorithm) ?? [];
    for (let i = 0; i < count; i++) {
      const key = generateKeyPair(algorithm);
      key.catch(() => undefined); // surfaced by take(); unused keys must not become unhandled rejections
      queue.push(key);
    }
    this.ready.set(algorithm, queue);
  }

  /** A prefetched key of `algorithm`, or a new one. */
  take(algorithm: KeyAlgorithm): Promise<KeyPair> {
    return this.ready.get(algorithm)?.shift() ?? generateKeyPair(algorithm);
  }
}
