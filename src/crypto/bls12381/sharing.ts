import { compareNumbers, decode as decodeWith, Invalid, InvalidEnum, type OrderedSet, quorum, type Reader, range, Writer } from '../../codec/index.ts';
import { BlsError } from './errors.ts';
import type { Group } from './group.ts';
import { Interpolator, Poly } from './poly.ts';
import type { Scalar } from './scalar.ts';

/**
 * How share indices map to evaluation points (upstream `sharing::Mode`, a u8 on the wire). v0.0.64
 * has one mode: `NonZeroCounter` (0), where participant i evaluates at x = i + 1 — never 0,
 * because f(0) is the secret.
 */
export const Mode = { NonZeroCounter: 0 } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** Evaluation point of participant `i` among `total`, or null if i ≥ total. */
export function modeScalar(mode: Mode, total: number, i: number): Scalar | null {
  if (!Number.isInteger(i) || i < 0 || i >= total) return null;
  switch (mode) {
    case Mode.NonZeroCounter:
      return BigInt(i) + 1n;
  }
}

/**
 * Interpolator for members of `subset`, each evaluated at (its position in `set`) + 1 — how a
 * reshare weighs the previous round's dealers. Null if some member of `subset` is not in `set`.
 */
export function subsetInterpolator<I>(mode: Mode, set: OrderedSet<I>, subset: OrderedSet<I>): Interpolator<I> | null {
  if (set.size === 0) return new Interpolator<I>([], set.compare);
  const points: Array<[I, Scalar]> = [];
  for (const item of subset) {
    const pos = set.indexOf(item);
    if (pos < 0) return null;
    points.push([item, modeScalar(mode, set.size, pos)!]);
  }
  return new Interpolator(points, set.compare);
}

/**
 * The public output of a secret sharing (upstream `Sharing<V>`): mode, number of share holders,
 * and the public polynomial (commitment) whose constant term is the group key.
 *
 * Wire form: `mode u8 ‖ total u32 BE ‖ poly` (poly = varint count ‖ points). Decoding bounds both
 * `total` and the coefficient count by the caller's `max`, because partial public keys are
 * derived per participant and a hostile `total` would otherwise buy arbitrary computation.
 * `total` is not checked against the polynomial's degree (upstream does not either).
 */
export class Sharing<P> {
  private readonly partials: Map<number, P> = new Map();

  constructor(
    readonly mode: Mode,
    readonly total: number,
    readonly poly: Poly<P>,
  ) {
    if (!Number.isInteger(total) || total < 1 || total > 0xffff_ffff) throw new RangeError('Sharing: total must be in 1..=u32::MAX');
  }

  get group(): Group<P> {
    return this.poly.space as Group<P>;
  }

  /** Signatures/shares needed to recover: quorum(total). */
  required(): number {
    return quorum(this.total);
  }

  /** The group public key (constant term of the commitment). */
  public(): P {
    return this.poly.constant();
  }

  /** Evaluation point of participant i, or null if i ≥ total. */
  scalar(i: number): Scalar | null {
    return modeScalar(this.mode, this.total, i);
  }

  /**
   * Public key of share i: the commitment evaluated at i's point (memoised — verifying many
   * partial signatures asks for the same few keys repeatedly). Throws InvalidIndex if i ≥ total.
   */
  partialPublic(i: number): P {
    const hit = this.partials.get(i);
    if (hit !== undefined) return hit;
    const x = this.scalar(i);
    if (x === null) throw new BlsError('InvalidIndex', `share index ${i} not below total ${this.total}`);
    const p = this.poly.eval(x);
    this.partials.set(i, p);
    return p;
  }

  /** Computes every partial public key up front (cost: total polynomial evaluations). */
  precomputePartialPublics(): void {
    for (let i = 0; i < this.total; i++) this.partialPublic(i);
  }

  /** Interpolator over share indices; throws InvalidIndex if any index is ≥ total. */
  interpolator(indices: Iterable<number>): Interpolator<number> {
    const points: Array<[number, Scalar]> = [];
    for (const i of indices) {
      const x = this.scalar(i);
      if (x === null) throw new BlsError('InvalidIndex', `share index ${i} not below total ${this.total}`);
      points.push([i, x]);
    }
    return new Interpolator(points, compareNumbers);
  }

  equals(other: Sharing<P>): boolean {
    return this.mode === other.mode && this.total === other.total && this.poly.equals(other.poly);
  }

  write(w: Writer): void {
    w.u8(this.mode);
    w.u32(this.total);
    this.poly.write(w);
  }

  encode(): Uint8Array {
    const w = new Writer(10 + this.poly.coeffs.length * this.poly.space.SIZE);
    this.write(w);
    return w.finish();
  }

  /** Reads a Sharing with read cfg `max` (upstream `NonZeroU32`): total and coefficient count in 1..=max. */
  static read<P>(r: Reader, group: Group<P>, max: number): Sharing<P> {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('Sharing.read: max must be ≥ 1');
    const tag = r.u8();
    if (tag !== Mode.NonZeroCounter) throw new InvalidEnum(tag);
    const total = r.u32();
    if (total === 0 || total > max) throw new Invalid('Sharing', 'total not in range');
    const poly = Poly.read(r, group, range(1, max));
    return new Sharing(tag, total, poly);
  }

  static decode<P>(bytes: Uint8Array, group: Group<P>, max: number): Sharing<P> {
    return decodeWith(bytes, (r) => Sharing.read(r, group, max));
  }
}
