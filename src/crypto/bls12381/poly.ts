import { type Compare, compareNumbers, OrderedMap, type RangeCfg, type Reader, Writer } from '../../codec/index.ts';
import type { RngCore } from '../rng.ts';
import type { Group, Space } from './group.ts';
import { ScalarSpace } from './group.ts';
import { randomScalar, type Scalar, scalarInvBatch, scalarMul, scalarSub } from './scalar.ts';

/**
 * A polynomial with coefficients in a {@link Space} (upstream `commonware_math::poly::Poly<K>`):
 * constant term first, never empty. Over scalars it is a dealer's secret; over G1/G2 it is a
 * public commitment (Feldman) whose constant term is the group key.
 *
 * Equality ignores trailing zero coefficients, like upstream; the *encoding* does not, so two
 * equal polynomials can encode differently — compare encodings only when that is intended.
 */
export class Poly<K> {
  readonly coeffs: readonly K[];

  constructor(
    readonly space: Space<K>,
    coeffs: readonly K[],
  ) {
    if (coeffs.length === 0) throw new RangeError('Poly: at least one coefficient is required');
    this.coeffs = coeffs;
  }

  /** Number of coefficients minus one (not reduced for trailing zeros; see {@link degreeExact}). */
  degree(): number {
    return this.coeffs.length - 1;
  }

  /** Number of coefficients — the number of evaluations needed to interpolate it. */
  required(): number {
    return this.coeffs.length;
  }

  /** f(0): the secret (scalar poly) or the group public key (commitment). */
  constant(): K {
    return this.coeffs[0]!;
  }

  /**
   * Degree ignoring trailing zero coefficients (identity points / zero scalars); the DKG uses it
   * to check a dealer committed to exactly degree t−1. 0 for the zero polynomial.
   */
  degreeExact(): number {
    let d = this.coeffs.length - 1;
    while (d > 0 && this.space.isZero(this.coeffs[d]!)) d--;
    return d;
  }

  /**
   * f(x) by Horner's rule. For commitments and the small evaluation points of a sharing (x = i+1)
   * each step is a short scalar multiplication, which is cheaper than upstream's MSM form
   * ({@link evalMsm}); both give the same value. Group spaces evaluate with their own fast path
   * (`Space.evalPoly`: double-and-add steps on noble points, the whole loop inside mcl for G2
   * when the mcl backend is current).
   */
  eval(x: Scalar): K {
    const s = this.space;
    if (s.evalPoly) return s.evalPoly(this.coeffs, x);
    let acc: K = this.coeffs[this.coeffs.length - 1]!;
    for (let i = this.coeffs.length - 2; i >= 0; i--) acc = s.add(s.scale(acc, x), this.coeffs[i]!);
    return acc;
  }

  /** f(x) as Σ cᵢ·xⁱ with one MSM (upstream `eval_msm`); preferable when x is a full-size scalar. */
  evalMsm(x: Scalar): K {
    const weights: Scalar[] = [1n];
    for (let i = 1; i < this.coeffs.length; i++) weights.push(scalarMul(weights[i - 1]!, x));
    return this.space.msm(this.coeffs, weights);
  }

  /** Equality up to trailing zero coefficients (upstream `PartialEq for Poly`). */
  equals(other: Poly<K>): boolean {
    const n = Math.max(this.coeffs.length, other.coeffs.length);
    const z = this.space.ZERO;
    for (let i = 0; i < n; i++) {
      if (!this.space.equals(this.coeffs[i] ?? z, other.coeffs[i] ?? z)) return false;
    }
    return true;
  }

  /** Coefficient-wise sum (the longer polynomial's tail is kept). */
  add(other: Poly<K>): Poly<K> {
    const n = Math.max(this.coeffs.length, other.coeffs.length);
    const z = this.space.ZERO;
    const out: K[] = [];
    for (let i = 0; i < n; i++) out.push(this.space.add(this.coeffs[i] ?? z, other.coeffs[i] ?? z));
    return new Poly(this.space, out);
  }

  /** Every coefficient times a public scalar. */
  scale(s: Scalar): Poly<K> {
    return new Poly(
      this.space,
      this.coeffs.map((c) => this.space.scale(c, s)),
    );
  }

  /** `NonEmptyVec<K>` encoding: varint count then the fixed-size coefficients. */
  write(w: Writer): void {
    w.vec(this.coeffs, this.space.write);
  }

  encode(): Uint8Array {
    const w = new Writer(5 + this.coeffs.length * this.space.SIZE);
    this.write(w);
    return w.finish();
  }

  /**
   * Reads a polynomial (upstream `Poly::read_cfg` with `(RangeCfg<NonZeroU32>, ())`): coefficient
   * count in `range`, each coefficient decoded with its own checks (points: on curve, in subgroup,
   * not identity — so a decoded commitment never has zero coefficients).
   */
  static read<K>(r: Reader, space: Space<K>, range: RangeCfg): Poly<K> {
    return new Poly(space, r.nonEmptyVec(range, space.read));
  }
}

