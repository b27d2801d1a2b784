/**
 * A small seeded mutator for PEM and DER inputs (xorshift32, so a failing case replays from its seed).
 * It flips bits, overwrites bytes with boundary values, truncates, duplicates and splices ranges, and
 * plants hostile DER lengths, which is what breaks ASN.1 parsers in practice.
 */
export class Mutator {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  next(): number {
    let x = this.state;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.state = x;
    return x;
  }

  below(n: number): number {
    return this.next() % Math.max(1, n);
  }

  mutate(input: Uint8Array): Uint8Array {
    let bytes: Uint8Array = Uint8Array.from(input);
    const rounds = 1 + this.below(4);
    for (let r = 0; r < rounds; r++) bytes = this.once(bytes);
    return bytes;
  }

  private once(bytes: Uint8Array): Uint8Array {
    const at = this.below(bytes.length);
    switch (this.below(7)) {
      case 0: { const out = Uint8Array.from(bytes); out[at] ^= 1 << this.below(8); return out; }
      case 1: { const out = Uint8Array.from(bytes); out[at] = [0x00, 0x7f, 0x80, 0xff, 0x30, 0x84][this.below(6)]; return out; }
      case 2: return bytes.subarray(0, at);
      case 3: { const len = this.below(64); return concat(bytes.subarray(0, at), bytes.subarray(at, at + len), bytes.subarray(at)); }
      case 4: { const len = this.below(64); return concat(bytes.subarray(0, at), bytes.subarray(at + len)); }
      case 5: // a long-form length claiming up to 4 GiB
        return concat(bytes.subarray(0, at), Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, this.below(256)), bytes.subarray(at + 2));
      default: { const out = Uint8Array.from(bytes); out[at] = this.below(256); return out; }
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** `depth` nested indefinite-length SEQUENCEs: deep nesting without a large input. */
export function deepNesting(depth: number): Uint8Array {
  const out = new Uint8Array(depth * 2 + depth * 2);
  for (let i = 0; i < depth; i++) { out[i * 2] = 0x30; out[i * 2 + 1] = 0x80; }
  return out;
}

export function toPem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${(Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;
}
