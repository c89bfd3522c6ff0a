import type { Fp2 as Fp2Element } from '@noble/curves/abstract/tower.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { compareBytes, decode as decodeWith, Invalid, type Reader, type Writer } from '../../codec/index.ts';
import { msm } from './msm.ts';
import { R, readScalar, type Scalar, scalarAdd, scalarMul, scalarNeg, scalarSub, writeScalar } from './scalar.ts';

/** A G1 point in noble's projective form (kept projective: conversion costs an inversion). */
export type G1Point = WeierstrassPoint<bigint>;
/** A G2 point in noble's projective form. */
export type G2Point = WeierstrassPoint<Fp2Element>;

const { Fp, Fp2 } = bls12_381.fields;
const P_MOD = Fp.ORDER;
const HALF_P = (P_MOD - 1n) / 2n;

/**
 * Anything a polynomial can have as coefficients (upstream's `Space<Scalar>` + codec): scalars,
 * G1 and G2 points. Lets {@link Poly} and the interpolator stay generic.
 */
export interface Space<K> {
  readonly name: string;
  /** Encoded size in bytes (all coefficient types are fixed-size). */
  readonly SIZE: number;
  readonly ZERO: K;
  add(a: K, b: K): K;
  sub(a: K, b: K): K;
  neg(a: K): K;
  /** a·s for a *public* scalar s (variable time). */
  scale(a: K, s: Scalar): K;
  equals(a: K, b: K): boolean;
  isZero(a: K): boolean;
  /** Σ itemsᵢ·scalarsᵢ (public scalars). */
  msm(items: readonly K[], scalars: readonly Scalar[]): K;
  /**
   * Optional fast path for Σ coeffsᵢ·xⁱ at a *public* x (polynomial evaluation, e.g. a Feldman
   * check or a partial public key): the same value as Horner's rule over `add`/`scale`.
   */
  evalPoly?(coeffs: readonly K[], x: Scalar): K;
  /** Optional fast path for Σ items (e.g. adding up dealer commitments coefficient-wise). */
  sum?(items: readonly K[]): K;
  write(w: Writer, a: K): void;
  read(r: Reader): K;
}

/** A prime-order group with upstream's codec, hashing and ordering (`CryptoGroup + HashToGroup`). */
export interface Group<P> extends Space<P> {
  readonly name: 'G1' | 'G2';
  readonly GENERATOR: P;
  /** p·s for a *secret* scalar (noble's constant-time ladder); 0 gives the identity. */
  mul(p: P, s: Scalar): P;
  encode(p: P): Uint8Array;
  decode(bytes: Uint8Array): P;
  /** RFC 9380 hash_to_curve (SSWU, random oracle), empty aug — blst `hash_to_g1/g2`. */
  hash(dst: Uint8Array, msg: Uint8Array): P;
  /** Upstream `Ord`: lexicographic order of the compressed encodings. */
  compare(a: P, b: P): number;
  /**
   * The Feldman check Σ coeffsᵢ·xⁱ == G·s for a public x and a *secret* s — the same answer as
   * `equals(evalPoly(coeffs, x), mul(GENERATOR, s))`, without building either point.
   */
  evalEqualsGeneratorMul(coeffs: readonly P[], x: Scalar, s: Scalar): boolean;
}

/** The scalar field as a {@link Space} (polynomials over scalars). */
export const ScalarSpace: Space<Scalar> = {
  name: 'Scalar',
  SIZE: 32,
  ZERO: 0n,
  add: scalarAdd,
  sub: scalarSub,
  neg: scalarNeg,
  scale: scalarMul,
  equals: (a, b) => a === b,
  isZero: (a) => a === 0n,
  msm(items, scalars) {
    if (items.length !== scalars.length) throw new RangeError('msm: length mismatch');
    let acc = 0n;
    for (let i = 0; i < items.length; i++) acc += items[i]! * scalars[i]!;
    return acc % R;
  },
  write: writeScalar,
  read: readScalar,
};

function bytesToBigint(b: Uint8Array): bigint {
  let x = 0n;
  for (const byte of b) x = (x << 8n) | BigInt(byte);
  return x;
}

/**
 * Upstream's point decoding, made explicit rather than delegated to noble's (which accepts the
 * infinity encoding and does not report *why* it failed): blst `uncompress` requires the
 * compression flag; an infinity flag must come with all-zero remaining bits (and the identity is
 * then refused anyway); every Fp limb of x must be < p after masking the 3 flag bits; x³+b must be
 * a square; the sort flag picks y; for G1, x = 0 is refused as "Not in group". commonware then
 * rejects the identity and anything outside the prime-order subgroup. Error messages are
 * upstream's, per failure (the conformance fixtures pin each one).
 */
