/**
 * Broker-less test driver (Kafka Streams' TopologyTestDriver analogue). It runs a processor
 * through the same {@link Task} code as the Kafka runtime, with in-memory stores
 * ({@link MemoryKV} behind the same {@link StateStore}) and in-memory topic logs that behave like
 * Kafka's for what the runtime relies on: per-partition offsets, transactions that append their
 * records and a commit marker atomically, changelog restore from a stored offset.
 *
 *   const d = new TestDriver(counter, { partitions: 2 });
 *   await d.pipe('in', [{ key: k, value: v }]);         // one transaction
 *   d.outputs('out'); d.deadLetters(); await d.get('counts', k);
 *   await d.restart({ wipeLocalState: true });            // restore from the changelog
 *   await d.pipe('in', [...], { crashBeforeApply: true }) // commit, then "crash" before the store write
 */
import type { Bytes, RangeOptions } from '../state/kv.ts';
import { collect } from '../state/kv.ts';
import { MemoryKV } from '../state/memory.ts';
import { dataKey, StateStore } from '../state/store.ts';
import { type DeadLetter, DLQ_TOPIC, type DlqEncoder, decodeJsonDeadLetter, jsonDlqEncoder } from './dlq.ts';
import type { InRecord, ProducedRange } from './kafka/port.ts';
import { Metrics } from './metrics.ts';
import type { ProcessorDef, ReadOnlyStore } from './processor.ts';
import { applyChangelogBatch } from './restore.ts';
import { type CommitStats, type PendingCommit, Task } from './task.ts';

export interface DriverRecord {
  offset: number;
  key: Bytes | null;
  value: Bytes | null;
  headers: Record<string, Bytes>;
  timestamp: number;
}

export interface PipeInput {
  key?: Bytes | null;
  value?: Bytes | null;
  partition?: number;
  headers?: Record<string, Bytes | string>;
  timestamp?: number;
}

export interface TestDriverOptions {
  partitions?: number;
  dlqTopic?: string;
  dlqEncode?: DlqEncoder;
  /** Changelog topic name per store (default `<processor>-<store>-changelog`). */
  changelogTopic?: (store: string) => string;
  now?: () => number;
  /** Where the processor's counts go once their unit commits (default: a fresh {@link Metrics}, see {@link TestDriver.metrics}). */
  metrics?: Metrics;
}

/** In-memory partitioned logs with Kafka-like offsets (a commit marker takes an offset). */
class Logs {
  private readonly logs = new Map<string, Map<number, DriverRecord[]>>();
  private readonly next = new Map<string, number>();

  partition(topic: string, p: number): DriverRecord[] {
    let t = this.logs.get(topic);
    if (!t) this.logs.set(topic, (t = new Map()));
    let l = t.get(p);
    if (!l) t.set(p, (l = []));
    return l;
  }

  append(topic: string, p: number, r: Omit<DriverRecord, 'offset'>): number {
    const k = `${topic}/${p}`;
    const offset = this.next.get(k) ?? 0;
    this.partition(topic, p).push({ ...r, offset });
    this.next.set(k, offset + 1);
    return offset;
  }

  marker(topic: string, p: number): void {
    const k = `${topic}/${p}`;
    this.next.set(k, (this.next.get(k) ?? 0) + 1);
  }

  topic(topic: string): Array<DriverRecord & { partition: number }> {
    const out: Array<DriverRecord & { partition: number }> = [];
    for (const [p, l] of [...(this.logs.get(topic) ?? new Map<number, DriverRecord[]>())].sort(([a], [b]) => a - b)) for (const r of l) out.push({ ...r, partition: p });
    return out;
  }
}

const toBuf = (h: Record<string, Bytes | string> | undefined): Record<string, Bytes> => Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));

export class TestDriver<V = InRecord> {
  readonly logs = new Logs();
  /** The processor's counters (ProcessorContext.count), as committed. */
  readonly metrics: Metrics;
  private readonly partitions: number;
  private readonly dlqTopic: string;
  private readonly changelog: (store: string) => string;
  private kvs = new Map<string, MemoryKV>();
  private tasks = new Map<number, Task>();
  private readonly globals = new Map<string, MemoryKV>();
  private readonly globalOffsets = new Map<string, number>();
  /** Consumer-group offsets as committed by the transactions (the runtime's fallback position). */
  private readonly groupOffsets = new Map<number, Record<string, number>>();

