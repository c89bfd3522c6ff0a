import type { RangeCfg } from './range.ts';
import type { Compare, ReadFn } from './reader.ts';
import { decode as decodeWith, Reader } from './reader.ts';
import type { WriteFn } from './writer.ts';
import { encode as encodeWith, Writer } from './writer.ts';

/**
 * A value's read and write side bundled, for composing formats declaratively
 * (`vecOf(range, optionOf(u16))`). Read configuration (bounds) is captured when the codec is
 * built, which is how upstream's `Read::Cfg` maps onto TypeScript.
 */
export interface Codec<T> {
  readonly read: ReadFn<T>;
  readonly write: WriteFn<T>;
}

export function codec<T>(read: ReadFn<T>, write: WriteFn<T>): Codec<T> {
  return { read, write };
}

export function encodeValue<T>(c: Codec<T>, v: T): Uint8Array {
  return encodeWith(v, c.write);
}

/** Decodes with `c`, rejecting trailing bytes. */
export function decodeValue<T>(c: Codec<T>, bytes: Uint8Array): T {
  return decodeWith(bytes, c.read);
}

// ---- primitives ----

export const u8: Codec<number> = codec(
  (r) => r.u8(),
  (w, v) => void w.u8(v),
);
export const u16: Codec<number> = codec(
  (r) => r.u16(),
  (w, v) => void w.u16(v),
);
export const u32: Codec<number> = codec(
  (r) => r.u32(),
  (w, v) => void w.u32(v),
);
export const u64: Codec<bigint> = codec(
  (r) => r.u64(),
  (w, v) => void w.u64(v),
);
export const u128: Codec<bigint> = codec(
  (r) => r.u128(),
  (w, v) => void w.u128(v),
);
export const i8: Codec<number> = codec(
  (r) => r.i8(),
  (w, v) => void w.i8(v),
);
export const i16: Codec<number> = codec(
  (r) => r.i16(),
  (w, v) => void w.i16(v),
);
export const i32: Codec<number> = codec(
  (r) => r.i32(),
  (w, v) => void w.i32(v),
);
export const i64: Codec<bigint> = codec(
  (r) => r.i64(),
  (w, v) => void w.i64(v),
);
export const i128: Codec<bigint> = codec(
  (r) => r.i128(),
  (w, v) => void w.i128(v),
);
export const bool: Codec<boolean> = codec(
  (r) => r.bool(),
  (w, v) => void w.bool(v),
);
export const varU16: Codec<number> = codec(
  (r) => r.varU16(),
  (w, v) => void w.varU16(v),
);
export const varU32: Codec<number> = codec(
  (r) => r.varU32(),
  (w, v) => void w.varU32(v),
);
export const varU64: Codec<bigint> = codec(
  (r) => r.varU64(),
  (w, v) => void w.varU64(v),
);
export const varU128: Codec<bigint> = codec(
  (r) => r.varU128(),
  (w, v) => void w.varU128(v),
);
export const varI16: Codec<number> = codec(
  (r) => r.varI16(),
  (w, v) => void w.varI16(v),
);
export const varI32: Codec<number> = codec(
  (r) => r.varI32(),
  (w, v) => void w.varI32(v),
);
export const varI64: Codec<bigint> = codec(
  (r) => r.varI64(),
  (w, v) => void w.varI64(v),
);
export const varI128: Codec<bigint> = codec(
  (r) => r.varI128(),
  (w, v) => void w.varI128(v),
);
/** `()`: zero bytes. */
export const unit: Codec<null> = codec(
  () => null,
  () => {},
);

export function usize(range: RangeCfg): Codec<number> {
  return codec(
    (r) => r.usize(range),
    (w, v) => void w.usize(v),
  );
}

/** `[u8; N]`: exactly `n` raw bytes. */
export function fixedBytes(n: number): Codec<Uint8Array> {
  return codec(
    (r) => r.bytes(n),
    (w, v) => {
      if (v.length !== n) throw new RangeError(`fixedBytes: expected ${n} bytes, got ${v.length}`);
      w.bytes(v);
    },
  );
}

/** `Bytes` / `Vec<u8>`: length-prefixed raw bytes. */
export function varBytes(range: RangeCfg): Codec<Uint8Array> {
  return codec(
    (r) => r.varBytes(range),
    (w, v) => void w.varBytes(v),
  );
}

// ---- composites ----

export function optionOf<T>(c: Codec<T>): Codec<T | null> {
  return codec(
    (r) => r.option(c.read),
    (w, v) => void w.option(v, c.write),
  );
}

export function vecOf<T>(range: RangeCfg, c: Codec<T>): Codec<T[]> {
  return codec(
    (r) => r.vec(range, c.read),
    (w, v) => void w.vec(v, c.write),
  );
}

export function nonEmptyVecOf<T>(range: RangeCfg, c: Codec<T>): Codec<T[]> {
  return codec(
    (r) => r.nonEmptyVec(range, c.read),
    (w, v) => {
      if (v.length === 0) throw new RangeError('nonEmptyVec: empty');
      w.vec(v, c.write);
    },
  );
}

/** ordered `Set<T>` as a sorted array (strictly ascending under `compare`, checked on read). */
export function setOf<T>(range: RangeCfg, c: Codec<T>, compare: Compare<T>): Codec<T[]> {
  return codec(
    (r) => r.set(range, c.read, compare),
    (w, v) => void w.vec(v, c.write),
  );
}

/** ordered `Map<K,V>`: keys Vec then values Vec. */
export function mapOf<K, V>(range: RangeCfg, k: Codec<K>, v: Codec<V>, compare: Compare<K>): Codec<{ keys: K[]; values: V[] }> {
  return codec(
    (r) => r.map(range, k.read, v.read, compare),
    (w, m) => void w.map(m.keys, m.values, k.write, v.write),
  );
}

/** `BTreeMap<K,V>` as ascending `[key, value]` pairs (interleaved encoding). */
export function btreeMapOf<K, V>(range: RangeCfg, k: Codec<K>, v: Codec<V>, compare: Compare<K>): Codec<Array<[K, V]>> {
  return codec(
    (r) => r.btreeMap(range, k.read, v.read, compare),
    (w, m) => void w.btreeMap(m, k.write, v.write),
  );
}

/** `BTreeSet<K>` as an ascending array. */
export function btreeSetOf<K>(range: RangeCfg, c: Codec<K>, compare: Compare<K>): Codec<K[]> {
  return codec(
    (r) => r.btreeSet(range, c.read, compare),
    (w, v) => void w.vec(v, c.write),
  );
}

type CodecTuple<T extends readonly unknown[]> = { readonly [I in keyof T]: Codec<T[I]> };

/** Tuples: fields concatenated in order, no prefix. */
export function tupleOf<T extends readonly unknown[]>(...cs: CodecTuple<T>): Codec<T> {
  return codec(
    (r) => cs.map((c) => c.read(r)) as unknown as T,
    (w, v) => {
      cs.forEach((c, i) => c.write(w, v[i]));
    },
  );
}

/**
 * Structs: fields concatenated in the order given by `fields` (the Rust declaration order — JS
 * object key order is not relied on). No prefix and no field names on the wire.
 */
export function structOf<T extends object>(fields: ReadonlyArray<{ [K in keyof T]: readonly [K, Codec<T[K]>] }[keyof T]>): Codec<T> {
  return codec(
    (r) => {
      const out: Partial<T> = {};
      for (const [name, c] of fields) out[name] = c.read(r);
      return out as T;
    },
    (w, v) => {
      for (const [name, c] of fields) c.write(w, v[name]);
    },
  );
}

export { Reader, Writer };
