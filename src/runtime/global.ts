/**
 * Global tables: every instance materialises all partitions of a topic (e.g. `epochs`) into
 * local RocksDB stores (one per partition, `<dataDir>/global/<topic>/<p>`), the topic itself
 * being the changelog. The position is kept in the same batch as the data, so a restart reads
 * only what was appended since. `start()` resolves once caught up to the end offsets measured at
 * start (bootstrap), then the table keeps tailing the topic.
 */
import type { Bytes, RangeOptions } from '../state/kv.ts';
import { compareBytes } from '../state/kv.ts';
import { RocksKV, type RocksOptions, storeDir } from '../state/rocksdb.ts';
import { StateStore, tpKey } from '../state/store.ts';
import type { InRecord, KafkaPort, ReadHandle } from './kafka/port.ts';
import { logger } from './log.ts';
import type { ReadOnlyStore } from './processor.ts';

const log = logger('runtime.global');

export class GlobalTable implements ReadOnlyStore {
  private stores = new Map<number, StateStore>();
  private tail: ReadHandle | undefined;
  private readonly listeners: Array<(records: InRecord[]) => void> = [];

  constructor(
    private readonly port: KafkaPort,
    readonly topic: string,
    private readonly dataDir: string,
    private readonly rocks: RocksOptions = {},
  ) {}

  /** Called after every applied batch (e.g. to release parked records). */
  onUpdate(l: (records: InRecord[]) => void): void {
    this.listeners.push(l);
  }

  async start(onProgress?: (restored: number, total: number) => void): Promise<void> {
    const admin = await this.port.admin();
    const marks = await admin.offsets(this.topic);
    const from = new Map<number, number>();
    for (const m of marks) {
      const s = new StateStore(this.topic, await RocksKV.open(storeDir(this.dataDir, 'global', this.topic, m.partition), this.rocks));
      this.stores.set(m.partition, s);
      const pos = (await s.meta()).inputOffsets?.[tpKey(this.topic, m.partition)] ?? 0;
      from.set(m.partition, pos > m.high ? 0 : pos);
    }
    const total = marks.reduce((n, m) => n + Math.max(0, m.high - Math.max(m.low, from.get(m.partition) ?? 0)), 0);
    let restored = 0;
    const apply = async (p: number, records: InRecord[], next: number) => {
      const store = this.stores.get(p)!;
      const changes = records.filter((r) => r.key !== null).map((r) => ({ key: r.key!, value: r.value }));
      await store.commit(changes, { [tpKey(this.topic, p)]: next }, null);
      from.set(p, next);
      return changes.length;
    };
    const boot = await this.port.read({
      topic: this.topic,
      from: new Map(from),
      until: new Map(marks.map((m) => [m.partition, m.high])),
      onRecords: async (p, records, next) => {
        restored += records.length;
        await apply(p, records, next);
        onProgress?.(restored, total);
      },
    });
    await boot.done;
    onProgress?.(total, total);
    log.info({ topic: this.topic, restored }, 'global table bootstrapped');
    this.tail = await this.port.read({
      topic: this.topic,
      from: new Map(from),
      onRecords: async (p, records, next) => {
        await apply(p, records, next);
        for (const l of this.listeners) l(records);
      },
    });
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    for (const s of this.stores.values()) {
      const v = await s.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  async *range(opts: RangeOptions = {}): AsyncIterable<[Bytes, Bytes]> {
    const all: Array<[Bytes, Bytes]> = [];
    const { limit, ...unbounded } = opts;
    for (const s of this.stores.values()) for await (const e of s.range({ ...unbounded, ...(limit ? { limit } : {}) })) all.push(e);
    all.sort(([a], [b]) => (opts.reverse ? -1 : 1) * compareBytes(a, b));
    yield* all.slice(0, limit ?? all.length);
  }

  async close(): Promise<void> {
    await this.tail?.stop();
    for (const s of this.stores.values()) await s.close().catch(() => {});
    this.stores.clear();
  }
}
