/** The subset of a noble projective point that the MSM needs (methods return the same point type). */
export interface MsmPoint {
  add(other: any): any;
  double(): any;
  multiplyUnsafe(scalar: bigint): any;
  is0(): boolean;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function windowFor(n: number): number {
  // Bucket method cost ≈ (bits/c)·(n + 2^c) additions; this picks c near log2(n) − 2.
  if (n < 8) return 2;
  if (n < 32) return 3;
  if (n < 128) return 4;
  if (n < 512) return 5;
  if (n < 2048) return 7;
  return 8;
}

/**
 * Variable-time multi-scalar multiplication Σ sᵢ·Pᵢ (Pippenger's bucket method).
 *
 * Why not noble's `pippenger`: it always walks all 255 scalar bits and adds every point into the
 * zero bucket for windows where its scalar is 0, which doubles the work for the 128-bit weights
 * of batch verification. Here the walk stops at the longest scalar's bit length and zero digits
 * cost nothing. Identity points and zero scalars are skipped (result identical to the naive sum,
 * as upstream's MSM guarantees).
 *
 * Only for public scalars (weights, evaluation points): timing depends on the scalars.
 */
export function msm<P extends MsmPoint>(zero: P, points: readonly P[], scalars: readonly bigint[]): P {
  if (points.length !== scalars.length) throw new RangeError('msm: points and scalars differ in length');
  const ps: P[] = [];
  const ss: bigint[] = [];
  let maxBits = 0;
  for (let i = 0; i < points.length; i++) {
    const s = scalars[i]!;
    const p = points[i]!;
    if (s === 0n || p.is0()) continue;
    ps.push(p);
    ss.push(s);
    const b = bitLength(s);
    if (b > maxBits) maxBits = b;
  }
  const n = ps.length;
  if (n === 0) return zero;
  if (n === 1) return ps[0]!.multiplyUnsafe(ss[0]!) as P;
  const c = windowFor(n);
  const mask = (1n << BigInt(c)) - 1n;
  const windows = Math.ceil(maxBits / c);
  const buckets: Array<P | undefined> = new Array((1 << c) - 1);
  let acc: P | undefined;
  for (let w = windows - 1; w >= 0; w--) {
    if (acc) for (let d = 0; d < c; d++) acc = acc.double() as P;
    buckets.fill(undefined);
    const shift = BigInt(w * c);
    for (let j = 0; j < n; j++) {
      const digit = Number((ss[j]! >> shift) & mask);
      if (digit === 0) continue;
      const b = buckets[digit - 1];
      buckets[digit - 1] = b ? (b.add(ps[j]!) as P) : ps[j]!;
    }
    // Σ digit·bucket[digit] via running sums from the top bucket down.
    let running: P | undefined;
    let windowSum: P | undefined;
    for (let k = buckets.length - 1; k >= 0; k--) {
      const b = buckets[k];
      if (b) running = running ? (running.add(b) as P) : b;
      if (running) windowSum = windowSum ? (windowSum.add(running) as P) : running;
    }
    if (windowSum) acc = acc ? (acc.add(windowSum) as P) : windowSum;
  }
  return acc ?? zero;
}
