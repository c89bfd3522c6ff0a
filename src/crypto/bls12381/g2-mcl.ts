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
 * - `mul` by the generator (commitments, share checks: secret scalars) uses a fixed-base comb
 *   built once (~35 ms): 37 windows of the 64 odd multiples (2j+1)·2^(7i)·G. The scalar (made
 *   odd by adding r when even) is recoded into 37 signed odd digits (regular recoding, no zero
 *   digit, so every window costs the same); each digit's entry is picked by a scan that reads all
 *   64 candidates under masks (a small generated WebAssembly function, see {@link combSelect}) and its
 *   sign by masking between y and mcl's −y: no branch or memory index depends on the secret.
 *   36 additions, ~0.30 ms, where mcl's `mulCT` takes ~1 ms. Other points: `mulCT`.
 * - `evalPoly` runs Horner's rule in mcl: for a small x (a participant's index + 1) each step
 *   multiplies the accumulator by x with doublings and additions/subtractions ({@link smallChain};
 *   mcl's generic `mul` has a ~0.15 ms fixed cost, so it is used only for x ≥ 2³²).
 *   `evalEqualsGeneratorMul` (the Feldman check) compares that with the comb's G·s inside mcl.
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
import { checkFlags, type G2Accelerator, type G2Point, NOBLE_G2 } from './group.ts';
import { R, type Scalar } from './scalar.ts';

/** The raw mcl C API used here (exports of mcl-wasm's emscripten module). */
export interface MclG2Module {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAP8: Int8Array;
  HEAP32: Int32Array;
  _mclBnG2_clear(x: number): void;
  _mclBnG2_isZero(x: number): number;
  _mclBnG2_isEqual(x: number, y: number): number;
  _mclBnG2_add(z: number, x: number, y: number): void;
  _mclBnG2_sub(z: number, x: number, y: number): void;
  _mclBnG2_dbl(y: number, x: number): void;
  _mclBnG2_neg(y: number, x: number): void;
  _mclBnG2_mul(z: number, x: number, y: number): void;
  _mclBnG2_mulCT(z: number, x: number, y: number): void;
  _mclBnG2_mulVec(z: number, x: number, y: number, n: number): void;
  _mclBnG2_normalize(y: number, x: number): void;
  _mclBnG2_normalizeVec(y: number, x: number, n: number): void;
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
  checkFlags(bytes, name);
  if (!fieldElementBelowP(bytes, 0, true)) throw new Invalid(name, 'Bad encoding');
  if (size === 96 && !fieldElementBelowP(bytes, 48, false)) throw new Invalid(name, 'Bad encoding');
}

/**
 * How to multiply a point by a small public x: digits from the most significant (always 1), each
 * later one meaning "double, then add (1) / subtract (−1) / nothing (0) the base". Binary or
 * non-adjacent form, whichever costs less in mcl (measured: doubling 4.4 µs, projective addition
 * 10 µs; e.g. x = 15: binary 3 doublings + 3 additions, NAF 16 − 1 = 4 doublings + 1
 * subtraction). Memoised for the few x a process uses (participant indices + 1).
 */
const chains = new Map<number, Int8Array>();
function smallChain(x: number): Int8Array {
  let chain = chains.get(x);
  if (chain !== undefined) return chain;
  const binary = Int8Array.from(x.toString(2), (b) => Number(b));
  const naf: number[] = [];
  for (let k = x; k > 0; k = Math.floor(k / 2)) {
    let d = 0;
    if (k % 2 === 1) {
      d = 2 - (k % 4); // ±1
      k -= d;
    }
    naf.push(d);
  }
  naf.reverse();
  const cost = (c: ArrayLike<number>) => {
    let v = 0;
    for (let i = 1; i < c.length; i++) v += 44 + (c[i] === 0 ? 0 : 100);
    return v;
  };
  chain = cost(naf) < cost(binary) ? Int8Array.from(naf) : binary;
  if (chains.size < 4096) chains.set(x, chain);
  return chain;
}

/**
 * Generator comb: window W bits, E = 2^(W−1) odd multiples per window. An odd k < 2r < 2^256 is
 * recoded into `COMB_WINDOWS` signed odd digits; after COMB_WINDOWS − 1 steps of k ← (k − d)/2^W
 * what is left is below 2^(256 − W·(COMB_WINDOWS − 1)) + 2 ≤ 2^W, the last (positive) digit.
 */
const COMB_W = 7;
const COMB_ENTRIES = 1 << (COMB_W - 1);
const COMB_WINDOWS = Math.ceil((256 - COMB_W) / COMB_W) + 1;
const COMB_HALF = 1 << COMB_W;
const COMB_DIGIT_MASK = BigInt((1 << (COMB_W + 1)) - 1);
const COMB_SHIFT_BITS = BigInt(COMB_W);

/**
 * The comb's table scan: a small WebAssembly function, generated below, that ORs together every
 * candidate of a window under a mask that is all ones only for the wanted one — no branch, and
 * every candidate is read whatever the digit:
 *
 *   (func $select (param $table i32) (param $j i32) (param $out i32) (param $n i32)
 *     (local $e i32) (local $m v128) (local $acc0 … $acc11 v128)
 *     loop over e < n:                                 ;; candidates, 192 bytes each
 *       m = i32x4.splat(0 − (e == j))
 *       acc_w |= v128.load(table + 16·w) & m   for w = 0..11   ;; unrolled
 *       table += 192
 *     v128.store(out + 16·w, acc_w)            for w = 0..11)
 *
 * With 128-bit SIMD (every Node ≥ 16 on x64/arm64) ~13 µs for the 37 windows of one
 * multiplication (a JS loop took ~200 µs); without, the same function over 24 i64 words.
 */
interface CombSelect {
  readonly memory: { readonly buffer: ArrayBuffer };
  select(table: number, j: number, out: number, n: number): void;
}

/** The part of the global `WebAssembly` used here (the project's TS libs do not declare it). */
const Wasm = (
  globalThis as unknown as {
    WebAssembly: { validate(bytes: Uint8Array): boolean; Module: new (bytes: Uint8Array) => object; Instance: new (m: object) => { exports: unknown } };
  }
).WebAssembly;

function combSelect(bytes: number): CombSelect {
  const uleb = (n: number): number[] => {
    const o: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n !== 0) b |= 0x80;
      o.push(b);
    } while (n !== 0);
    return o;
  };
  const sleb = (n: number): number[] => {
    const o: number[] = [];
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...o, b];
      o.push(b | 0x80);
    }
  };
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const name = (s: string) => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const get = (i: number) => [0x20, ...uleb(i)];
  const set = (i: number) => [0x21, ...uleb(i)];
  const tee = (i: number) => [0x22, ...uleb(i)];
  const module = (simd: boolean) => {
    const lane = simd ? 16 : 8;
    const words = (XY_WORDS * 4) / lane;
    const E = 4; // locals after the 4 parameters: e, m, acc…
    const M = 5;
    const ACC = 6;
    const op = simd
      ? {
          type: 0x7b,
          mask: [0x41, 0, ...get(E), ...get(1), 0x46, 0x6b, 0xfd, 17], // i32x4.splat(0 − (e == j))
          load: (off: number) => [0xfd, 0, 4, ...uleb(off)],
          and: [0xfd, 78],
          or: [0xfd, 80],
          store: (off: number) => [0xfd, 11, 4, ...uleb(off)],
        }
      : {
          type: 0x7e,
          mask: [0x42, 0, ...get(E), ...get(1), 0x46, 0xad, 0x7d], // 0 − i64(e == j)
          load: (off: number) => [0x29, 3, ...uleb(off)],
          and: [0x83],
          or: [0x84],
          store: (off: number) => [0x37, 3, ...uleb(off)],
        };
    const body = [2, 1, 0x7f, ...uleb(words + 1), op.type];
    body.push(0x41, 0, ...set(E), 0x03, 0x40); // e = 0; loop
    body.push(...op.mask, ...set(M));
    for (let w = 0; w < words; w++) body.push(...get(ACC + w), ...get(0), ...op.load(w * lane), ...get(M), ...op.and, ...op.or, ...set(ACC + w));
    body.push(...get(0), 0x41, ...sleb(XY_WORDS * 4), 0x6a, ...set(0)); // table += 192
    body.push(...get(E), 0x41, 1, 0x6a, ...tee(E), ...get(3), 0x49, 0x0d, 0, 0x0b); // ++e < n
    for (let w = 0; w < words; w++) body.push(...get(2), ...get(ACC + w), ...op.store(w * lane));
    body.push(0x0b);
    return Uint8Array.from([
      0x00,
      0x61,
      0x73,
      0x6d,
      1,
      0,
      0,
      0,
      ...section(1, [1, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 0]), // type (i32 × 4) → ()
      ...section(3, [1, 0]), // one function of that type
      ...section(5, [1, 0, ...uleb(Math.ceil(bytes / 65536))]), // its memory
      ...section(7, [2, ...name('select'), 0, 0, ...name('memory'), 2, 0]),
      ...section(10, [1, ...uleb(body.length), ...body]),
    ]);
  };
  let code = module(true);
  if (!Wasm.validate(code)) code = module(false);
  const exports = new Wasm.Instance(new Wasm.Module(code)).exports as CombSelect;
  return { memory: exports.memory, select: exports.select };
}

