/**
 * Decode-time bounds for lengths and counts (upstream `RangeCfg<usize>`).
 *
 * Every length prefix a reader accepts is checked against one of these *before* anything is
 * allocated or looped over, so a hostile prefix can never make the decoder do more work than the
 * bound allows. Bounds are inclusive on both ends; upstream's exclusive forms (`a..b`) map to
 * `{ min: a, max: b - 1 }`. Lengths travel as u32 varints, so `max` never needs to exceed 2^32-1.
 */
export interface RangeCfg {
  readonly min: number;
  readonly max: number;
}

/** Largest value a `usize` can take on the wire (it is written as a u32 varint). */
export const U32_MAX = 0xffff_ffff;

/** `min..=max`. */
export function range(min: number, max: number): RangeCfg {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > U32_MAX) {
    throw new RangeError(`range: bounds must be integers in 0..=${U32_MAX}, got ${min}..=${max}`);
  }
  return { min, max };
}

/** Exactly `n` (upstream `RangeCfg::exact`), e.g. the value count of an ordered `Map`. */
export function exact(n: number): RangeCfg {
  return range(n, n);
}

/** `0..=max`. */
export function atMost(max: number): RangeCfg {
  return range(0, max);
}

/** `min..` (no upper bound beyond what a u32 can express). Only for trusted or tiny inputs. */
export function atLeast(min: number): RangeCfg {
  return range(min, U32_MAX);
}

/** `..` — unbounded. Decoding untrusted input with this defeats the point of bounds; prefer a real max. */
export const ANY: RangeCfg = Object.freeze({ min: 0, max: U32_MAX });

export function rangeContains(r: RangeCfg, n: number): boolean {
  return n >= r.min && n <= r.max;
}
