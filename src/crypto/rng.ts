import { randomFillSync } from 'node:crypto';

/**
 * The one RNG shape the crypto layer consumes: fill a buffer with bytes (rand_core's
 * `fill_bytes`). Upstream only ever draws randomness through `fill_bytes`, so a TS source that
 * yields the same byte stream (e.g. a transcript's noise) reproduces upstream's draws exactly.
 */
export interface RngCore {
  fillBytes(dest: Uint8Array): void;
}

/** OS randomness. Use for anything that must be unpredictable (batch-verification weights, keys). */
export const cryptoRng: RngCore = {
  fillBytes(dest: Uint8Array): void {
    randomFillSync(dest);
  },
};

/** Draws `n` bytes from `rng`. */
export function drawBytes(rng: RngCore, n: number): Uint8Array {
  const out = new Uint8Array(n);
  rng.fillBytes(out);
  return out;
}

/** An RNG that replays `bytes` and throws when exhausted — for reproducing recorded draws in tests. */
export function fixedRng(bytes: Uint8Array): RngCore & { readonly consumed: number } {
  let pos = 0;
  return {
    fillBytes(dest: Uint8Array): void {
      if (pos + dest.length > bytes.length) throw new RangeError('fixedRng: exhausted');
      dest.set(bytes.subarray(pos, pos + dest.length));
      pos += dest.length;
    },
    get consumed() {
      return pos;
    },
  };
}