  constructor(
    readonly def: ProcessorDef<V>,
    private readonly opts: TestDriverOptions = {},
  ) {
    this.partitions = opts.partitions ?? 1;
    this.metrics = opts.metrics ?? new Metrics();
    this.dlqTopic = opts.dlqTopic ?? DLQ_TOPIC;
    this.changelog = opts.changelogTopic ?? ((s) => `${def.name}-${s}-changelog`);
    for (const g of def.globals ?? []) this.globals.set(g, new MemoryKV());
  }

  private stateStore(store: string, p: number): StateStore {
    const k = `${store}/${p}`;
    let kv = this.kvs.get(k);
    if (!kv) this.kvs.set(k, (kv = new MemoryKV()));
    return new StateStore(store, kv);
  }

  private async task(p: number): Promise<Task> {
    let t = this.tasks.get(p);
    if (t) return t;
    const stores = new Map<string, StateStore>();
    for (const s of this.def.stores ?? []) {
      const store = this.stateStore(s, p);
      // Restore the gap from the changelog, exactly as the runtime does on assignment.
      const from = (await store.meta()).changelogOffset;
      const log = this.logs.partition(this.changelog(s), p).filter((r) => r.offset >= from);
      const end = log.length ? log[log.length - 1]!.offset + 1 : from;
      await applyChangelogBatch(
        store,
        log.map((r) => ({ topic: this.changelog(s), partition: p, ...r })),
        end,
      );
      stores.set(s, store);
    }
    const globals = new Map<string, ReadOnlyStore>([...this.globals].map(([g, kv]) => [g, new StateStore(g, kv)]));
    t = await Task.open(
      {
        def: this.def,
        partition: p,
        stores,
        globals,
        changelogTopic: this.changelog,
        dlqTopic: this.dlqTopic,
        dlqEncode: this.opts.dlqEncode ?? jsonDlqEncoder,
        now: this.opts.now,
      },
      this.groupOffsets.get(p) ?? {},
    );
    this.tasks.set(p, t);
    // As the runtime: a starting task reacts once to its global tables (records parked before a crash).
    for (const g of this.def.globals ?? []) await this.globalUpdate(t, g, []);
    return t;
  }

  /** Runs the processor's onGlobalUpdate on one task as its own transaction. */
  private async globalUpdate(task: Task, topic: string, records: InRecord[]): Promise<void> {
    const pc = await task.globalUpdate(topic, records);
    if (!pc) return;
    await task.apply(pc, this.commit(pc));
  }

  /**
   * Appends records to an input topic and processes them, one transaction per partition touched.
   * `crashBeforeApply`: the transaction commits but the stores are not written (as if the process
   * died right after the commit); the next access restores the gap from the changelog.
   */
  async pipe(topic: string, inputs: PipeInput | PipeInput[], opts: { crashBeforeApply?: boolean } = {}): Promise<CommitStats> {
    if (!this.def.inputs.includes(topic)) throw new Error(`${topic} is not an input of ${this.def.name}`);
    const byPartition = new Map<number, InRecord[]>();
    for (const i of Array.isArray(inputs) ? inputs : [inputs]) {
      const p = i.partition ?? 0;
      if (p < 0 || p >= this.partitions) throw new Error(`partition ${p} out of range (driver has ${this.partitions})`);
      const rec = { key: i.key ?? null, value: i.value ?? null, headers: toBuf(i.headers), timestamp: i.timestamp ?? (this.opts.now ?? Date.now)() };
      const offset = this.logs.append(topic, p, rec);
      (byPartition.get(p) ?? byPartition.set(p, []).get(p)!).push({ topic, partition: p, offset, ...rec });
    }
    const total: CommitStats = { processed: 0, skipped: 0, dlq: 0, outputs: 0 };
    for (const [p, records] of byPartition) {
      const task = await this.task(p);
      const pc = await task.process(records);
      const produced = this.commit(pc);
      this.groupOffsets.set(p, pc.inputOffsets);
      if (opts.crashBeforeApply) this.crash();
      else await task.apply(pc, produced);
      for (const k of Object.keys(total) as Array<keyof CommitStats>) total[k] += pc.stats[k];
    }
    return total;
  }

