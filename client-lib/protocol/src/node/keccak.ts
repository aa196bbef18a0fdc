import path from 'node:path';
import createKeccakHash from 'keccak';

/** The native keccak sponge of the `keccak` package (its XKCP binding). */
interface KeccakSponge {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  squeeze(length: number): Buffer;
}

/**
 * The `keccak` package's public API wraps every hash in a stream object, which costs about 3 µs per hash;
 * its native sponge, used directly, hashes a few words in about 1 µs. Null if the binding does not load
 * (the package then falls back to pure JS, and so do we, through its public API).
 */
function loadNativeSponge(): KeccakSponge | null {
  try {
    const dir = path.dirname(require.resolve('keccak/package.json'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require(require.resolve('node-gyp-build', { paths: [dir] })) as (dir: string) => unknown;
    const Sponge = load(dir);
    if (typeof Sponge !== 'function') return null;
    return new (Sponge as new () => KeccakSponge)();
  } catch {
    return null;
  }
}

// One sponge serves every call: hashing is synchronous, so no two calls can interleave on it.
const sponge = loadNativeSponge();
const RATE = 1088;
const CAPACITY = 512;

function asBuffer(part: Uint8Array): Buffer {
  return Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
}

/** keccak-256 of the concatenated parts, through the native binding (about 1 µs for a few words). */
export function keccak256(...parts: Uint8Array[]): Buffer {
  if (sponge) {
    sponge.initialize(RATE, CAPACITY);
    for (const part of parts) sponge.absorb(asBuffer(part));
    return sponge.squeeze(32);
  }
  const hash = createKeccakHash('keccak256');
  for (const part of parts) hash.update(asBuffer(part));
  return hash.digest();
}

export function keccak256Utf8(text: string): Buffer {
  return keccak256(Buffer.from(text, 'utf8'));
}

/** Whether keccak runs on the native binding rather than the pure-JS fallback. */
export function nativeKeccakLoaded(): boolean {
  return sponge !== null;
}
