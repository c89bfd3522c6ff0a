/**
 * A seeded xorshift32 generator for reproducible simulations and fault schedules (not for
 * anything secret). Returns floats in [0, 1); seed 0 is treated as 1 (xorshift's fixed point).
 */
export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