  /**
   * Feeds records already in an input log again from `fromOffset` (a consumer that restarted
   * from an older position). The task must skip what its state already reflects.
   */
  async redeliver(topic: string, partition: number, fromOffset: number): Promise<CommitStats> {
    const task = await this.task(partition);
    const records = this.logs
      .partition(topic, partition)
      .filter((r) => r.offset >= fromOffset)
      .map((r) => ({ topic, partition, ...r }));
    const pc = await task.process(records);
    await task.apply(pc, this.commit(pc));
    this.groupOffsets.set(partition, pc.inputOffsets);
    return pc.stats;
  }

  /**
   * Appends a transaction's records atomically, then a commit marker per partition touched; the
   * unit's counts are added to {@link metrics} (committed, as the runtime does).
   */
  private commit(pc: PendingCommit): ProducedRange[] {
    const ranges = new Map<string, ProducedRange>();
    for (const r of pc.records) {
      const p = r.partition ?? 0;
      const offset = this.logs.append(r.topic, p, { key: r.key, value: r.value, headers: toBuf(r.headers), timestamp: r.timestamp ?? 0 });
      const k = `${r.topic}/${p}`;
      const cur = ranges.get(k);
      ranges.set(k, cur ? { ...cur, lastOffset: offset } : { topic: r.topic, partition: p, baseOffset: offset, lastOffset: offset });
    }
    for (const r of ranges.values()) this.logs.marker(r.topic, r.partition);
    this.metrics.addCounts(pc.counts);
    return [...ranges.values()];
  }

  /** Drops the in-memory tasks (as a killed process would); stores keep what they had written. */
  crash(): void {
    this.tasks.clear();
  }

  /** Restarts every task; with `wipeLocalState` the stores start empty and restore fully. */
  async restart(opts: { wipeLocalState?: boolean } = {}): Promise<void> {
    this.tasks.clear();
    if (opts.wipeLocalState) this.kvs.clear();
  }

  /**
   * Writes a record to a global table topic (applied immediately, as a caught-up global store),
   * then runs the processor's onGlobalUpdate on every partition's task, as the runtime does.
   */
  async pipeGlobal(topic: string, key: Bytes, value: Bytes | null): Promise<void> {
    const kv = this.globals.get(topic);
    if (!kv) throw new Error(`${topic} is not a global table of ${this.def.name}`);
    if (value === null) await kv.del(dataKey(key));
    else await kv.put(dataKey(key), value);
    if (!this.def.onGlobalUpdate) return;
    const offset = this.globalOffsets.get(topic) ?? 0;
    this.globalOffsets.set(topic, offset + 1);
    const rec: InRecord = { topic, partition: 0, offset, key, value, headers: {}, timestamp: (this.opts.now ?? Date.now)() };
    for (let p = 0; p < this.partitions; p++) await this.globalUpdate(await this.task(p), topic, [rec]);
  }

  /** Committed records of an output topic (all partitions, in partition then offset order). */
  outputs(topic: string): Array<DriverRecord & { partition: number }> {
    return this.logs.topic(topic);
  }

  deadLetters(): Array<DeadLetter & { headers: Record<string, string> }> {
    return this.logs.topic(this.dlqTopic).map((r) => ({
      ...decodeJsonDeadLetter(r.value!),
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString()])),
    }));
  }

  /** Committed state of a store partition (as the runtime's RocksDB would hold it). */
  async get(store: string, key: Bytes, partition = 0): Promise<Bytes | undefined> {
    await this.task(partition);
    return this.stateStore(store, partition).get(key);
  }

  async entries(store: string, partition = 0, range: RangeOptions = {}): Promise<Array<[Bytes, Bytes]>> {
    await this.task(partition);
    return collect(this.stateStore(store, partition).range(range));
  }

  async position(topic: string, partition = 0): Promise<number | undefined> {
    return (await this.task(partition)).positionOf(topic, partition);
  }
}
