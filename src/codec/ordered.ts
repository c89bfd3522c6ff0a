import type { RangeCfg } from './range.ts';
import type { Compare, Reader, ReadFn } from './reader.ts';
import type { WriteFn, Writer } from './writer.ts';

/**
 * commonware `utils::ordered::Set<T>`: sorted, deduplicated, immutable. Positions in the set are
 * protocol data (a player's share index is its position in the sorted player set, its evaluation
 * point that position + 1), so the order must be exactly upstream's `Ord` — for keys and points
 * that is unsigned lexicographic order of the encoding ({@link compareBytes}).
 */
export class OrderedSet<T> implements Iterable<T> {
  private constructor(
    private readonly list: readonly T[],
    readonly compare: Compare<T>,
  ) {}

  /** Sorts and drops duplicates (upstream `from_iter_dedup`; the first of equal items is kept). */
  static fromDedup<T>(items: Iterable<T>, compare: Compare<T>): OrderedSet<T> {
    const sorted = [...items].sort(compare);
    const out: T[] = [];
    for (const it of sorted) if (out.length === 0 || compare(out[out.length - 1]!, it) !== 0) out.push(it);
    return new OrderedSet(out, compare);
  }

  /** Sorts; throws `DuplicateKeyError` if two items compare equal (upstream `TryFromIterator`). */
  static tryFrom<T>(items: Iterable<T>, compare: Compare<T>): OrderedSet<T> {
    const sorted = [...items].sort(compare);
    for (let i = 1; i < sorted.length; i++) {
      if (compare(sorted[i - 1]!, sorted[i]!) === 0) throw new DuplicateKeyError();
    }
    return new OrderedSet(sorted, compare);
  }

  /** Reads a Set (strictly ascending items, count in `range`). */
  static read<T>(r: Reader, range: RangeCfg, read: ReadFn<T>, compare: Compare<T>): OrderedSet<T> {
    return new OrderedSet(r.set(range, read, compare), compare);
  }

  write(w: Writer, write: WriteFn<T>): void {
    w.vec(this.list, write);
  }

  get size(): number {
    return this.list.length;
  }

  /** The items in ascending order (do not mutate). */
  get items(): readonly T[] {
    return this.list;
  }

  at(i: number): T | undefined {
    return this.list[i];
  }

  /** 0-based position of `item` (binary search), or -1 (upstream `position` / `Quorum::index`). */
  indexOf(item: T): number {
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compare(this.list[mid]!, item);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  has(item: T): boolean {
    return this.indexOf(item) >= 0;
  }

  /** Item-wise equality (same length, every pair compares equal). */
  equals(other: OrderedSet<T>): boolean {
    if (other.list.length !== this.list.length) return false;
    for (let i = 0; i < this.list.length; i++) if (this.compare(this.list[i]!, other.list[i]!) !== 0) return false;
    return true;
  }

  quorum(): number {
    return quorum(this.list.length);
  }

  maxFaults(): number {
    return maxFaults(this.list.length);
  }

  [Symbol.iterator](): Iterator<T> {
    return this.list[Symbol.iterator]();
  }
}

/**
 * commonware `utils::ordered::Map<K,V>`: an {@link OrderedSet} of keys and a parallel value array.
 * Wire form is the key Set followed by the value Vec (not interleaved).
 */
export class OrderedMap<K, V> implements Iterable<[K, V]> {
  private constructor(
    readonly keys: OrderedSet<K>,
    private readonly vals: V[],
  ) {}

  /** Sorts by key, keeping the first value of duplicated keys (upstream `from_iter_dedup`). */
  static fromDedup<K, V>(entries: Iterable<readonly [K, V]>, compare: Compare<K>): OrderedMap<K, V> {
    const sorted = [...entries].sort((a, b) => compare(a[0], b[0]));
    const ks: K[] = [];
    const vs: V[] = [];
    for (const [k, v] of sorted) {
      if (ks.length === 0 || compare(ks[ks.length - 1]!, k) !== 0) {
        ks.push(k);
        vs.push(v);
      }
    }
    return new OrderedMap(OrderedSet.tryFrom(ks, compare), vs);
  }

  /** Sorts by key; throws `DuplicateKeyError` on a repeated key. */
  static tryFrom<K, V>(entries: Iterable<readonly [K, V]>, compare: Compare<K>): OrderedMap<K, V> {
    const sorted = [...entries].sort((a, b) => compare(a[0], b[0]));
    const keys = OrderedSet.tryFrom(
      sorted.map((e) => e[0]),
      compare,
    );
    return new OrderedMap(
      keys,
      sorted.map((e) => e[1]),
    );
  }

  static read<K, V>(r: Reader, range: RangeCfg, readKey: ReadFn<K>, readValue: ReadFn<V>, compare: Compare<K>): OrderedMap<K, V> {
    const keys = OrderedSet.read(r, range, readKey, compare);
    const vals = r.vec({ min: keys.size, max: keys.size }, readValue);
    return new OrderedMap(keys, vals);
  }

  write(w: Writer, writeKey: WriteFn<K>, writeValue: WriteFn<V>): void {
    w.map(this.keys.items, this.vals, writeKey, writeValue);
  }

  get size(): number {
    return this.vals.length;
  }

  get values(): readonly V[] {
    return this.vals;
  }

  get(key: K): V | undefined {
    const i = this.keys.indexOf(key);
    return i < 0 ? undefined : this.vals[i];
  }

  /** Keeps the first `n` entries (upstream `truncate`). */
  truncate(n: number): OrderedMap<K, V> {
    if (n >= this.vals.length) return this;
    return new OrderedMap(OrderedSet.tryFrom(this.keys.items.slice(0, n), this.keys.compare), this.vals.slice(0, n));
  }

  *[Symbol.iterator](): Iterator<[K, V]> {
    const ks = this.keys.items;
    for (let i = 0; i < ks.length; i++) yield [ks[i]!, this.vals[i]!];
  }
}

export class DuplicateKeyError extends Error {
  override name = 'DuplicateKeyError';
  constructor() {
    super('duplicate key');
  }
}

/** Byzantine faults tolerated among `n`: ⌊(n−1)/3⌋ (0 for n = 0). */
export function maxFaults(n: number): number {
  return n === 0 ? 0 : Math.floor((n - 1) / 3);
}

/** Signers needed among `n`: n − maxFaults(n) (1→1, 4→3, 7→5, 10→7). Throws for n = 0. */
export function quorum(n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError('quorum: n must be a positive integer');
  return n - maxFaults(n);
}
