/**
 * A task: one processor on one partition (of every input), with its stores. Pure logic, no
 * Kafka: `process()` folds records into a {@link PendingCommit} (outputs, dead letters, changelog
 * records, new input offsets); the caller makes that one Kafka transaction and then calls
 * `apply()`, which writes the state changes together with the input offsets and the changelog
 * offsets in one batch per store. The runtime and the test driver both drive this class.
 */
import type { Bytes, RangeOptions } from '../state/kv.ts';
import { compareBytes, inRange, StoreError } from '../state/kv.ts';
import { type Change, dataKey, encodeInputOffsets, INPUT_OFFSETS_KEY, type InputOffsets, type StateStore, tpKey } from '../state/store.ts';
import { type DeadLetter, type DlqEncoder, type DlqStage, deadLetter, dlqHeaders, jsonDlqEncoder } from './dlq.ts';
import { transientCause } from './errors.ts';
import type { InRecord, OutRecord, ProducedRange, TopicPartitionOffset } from './kafka/port.ts';
import { logger } from './log.ts';
import type { Count } from './metrics.ts';
import { type CountContext, DecodeError, type KeyValueStore, type Output, type ProcessorContext, type ProcessorDef, type ReadOnlyStore } from './processor.ts';

const log = logger('runtime.task');

type Entry = Change;
/** Map key of a store key: latin1 maps each byte to one char, so it is injective and cheap. */
const mapKey = (b: Bytes) => b.toString('latin1');

/**
 * The writes of one unit of work (a chunk or a hook call) to one store, with an undo log of the
 * record being folded: a record that fails is rolled back entry by entry, so keeping a record
 * costs nothing and its writes are never copied. Insertion order is the order of first writes
 * (a rolled-back overwrite puts the old entry back in place).
 */
class WriteLayer {
  readonly entries = new Map<string, Entry>();
  // Parallel arrays (no allocation per write): key, and the entry it replaced (undefined: none).
  private undoKeys: string[] = [];
  private undoPrev: Array<Entry | undefined> = [];

  get(k: string): Entry | undefined {
    return this.entries.get(k);
  }

  /** Writes `e` over `prev` (what {@link get} returned for `k`: the caller has looked it up already). */
  set(k: string, e: Entry, prev: Entry | undefined): void {
    this.undoKeys.push(k);
    this.undoPrev.push(prev);
    this.entries.set(k, e);
  }

  /** The current record is kept: forget how to undo it. */
  keep(): void {
    if (this.undoKeys.length > 0) {
      this.undoKeys.length = 0;
      this.undoPrev.length = 0;
    }
  }

  /** The current record failed: put back what it overwrote, drop what it added. */
  rollback(): void {
    for (let i = this.undoKeys.length - 1; i >= 0; i--) {
      const k = this.undoKeys[i]!;
      const prev = this.undoPrev[i];
      if (prev === undefined) this.entries.delete(k);
      else this.entries.set(k, prev);
    }
    this.keep();
  }
}

/**
 * Store view, newest first: the unit's writes, the writes of earlier units whose transactions are
 * still committing (folded, not yet applied to the base store), the chunk's read-ahead (base
 * values fetched in one multi-get; the base store does not change while a chunk is folded, so
 * they stay valid until the chunk is applied), and the base store.
 */
class LayeredStore implements KeyValueStore {
  constructor(
    private readonly base: StateStore,
    private readonly writes: WriteLayer,
    /** Writes of unapplied units, oldest first. */
    private readonly unapplied: ReadonlyArray<Map<string, Entry>>,
  ) {}

  /** Read-ahead of the records being folded (replaced per batch). */
  ahead: Map<string, Bytes | null> | undefined;

  async get(key: Bytes): Promise<Bytes | undefined> {
    const v = this.peek(key);
    if (v !== undefined) return v === null ? undefined : v;
    return this.base.get(key);
  }

