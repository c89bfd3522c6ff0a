import { EndOfBuffer, ExtraData, Invalid, InvalidBool, InvalidLength, InvalidVarint } from './errors.ts';
import { type RangeCfg, rangeContains } from './range.ts';
import { zigzagDecode } from './varint.ts';

/** Reads one value from a Reader. Composite readers take these for their elements. */
export type ReadFn<T> = (r: Reader) => T;

/** Total order used to validate ordered containers (negative / 0 / positive like `Array.sort`). */
export type Compare<T> = (a: T, b: T) => number;

/**
 * A cursor over a byte array implementing commonware-codec's read side (v0.0.64).
 *
 * Invariants the rest of the project relies on:
 * - every read either returns a value or throws a {@link CodecError}; a failed read may leave the
 *   cursor anywhere, so discard the Reader after an error;
 * - nothing is allocated proportionally to a length prefix until that prefix has been checked
 *   against the caller's {@link RangeCfg} and (for raw bytes) against the bytes actually present;
 * - varints are canonical-only: a value has exactly one accepted encoding.
 */
export class Reader {
  private pos: number;
  private readonly end: number;
  private dv: DataView | undefined;

  constructor(
    readonly buf: Uint8Array,
    offset = 0,
  ) {
    if (offset < 0 || offset > buf.length) throw new RangeError(`Reader: offset ${offset} outside 0..=${buf.length}`);
    this.pos = offset;
    this.end = buf.length;
  }

  /** Position of the next byte to read. */
  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws {@link EndOfBuffer} unless `n` more bytes are present (upstream `at_least`). */
  ensure(n: number): void {
    if (this.end - this.pos < n) throw new EndOfBuffer();
  }

  /** Throws {@link ExtraData} if anything is left: what `decode` does after the top-level read. */
  finish(): void {
    const rest = this.end - this.pos;
    if (rest > 0) throw new ExtraData(rest);
  }