export function checkFlags(bytes: Uint8Array, name: 'G1' | 'G2'): void {
  const b0 = bytes[0]!;
  if ((b0 & 0x80) === 0) throw new Invalid(name, 'Bad encoding');
  if ((b0 & 0x40) !== 0) {
    if ((b0 & 0x3f) !== 0) throw new Invalid(name, 'Bad encoding');
    for (let i = 1; i < bytes.length; i++) if (bytes[i] !== 0) throw new Invalid(name, 'Bad encoding');
    throw new Invalid(name, 'Infinity');
  }
}

function readG1(r: Reader): G1Point {
  const bytes = r.borrow(48);
  checkFlags(bytes, 'G1');
  // Copy before masking: `bytes` may be a view into the caller's Buffer (whose slice() aliases).
  const masked = Uint8Array.from(bytes);
  masked[0]! &= 0x1f;
  const x = bytesToBigint(masked);
  if (x >= P_MOD) throw new Invalid('G1', 'Bad encoding');
  const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n);
  let y: bigint;
  try {
    y = Fp.sqrt(rhs);
  } catch {
    throw new Invalid('G1', 'Not on curve');
  }
  const wantLarge = (bytes[0]! & 0x20) !== 0;
  if (y > HALF_P !== wantLarge) y = Fp.neg(y);
  // blst refuses (0, ±2) already in uncompress (it is on the curve but of order 3).
  if (x === 0n) throw new Invalid('G1', 'Not in group');
  const p = bls12_381.G1.Point.fromAffine({ x, y });
  if (!p.isTorsionFree()) throw new Invalid('G1', 'Outside G1');
  return p;
}

const B2 = Fp2.create({ c0: 4n, c1: 4n });

function readG2(r: Reader): G2Point {
  const bytes = r.borrow(96);
  checkFlags(bytes, 'G2');
  const hi = Uint8Array.from(bytes.subarray(0, 48));
  hi[0]! &= 0x1f;
  const c1 = bytesToBigint(hi);
  const c0 = bytesToBigint(bytes.subarray(48));
  if (c1 >= P_MOD || c0 >= P_MOD) throw new Invalid('G2', 'Bad encoding');
  const x = Fp2.create({ c0, c1 });
  const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), B2);
  let y: Fp2Element;
  try {
    y = Fp2.sqrt(rhs);
  } catch {
    throw new Invalid('G2', 'Not on curve');
  }
  // "Larger" y in the ZCash sense: the sign of c1, or of c0 when c1 = 0.
  const large = y.c1 !== 0n ? y.c1 > HALF_P : y.c0 > HALF_P;
  if (large !== ((bytes[0]! & 0x20) !== 0)) y = Fp2.neg(y);
  const p = bls12_381.G2.Point.fromAffine({ x, y });
  if (!p.isTorsionFree()) throw new Invalid('G2', 'Outside G2');
  return p;
}

