import type { Group, Poly, Scalar } from '../bls12381/index.ts';

interface Doubling<P> {
  double(): P;
}

function hasDouble<P>(p: P): p is P & Doubling<P> {
  return typeof (p as { double?: unknown }).double === 'function';
}

/**
 * Evaluates a commitment polynomial at a *small public* point x (a participant's index + 1) by
 * Horner's rule, multiplying by x with plain double-and-add. Same value as `Poly.eval` /
 * upstream's `eval_msm`, but about twice as fast for x < 2^32 on noble points, where
 * `multiplyUnsafe` carries per-call overhead that dominates for tiny scalars. This is the hot
 * loop of every Feldman check (t − 1 steps per dealing). Variable time: only for public x.
 */
export function evalCommitment<P>(group: Group<P>, poly: Poly<P>, x: Scalar): P {
  const coeffs = poly.coeffs;
  if (x <= 0n || x >= 1n << 32n) return poly.eval(x);
  const bits = x.toString(2);
  let acc: P = coeffs[coeffs.length - 1]!;
  for (let i = coeffs.length - 2; i >= 0; i--) {
    const base: P = acc;
    let m: P = base;
    for (let b = 1; b < bits.length; b++) {
      m = hasDouble(m) ? m.double() : group.add(m, m);
      if (bits[b] === '1') m = group.add(m, base);
    }
    acc = group.add(m, coeffs[i]!);
  }
  return acc;
}