  peek(key: Bytes): Bytes | null | undefined {
    const k = mapKey(key);
    let e = this.writes.get(k);
    for (let i = this.unapplied.length - 1; e === undefined && i >= 0; i--) e = this.unapplied[i]!.get(k);
    if (e) return e.value;
    return this.ahead?.get(k);
  }

  put(key: Bytes, value: Bytes): void {
    this.write(key, Buffer.from(value));
  }

  delete(key: Bytes): void {
    this.write(key, null);
  }

  // Copies: the processor may reuse its buffers, and keys sliced from a record would otherwise
  // keep the whole fetched batch alive. A key written before in this unit reuses that entry's
  // copy (an entry's key and value never change once written).
  private write(key: Bytes, value: Bytes | null): void {
    const k = mapKey(key);
    const prev = this.writes.get(k);
    this.writes.set(k, { key: prev?.key ?? Buffer.from(key), value }, prev);
  }

  async *range(opts: RangeOptions = {}): AsyncIterable<[Bytes, Bytes]> {
    const over = new Map<string, Entry>();
    for (const layer of [...this.unapplied, this.writes.entries]) for (const [k, e] of layer) if (inRange(e.key, opts)) over.set(k, e);
    const dir = opts.reverse ? -1 : 1;
    const mine = [...over.values()].sort((a, b) => dir * compareBytes(a.key, b.key));
    const limit = opts.limit ?? Infinity;
    let emitted = 0;
    let i = 0;
    const { limit: _drop, ...unbounded } = opts;
    for await (const [k, v] of this.base.range(unbounded)) {
      while (i < mine.length && dir * compareBytes(mine[i]!.key, k) < 0) {
        const e = mine[i++]!;
        if (e.value !== null) {
          yield [e.key, e.value];
          if (++emitted >= limit) return;
        }
      }
      if (over.has(mapKey(k))) continue; // shadowed by a pending write (emitted from `mine`)
      yield [k, v];
      if (++emitted >= limit) return;
    }
    for (; i < mine.length; i++) {
      const e = mine[i]!;
      if (e.value !== null) {
        yield [e.key, e.value];
        if (++emitted >= limit) return;
      }
    }
  }
}

export interface TaskOptions {
  def: ProcessorDef<any>;
  partition: number;
  stores: Map<string, StateStore>;
  globals?: Map<string, ReadOnlyStore>;
  changelogTopic(store: string): string;
  dlqTopic: string;
  dlqEncode?: DlqEncoder;
  now?: () => number;
  /**
   * Records to dead-letter without decoding or processing them, with the error to record: the
   * runtime names a record here once a transaction that held only it failed deterministically
   * (its outputs can never be produced), so the partition moves on.
   */
  poisoned?: (record: InRecord) => Error | undefined;
  /** Value bytes a dead letter keeps whole (default DLQ_VALUE_PREFIX_BYTES). */
  dlqValuePrefixBytes?: number;
}

export interface CommitStats {
  processed: number;
  skipped: number;
  dlq: number;
  outputs: number;
}

/** Everything one transaction must carry, and what to write to the stores after it commits. */
export interface PendingCommit {
  /** Outputs, dead letters and changelog records, in production order. */
  records: OutRecord[];
  /** New consumer positions (next offset) of every input partition seen so far. */
  offsets: TopicPartitionOffset[];
  /** State changes by store and map key, in first-write order (what later units read until this one is applied). */
  writes: Map<string, Map<string, Entry>>;
  inputOffsets: InputOffsets;
  /** The position the unit started from (its input records are those between this and inputOffsets). */
  fromOffsets: InputOffsets;
  stats: CommitStats;
  deadLetters: Array<{ dl: DeadLetter; stage: DlqStage }>;
  /** The processor's counter increments (ProcessorContext.count): the caller adds them to the metrics once the unit committed. */
  counts: Count[];
  /** Timestamp (ms) of the unit's oldest input record that has one (end-to-end latency); undefined when none has. */
  oldestInput?: number;
}

