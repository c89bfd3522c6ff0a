import { U32_MAX } from './range.ts';
import { zigzagEncode } from './varint.ts';

/** Writes one value to a Writer. Composite writers take these for their elements. */
export type WriteFn<T> = (w: Writer, v: T) => void;

/**
 * A growable output buffer implementing commonware-codec's write side. Writers never validate
 * semantic invariants (sortedness, non-emptiness): values are assumed to have been built through
 * constructors that enforce them, as upstream assumes. Out-of-range integers are programming
 * errors and throw `RangeError`, never a CodecError.
 */
export class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  private len = 0;

  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(Math.max(8, initialCapacity));
    this.dv = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** The bytes written so far (a copy sized exactly; the Writer can keep being used). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  // ---- fixed-width big-endian integers ----

  u8(v: number): this {
    checkUint(v, 0xff, 'u8');
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    checkUint(v, 0xffff, 'u16');
    this.reserve(2);
    this.dv.setUint16(this.len, v);
    this.len += 2;
    return this;
  }

  u32(v: number): this {
    checkUint(v, U32_MAX, 'u32');
    this.reserve(4);
    this.dv.setUint32(this.len, v);
    this.len += 4;
    return this;
  }

  u64(v: bigint | number): this {
    const b = BigInt(v);
    if (b < 0n || b > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64 out of range: ${v}`);
    this.reserve(8);
    this.dv.setBigUint64(this.len, b);
    this.len += 8;
    return this;
  }

  u128(v: bigint): this {
    if (v < 0n || v >> 128n !== 0n) throw new RangeError(`u128 out of range: ${v}`);
    this.u64(v >> 64n);
    return this.u64(v & 0xffff_ffff_ffff_ffffn);
  }

  i8(v: number): this {
    return this.u8(checkInt(v, 8) & 0xff);
  }

  i16(v: number): this {
    return this.u16(checkInt(v, 16) & 0xffff);
  }

  i32(v: number): this {
    return this.u32(checkInt(v, 32) >>> 0);
  }

  i64(v: bigint): this {
    if (BigInt.asIntN(64, v) !== v) throw new RangeError(`i64 out of range: ${v}`);
    return this.u64(BigInt.asUintN(64, v));
  }

  i128(v: bigint): this {
    if (BigInt.asIntN(128, v) !== v) throw new RangeError(`i128 out of range: ${v}`);
    return this.u128(BigInt.asUintN(128, v));
  }

  f32(v: number): this {
    this.reserve(4);
    this.dv.setFloat32(this.len, v);
    this.len += 4;
    return this;
  }

  f64(v: number): this {
    this.reserve(8);
    this.dv.setFloat64(this.len, v);
    this.len += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  // ---- varints ----

  private varNumber(v: number): this {
    this.reserve(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
    return this;
  }

  private varBigint(v: bigint): this {
    if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return this.varNumber(Number(v));
    this.reserve(19);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }

  varU16(v: number): this {
    checkUint(v, 0xffff, 'varint u16');
    return this.varNumber(v);
  }

  varU32(v: number): this {
    checkUint(v, U32_MAX, 'varint u32');
    return this.varNumber(v);
  }

  varU64(v: bigint | number): this {
    const b = BigInt(v);
    if (b < 0n || b > 0xffff_ffff_ffff_ffffn) throw new RangeError(`varint u64 out of range: ${v}`);
    return this.varBigint(b);
  }

  varU128(v: bigint): this {
    if (v < 0n || v >> 128n !== 0n) throw new RangeError(`varint u128 out of range: ${v}`);
    return this.varBigint(v);
  }

  varI16(v: number): this {
    return this.varBigint(zigzagEncode(BigInt(checkInt(v, 16)), 16));
  }

  varI32(v: number): this {
    return this.varBigint(zigzagEncode(BigInt(checkInt(v, 32)), 32));
  }

  varI64(v: bigint): this {
    if (BigInt.asIntN(64, v) !== v) throw new RangeError(`i64 out of range: ${v}`);
    return this.varBigint(zigzagEncode(v, 64));
  }

  varI128(v: bigint): this {
    if (BigInt.asIntN(128, v) !== v) throw new RangeError(`i128 out of range: ${v}`);
    return this.varBigint(zigzagEncode(v, 128));
  }

  /** A length/count (upstream `usize`): a u32 varint; upstream panics above u32::MAX, we throw. */
  usize(n: number): this {
    checkUint(n, U32_MAX, 'usize');
    return this.varNumber(n);
  }

  // ---- raw bytes ----

  /** Raw bytes, no prefix (fixed-size arrays, points, scalars). */
  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** `Bytes` / `Vec<u8>`: usize length then raw bytes. */
  varBytes(b: Uint8Array): this {
    this.usize(b.length);
    return this.bytes(b);
  }

  // ---- composites ----

  /** `Option<T>`: 0x00 for null, else 0x01 then the value. */
  option<T>(v: T | null | undefined, write: WriteFn<T>): this {
    if (v === null || v === undefined) return this.u8(0);
    this.u8(1);
    write(this, v);
    return this;
  }

  /** `Vec<T>` (also `NonEmptyVec`, and ordered `Set` whose items the caller keeps sorted). */
  vec<T>(items: readonly T[], write: WriteFn<T>): this {
    this.usize(items.length);
    for (const it of items) write(this, it);
    return this;
  }

  /** ordered `Map<K,V>`: keys as a Vec, then values as a Vec (not interleaved). */
  map<K, V>(keys: readonly K[], values: readonly V[], writeKey: WriteFn<K>, writeValue: WriteFn<V>): this {
    if (keys.length !== values.length) throw new RangeError('map: keys and values differ in length');
    this.vec(keys, writeKey);
    return this.vec(values, writeValue);
  }

  /** `BTreeMap<K,V>`: count then interleaved pairs; caller supplies them in ascending key order. */
  btreeMap<K, V>(entries: ReadonlyArray<readonly [K, V]>, writeKey: WriteFn<K>, writeValue: WriteFn<V>): this {
    this.usize(entries.length);
    for (const [k, v] of entries) {
      writeKey(this, k);
      writeValue(this, v);
    }
    return this;
  }
}

/** Encodes one value with `write` (upstream `encode`). */
export function encode<T>(value: T, write: WriteFn<T>, capacityHint = 64): Uint8Array {
  const w = new Writer(capacityHint);
  write(w, value);
  return w.finish();
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} out of range: ${v}`);
}

function checkInt(v: number, bits: number): number {
  const lim = 2 ** (bits - 1);
  if (!Number.isInteger(v) || v < -lim || v >= lim) throw new RangeError(`i${bits} out of range: ${v}`);
  return v;
}
