/**
 * A state store instance (one per (store, partition)) on a {@link KVStore}, with the
 * "offsets in the same batch as the state" bookkeeping (KIP-1035 idea):
 *
 * Internal key space of the instance:
 *   0x01 + userKey           data
 *   0x00 + "input-offsets"   JSON {"<topic>/<partition>": nextOffset} — the input position the
 *                            data reflects; also written to the changelog in every transaction
 *   0x00 + "changelog-offset" u64: next changelog offset not yet applied (local only)
 *
 * Changelog records use the internal key (so data and meta keys never collide under compaction)
 * and the raw value (null = delete). Every commit writes data changes, the input offsets and the
 * changelog offset in ONE RocksDB batch, so after any crash the instance knows exactly which
 * changelog gap to replay.
 */

import { decodeU64, u64 } from './keys.ts';
import { type BatchOp, type Bytes, compareBytes, type KVStore, type RangeOptions } from './kv.ts';

const DATA = 0x01;
const META = 0x00;
const DATA_LO = Buffer.of(DATA);
const DATA_HI = Buffer.of(DATA + 1);

export function dataKey(userKey: Bytes): Bytes {
  const k = Buffer.allocUnsafe(userKey.length + 1);
  k[0] = DATA;
  k.set(userKey, 1);
  return k;
}
export const metaKey = (name: string): Bytes => Buffer.concat([Buffer.of(META), Buffer.from(name, 'utf8')]);
export const INPUT_OFFSETS_KEY = metaKey('input-offsets');
export const CHANGELOG_OFFSET_KEY = metaKey('changelog-offset');

export const isDataKey = (internal: Bytes): boolean => internal[0] === DATA;
export const userKeyOf = (internal: Bytes): Bytes => internal.subarray(1);

/** Input position: `"<topic>/<partition>"` → next offset to consume. */
export type InputOffsets = Record<string, number>;
export const tpKey = (topic: string, partition: number): string => `${topic}/${partition}`;

export const encodeInputOffsets = (o: InputOffsets): Bytes => Buffer.from(JSON.stringify(sortKeys(o)), 'utf8');
export function decodeInputOffsets(b: Bytes): InputOffsets {
  const v = JSON.parse(b.toString('utf8')) as unknown;
  if (typeof v !== 'object' || v === null) throw new Error('input offsets: not an object');
  const out: InputOffsets = {};
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) out[k] = n;
  return out;
}
function sortKeys(o: InputOffsets): InputOffsets {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** One change in a commit: value null deletes. Keys are user keys. */
export interface Change {
  key: Bytes;
  value: Bytes | null;
  /** `dataKey(key)`, when the caller already built it (the task does, for the changelog). */
  internalKey?: Bytes;
}

/** A raw change in internal key space (what the changelog carries). */
export interface InternalChange {
  key: Bytes;
  value: Bytes | null;
}

export interface StoreMeta {
  /** Next changelog offset not yet applied; 0 when never written. */
  changelogOffset: number;
  /** Input position the data reflects; null when never committed. */
  inputOffsets: InputOffsets | null;
}

export class StateStore {
  constructor(
    readonly name: string,
    readonly kv: KVStore,
  ) {}

  get(key: Bytes): Promise<Bytes | undefined> {
    return this.kv.get(dataKey(key));
  }

  /** Several data keys at once (one multi-get when the backend has it). */
  getMany(keys: Bytes[]): Promise<Array<Bytes | undefined>> {
    const internal = keys.map((k) => dataKey(k));
    return this.kv.getMany ? this.kv.getMany(internal) : Promise.all(internal.map((k) => this.kv.get(k)));
  }

  /** Range scan over user keys (bounds are user keys). */
  async *range(opts: RangeOptions = {}): AsyncIterable<[Bytes, Bytes]> {
    const o: RangeOptions = { reverse: opts.reverse, limit: opts.limit };
    if (opts.gt) o.gt = dataKey(opts.gt);
    if (opts.gte) o.gte = dataKey(opts.gte);
    if (!opts.gt && !opts.gte) o.gte = DATA_LO;
    if (opts.lt) o.lt = dataKey(opts.lt);
    if (opts.lte) o.lte = dataKey(opts.lte);
    if (!opts.lt && !opts.lte) o.lt = DATA_HI;
    for await (const [k, v] of this.kv.range(o)) yield [userKeyOf(k), v];
  }

  async meta(): Promise<StoreMeta> {
    const [c, i] = await Promise.all([this.kv.get(CHANGELOG_OFFSET_KEY), this.kv.get(INPUT_OFFSETS_KEY)]);
    return { changelogOffset: c ? Number(decodeU64(c)) : 0, inputOffsets: i ? decodeInputOffsets(i) : null };
  }

  /**
   * The atomic commit after a Kafka transaction: data changes, the input position and the
   * changelog position in one batch.
   */
  async commit(changes: Change[], inputOffsets: InputOffsets, changelogOffset: number | null): Promise<void> {
    const ops: BatchOp[] = changes.map((c) => (c.value === null ? { type: 'del', key: c.internalKey ?? dataKey(c.key) } : { type: 'put', key: c.internalKey ?? dataKey(c.key), value: c.value }));
    ops.push({ type: 'put', key: INPUT_OFFSETS_KEY, value: encodeInputOffsets(inputOffsets) });
    if (changelogOffset !== null) ops.push({ type: 'put', key: CHANGELOG_OFFSET_KEY, value: u64(changelogOffset) });
    await this.kv.batch(ops);
  }

  /** Restore: applies changelog records (internal keys) and the new changelog position atomically. */
  async applyChangelog(records: InternalChange[], nextChangelogOffset: number): Promise<void> {
    const ops: BatchOp[] = [];
    for (const r of records) {
      // Only data keys and the input-offsets meta travel in the changelog; ignore anything else.
      if (!isDataKey(r.key) && compareBytes(r.key, INPUT_OFFSETS_KEY) !== 0) continue;
      ops.push(r.value === null ? { type: 'del', key: r.key } : { type: 'put', key: r.key, value: r.value });
    }
    ops.push({ type: 'put', key: CHANGELOG_OFFSET_KEY, value: u64(nextChangelogOffset) });
    await this.kv.batch(ops);
  }

  /** Deletes every entry (data and meta): used when local state is inconsistent with Kafka. */
  async wipe(): Promise<void> {
    const ops: BatchOp[] = [];
    for await (const [k] of this.kv.range()) ops.push({ type: 'del', key: k });
    await this.kv.batch(ops);
  }

  /** Number of data entries (metrics, tests; walks the store). */
  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.range()) n++;
    return n;
  }

  close(): Promise<void> {
    return this.kv.close();
  }
}