/**
 * Units are folded ahead of their transactions: `process` may run again before the previous
 * unit's transaction committed, reading that unit's writes and continuing from its position. The
 * caller applies units in the order they were folded; after a failed transaction it closes the
 * task (the folded-ahead units are dropped with it).
 */
export class Task {
  readonly name: string;
  /** Where the next unit continues: the position after the last folded unit. */
  private position: InputOffsets;
  /** Folded units not yet applied to the stores, oldest first. */
  private readonly unapplied: PendingCommit[] = [];
  /** The unit records are being folded into, until {@link seal}. */
  private open: { fold: Fold; position: InputOffsets; from: InputOffsets; stats: CommitStats; oldest: number } | null = null;

  private constructor(
    private readonly opts: TaskOptions,
    position: InputOffsets,
  ) {
    this.name = `${opts.def.name}-${opts.partition}`;
    this.position = position;
  }

  /** Opens a task over restored stores; its position is what the stores say they reflect. */
  static async open(opts: TaskOptions, fallback: InputOffsets = {}): Promise<Task> {
    let position: InputOffsets | null = null;
    for (const s of opts.stores.values()) {
      const m = await s.meta();
      if (m.inputOffsets) position = position ? mergeMin(position, m.inputOffsets) : m.inputOffsets;
    }
    return new Task(opts, position ?? { ...fallback });
  }

  get partition(): number {
    return this.opts.partition;
  }

  /** Next offset to process for an input partition (undefined: nothing processed yet), counting folded units not yet applied. */
  positionOf(topic: string, partition = this.opts.partition): number | undefined {
    return this.position[tpKey(topic, partition)];
  }

  positions(): InputOffsets {
    return { ...this.position };
  }

  /**
   * Folds records (in order) into one unit of work and closes it. Records before the position are
   * skipped. Throws a {@link TransientError} like {@link absorb}.
   */
  async process(records: InRecord[]): Promise<PendingCommit> {
    await this.absorb(records);
    return this.seal()!;
  }

  /**
   * Folds records (in order) into the open unit, opening one if needed; a unit may absorb several
   * batches before it is sealed (the runtime keeps absorbing while the previous transaction
   * commits). Records before the position are skipped.
   *
   * A dependency failure (registry, disk, broker: see errors.ts) while folding a record is not
   * the record's fault: the record is rolled back and a {@link TransientError} thrown, with the
   * open unit holding the records before it and the position at it, so the caller can commit
   * what was folded and retry from that record later. Any other failure dead-letters the record.
   */
  async absorb(records: InRecord[]): Promise<void> {
    const { def } = this.opts;
    const unit = (this.open ??= { fold: this.fold(), position: { ...this.position }, from: { ...this.position }, stats: { processed: 0, skipped: 0, dlq: 0, outputs: 0 }, oldest: Infinity });
    const { fold, position, stats } = unit;
    this.position = position;
    if (def.prepare) {
      await def.prepare(records).catch((err: unknown) => log.warn({ processor: def.name, err: (err as Error).message }, 'chunk preparation failed; folding without it'));
    }
    if (def.prefetch) fold.readAhead(await this.readAhead(records, position));
    // Records of a batch share one topic-partition almost always: keep its position key at hand.
    let lastTopic: string | undefined;
    let lastPartition = -1;
    let tp = '';

    for (const record of records) {
      if (record.topic !== lastTopic || record.partition !== lastPartition) {
        lastTopic = record.topic;
        lastPartition = record.partition;
        tp = tpKey(record.topic, record.partition);
      }
      const pos = position[tp];
      if (pos !== undefined && record.offset < pos) {
        stats.skipped++;
        continue;
      }
      fold.begin();
      let stage: DlqStage = 'decode';
      try {
        const poison = this.opts.poisoned?.(record);
        if (poison) {
          stage = 'produce';
          throw poison;
        }
        let value: unknown = record;
        if (def.decode) {
          try {
            value = def.decode(record);
            if (isThenable(value)) value = await value;
          } catch (err) {
            if (err instanceof StoreError) throw err;
            if (err instanceof Error && err.name && err.name !== 'Error') throw err;
            throw Object.assign(new DecodeError(err instanceof Error ? err.message : String(err)), { cause: err });
          }
        }
        stage = 'process';
        const done = def.process(fold.ctx, value, record);
        if (isThenable(done)) await done;
        await fold.deadLetters(stats);
        fold.keep(stats);
      } catch (err) {
        fold.rollback();
        const transient = transientCause(err);
        if (transient) throw transient;
        try {
          await fold.deadLetter(record, err, stage, stats);
        } catch (dlqErr) {
          // The letter could not be encoded (registry down): the record is retried, not skipped.
          fold.rollback();
          throw transientCause(dlqErr) ?? dlqErr;
        }
      }
      stats.processed++;
      // A record without a timestamp (Kafka's -1, or 0) says nothing about latency: it must not
      // stand for the unit's oldest record and hide the others from the end-to-end histogram.
      if (record.timestamp > 0 && record.timestamp < unit.oldest) unit.oldest = record.timestamp;
      position[tp] = record.offset + 1;
    }
  }

