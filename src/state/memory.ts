/**
 * In-memory {@link KVStore}: a sorted array with binary search. Same semantics as the RocksDB
 * adapter (byte order, atomic batches, snapshot iterators), for pure unit tests and the
 * broker-less test driver. Not durable.
 */
import { type BatchOp, type Bytes, compareBytes, inRange, type KVStore, type RangeOptions, StoreError } from './kv.ts';

export class MemoryKV implements KVStore {
  private keys: Bytes[] = [];
  private values: Bytes[] = [];
  private closed = false;

  /** Index of the first key >= `key`. */
  private lowerBound(key: Bytes): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private check(): void {
    if (this.closed) throw new StoreError('store is closed');
  }

  private putSync(key: Bytes, value: Bytes): void {
    const i = this.lowerBound(key);
    if (i < this.keys.length && compareBytes(this.keys[i]!, key) === 0) this.values[i] = Buffer.from(value);
    else {
      this.keys.splice(i, 0, Buffer.from(key));
      this.values.splice(i, 0, Buffer.from(value));
    }
  }

  private delSync(key: Bytes): void {
    const i = this.lowerBound(key);
    if (i < this.keys.length && compareBytes(this.keys[i]!, key) === 0) {
      this.keys.splice(i, 1);
      this.values.splice(i, 1);
    }
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    this.check();
    const i = this.lowerBound(key);
    return i < this.keys.length && compareBytes(this.keys[i]!, key) === 0 ? Buffer.from(this.values[i]!) : undefined;
  }

  async put(key: Bytes, value: Bytes): Promise<void> {
    this.check();
    this.putSync(key, value);
  }

  async del(key: Bytes): Promise<void> {
    this.check();
    this.delSync(key);
  }

  async batch(ops: BatchOp[]): Promise<void> {
    this.check();
    for (const op of ops)
      if (op.type === 'put') this.putSync(op.key, op.value);
      else this.delSync(op.key);
  }

  async *range(opts: RangeOptions = {}): AsyncIterable<[Bytes, Bytes]> {
    this.check();
    // Snapshot the matching slice first, like a RocksDB iterator's implicit snapshot.
    const start = opts.gte ? this.lowerBound(opts.gte) : opts.gt ? this.lowerBound(opts.gt) : 0;
    const entries: Array<[Bytes, Bytes]> = [];
    for (let i = start; i < this.keys.length; i++) {
      const k = this.keys[i]!;
      if ((opts.lt && compareBytes(k, opts.lt) >= 0) || (opts.lte && compareBytes(k, opts.lte) > 0)) break;
      if (inRange(k, opts)) entries.push([Buffer.from(k), Buffer.from(this.values[i]!)]);
    }
    if (opts.reverse) entries.reverse();
    const limit = opts.limit ?? Infinity;
    for (let i = 0; i < entries.length && i < limit; i++) yield entries[i]!;
  }

  async approximateSize(): Promise<number> {
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) n += this.keys[i]!.length + this.values[i]!.length;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Number of entries (tests). */
  get size(): number {
    return this.keys.length;
  }
}