function writeFp(out: Uint8Array, offset: number, x: bigint): void {
  for (let i = offset + 47; i >= offset; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

/**
 * blst `p1_compress` / `p2_compress`: x big-endian (G2: c1 then c0), 0x80 = compressed, 0x40 =
 * infinity (all other bits zero), 0x20 = y is the larger root. Like blst, no validity check: our
 * points come from the checking decoders or from arithmetic on them. (noble's `toBytes` re-runs a
 * subgroup check on every point it has not checked before, ~3 ms per G2 point; that dominated
 * encoding DKG commitments for transcripts.)
 */
function compress(name: 'G1' | 'G2', p: WeierstrassPoint<any>): Uint8Array {
  const size = name === 'G1' ? 48 : 96;
  const out = new Uint8Array(size);
  if (p.is0()) {
    out[0] = 0xc0;
    return out;
  }
  const a = p.toAffine();
  let large: boolean;
  if (name === 'G1') {
    writeFp(out, 0, a.x as bigint);
    large = (a.y as bigint) > HALF_P;
  } else {
    const x = a.x as Fp2Element;
    const y = a.y as Fp2Element;
    writeFp(out, 0, x.c1);
    writeFp(out, 48, x.c0);
    large = y.c1 !== 0n ? y.c1 > HALF_P : y.c0 > HALF_P;
  }
  out[0]! |= large ? 0xa0 : 0x80;
  return out;
}

/**
 * Σ coeffsᵢ·xⁱ by Horner's rule for a *public* x. For the small evaluation points of a sharing
 * (0 < x < 2³², a participant's index + 1) each step multiplies by x with plain double-and-add:
 * about twice as fast on noble points as `multiplyUnsafe`, whose per-call overhead dominates for
 * tiny scalars (this is the hot loop of every Feldman check). Other x: `multiplyUnsafe` (x = 0
 * gives the constant term). Variable time.
 */
function hornerPoints<P extends WeierstrassPoint<any>>(zero: P, coeffs: readonly P[], x: Scalar): P {
  if (coeffs.length === 0) return zero;
  let acc: P = coeffs[coeffs.length - 1]!;
  if (x > 0n && x < 1n << 32n) {
    const bits = x.toString(2);
    for (let i = coeffs.length - 2; i >= 0; i--) {
      const base = acc;
      let m = base;
      for (let b = 1; b < bits.length; b++) {
        m = m.double() as P;
        if (bits[b] === '1') m = m.add(base) as P;
      }
      acc = m.add(coeffs[i]!) as P;
    }
    return acc;
  }
  for (let i = coeffs.length - 2; i >= 0; i--) acc = (x === 0n ? zero : (acc.multiplyUnsafe(x) as P)).add(coeffs[i]!) as P;
  return acc;
}

function makeGroup<P extends WeierstrassPoint<any>>(
  name: 'G1' | 'G2',
  size: number,
  Point: { BASE: P; ZERO: P },
  read: (r: Reader) => P,
  hashToCurve: (msg: Uint8Array, opts: { DST: Uint8Array }) => P,
): Group<P> {
  const encode = (p: P): Uint8Array => compress(name, p);
  return {
    name,
    SIZE: size,
    ZERO: Point.ZERO,
    GENERATOR: Point.BASE,
    add: (a, b) => a.add(b) as P,
    sub: (a, b) => a.subtract(b) as P,
    neg: (a) => a.negate() as P,
    scale: (a, s) => (s === 0n ? Point.ZERO : (a.multiplyUnsafe(s) as P)),
    mul: (a, s) => (s === 0n ? Point.ZERO : (a.multiply(s) as P)),
    equals: (a, b) => a.equals(b),
    isZero: (a) => a.is0(),
    msm: (items, scalars) => msm<P>(Point.ZERO, items, scalars),
    evalPoly: (coeffs, x) => hornerPoints(Point.ZERO, coeffs, x),
    sum: (items) => items.reduce((a, b) => a.add(b) as P, Point.ZERO),
    encode,
    write: (w, p) => void w.bytes(encode(p)),
    read,
    decode: (bytes) => decodeWith(bytes, read),
    hash: (dst, msg) => hashToCurve(msg, { DST: dst }),
    compare: (a, b) => compareBytes(encode(a), encode(b)),
    evalEqualsGeneratorMul: (coeffs, x, s) => hornerPoints(Point.ZERO, coeffs, x).equals(s === 0n ? Point.ZERO : Point.BASE.multiply(s)),
  };
}

/** G1: 48-byte compressed points. MinSig signatures and hashed messages; MinPk public keys. */
export const G1: Group<G1Point> = makeGroup<G1Point>('G1', 48, bls12_381.G1.Point, readG1, (m, o) => bls12_381.G1.hashToCurve(m, o));
/**
 * G2 on @noble/curves only: the reference every accelerated G2 operation is tested against (and
 * what an accelerator falls back to for decode errors).
 */
export const NOBLE_G2: Group<G2Point> = makeGroup<G2Point>('G2', 96, bls12_381.G2.Point, readG2, (m, o) => bls12_381.G2.hashToCurve(m, o));

/**
 * Faster implementations of the G2 operations the DKG and MinSig keys spend their time in, over
 * the same noble point objects and with the same results (group elements, encodings, decode
 * accept/reject decisions and errors). The mcl BLS backend installs one while it is current
 * (see `backend.ts`); with none installed, {@link G2} is {@link NOBLE_G2}.
 */
export interface G2Accelerator {
  /** p·s for a *secret* scalar (0 gives the identity). */
  mul(p: G2Point, s: Scalar): G2Point;
  /** p·s for a public scalar. */
  scale(p: G2Point, s: Scalar): G2Point;
  /** Σ pointsᵢ·scalarsᵢ for public scalars. */
  msm(points: readonly G2Point[], scalars: readonly Scalar[]): G2Point;
  /** Σ coeffsᵢ·xⁱ for a public x. */
  evalPoly(coeffs: readonly G2Point[], x: Scalar): G2Point;
  /** Σ points. */
  sum(points: readonly G2Point[]): G2Point;
  /** Σ coeffsᵢ·xⁱ == G·s (public x, secret s). */
  evalEqualsGeneratorMul(coeffs: readonly G2Point[], x: Scalar, s: Scalar): boolean;
  /** The compressed encoding (blst `p2_compress`). */
  encode(p: G2Point): Uint8Array;
  /** Upstream decoding (as `readG2`: same accepts, same errors). */
  read(r: Reader): G2Point;
}

let g2Accelerator: G2Accelerator | null = null;

/** G2: 96-byte compressed points (c1 limb first). MinSig public keys/commitments; MinPk signatures. */
export const G2: Group<G2Point> = {
  ...NOBLE_G2,
  mul: (p, s) => (g2Accelerator ? g2Accelerator.mul(p, s) : NOBLE_G2.mul(p, s)),
  scale: (p, s) => (g2Accelerator ? g2Accelerator.scale(p, s) : NOBLE_G2.scale(p, s)),
  msm: (points, scalars) => (g2Accelerator ? g2Accelerator.msm(points, scalars) : NOBLE_G2.msm(points, scalars)),
  evalPoly: (coeffs, x) => (g2Accelerator ? g2Accelerator.evalPoly(coeffs, x) : NOBLE_G2.evalPoly!(coeffs, x)),
  sum: (points) => (g2Accelerator ? g2Accelerator.sum(points) : NOBLE_G2.sum!(points)),
  encode: (p) => (g2Accelerator ? g2Accelerator.encode(p) : NOBLE_G2.encode(p)),
  write: (w, p) => void w.bytes(G2.encode(p)),
  read: (r) => (g2Accelerator ? g2Accelerator.read(r) : NOBLE_G2.read(r)),
  decode: (bytes) => decodeWith(bytes, G2.read),
  compare: (a, b) => compareBytes(G2.encode(a), G2.encode(b)),
  evalEqualsGeneratorMul: (coeffs, x, s) => (g2Accelerator ? g2Accelerator.evalEqualsGeneratorMul(coeffs, x, s) : NOBLE_G2.evalEqualsGeneratorMul(coeffs, x, s)),
};

/** Installs (or removes, with null) the G2 accelerator of the current BLS backend. */
export function setG2Accelerator(a: G2Accelerator | null): void {
  g2Accelerator = a;
}

// ---- pairings ----

type Prepared = ReturnType<typeof bls12_381.utils.calcPairingPrecomputes>;
const preparedCache = new WeakMap<G2Point, Prepared>();

/**
 * Miller-loop precomputation for a G2 point. When `keep` is set the table is memoised on the
 * point object (WeakMap, freed with the point): worth it for long-lived keys such as a MinSig
 * epoch identity, where it saves ~15% of each verification; pointless for one-off signatures.
 */
function prepareG2(q: G2Point, keep: boolean): Prepared {
  const hit = preparedCache.get(q);
  if (hit) return hit;
  const prep = bls12_381.utils.calcPairingPrecomputes(q);
  if (keep) preparedCache.set(q, prep);
  return prep;
}

const NEG_G1 = bls12_381.G1.Point.BASE.negate();
const NEG_G2 = bls12_381.G2.Point.BASE.negate();
prepareG2(NEG_G2, true);

export { NEG_G1, NEG_G2 };

/**
 * Π e(Pᵢ, Qᵢ) == 1, with one shared Miller loop and a single final exponentiation. Terms with an
 * identity point contribute 1 and are dropped (noble refuses them; blst treats them as neutral).
 * `keepQ[i]` memoises the i-th G2 precomputation (see {@link prepareG2}).
 */
export function pairingProductIsOne(pairs: ReadonlyArray<readonly [G1Point, G2Point, boolean?]>): boolean {
  const terms: Array<[Prepared, bigint, bigint]> = [];
  for (const [p, q, keep] of pairs) {
    if (p.is0() || q.is0()) continue;
    const a = p.toAffine();
    terms.push([prepareG2(q, keep ?? false), a.x, a.y]);
  }
  if (terms.length === 0) return true;
  const { Fp12 } = bls12_381.fields;
  return Fp12.eql(Fp12.finalExponentiate(bls12_381.millerLoopBatch(terms)), Fp12.ONE);
}

/** Pins the Miller-loop precomputation of a long-lived G2 point (e.g. an epoch's group key). */
export function prepareG2Point(q: G2Point): void {
  prepareG2(q, true);
}
