import type { Group, Poly, Scalar } from '../bls12381/index.ts';

/**
 * Evaluates a commitment polynomial at a *small public* point x (a participant's index + 1): the
 * hot loop of every Feldman check (t − 1 steps per dealing). Same value as upstream's `eval_msm`.
 * The group's `evalPoly` does the work: Horner with plain double-and-add steps on noble points
 * (about twice as fast as `multiplyUnsafe` for x < 2³²), and for G2 under the mcl backend the
 * whole loop inside mcl on cached mcl copies of the coefficients (no noble arithmetic at all).
 * Variable time: only for public x.
 */
export function evalCommitment<P>(group: Group<P>, poly: Poly<P>, x: Scalar): P {
  return group.evalPoly ? group.evalPoly(poly.coeffs, x) : poly.eval(x);
}