/**
 * Σ polys, coefficient-wise (the longest polynomial's length; same value as folding
 * {@link Poly.add}). Uses the space's `sum` fast path per coefficient when it has one, so a sum of
 * k commitments of t points each costs t results instead of (k − 1)·t intermediate points.
 */
export function sumPolys<K>(space: Space<K>, polys: readonly Poly<K>[]): Poly<K> {
  if (polys.length === 0) throw new RangeError('sumPolys: no polynomials');
  if (polys.length === 1) return polys[0]!;
  const rows = Math.max(...polys.map((p) => p.coeffs.length));
  const out: K[] = [];
  for (let k = 0; k < rows; k++) {
    const items: K[] = [];
    for (const p of polys) if (k < p.coeffs.length) items.push(p.coeffs[k]!);
    out.push(space.sum ? space.sum(items) : items.reduce((a, b) => space.add(a, b)));
  }
  return new Poly(space, out);
}

/** `Poly::<Scalar>::new(rng, degree)`: degree+1 coefficients, each `Scalar::random` (64 RNG bytes) in order. */
export function randomPoly(rng: RngCore, degree: number): Poly<Scalar> {
  const coeffs: Scalar[] = [];
  for (let i = 0; i <= degree; i++) coeffs.push(randomScalar(rng));
  return new Poly(ScalarSpace, coeffs);
}

/** `Poly::new_with_constant(rng, degree, c0)`: c0 given, then c1..c_degree drawn in order. */
export function randomPolyWithConstant(rng: RngCore, degree: number, constant: Scalar): Poly<Scalar> {
  const coeffs: Scalar[] = [constant];
  for (let i = 1; i <= degree; i++) coeffs.push(randomScalar(rng));
  return new Poly(ScalarSpace, coeffs);
}

/**
 * Feldman commitment `Poly::commit`: every coefficient times the group generator. The scalars are
 * secret, so this uses the group's constant-time multiplication.
 */
export function commit<P>(group: Group<P>, p: Poly<Scalar>): Poly<P> {
  return new Poly(
    group,
    p.coeffs.map((c) => group.mul(group.GENERATOR, c)),
  );
}

/**
 * Lagrange interpolation at 0 (upstream `Interpolator<I, Scalar>`). Built once for a set of
 * participant ids with their evaluation points, then applied to any evaluations keyed by exactly
 * those ids — scalars (shares), points (partial signatures) or whole polynomials.
 *
 * Weight of id i: wᵢ = Πⱼ≠ᵢ xⱼ / (xⱼ − xᵢ). Ids are sorted and deduplicated (first point of a
 * duplicated id kept). A repeated x under distinct ids makes a denominator zero; as upstream
 * (whose inverse of 0 is 0) the weight is then 0 rather than an error — callers obtain x from
 * distinct indices, so this cannot happen through the sharing API.
 */
export class Interpolator<I> {
  readonly weights: OrderedMap<I, Scalar>;

  constructor(points: Iterable<readonly [I, Scalar]>, compare: Compare<I>) {
    const pts = OrderedMap.fromDedup(points, compare);
    const xs = pts.values;
    const n = xs.length;
    const tops: Scalar[] = [];
    const bots: Scalar[] = [];
    for (let i = 0; i < n; i++) {
      let top = 1n;
      let bot = 1n;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        top = scalarMul(top, xs[j]!);
        bot = scalarMul(bot, scalarSub(xs[j]!, xs[i]!));
      }
      tops.push(top);
      bots.push(bot);
    }
    const inv = scalarInvBatch(bots);
    this.weights = OrderedMap.tryFrom(
      pts.keys.items.map((k, i) => [k, scalarMul(tops[i]!, inv[i]!)] as const),
      compare,
    );
  }

  /**
   * Σ wᵢ·evalᵢ, or `null` unless the evaluations' ids equal the interpolator's ids exactly
   * (upstream returns None, so a caller cannot silently interpolate the wrong subset).
   */
  interpolate<K>(space: Space<K>, evals: OrderedMap<I, K>): K | null {
    if (!evals.keys.equals(this.weights.keys)) return null;
    return space.msm(evals.values, this.weights.values);
  }

  /** Interpolates whole polynomials coefficient-wise (used for resharing commitments). */
  interpolatePolys<K>(space: Space<K>, evals: OrderedMap<I, Poly<K>>): Poly<K> | null {
    if (!evals.keys.equals(this.weights.keys)) return null;
    const rows = Math.max(...evals.values.map((p) => p.coeffs.length));
    const out: K[] = [];
    for (let k = 0; k < rows; k++) {
      out.push(
        space.msm(
          evals.values.map((p) => p.coeffs[k] ?? space.ZERO),
          this.weights.values,
        ),
      );
    }
    return new Poly(space, out);
  }
}

/** Interpolator over u32 participant indices with evaluation point index + 1. */
export function indexInterpolator(indices: Iterable<number>): Interpolator<number> {
  return new Interpolator(
    [...indices].map((i) => [i, BigInt(i) + 1n] as const),
    compareNumbers,
  );
}
