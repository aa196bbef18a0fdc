/**
 * A small seeded PRNG (mulberry32, 32-bit state): the same parts give the same sequence on every run and
 * machine, so a worker's decisions for a request id repeat, and a generated topology repeats for its seed.
 * Statistical quality is ample for picking calls; it is not for cryptography.
 */

/** FNV-1a over the parts (joined with a separator that no part can fake), as a 32-bit seed. */
export function seedOf(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.map(String).join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Uniform numbers in [0, 1) from the seed. */
export function seededRandom(...parts: (string | number)[]): () => number {
  let state = seedOf(...parts);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `k` distinct indexes of 0..n-1 in increasing order, chosen uniformly (partial Fisher–Yates). */
export function pickIndexes(n: number, k: number, random: () => number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(n, k);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (n - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, take).sort((a, b) => a - b);
}
