/**
 * The promise key-value port every state store sits on. Two implementations: RocksDB
 * ({@link ./rocksdb.ts}) for the runtime and in-memory ({@link ./memory.ts}) for pure unit
 * tests and the broker-less test driver. Keys and values are raw bytes; keys sort by unsigned
 * byte order (memcmp), which {@link ./keys.ts} makes equal to the logical order.
 */

export type Bytes = Buffer;

export type BatchOp = { type: 'put'; key: Bytes; value: Bytes } | { type: 'del'; key: Bytes };

/** Bounds of a range scan; unset bounds are open. `reverse` walks from the high end. */
export interface RangeOptions {
  gt?: Bytes;
  gte?: Bytes;
  lt?: Bytes;
  lte?: Bytes;
  reverse?: boolean;
  /** Maximum number of entries (default: unlimited). */
  limit?: number;
}

export interface KVStore {
  get(key: Bytes): Promise<Bytes | undefined>;
  /** Several keys in one call (one native call for RocksDB instead of one per key); optional. */
  getMany?(keys: Bytes[]): Promise<Array<Bytes | undefined>>;
  put(key: Bytes, value: Bytes): Promise<void>;
  del(key: Bytes): Promise<void>;
  /** Applies all operations atomically (all or none survive a crash), in order. */
  batch(ops: BatchOp[]): Promise<void>;
  /** Entries in key order (or reverse) within the bounds. */
  range(opts?: RangeOptions): AsyncIterable<[Bytes, Bytes]>;
  /** Approximate bytes on disk (0 for memory-only stores). */
  approximateSize(): Promise<number>;
  close(): Promise<void>;
}

/** Unsigned lexicographic comparison, the order both implementations use. */
export const compareBytes = (a: Bytes, b: Bytes): number => Buffer.compare(a, b);

/** True when `key` lies within the bounds of `opts` (ignores reverse/limit). */
export function inRange(key: Bytes, opts: RangeOptions): boolean {
  if (opts.gt && compareBytes(key, opts.gt) <= 0) return false;
  if (opts.gte && compareBytes(key, opts.gte) < 0) return false;
  if (opts.lt && compareBytes(key, opts.lt) >= 0) return false;
  if (opts.lte && compareBytes(key, opts.lte) > 0) return false;
  return true;
}

/** Collects a range into an array (tests, small scans). */
export async function collect(it: AsyncIterable<[Bytes, Bytes]>): Promise<Array<[Bytes, Bytes]>> {
  const out: Array<[Bytes, Bytes]> = [];
  for await (const e of it) out.push(e);
  return out;
}

/** A store operation failed (I/O, corruption, closed). Never routed to the DLQ: it stops the task. */
export class StoreError extends Error {
  override name = 'StoreError';
}
