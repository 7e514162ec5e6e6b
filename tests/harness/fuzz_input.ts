/**
 * Seeded inputs for system fuzz tests: a small PRNG (mulberry32; the seed replays a
 * run), byte-level mutations of a message, and random garbage. Lines never contain a
 * newline, so each input stays one line on the wire.
 */
const encoder = new TextEncoder();

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

/** mulberry32: small, seeded, good enough to pick cases. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)] };
}

/** `text` with 1–4 random flips, deletions, insertions of JSON punctuation, repeats or a cut. */
export function mutate(r: Rng, text: string): Uint8Array {
  let bytes = Array.from(encoder.encode(text));
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(bytes.length + 1);
    switch (r.int(5)) {
      case 0:
        bytes[at] = r.int(256);
        break;
      case 1:
        bytes.splice(at, 1);
        break;
      case 2:
        bytes.splice(at, 0, r.pick([0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x5c, 0xff, 0xc3]));
        break;
      case 3:
        bytes = bytes.concat(bytes.slice(at, at + r.int(20)));
        break;
      default:
        bytes = bytes.slice(0, at);
    }
  }
  return Uint8Array.from(bytes.filter((b) => b !== 10));
}

/** 1–300 random bytes. */
export function garbage(r: Rng): Uint8Array {
  return Uint8Array.from({ length: 1 + r.int(300) }, () => r.int(256)).filter((b) => b !== 10);
}
