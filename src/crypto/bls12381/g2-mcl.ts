/**
 * The mcl {@link G2Accelerator}: G2 arithmetic for noble point objects done inside mcl's
 * WebAssembly (herumi mcl, `mcl-wasm`), driven through its raw C API on a scratch area of the
 * wasm heap — no per-operation JS objects, hex strings or noble field arithmetic.
 *
 * - Every noble point that enters or leaves mcl gets an mcl *shadow*: its affine coordinates in
 *   mcl's memory layout (x, y, z = 1 as Fp2 pairs, each Fp 12 little-endian u32 words in
 *   Montgomery form), cached on the point object (WeakMap). Points made here are created with
 *   their shadow, so a dealer's commitment goes from `commit` to the Feldman checks, the sum in
 *   `reckon` and its encoding without ever being converted again.
 * - `mul` by the generator (commitments, share checks: secret scalars) uses a fixed-base comb:
 *   64 precomputed tables of (d+1)·16ⁱ·G, d = 0..15, built once (~20 ms). Each 4-bit digit
 *   picks its entry by a masked scan of all 16 (no secret-dependent branch or index), then one
 *   addition: 64 additions instead of mcl's `mulCT` (~0.5 vs ~1 ms). Digits are shifted by +1 so
 *   no entry is the identity; −C·G with C = Σ16ⁱ undoes the shift. Other points: `mulCT`.
 * - `evalPoly` runs Horner's rule in mcl: for a small x (a participant's index + 1) each step is
 *   double-and-add on the accumulator (mcl's generic `mul` has a ~0.15 ms fixed cost, so it
 *   is used only for x ≥ 2³²).
 * - `msm`: `mclBnG2_mulVec`; `sum`: additions; `encode`: `mclBnG2_serialize` of the shadow (ETH
 *   serialization = blst compression); `read`: the cheap checks of upstream's rules here, then
 *   mcl's decompression with its subgroup check, and whenever mcl refuses the noble decoder
 *   re-decodes so the error is the reference's.
 *
 * Results are the same group elements as noble's (test/unit/crypto/g2-accelerator.test.ts and
 * the conformance fixtures under this backend).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { Invalid, type Reader } from '../../codec/index.ts';
import { NOBLE_G2, type G2Accelerator, type G2Point } from './group.ts';
import { R, type Scalar } from './scalar.ts';

/** The raw mcl C API used here (exports of mcl-wasm's emscripten module). */
export interface MclG2Module {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAP8: Int8Array;
  HEAP32: Int32Array;
  _mclBnG2_clear(x: number): void;
  _mclBnG2_isZero(x: number): number;
  _mclBnG2_add(z: number, x: number, y: number): void;
  _mclBnG2_dbl(y: number, x: number): void;
  _mclBnG2_mul(z: number, x: number, y: number): void;
  _mclBnG2_mulCT(z: number, x: number, y: number): void;
  _mclBnG2_mulVec(z: number, x: number, y: number, n: number): void;
  _mclBnG2_normalize(y: number, x: number): void;
  _mclBnG2_serialize(buf: number, maxBufSize: number, x: number): number;
  _mclBnG2_deserialize(x: number, buf: number, bufSize: number): number;
}

const P = bls12_381.fields.Fp.ORDER;
const Point = bls12_381.G2.Point;

/** Bytes and u32 words of an mcl G2 point (3 × Fp2 × 2 × 48 bytes) and of an Fr (32 bytes). */
const G2_BYTES = 288;
const G2_WORDS = 72;
/** x and y (the part that differs between normalised points; z = 1 follows). */
const XY_WORDS = 48;
const FR_WORDS = 8;

const FP_R = (1n << 384n) % P;
const FP_RINV = bls12_381.fields.Fp.inv(FP_R);
const FR_R = (1n << 256n) % R;

function writeWords(out: Int32Array, off: number, v: bigint, n: number): void {
  for (let i = 0; i < n; i++) {
    out[off + i] = Number(v & 0xffffffffn) | 0;
    v >>= 32n;
  }
}

/** An Fp element into mcl's Montgomery words. */
function fpToWords(out: Int32Array, off: number, v: bigint): void {
  writeWords(out, off, (v * FP_R) % P, 12);
}

/** mcl's Montgomery words back to an Fp element. */
function fpFromWords(w: Int32Array, off: number): bigint {
  let x = 0n;
  for (let i = off + 11; i >= off; i--) x = (x << 32n) | BigInt(w[i]! >>> 0);
  return (x * FP_RINV) % P;
}