  /** Input records folded into the open unit so far (0 when none is open). */
  get openRecords(): number {
    return this.open?.stats.processed ?? 0;
  }

  /**
   * Closes the open unit (null when none is open). A unit that folded records is queued: later
   * units read its writes until it is applied.
   */
  seal(): PendingCommit | null {
    const unit = this.open;
    if (!unit) return null;
    this.open = null;
    const pc = unit.fold.finish(unit.position, unit.stats, unit.from);
    if (unit.oldest !== Infinity) pc.oldestInput = unit.oldest;
    if (unit.stats.processed > 0) this.folded(pc);
    return pc;
  }

  /** Later units read this one's writes and continue from its position until it is applied. */
  private folded(pc: PendingCommit): void {
    this.unapplied.push(pc);
    this.position = pc.inputOffsets;
  }

  /**
   * Runs the processor's {@link ProcessorDef.onGlobalUpdate} as one unit of work (no input
   * record; the position is unchanged). Null when it changed nothing and emitted nothing.
   */
  async globalUpdate(topic: string, records: InRecord[]): Promise<PendingCommit | null> {
    const hook = this.opts.def.onGlobalUpdate;
    if (!hook) return null;
    if (this.open) throw new Error(`task ${this.name}: seal the open unit before a global-table reaction`);
    const fold = this.fold();
    const stats: CommitStats = { processed: 0, skipped: 0, dlq: 0, outputs: 0 };
    fold.begin();
    await hook.call(this.opts.def, fold.ctx, topic, records);
    await fold.deadLetters(stats);
    fold.keep(stats);
    if (!fold.changed()) return null;
    const pc = fold.finish({ ...this.position }, stats, { ...this.position });
    this.folded(pc);
    return pc;
  }

  /** ProcessorDef.prefetch: one multi-get per store for the keys the chunk's records name. */
  private async readAhead(records: InRecord[], position: InputOffsets): Promise<Map<string, Map<string, Bytes | null>>> {
    const wanted = new Map<string, Map<string, Bytes>>();
    let lastTopic: string | undefined;
    let lastPartition = -1;
    let pos: number | undefined;
    for (const record of records) {
      if (record.topic !== lastTopic || record.partition !== lastPartition) {
        lastTopic = record.topic;
        lastPartition = record.partition;
        pos = position[tpKey(record.topic, record.partition)];
      }
      if (pos !== undefined && record.offset < pos) continue;
      let keys: Array<{ store: string; key: Bytes }>;
      try {
        keys = this.opts.def.prefetch!(record);
      } catch {
        continue;
      }
      for (const { store, key } of keys) {
        let m = wanted.get(store);
        if (!m) {
          if (!this.opts.stores.has(store)) continue;
          wanted.set(store, (m = new Map()));
        }
        m.set(mapKey(key), key);
      }
    }
    const out = new Map<string, Map<string, Bytes | null>>();
    for (const [store, m] of wanted) {
      const names = [...m.keys()];
      const values = await this.opts.stores.get(store)!.getMany([...m.values()]);
      const got = new Map<string, Bytes | null>();
      for (let i = 0; i < names.length; i++) got.set(names[i]!, values[i] ?? null);
      out.set(store, got);
    }
    return out;
  }

