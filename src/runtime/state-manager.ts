/**
 * The state role (Kafka Streams' ProcessorStateManager + global state): the RocksDB stores of a
 * task, restored from their changelogs, and the processor's global tables.
 *
 * Invariants:
 * - A task's stores are handed out only once restored to the end of their changelogs (the end as
 *   of the task's start: the task is the changelog's only writer, so nothing lands after it).
 * - Each store reflects one consistent prefix of its changelog: every restore batch is written
 *   with its own next changelog offset, so an interrupted restore resumes where it stopped.
 * - A local store that does not fit its changelog any more (truncated or recreated topic), or,
 *   under exactly-once, whose input position differs from the group's committed offsets (someone
 *   reset the group), is wiped and rebuilt from the changelog.
 * - Restore progress is reported per store instance ({@link RestoreProgress}) as it goes, and
 *   the time each task start took to open and restore its stores in `dkg_stream_restore_seconds`.
 */
import { RocksKV, type RocksOptions, storeDir } from '../state/rocksdb.ts';
import { StateStore } from '../state/store.ts';
import type { Committer } from './committer.ts';
import { GlobalTable } from './global.ts';
import type { InBatch, KafkaPort } from './kafka/port.ts';
import { logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { ProcessorDef } from './processor.ts';
import { applyChangelogBatch, type RestoreProgress } from './restore.ts';

const log = logger('runtime');

export interface StateManagerOptions {
  port: KafkaPort;
  processor: ProcessorDef<any>;
  dataDir: string;
  rocks?: RocksOptions;
  changelog: (store: string) => string;
  committer: Committer;
  metrics: Metrics;
  /** Called on every restore progress step (stores and global tables). */
  onProgress: (p: RestoreProgress) => void;
}

export class StateManager {
  readonly globals = new Map<string, GlobalTable>();
  /** Global tables caught up (bootstrapped once at start). */
  globalsReady = false;
  /** The latest progress of every store instance's restore, by `store/partition`. */
  readonly restoreProgress = new Map<string, RestoreProgress>();

  constructor(private readonly opts: StateManagerOptions) {}

  /** Bootstraps every global table of the processor; `onUpdate` hears what each one applies afterwards. */
  async startGlobals(onUpdate: (topic: string, records: InBatch['records']) => void): Promise<void> {
    const def = this.opts.processor;
    for (const g of def.globals ?? []) {
      const table = new GlobalTable(this.opts.port, g, this.opts.dataDir, this.opts.rocks);
      this.globals.set(g, table);
      if (def.onGlobalUpdate) table.onUpdate((records) => onUpdate(g, records));
      await table.start((restored, total) => this.progress({ processor: def.name, store: `global:${g}`, partition: -1, restored, total, done: restored >= total }));
    }
    this.globalsReady = true;
  }

  async closeGlobals(): Promise<void> {
    for (const g of this.globals.values()) await g.close();
  }

  /**
   * Opens and restores the stores of the task of partition `p` into `stores` (filled as they
   * open, so the caller closes whatever opened if this throws). `group` is the group's committed
   * position of the partition's inputs; `closed()` aborts a restore whose task was closed.
   */
  async openStores(p: number, group: Record<string, number>, stores: Map<string, StateStore>, closed: () => boolean): Promise<void> {
    const def = this.opts.processor;
    const t0 = performance.now();
    for (const name of def.stores ?? []) {
      const store = new StateStore(name, await RocksKV.open(storeDir(this.opts.dataDir, def.name, name, p), this.opts.rocks));
      stores.set(name, store);
      await this.restore(p, name, store, closed);
      const meta = await store.meta();
      // At-least-once commits the group offsets after the stores: the stores may be ahead, and
      // their position is the one to continue from.
      if (this.opts.committer.groupMatchesStores && meta.inputOffsets && !samePosition(meta.inputOffsets, group)) {
        log.warn({ partition: p, store: name, state: meta.inputOffsets, group }, 'local state does not match the group offsets: rebuilding it from the changelog');
        await store.wipe();
        await this.restore(p, name, store, closed);
      }
    }
    if (closed()) throw new Error('task closed during restore');
    this.opts.metrics.observe(
      'dkg_stream_restore_seconds',
      "Time to open and restore a task's stores from their changelogs (per task start)",
      { processor: def.name },
      (performance.now() - t0) / 1000,
    );
  }

  private progress(p: RestoreProgress): void {
    this.restoreProgress.set(`${p.store}/${p.partition}`, p);
    this.opts.onProgress(p);
  }

  private async restore(p: number, name: string, store: StateStore, closed: () => boolean): Promise<void> {
    const topic = this.opts.changelog(name);
    const admin = await this.opts.port.admin();
    const marks = (await admin.offsets(topic)).find((m) => m.partition === p);
    if (!marks) throw new Error(`changelog ${topic} has no partition ${p} (create it: StreamRuntime.ensureTopics or topology apply)`);
    let from = (await store.meta()).changelogOffset;
    if (from > marks.high || from < marks.low) {
      log.warn({ partition: p, store: name, stored: from, low: marks.low, high: marks.high }, 'changelog no longer covers the local store: rebuilding');
      await store.wipe();
      from = marks.low;
    }
    const base = { processor: this.opts.processor.name, store: name, partition: p };
    // Exactly-once: the store's changelog offset is the offset after the last record of the last
    // transaction it applied, and that transaction's commit marker sits at exactly that offset.
    // Any later transaction on this single-writer partition adds at least a record and a marker,
    // so a gap of exactly one offset is our own marker: nothing to restore (this saves the reader
    // group join on every restart, clean or not).
    if (this.opts.committer.markerEndsChangelog && from > 0 && marks.high - from === 1) from = marks.high;
    const total = marks.high - from;
    let restored = 0;
    this.progress({ ...base, restored, total, done: total === 0 });
    if (total === 0) return;
    const t0 = Date.now();
    // Batches are written in order, one RocksDB write in flight while the next batch is fetched
    // and decoded (each write carries its own next changelog offset, so any prefix is consistent).
    let writes: Promise<void> = Promise.resolve();
    const h = await this.opts.port.read({
      topic,
      from: new Map([[p, from]]),
      until: new Map([[p, marks.high]]),
      onRecords: async (_p, records, next) => {
        if (closed()) throw new Error('task closed during restore');
        const prev = writes;
        writes = prev.then(async () => {
          await applyChangelogBatch(store, records, next);
          restored += records.length;
          this.opts.metrics.inc('dkg_stream_restored_records_total', 'Changelog records applied by restores', { processor: base.processor, store: name }, records.length);
          this.progress({ ...base, restored, total, done: false });
        });
        await prev;
      },
    });
    await h.done.finally(() => writes.catch(() => {}));
    await writes;
    this.progress({ ...base, restored, total, done: true });
    log.info({ ...base, from, to: marks.high, restored, ms: Date.now() - t0 }, 'restored');
  }
}

function samePosition(state: Record<string, number>, group: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(state), ...Object.keys(group)]);
  for (const k of keys) if (state[k] !== group[k]) return false;
  return true;
}