/** z = 1 (c0 = Montgomery 1, c1 = 0). */
const Z_ONE = (() => {
  const w = new Int32Array(G2_WORDS - XY_WORDS);
  fpToWords(w, 0, 1n);
  return w;
})();

const P_BYTES = (() => {
  const out = new Uint8Array(48);
  let x = P;
  for (let i = 47; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
})();

/** x (48 bytes, flag bits masked off) < p, compared big-endian. */
function fieldElementBelowP(bytes: Uint8Array, offset: number, masked: boolean): boolean {
  for (let i = 0; i < 48; i++) {
    const b = i === 0 && masked ? bytes[offset]! & 0x1f : bytes[offset + i]!;
    const q = P_BYTES[i]!;
    if (b !== q) return b < q;
  }
  return false;
}

/**
 * The cheap part of upstream's point rules, in `group.ts`'s order and with its errors: the
 * compression flag, the infinity encoding, x < p (for G2 both limbs).
 */
export function precheck(bytes: Uint8Array, name: 'G1' | 'G2', size: number): void {
  const b0 = bytes[0]!;
  if ((b0 & 0x80) === 0) throw new Invalid(name, 'Bad encoding');
  if ((b0 & 0x40) !== 0) {
    if ((b0 & 0x3f) !== 0) throw new Invalid(name, 'Bad encoding');
    for (let i = 1; i < bytes.length; i++) if (bytes[i] !== 0) throw new Invalid(name, 'Bad encoding');
    throw new Invalid(name, 'Infinity');
  }
  if (!fieldElementBelowP(bytes, 0, true)) throw new Invalid(name, 'Bad encoding');
  if (size === 96 && !fieldElementBelowP(bytes, 48, false)) throw new Invalid(name, 'Bad encoding');
}

/** C = Σ_{i<64} 16ⁱ: the comb adds (dᵢ + 1)·16ⁱ·G, i.e. (s + C)·G. */
const COMB_SHIFT = ((1n << 256n) - 1n) / 15n;
const COMB_WINDOWS = 64;
const COMB_ENTRIES = 16;

/**
 * Builds the accelerator on an initialised mcl module (BLS12-381, ETH serialization, G2 order
 * check on deserialization — as `backend-mcl.ts` configures it).
 */
export function createMclG2Accelerator(mod: MclG2Module): G2Accelerator {
  // Scratch slots on the wasm heap, for the life of the process: A accumulator, B base,
  // C operand, D spare, F an Fr, O 96 bytes of encoding.
  const scratch = mod._malloc(4 * G2_BYTES + 32 + 96);
  const A = scratch;
  const B = A + G2_BYTES;
  const C = B + G2_BYTES;
  const D = C + G2_BYTES;
  const F = D + G2_BYTES;
  const O = F + 32;
  // mod.HEAP32 is replaced when the wasm memory grows: always read it afresh.
  const put = (slot: number, w: Int32Array) => mod.HEAP32.set(w, slot >> 2);
  const get = (slot: number) => mod.HEAP32.slice(slot >> 2, (slot >> 2) + G2_WORDS);
  const copy = (to: number, from: number) => mod.HEAP32.copyWithin(to >> 2, from >> 2, (from >> 2) + G2_WORDS);
  const putFr = (slot: number, s: Scalar) => {
    const w = new Int32Array(FR_WORDS);
    writeWords(w, 0, ((s % R) * FR_R) % R, FR_WORDS);
    mod.HEAP32.set(w, slot >> 2);
  };

  const shadows = new WeakMap<G2Point, Int32Array>();
  /** The mcl words of a non-identity noble point (cached on the point). */
  const shadow = (p: G2Point): Int32Array => {
    let w = shadows.get(p);
    if (w !== undefined) return w;
    const a = p.toAffine();
    w = new Int32Array(G2_WORDS);
    fpToWords(w, 0, a.x.c0);
    fpToWords(w, 12, a.x.c1);
    fpToWords(w, 24, a.y.c0);
    fpToWords(w, 36, a.y.c1);
    w.set(Z_ONE, XY_WORDS);
    shadows.set(p, w);
    return w;
  };
  /** Loads a noble point into a slot (the identity as mcl's zero). */
  const load = (slot: number, p: G2Point) => {
    if (p.is0()) mod._mclBnG2_clear(slot);
    else put(slot, shadow(p));
  };
  /** The point in `slot` as a noble point (normalised in place), with its shadow. */
  const toNoble = (slot: number): G2Point => {
    if (mod._mclBnG2_isZero(slot) === 1) return Point.ZERO;
    mod._mclBnG2_normalize(slot, slot);
    const w = get(slot);
    const p = Point.fromAffine({ x: { c0: fpFromWords(w, 0), c1: fpFromWords(w, 12) }, y: { c0: fpFromWords(w, 24), c1: fpFromWords(w, 36) } });
    shadows.set(p, w);
    return p;
  };

  /** slot ← slot·x for 0 < x < 2³² (double-and-add; `tmp` holds the base). */
  const mulSmall = (slot: number, tmp: number, x: number) => {
    copy(tmp, slot);
    for (let b = 31 - Math.clz32(x) - 1; b >= 0; b--) {
      mod._mclBnG2_dbl(slot, slot);
      if ((x >>> b) & 1) mod._mclBnG2_add(slot, slot, tmp);
    }
  };

  // ---- fixed-base comb for the generator ----
  // table[(i·48 + w)·16 + d] = word w (of x, y) of the normalised (d + 1)·16ⁱ·G: the 16
  // candidates of one word sit side by side, so the masked scan reads contiguous memory.
  let comb: Int32Array | null = null;
  let combOffset: Int32Array | null = null;
  const buildComb = () => {
    const table = new Int32Array(COMB_WINDOWS * XY_WORDS * COMB_ENTRIES);
    put(B, shadow(Point.BASE)); // B = 16ⁱ·G
    for (let i = 0; i < COMB_WINDOWS; i++) {
      copy(A, B);
      for (let d = 0; d < COMB_ENTRIES; d++) {
        // A = (d + 1)·16ⁱ·G, stored normalised
        mod._mclBnG2_normalize(D, A);
        const w = get(D);
        for (let k = 0; k < XY_WORDS; k++) table[(i * XY_WORDS + k) * COMB_ENTRIES + d] = w[k]!;
        mod._mclBnG2_add(A, A, B);
      }
      for (let k = 0; k < 4; k++) mod._mclBnG2_dbl(B, B);
    }
    // −C·G (public constant)
    put(B, shadow(Point.BASE));
    putFr(F, R - (COMB_SHIFT % R));
    mod._mclBnG2_mulCT(A, B, F);
    mod._mclBnG2_normalize(A, A);
    combOffset = get(A);
    comb = table;
  };
  /** A ← s·G for a secret s (0 < s < r). */
  const mulGenerator = (s: Scalar) => {
    if (comb === null) buildComb();
    const t = comb!;
    const hex = s.toString(16).padStart(COMB_WINDOWS, '0');
    put(A, combOffset!);
    const c = C >> 2;
    mod.HEAP32.set(Z_ONE, c + XY_WORDS); // every table entry is normalised: z = 1
    for (let i = 0; i < COMB_WINDOWS; i++) {
      const d = parseInt(hex[COMB_WINDOWS - 1 - i]!, 16);
      // mk = −1 when d = k, else 0 (no branch, no index on d)
      const m0 = -((((d ^ 0) - 1) >>> 31) & 1), m1 = -((((d ^ 1) - 1) >>> 31) & 1);
      const m2 = -((((d ^ 2) - 1) >>> 31) & 1), m3 = -((((d ^ 3) - 1) >>> 31) & 1);
      const m4 = -((((d ^ 4) - 1) >>> 31) & 1), m5 = -((((d ^ 5) - 1) >>> 31) & 1);
      const m6 = -((((d ^ 6) - 1) >>> 31) & 1), m7 = -((((d ^ 7) - 1) >>> 31) & 1);
      const m8 = -((((d ^ 8) - 1) >>> 31) & 1), m9 = -((((d ^ 9) - 1) >>> 31) & 1);
      const m10 = -((((d ^ 10) - 1) >>> 31) & 1), m11 = -((((d ^ 11) - 1) >>> 31) & 1);
      const m12 = -((((d ^ 12) - 1) >>> 31) & 1), m13 = -((((d ^ 13) - 1) >>> 31) & 1);
      const m14 = -((((d ^ 14) - 1) >>> 31) & 1), m15 = -((((d ^ 15) - 1) >>> 31) & 1);
      const heap = mod.HEAP32;
      for (let w = 0, o = i * XY_WORDS * COMB_ENTRIES; w < XY_WORDS; w++, o += COMB_ENTRIES) {
        heap[c + w] =
          (t[o]! & m0) | (t[o + 1]! & m1) | (t[o + 2]! & m2) | (t[o + 3]! & m3) |
          (t[o + 4]! & m4) | (t[o + 5]! & m5) | (t[o + 6]! & m6) | (t[o + 7]! & m7) |
          (t[o + 8]! & m8) | (t[o + 9]! & m9) | (t[o + 10]! & m10) | (t[o + 11]! & m11) |
          (t[o + 12]! & m12) | (t[o + 13]! & m13) | (t[o + 14]! & m14) | (t[o + 15]! & m15);
      }
      mod._mclBnG2_add(A, A, C);
    }
  };

  const mul = (p: G2Point, s: Scalar): G2Point => {
    if (s % R === 0n || p.is0()) return Point.ZERO;
    if (p === Point.BASE) {
      mulGenerator(s % R);
      return toNoble(A);
    }
    put(B, shadow(p));
    putFr(F, s);
    mod._mclBnG2_mulCT(A, B, F);
    return toNoble(A);
  };

  const scale = (p: G2Point, s: Scalar): G2Point => {
    if (s % R === 0n || p.is0()) return Point.ZERO;
    put(A, shadow(p));
    if (s < 1n << 32n) mulSmall(A, B, Number(s));
    else {
      putFr(F, s);
      mod._mclBnG2_mul(D, A, F);
      copy(A, D);
    }
    return toNoble(A);
  };

  const evalPoly = (coeffs: readonly G2Point[], x: Scalar): G2Point => {
    const t = coeffs.length;
    if (t === 0) return Point.ZERO;
    if (x === 0n || t === 1) return coeffs[0]!;
    const small = x < 1n << 32n;
    if (!small) putFr(F, x);
    load(A, coeffs[t - 1]!);
    for (let i = t - 2; i >= 0; i--) {
      if (small) mulSmall(A, B, Number(x));
      else {
        mod._mclBnG2_mul(D, A, F);
        copy(A, D);
      }
      const c = coeffs[i]!;
      if (!c.is0()) {
        put(C, shadow(c));
        mod._mclBnG2_add(A, A, C);
      }
    }
    return toNoble(A);
  };

  const sum = (points: readonly G2Point[]): G2Point => {
    mod._mclBnG2_clear(A);
    for (const p of points) {
      if (p.is0()) continue;
      put(C, shadow(p));
      mod._mclBnG2_add(A, A, C);
    }
    return toNoble(A);
  };

  const msm = (points: readonly G2Point[], scalars: readonly Scalar[]): G2Point => {
    if (points.length !== scalars.length) throw new RangeError('msm: points and scalars differ in length');
    const ps: G2Point[] = [];
    const ss: Scalar[] = [];
    for (let i = 0; i < points.length; i++) {
      if (scalars[i]! % R === 0n || points[i]!.is0()) continue;
      ps.push(points[i]!);
      ss.push(scalars[i]!);
    }
    if (ps.length === 0) return Point.ZERO;
    if (ps.length === 1) return scale(ps[0]!, ss[0]!);
    const n = ps.length;
    const pos = mod._malloc(n * (G2_BYTES + 32));
    try {
      const frs = pos + n * G2_BYTES;
      for (let i = 0; i < n; i++) {
        put(pos + i * G2_BYTES, shadow(ps[i]!));
        putFr(frs + i * 32, ss[i]!);
      }
      mod._mclBnG2_mulVec(A, pos, frs, n);
    } finally {
      mod._free(pos);
    }
    return toNoble(A);
  };

  const encode = (p: G2Point): Uint8Array => {
    const w = p.is0() ? undefined : shadows.get(p);
    // Without a shadow, converting would cost what noble's compression costs.
    if (w === undefined) return NOBLE_G2.encode(p);
    put(C, w);
    if (mod._mclBnG2_serialize(O, 96, C) !== 96) throw new Error('mcl: G2 serialize failed');
    return new Uint8Array(mod.HEAP8.buffer, O, 96).slice();
  };

  const read = (r: Reader): G2Point => {
    const bytes = r.borrow(96);
    precheck(bytes, 'G2', 96);
    mod.HEAP8.set(bytes, O);
    if (mod._mclBnG2_deserialize(A, O, 96) !== 96) {
      // mcl refused (not on the curve / not in G2): the reference decoder names the reason.
      return NOBLE_G2.decode(Uint8Array.from(bytes));
    }
    return toNoble(A);
  };

  return { mul, scale, msm, evalPoly, sum, encode, read };
}