  /** The write layers, the context and the outputs of one unit of work (a chunk or a hook call). */
  private fold() {
    const { def, partition } = this.opts;
    const storeNames = [...this.opts.stores.keys()];
    const layers = new Map<string, WriteLayer>(storeNames.map((n) => [n, new WriteLayer()]));
    const views = new Map<string, LayeredStore>(
      storeNames.map((n) => [
        n,
        new LayeredStore(
          this.opts.stores.get(n)!,
          layers.get(n)!,
          this.unapplied.map((u) => u.writes.get(n)!),
        ),
      ]),
    );
    const outputs: OutRecord[] = [];
    const deadLetters: PendingCommit['deadLetters'] = [];
    let deadMark = 0;
    // Counts of the current record are appended right away, like outputs; a failure truncates them.
    const counts: Count[] = [];
    let countMark = 0;
    const count: CountContext['count'] = (name, help, labels = {}, n = 1) => {
      counts.push({ name, help, labels, n });
    };
    const allowed = def.outputs ? new Set(def.outputs) : null;
    // Outputs of the current record are appended right away; a failure truncates back to the mark.
    let mark = 0;
    let pendingDead: Array<{ record: InRecord; err: unknown }> = [];
    const dead = async (record: InRecord, err: unknown, stage: DlqStage, stats: CommitStats) => {
      const dl = deadLetter(record, def.name, err, this.now(), this.opts.dlqValuePrefixBytes ? { valuePrefixBytes: this.opts.dlqValuePrefixBytes } : {});
      // Encoded first: an encoder failure (registry down) must leave nothing half-added.
      const value = await (this.opts.dlqEncode ?? jsonDlqEncoder)(dl);
      deadLetters.push({ dl, stage });
      // Keyed by the letter's bounded key, so the letter fits the broker's limit whatever the source key.
      outputs.push({ topic: this.opts.dlqTopic, key: dl.key, value, headers: dlqHeaders(dl, stage) });
      stats.dlq++;
      def.deadLettered?.({ processor: def.name, partition, count }, record, err);
    };
    const ctx: ProcessorContext = {
      processor: def.name,
      partition,
      count,
      store: (name) => {
        const v = views.get(name);
        if (!v) throw new Error(`processor ${def.name} has no store '${name}' (declared: ${storeNames.join(', ') || 'none'})`);
        return v;
      },
      global: (topic) => {
        const g = this.opts.globals?.get(topic);
        if (!g) throw new Error(`processor ${def.name} has no global table '${topic}'`);
        return g;
      },
      send: (out: Output) => {
        if (allowed && !allowed.has(out.topic)) throw new Error(`processor ${def.name} may not write to '${out.topic}' (outputs: ${[...allowed].join(', ')})`);
        const r: OutRecord = { topic: out.topic, key: out.key, value: out.value };
        if (out.partition !== undefined) r.partition = out.partition;
        if (out.headers) r.headers = out.headers;
        outputs.push(r);
      },
      deadLetter: (record, err) => {
        pendingDead.push({ record, err });
      },
    };
    return {
      ctx,
      /** The read-ahead of the records about to be folded. */
      readAhead: (ahead: Map<string, Map<string, Bytes | null>>) => {
        for (const [n, v] of views) v.ahead = ahead.get(n);
      },
      /** Starts a unit whose effects are all kept or all dropped. */
      begin: () => {
        mark = outputs.length;
        deadMark = deadLetters.length;
        countMark = counts.length;
        if (pendingDead.length > 0) pendingDead = [];
      },
      /** Adds the dead letters the unit named (ProcessorContext.deadLetter) after its outputs. */
      deadLetters: async (stats: CommitStats) => {
        if (pendingDead.length === 0) return;
        const named = pendingDead;
        pendingDead = [];
        const before = outputs.length;
        for (const d of named) await dead(d.record, d.err, 'process', stats);
        mark += outputs.length - before; // dead letters are not outputs in the stats
        deadMark = deadLetters.length;
        countMark = counts.length;
      },
      /** Keeps the current unit's writes and outputs. */
      keep: (stats: CommitStats) => {
        for (const l of layers.values()) l.keep();
        stats.outputs += outputs.length - mark;
      },
      /** Drops the current unit's writes and outputs. */
      rollback: () => {
        for (const l of layers.values()) l.rollback();
        outputs.length = mark;
        deadLetters.length = deadMark;
        counts.length = countMark;
        pendingDead = [];
      },
      /** Dead-letters a record (after {@link rollback}, in place of its effects). */
      deadLetter: async (record: InRecord, err: unknown, stage: DlqStage, stats: CommitStats) => {
        await dead(record, err, stage, stats);
      },
      changed: () => outputs.length > 0 || [...layers.values()].some((l) => l.entries.size > 0),
      finish: (position: InputOffsets, stats: CommitStats, from: InputOffsets): PendingCommit => {
        stats.dlq = deadLetters.length; // exact even when a record's letters were rolled back
        const writes = new Map<string, Map<string, Entry>>();
        const encodedPosition = encodeInputOffsets(position);
        for (const [n, layer] of layers) {
          writes.set(n, layer.entries);
          const topic = this.opts.changelogTopic(n);
          for (const c of layer.entries.values()) {
            c.internalKey = dataKey(c.key);
            outputs.push({ topic, partition, key: c.internalKey, value: c.value });
          }
          // The position travels with the data, so a restore knows which input the state reflects.
          outputs.push({ topic, partition, key: INPUT_OFFSETS_KEY, value: encodedPosition });
        }
        const offsets: TopicPartitionOffset[] = Object.entries(position).map(([k, offset]) => {
          const i = k.lastIndexOf('/');
          return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)), offset };
        });
        return { records: outputs, offsets, writes, inputOffsets: position, fromOffsets: from, stats, deadLetters, counts };
      },
    };
  }

  /**
   * After the unit's transaction committed: state, input offsets and changelog offsets, one batch
   * per store. Units are applied in the order they were folded.
   */
  async apply(pc: PendingCommit, produced: ProducedRange[]): Promise<void> {
    // A unit that folded nothing was never queued (nothing reads it); any other must be the oldest.
    const i = this.unapplied.indexOf(pc);
    if (i > 0 || (i < 0 && pc.stats.processed > 0)) throw new Error(`task ${this.name}: units must be applied in the order they were folded`);
    for (const [n, store] of this.opts.stores) {
      const topic = this.opts.changelogTopic(n);
      const r = produced.find((x) => x.topic === topic && x.partition === this.opts.partition);
      const w = pc.writes.get(n);
      await store.commit(w ? [...w.values()] : [], pc.inputOffsets, r ? r.lastOffset + 1 : null);
    }
    if (i === 0) this.unapplied.shift();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

type Fold = ReturnType<Task['fold']>;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function mergeMin(a: InputOffsets, b: InputOffsets): InputOffsets {
  const out: InputOffsets = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] === undefined ? v : Math.min(out[k]!, v);
  return out;
}