/**
 * Builds the accelerator on an initialised mcl module (BLS12-381, ETH serialization, G2 order
 * check on deserialization — as `backend-mcl.ts` configures it).
 */
export function createMclG2Accelerator(mod: MclG2Module): G2Accelerator {
  // Scratch slots on the wasm heap, for the life of the process: A accumulator, B base,
  // C operand, D spare, H a held result, F an Fr, O 96 bytes of encoding.
  const scratch = mod._malloc(5 * G2_BYTES + 32 + 96);
  const A = scratch;
  const B = A + G2_BYTES;
  const C = B + G2_BYTES;
  const D = C + G2_BYTES;
  const H = D + G2_BYTES;
  const F = H + G2_BYTES;
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

  /** slot ← slot·x for 0 < x < 2³² (public x), following `chain` = {@link smallChain}(x); `tmp` holds the base. */
  const mulSmall = (slot: number, tmp: number, chain: Int8Array) => {
    copy(tmp, slot);
    for (let i = 1; i < chain.length; i++) {
      mod._mclBnG2_dbl(slot, slot);
      const d = chain[i]!;
      if (d === 1) mod._mclBnG2_add(slot, slot, tmp);
      else if (d === -1) mod._mclBnG2_sub(slot, slot, tmp);
    }
  };

  // ---- fixed-base comb for the generator ----
  // The table lives in the select module's memory: window i, entry j = x and y (48 words) of the
  // normalised (2j + 1)·2^(W·i)·G at byte (i·E + j)·192; every digit scans its whole window.
  let comb: { select: CombSelect; windowBytes: number; out: Int32Array } | null = null;
  const buildComb = () => {
    const windowBytes = XY_WORDS * 4 * COMB_ENTRIES;
    const outOffset = COMB_WINDOWS * windowBytes;
    const select = combSelect(outOffset + XY_WORDS * 4);
    const table = new Int32Array(select.memory.buffer, 0, outOffset / 4);
    // one window's odd multiples, projective then normalised together (one inversion)
    const raw = mod._malloc(2 * COMB_ENTRIES * G2_BYTES);
    const normal = raw + COMB_ENTRIES * G2_BYTES;
    try {
      put(B, shadow(Point.BASE)); // B = 2^(W·i)·G
      for (let i = 0; i < COMB_WINDOWS; i++) {
        copy(A, B);
        mod._mclBnG2_dbl(D, B); // D = 2·B
        mod._mclBnG2_normalize(D, D); // (mixed additions below)
        for (let j = 0; j < COMB_ENTRIES; j++) {
          copy(raw + j * G2_BYTES, A); // (2j + 1)·B
          mod._mclBnG2_add(A, A, D);
        }
        mod._mclBnG2_normalizeVec(normal, raw, COMB_ENTRIES);
        const heap = mod.HEAP32;
        for (let j = 0; j < COMB_ENTRIES; j++) {
          const at = (normal + j * G2_BYTES) >> 2;
          table.set(heap.subarray(at, at + XY_WORDS), (i * COMB_ENTRIES + j) * XY_WORDS);
        }
        for (let k = 0; k < COMB_W; k++) mod._mclBnG2_dbl(B, B);
      }
    } finally {
      mod._free(raw);
    }
    comb = { select, windowBytes, out: new Int32Array(select.memory.buffer, outOffset, XY_WORDS) };
  };
  const digits = new Int32Array(COMB_WINDOWS);
  /** A ← s·G for a secret s (0 < s < r). */
  const mulGenerator = (s: Scalar) => {
    if (comb === null) buildComb();
    const { select, windowBytes, out } = comb!;
    // Regular recoding of an odd k ≡ s (mod r): k = Σ dᵢ·2^(W·i), every dᵢ odd in [−(2^W − 1), 2^W − 1].
    let k = s + (1n - (s & 1n)) * R;
    for (let i = 0; i < COMB_WINDOWS - 1; i++) {
      const d = Number(k & COMB_DIGIT_MASK) - COMB_HALF;
      digits[i] = d;
      k = (k - BigInt(d)) >> COMB_SHIFT_BITS;
    }
    digits[COMB_WINDOWS - 1] = Number(k); // odd, < 2^W (see COMB_WINDOWS)
    const c = C >> 2;
    const dn = D >> 2;
    mod.HEAP32.set(Z_ONE, c + XY_WORDS); // every table entry is normalised: z = 1
    for (let i = 0; i < COMB_WINDOWS; i++) {
      const d = digits[i]!;
      const neg = -(d >>> 31); // −1 when d < 0
      select.select(i * windowBytes, ((d ^ neg) - neg - 1) >>> 1, out.byteOffset, COMB_ENTRIES); // entry (|d| − 1)/2
      mod.HEAP32.set(out, c);
      // y ← −y when d < 0: mcl negates, the mask picks (no branch on the sign)
      mod._mclBnG2_neg(D, C);
      const heap = mod.HEAP32;
      for (let w = 24; w < XY_WORDS; w++) heap[c + w] = (heap[c + w]! & ~neg) | (heap[dn + w]! & neg);
      if (i === 0) copy(A, C);
      else mod._mclBnG2_add(A, A, C);
    }
  };

  // Scalars outside [0, r) go to noble, which refuses them with its own error (as without mcl).
  const inRange = (s: Scalar) => s >= 0n && s < R;

  const mul = (p: G2Point, s: Scalar): G2Point => {
    if (!inRange(s)) return NOBLE_G2.mul(p, s);
    if (s === 0n || p.is0()) return Point.ZERO;
    if (p === Point.BASE) {
      mulGenerator(s);
      return toNoble(A);
    }
    put(B, shadow(p));
    putFr(F, s);
    mod._mclBnG2_mulCT(A, B, F);
    return toNoble(A);
  };

  const scale = (p: G2Point, s: Scalar): G2Point => {
    if (!inRange(s)) return NOBLE_G2.scale(p, s);
    if (s === 0n || p.is0()) return Point.ZERO;
    put(A, shadow(p));
    if (s < 1n << 32n) mulSmall(A, B, smallChain(Number(s)));
    else {
      putFr(F, s);
      mod._mclBnG2_mul(D, A, F);
      copy(A, D);
    }
    return toNoble(A);
  };

  const evalPoly = (coeffs: readonly G2Point[], x: Scalar): G2Point => {
    if (!inRange(x)) return NOBLE_G2.evalPoly!(coeffs, x);
    const t = coeffs.length;
    if (t === 0) return Point.ZERO;
    if (x === 0n || t === 1) return coeffs[0]!;
    evalInto(coeffs, x);
    return toNoble(A);
  };

  /** A ← Σ coeffsᵢ·xⁱ (t ≥ 1). */
  const evalInto = (coeffs: readonly G2Point[], x: Scalar) => {
    const t = coeffs.length;
    if (x === 0n || t === 1) {
      load(A, coeffs[0]!);
      return;
    }
    const chain = x < 1n << 32n ? smallChain(Number(x)) : null;
    if (chain === null) putFr(F, x);
    load(A, coeffs[t - 1]!);
    for (let i = t - 2; i >= 0; i--) {
      if (chain !== null) mulSmall(A, B, chain);
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
  };

  const evalEqualsGeneratorMul = (coeffs: readonly G2Point[], x: Scalar, s: Scalar): boolean => {
    if (!inRange(x) || !inRange(s)) return NOBLE_G2.evalEqualsGeneratorMul(coeffs, x, s);
    if (coeffs.length === 0) mod._mclBnG2_clear(A);
    else evalInto(coeffs, x);
    copy(H, A);
    if (s === 0n) mod._mclBnG2_clear(A);
    else mulGenerator(s);
    return mod._mclBnG2_isEqual(A, H) === 1;
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
    if (scalars.some((x) => x < 0n)) return NOBLE_G2.msm(points, scalars);
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

  return { mul, scale, msm, evalPoly, sum, evalEqualsGeneratorMul, encode, read };
}