  private view(): DataView {
    return (this.dv ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  // ---- fixed-width big-endian integers ----

  u8(): number {
    if (this.pos >= this.end) throw new EndOfBuffer();
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.ensure(2);
    const v = this.view().getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.ensure(4);
    const v = this.view().getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** u64 as bigint: values above 2^53 occur on the wire (e.g. u64::MAX sentinels). */
  u64(): bigint {
    this.ensure(8);
    const v = this.view().getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  u128(): bigint {
    this.ensure(16);
    const hi = this.view().getBigUint64(this.pos);
    const lo = this.view().getBigUint64(this.pos + 8);
    this.pos += 16;
    return (hi << 64n) | lo;
  }

  i8(): number {
    this.ensure(1);
    return this.view().getInt8(this.pos++);
  }

  i16(): number {
    this.ensure(2);
    const v = this.view().getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.ensure(4);
    const v = this.view().getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  i64(): bigint {
    this.ensure(8);
    const v = this.view().getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  i128(): bigint {
    return BigInt.asIntN(128, this.u128());
  }

  f32(): number {
    this.ensure(4);
    const v = this.view().getFloat32(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.ensure(8);
    const v = this.view().getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** 0x00 → false, 0x01 → true, anything else → {@link InvalidBool}. */
  bool(): boolean {
    const b = this.u8();
    if (b === 0) return false;
    if (b === 1) return true;
    throw new InvalidBool();
  }

  // ---- varints ----

  /**
   * Canonical unsigned LEB128 of at most `bits` bits, for widths whose values fit in a double
   * (16 and 32). Rejects, as upstream does: a zero byte after the first (non-minimal), and a
   * final-position byte carrying bits (including the continuation bit) beyond the type width.
   */
  private varSmall(bits: number): number {
    const size = bits / 8;
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      if (byte === 0 && shift > 0) throw new InvalidVarint(size);
      const room = bits - shift;
      if (room <= 7 && 32 - Math.clz32(byte) > room) throw new InvalidVarint(size);
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** Same rules as {@link varSmall} for 64- and 128-bit widths, accumulating in a bigint. */
  private varBig(bits: number): bigint {
    const size = bits / 8;
    // Fast path: the first 7 groups (49 bits) fit a double exactly.
    let small = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      if (byte === 0 && shift > 0) throw new InvalidVarint(size);
      small += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return BigInt(small);
      shift += 7;
      if (shift === 49) break;
    }
    let result = BigInt(small);
    for (;;) {
      const byte = this.u8();
      if (byte === 0) throw new InvalidVarint(size);
      const room = bits - shift;
      if (room <= 7 && 32 - Math.clz32(byte) > room) throw new InvalidVarint(size);
      result |= BigInt(byte & 0x7f) << BigInt(shift);
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }

  varU16(): number {
    return this.varSmall(16);
  }

  varU32(): number {
    return this.varSmall(32);
  }

  varU64(): bigint {
    return this.varBig(64);
  }

  varU128(): bigint {
    return this.varBig(128);
  }

  /** ZigZag varints (`varint::SInt`); not used by the DKG formats but part of the codec. */
  varI16(): number {
    return Number(zigzagDecode(BigInt(this.varSmall(16))));
  }

  varI32(): number {
    return Number(zigzagDecode(BigInt(this.varSmall(32))));
  }

  varI64(): bigint {
    return zigzagDecode(this.varBig(64));
  }

  varI128(): bigint {
    return zigzagDecode(this.varBig(128));
  }

  /** A length/count: u32 varint, then {@link InvalidLength} unless inside `range`. */
  usize(range: RangeCfg): number {
    const n = this.varSmall(32);
    if (!rangeContains(range, n)) throw new InvalidLength(n);
    return n;
  }

  // ---- raw bytes ----

  /**
   * `n` raw bytes as a fresh copy (safe to keep after the input buffer is reused). Copies with
   * `Uint8Array.prototype.slice` explicitly: on a Node `Buffer` (what Kafka clients hand out)
   * `.slice()` returns a *view*, which would silently alias the caller's memory.
   */
  bytes(n: number): Uint8Array {
    this.ensure(n);
    const out = Uint8Array.prototype.slice.call(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** `n` raw bytes as a view into the input (no copy; only while the input stays untouched). */
  borrow(n: number): Uint8Array {
    this.ensure(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** `Bytes` / `Vec<u8>`: usize length in `range`, then that many raw bytes (copied). */
  varBytes(range: RangeCfg): Uint8Array {
    const n = this.usize(range);
    return this.bytes(n);
  }

  // ---- composites ----

  /** `Option<T>`: bool tag, then the value if Some. None is `null`. */
  option<T>(read: ReadFn<T>): T | null {
    return this.bool() ? read(this) : null;
  }

  /** `Vec<T>`: usize count in `range`, then the items. */
  vec<T>(range: RangeCfg, read: ReadFn<T>): T[] {
    const n = this.usize(range);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(read(this));
    return out;
  }

  /**
   * `NonEmptyVec<T>`: a Vec that must not be empty. With a `range` whose min is ≥ 1 an empty
   * vector fails the length check first ({@link InvalidLength}(0)), exactly as upstream does when
   * it converts a NonZero range; with min 0 it fails with `Invalid("NonEmptyVec", …)`.
   */
  nonEmptyVec<T>(range: RangeCfg, read: ReadFn<T>): T[] {
    const out = this.vec(range, read);
    if (out.length === 0) throw new Invalid('NonEmptyVec', 'cannot decode empty vector');
    return out;
  }

  /**
   * commonware `ordered::Set<T>`: a Vec whose items must be strictly ascending under `compare`.
   * All items are read before the order check, as upstream does, so an undecodable item wins
   * over an ordering error.
   */
  set<T>(range: RangeCfg, read: ReadFn<T>, compare: Compare<T>): T[] {
    const items = this.vec(range, read);
    for (let i = 1; i < items.length; i++) {
      if (compare(items[i - 1]!, items[i]!) >= 0) throw new Invalid('Set', 'items must be sorted and unique');
    }
    return items;
  }

  /**
   * commonware `ordered::Map<K,V>`: a {@link set} of keys, then a Vec of values whose count must
   * equal the key count exactly (NOT interleaved; contrast {@link btreeMap}).
   */
  map<K, V>(range: RangeCfg, readKey: ReadFn<K>, readValue: ReadFn<V>, compare: Compare<K>): { keys: K[]; values: V[] } {
    const keys = this.set(range, readKey, compare);
    const values = this.vec({ min: keys.length, max: keys.length }, readValue);
    return { keys, values };
  }

  /**
   * `BTreeMap<K,V>`: one count, then interleaved key/value pairs with strictly ascending keys.
   * Unlike {@link set}, order is checked as each key arrives (upstream's streaming check), so a
   * bad order is reported before a later bad value.
   */
  btreeMap<K, V>(range: RangeCfg, readKey: ReadFn<K>, readValue: ReadFn<V>, compare: Compare<K>): Array<[K, V]> {
    const n = this.usize(range);
    const out: Array<[K, V]> = [];
    for (let i = 0; i < n; i++) {
      const k = readKey(this);
      if (i > 0) {
        const c = compare(k, out[i - 1]![0]);
        if (c === 0) throw new Invalid('BTreeMap', 'Duplicate key');
        if (c < 0) throw new Invalid('BTreeMap', 'Keys must ascend');
      }
      out.push([k, readValue(this)]);
    }
    return out;
  }

  /** `BTreeSet<K>`: count, then strictly ascending items, checked as they arrive. */
  btreeSet<K>(range: RangeCfg, read: ReadFn<K>, compare: Compare<K>): K[] {
    const n = this.usize(range);
    const out: K[] = [];
    for (let i = 0; i < n; i++) {
      const k = read(this);
      if (i > 0) {
        const c = compare(k, out[i - 1]!);
        if (c === 0) throw new Invalid('BTreeSet', 'Duplicate item');
        if (c < 0) throw new Invalid('BTreeSet', 'Items must ascend');
      }
      out.push(k);
    }
    return out;
  }
}

/**
 * Decodes exactly one value from `bytes` (upstream `decode_cfg`): the read must consume the
 * whole input, otherwise {@link ExtraData}.
 */
export function decode<T>(bytes: Uint8Array, read: ReadFn<T>): T {
  const r = new Reader(bytes);
  const v = read(r);
  r.finish();
  return v;
}
