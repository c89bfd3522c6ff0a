import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decode as decodeWith, Invalid, type Reader, type Writer } from '../../codec/index.ts';
import { BLS_R, blsKeygen } from '../keygen.ts';
import { drawBytes, type RngCore } from '../rng.ts';

/**
 * A BLS12-381 scalar (upstream `Scalar` / `Private`): a bigint kept reduced into [0, r).
 * Arithmetic helpers always return reduced values; the codec never produces 0 (see
 * {@link readScalar}) but arithmetic can (e.g. a − a).
 */
export type Scalar = bigint;

export const R = BLS_R;
export const SCALAR_BYTES = 32;

const Fr = bls12_381.fields.Fr;

export const scalarAdd = (a: Scalar, b: Scalar): Scalar => {
  const s = a + b;
  return s >= R ? s - R : s;
};
export const scalarSub = (a: Scalar, b: Scalar): Scalar => {
  const s = a - b;
  return s < 0n ? s + R : s;
};
export const scalarNeg = (a: Scalar): Scalar => (a === 0n ? 0n : R - a);
export const scalarMul = (a: Scalar, b: Scalar): Scalar => (a * b) % R;
/** Multiplicative inverse; like upstream's `Field::inv`, the inverse of 0 is 0 (callers rely on it). */
export const scalarInv = (a: Scalar): Scalar => (a === 0n ? 0n : Fr.inv(a));

/** Inverts many scalars with one field inversion (Montgomery's trick); zeros stay zero. */
export function scalarInvBatch(xs: readonly Scalar[]): Scalar[] {
  const out = new Array<Scalar>(xs.length);
  let acc = 1n;
  for (let i = 0; i < xs.length; i++) {
    out[i] = acc;
    if (xs[i] !== 0n) acc = (acc * xs[i]!) % R;
  }
  let inv = Fr.inv(acc);
  for (let i = xs.length - 1; i >= 0; i--) {
    const x = xs[i]!;
    if (x === 0n) {
      out[i] = 0n;
      continue;
    }
    out[i] = (out[i]! * inv) % R;
    inv = (inv * x) % R;
  }
  return out;
}

/** `Scalar::from_u64`: the integer as a field element (u64 input, so always < r). */
export function scalarFromU64(i: number | bigint): Scalar {
  const b = BigInt(i);
  if (b < 0n || b > 0xffff_ffff_ffff_ffffn) throw new RangeError(`scalarFromU64: not a u64: ${i}`);
  return b;
}

/** 32-byte big-endian encoding (upstream `Write for Scalar`). */
export function encodeScalar(s: Scalar): Uint8Array {
  if (s < 0n || s >= R) throw new RangeError('encodeScalar: not reduced');
  const out = new Uint8Array(SCALAR_BYTES);
  let v = s;
  for (let i = SCALAR_BYTES - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function writeScalar(w: Writer, s: Scalar): void {
  w.bytes(encodeScalar(s));
}

function bytesToBigint(b: Uint8Array): bigint {
  let x = 0n;
  for (const byte of b) x = (x << 8n) | BigInt(byte);
  return x;
}

/**
 * Reads a scalar the way upstream does (`blst_sk_check`): 32 bytes big-endian, rejecting 0 and
 * anything ≥ r with `Invalid("Scalar", "Invalid")`. Rejecting 0 means a decoded private key or
 * share is never the trivial secret; rejecting ≥ r makes the encoding canonical.
 */
export function readScalar(r: Reader): Scalar {
  const x = bytesToBigint(r.borrow(SCALAR_BYTES));
  if (x === 0n || x >= R) throw new Invalid('Scalar', 'Invalid');
  return x;
}

export function decodeScalar(bytes: Uint8Array): Scalar {
  return decodeWith(bytes, readScalar);
}

/** Upstream `Ord for Scalar`: compares the 32-byte encodings, i.e. numeric order. */
export const compareScalars = (a: Scalar, b: Scalar): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `Scalar::random`: 64 bytes from `rng` as IKM to the BLS KeyGen ({@link blsKeygen}). Consumes
 * exactly 64 bytes per scalar — the dealer's polynomial is reproducible from its RNG stream only
 * because of this fixed stride.
 */
export function randomScalar(rng: RngCore): Scalar {
  return blsKeygen(drawBytes(rng, 64));
}

/** `Scalar::map(dst, msg)`: expand_message_xmd(SHA-256, 48 bytes) reduced mod r (hash to scalar). */
export function scalarMap(dst: Uint8Array, msg: Uint8Array): Scalar {
  return bytesToBigint(expand_message_xmd(msg, dst, 48, sha256)) % R;
}
