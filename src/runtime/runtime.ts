/**
 * The exactly-once runtime of one processor on Kafka: one consumer group per processor
 * (`<applicationId>-<processor>`), one task per input partition, one transactional producer per
 * task (`<group>-<partition>`), RocksDB stores per (store, partition), changelogs, restore,
 * global tables, DLQ, metrics.
 *
 * Per unit of work (the processing contract):
 *   1. Task.absorb folds batches into the open unit, Task.seal closes it → outputs + dead letters
 *      + changelog records + new positions;
 *   2. one Kafka transaction: all those records + sendOffsets(group, positions) → commit;
 *   3. one RocksDB batch per store: changes + input offsets + changelog offset.
 * Group commit: a task seals its open unit as soon as none of its transactions is in flight;
 * while one is, later batches keep folding into the open unit (reading the in-flight unit's
 * writes), up to maxCommitRecords. Units commit and apply strictly in fold order.
 * A crash between 2 and 3 leaves RocksDB behind the changelog; task start replays exactly that
 * gap. Task start (on assignment or after an error):
 *   a. init the transactional producer: fences the previous owner and aborts its open transaction;
 *   b. per store: read the changelog from the stored changelog offset to the end (a local store
 *      that does not fit the changelog any more — truncated/recreated — is wiped and rebuilt);
 *   c. check the restored input offsets against the group's committed offsets (equal unless
 *      someone reset the group): on mismatch wipe and rebuild from the changelog;
 *   d. seek the consumer to the restored position, so records the state already reflects are
 *      never folded twice (records below the position are also skipped defensively).
 * Any transaction error (fenced, timeout, broker restart) closes the task without touching the
 * stores; it is re-created at once (fencing + gap restore), after a back-off when failures repeat.
 * A task start that fails is retried with back-off until it succeeds, whether or not records
 * arrive for its partition. A back-off cannot be bypassed: until it ends no task of the partition
 * is created, whoever asks, and the partition's inputs are paused.
 */
import { EventEmitter } from 'node:events';
import { RocksKV, type RocksOptions, storeDir } from '../state/rocksdb.ts';
import { StateStore, tpKey } from '../state/store.ts';
import type { DlqEncoder } from './dlq.ts';
import { RecordRejected, recordFault, TransientError, transientCause } from './errors.ts';
import { GlobalTable } from './global.ts';
import type { BatchControl, GroupConsumer, InBatch, KafkaPort, ProducedRange, Producer, TopicPartition, TopicPartitionOffset, TransactionalProducer } from './kafka/port.ts';
import { logger } from './log.ts';
import { Metrics } from './metrics.ts';
import type { ProcessorDef } from './processor.ts';
import { applyChangelogBatch, type RestoreProgress } from './restore.ts';
import type { PendingCommit } from './task.ts';
import { Task } from './task.ts';

const log = logger('runtime');

export interface RuntimeOptions {
  port: KafkaPort;
  processor: ProcessorDef<any>;
  applicationId: string;
  dataDir: string;
  dlqTopic: string;
  /** Changelog topic of a store (default `<applicationId>-<processor>-<store>-changelog`, as topology.ts). */
  changelogTopic?: (store: string) => string;
  dlqEncode?: DlqEncoder;
  /** Value bytes a dead letter keeps whole; longer values keep this prefix + size + SHA-256 (default 16 KiB, see dlq.ts). */
  dlqValuePrefixBytes?: number;
  rocks?: RocksOptions;
  /** Where a new group starts on partitions without committed offsets (default true: from the beginning). */
  fromBeginning?: boolean;
  /**
   * The base URL other instances reach this instance's HTTP server at (`advertisedUrl`),
   * advertised to the group for query routing.
   */
  endpoint?: string;
  /**
   * Records a unit absorbs while the previous transaction is in flight before it waits for it
   * (default 10000; batches are folded in slices of at most this many, so a unit holds fewer than
   * twice this). An idle task commits each batch at once.
   */
  maxCommitRecords?: number;
  /** Partitions processed concurrently (default 2). */
  concurrency?: number;
  /** Group session timeout (default 10 s; the broker's minimum is 6 s). */
  sessionTimeoutMs?: number;
  metrics?: Metrics;
  /**
   * A partition retrying the same record after dependency failures (registry, disk…) for longer
   * than this, or a task restarted this many times in a row ({@link restartsUntilNotReady}),
   * makes the runtime not ready (default 10 s).
   */
  stalledAfterMs?: number;
  /** Consecutive task failures without a commit in between that make the runtime not ready (default 3). */
  restartsUntilNotReady?: number;
  /** Longest back-off before retrying a record after a dependency failure (default 10 s; it doubles from 250 ms). */
  maxRetryBackoffMs?: number;
  /** Test hook: called after a transaction committed and before the stores are written. */
  afterCommitHook?: () => void;
  /**
   * `exactly_once` (default): one transaction per chunk as described above. `at_least_once`: no
   * transactions — outputs and changelog records through a plain idempotent producer, then the
   * stores (state + input offsets, as with EOS), then the group offsets; a crash may repeat
   * outputs, and a restart continues from the stores' own position.
   */
  guarantee?: 'exactly_once' | 'at_least_once';
  /**
   * At-least-once: the group offsets are committed in the background at most this often (default
   * 1000 ms) and when the task closes. They are informational there (a restart continues from the
   * stores' own position), so no unit waits for them.
   */
  commitIntervalMs?: number;
}

export type TaskState = 'restoring' | 'running';

interface TaskHandle {
  partition: number;
  state: TaskState;
  task?: Task;
  producer?: TransactionalProducer;
  /** At-least-once: the plain producer used instead of transactions. */
  plain?: Producer;
  /** At-least-once: the newest applied position not yet committed to the group, and its timer. */
  offsetsDue?: TopicPartitionOffset[];
  offsetsTimer?: NodeJS.Timeout;
  lastOffsetsCommit?: number;
  offsetsCommit?: Promise<void>;
  stores: Map<string, StateStore>;
  closed: boolean;
  /** A transaction or fold of this task failed (it is being closed and re-created). */
  failed?: boolean;
  /** Serialises folding: batches and global-table reactions of the task, one at a time. */
  lock: Promise<unknown>;
  /**
   * The task's transactions, chained in fold order: a unit's transaction starts when the previous
   * one is done, and the next unit folds while it runs (at most one in flight). Rejected once a
   * transaction failed (every later unit is dropped with it).
   */
  commits: Promise<void>;
  /** Transactions queued or running. */
  inFlight: number;
  /** When the open unit absorbed its first batch (commit latency metric). */
  unitStart?: number;
  /** The unit whose transaction failed first (what a deterministic failure is split on). */
  failedUnit?: PendingCommit;
}

/** A partition retrying one record after dependency failures (see StreamRuntime.backOff). */
interface Retrying {
  topic: string;
  offset: number;
  since: number;
  attempts: number;
  reason: string;
  timer?: NodeJS.Timeout;
}

/**
 * A partition whose transaction failed deterministically (e.g. MESSAGE_TOO_LARGE): until its
 * position passes `until`, it commits units of at most `limit` records one at a time, halving
 * the limit on every such failure, until the offending record is alone in its unit and is
 * dead-lettered (StreamRuntime.poison) instead of restarting the task on the same records forever.
 */
interface Isolation {
  until: Record<string, number>;
  limit: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Back-off before a task is created again after `n` failures in a row (n ≥ 2; the first failure,
 * a fencing or a split, restarts at once): 100 ms doubling to 5 s.
 */
export const restartBackoffMs = (n: number): number => Math.min(5000, 100 * 2 ** Math.min(n - 2, 6));

/** Back-off before the `attempt`-th retry of a task start that failed: 200 ms doubling to 5 s. */
export const startBackoffMs = (attempt: number): number => Math.min(5000, 200 * 2 ** (attempt - 1));

/** {@link StreamRuntime} refused to create a task during its partition's back-off. */
class BackingOff extends Error {
  override name = 'BackingOff';
}

/** {@link StreamRuntime.waitForFold} gave up: the record was not folded here in time. */
export class FoldTimeout extends Error {
  override name = 'FoldTimeout';
}

export class StreamRuntime extends EventEmitter {
  readonly groupId: string;
  readonly metrics: Metrics;
  private consumer: GroupConsumer | undefined;
  private readonly tasks = new Map<number, Promise<TaskHandle>>();
  private readonly handles = new Map<number, TaskHandle>();
  private assigned = new Set<number>();
  private joined = false;
  private readonly globals = new Map<string, GlobalTable>();
  private globalsReady = false;
  private stopped = false;
  private readonly restoreProgress = new Map<string, RestoreProgress>();
  private readonly changelog: (store: string) => string;
  /**
   * Per input partition: the committed position (the last committed unit's new offsets), the
   * fetched position (incl. control records) and the high watermark. Lag is measured from the
   * committed position: records fetched but not committed (in flight, or retried) are still lag.
   */
  private readonly lastSeen = new Map<string, { committed: number; fetched: number; high: number }>();
  private readonly retrying = new Map<string, Retrying>();
  private readonly isolating = new Map<number, Isolation>();
  /** `topic/partition@offset` → why that record's effects can never be produced (dead-lettered as such). */
  private readonly poison = new Map<string, Error>();
  /** Consecutive task failures per partition without a commit in between, and when the last one was. */
  private readonly failures = new Map<number, { count: number; lastAt: number }>();
  /** The consumer lost the group or its broker connection and is rejoining (cleared by the next assignment). */
  private consumerTrouble: string | undefined;
  private highsFetchedAt = 0;
  /**
   * First offset delivered per input partition: where a re-created task seeks back to when it has
   * no position yet (its first transaction failed after the consumer had already moved on:
   * batches are resolved once folded, before their transaction commits).
   */
  private readonly firstDelivered = new Map<string, number>();
  /** Partitions whose task start failed: attempts so far and the last error. */
  private readonly startRetries = new Map<number, { attempt: number; error: string }>();
  /**
   * Partitions whose task may not be created before `at` (a back-off after repeated task failures
   * or a failed start): ensureTask refuses until then, whoever asks (a batch, an assignment), and
   * the partition's inputs are paused meanwhile; the timer resumes them and creates the task.
   */
  private readonly notBefore = new Map<number, { at: number; timer: NodeJS.Timeout }>();

  constructor(private readonly opts: RuntimeOptions) {
    super();
    // Every waitForFold caller listens while it waits (one participant per node, several nodes per process in tests).
    this.setMaxListeners(0);
    this.groupId = `${opts.applicationId}-${opts.processor.name}`;
    this.changelog = opts.changelogTopic ?? ((s) => `${opts.applicationId}-${opts.processor.name}-${s}-changelog`);
    this.metrics = opts.metrics ?? new Metrics();
    this.metrics.gauge('dkg_stream_consumer_lag', 'Records between the committed position and the high watermark (per input partition)', async () => {
      await this.refreshHighWatermarks();
      return [...this.lastSeen].map(([k, v]) => {
        const i = k.lastIndexOf('/');
        const topic = k.slice(0, i);
        const partition = Number(k.slice(i + 1));
        // Idle (nothing folded, in flight or retried): whatever was fetched beyond the committed
        // position is control records (transaction markers), not work.
        const from = this.idle(topic, partition) ? Math.max(v.committed, v.fetched) : v.committed;
        return { labels: { processor: opts.processor.name, topic, partition }, value: Math.max(0, v.high - from) };
      });
    });
    this.metrics.gauge('dkg_stream_partition_stalled_seconds', 'How long a partition has been retrying the same record after dependency failures (0 = not retrying)', () =>
      [...this.retrying].map(([k, r]) => ({ labels: { processor: opts.processor.name, topic: r.topic, partition: k.slice(k.lastIndexOf('/') + 1) }, value: (Date.now() - r.since) / 1000 })),
    );
    this.metrics.gauge('dkg_stream_rocksdb_size_bytes', 'Approximate RocksDB size (SST + memtables) per store instance', async () => {
      const out: Array<{ labels: Record<string, string | number>; value: number }> = [];
      for (const h of this.handles.values())
        for (const [n, s] of h.stores) out.push({ labels: { processor: opts.processor.name, store: n, partition: h.partition }, value: await s.kv.approximateSize().catch(() => 0) });
      return out;
    });
    this.metrics.gauge('dkg_stream_restore_progress_ratio', 'Restore progress per store instance (1 = done)', () =>
      [...this.restoreProgress.values()].map((p) => ({
        labels: { processor: p.processor, store: p.store, partition: p.partition },
        value: p.done ? 1 : p.total === 0 ? 1 : Math.min(1, p.restored / p.total),
      })),
    );
  }

  get processorName(): string {
    return this.opts.processor.name;
  }

  changelogTopic(store: string): string {
    return this.changelog(store);
  }

  /** Creates the changelog topics (compacted, one partition per task) and the DLQ if missing. */
  async ensureTopics(): Promise<void> {
    const admin = await this.opts.port.admin();
    const partitions = await admin.partitionCount(this.opts.processor.inputs[0]!);
    await admin.createTopics([
      ...(this.opts.processor.stores ?? []).map((s) => ({
        topic: this.changelog(s),
        partitions,
        configs: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': '600000' },
      })),
      { topic: this.opts.dlqTopic, partitions: 1 },
    ]);
  }

  async start(): Promise<void> {
    const def = this.opts.processor;
    for (const g of def.globals ?? []) {
      const table = new GlobalTable(this.opts.port, g, this.opts.dataDir, this.opts.rocks);
      this.globals.set(g, table);
      if (def.onGlobalUpdate) table.onUpdate((records) => this.globalUpdate(g, records));
      await table.start((restored, total) => this.progress({ processor: def.name, store: `global:${g}`, partition: -1, restored, total, done: restored >= total }));
    }
    this.globalsReady = true;
    const consumer = this.opts.port.groupConsumer({
      groupId: this.groupId,
      topics: def.inputs,
      fromBeginning: this.opts.fromBeginning ?? true,
      clientId: `${this.groupId}`,
      userData: Buffer.from(JSON.stringify({ endpoint: this.opts.endpoint ?? null }), 'utf8'),
      concurrency: this.opts.concurrency ?? 2,
      ...(this.opts.sessionTimeoutMs ? { sessionTimeoutMs: this.opts.sessionTimeoutMs } : {}),
    });
    this.consumer = consumer;
    consumer.onAssignment((tps) => void this.onAssignment(tps));
    consumer.onCrash((err) => {
      log.error({ err: err.message }, 'consumer gave up');
      this.emit('error', err);
    });
    consumer.onPosition((tp, next) => {
      const k = tpKey(tp.topic, tp.partition);
      const cur = this.lastSeen.get(k);
      if (cur) cur.fetched = Math.max(cur.fetched, next);
    });
    consumer.onRestart?.((err) => {
      this.consumerTrouble = err.message;
      this.metrics.inc('dkg_stream_retries_total', 'Retries after transient failures, by reason (each retry once; records are counted only when committed)', {
        processor: def.name,
        reason: 'consumer',
      });
    });
    await consumer.start((batch, ctl) => this.handle(batch, ctl));
  }

  /**
   * Ready = globals bootstrapped, joined, every assigned partition's task restored and running,
   * and nothing stuck: no partition retrying the same record for longer than stalledAfterMs, no
   * task restarted restartsUntilNotReady times in a row, the consumer not rejoining after a crash.
   */
  ready(): boolean {
    return this.notReady().length === 0;
  }

  /** Why the runtime is not ready (empty when it is). */
  notReady(): string[] {
    const why: string[] = [];
    if (this.stopped) why.push('stopped');
    if (!this.globalsReady) why.push('global tables bootstrapping');
    if (!this.joined) why.push('not joined to the group yet');
    if (this.consumerTrouble !== undefined) why.push(`consumer rejoining after: ${this.consumerTrouble.slice(0, 200)}`);
    for (const p of this.assigned) if (this.handles.get(p)?.state !== 'running') why.push(`partition ${p}: task not running`);
    const bound = this.opts.stalledAfterMs ?? 10_000;
    for (const [k, r] of this.retrying) {
      const ms = Date.now() - r.since;
      if (ms >= bound) why.push(`${k}: stalled at offset ${r.offset} for ${Math.round(ms / 1000)} s (${r.reason})`);
    }
    // A loop fails again well within the bound (its back-off is capped at 5 s); a task that has
    // run that long since its last failure is not looping any more, even if it had nothing to commit.
    const loops = this.opts.restartsUntilNotReady ?? 3;
    for (const [p, f] of this.failures) if (f.count >= loops && Date.now() - f.lastAt < bound) why.push(`partition ${p}: task restarted ${f.count} times in a row`);
    return why;
  }

  status(): {
    processor: string;
    ready: boolean;
    notReady: string[];
    assigned: number[];
    tasks: Record<number, TaskState>;
    restore: RestoreProgress[];
    /** Partitions whose task failed to start and is being retried: attempts so far and the last error. */
    startFailures: Record<number, { attempts: number; error: string }>;
  } {
    const notReady = this.notReady();
    return {
      processor: this.opts.processor.name,
      ready: notReady.length === 0,
      notReady,
      assigned: [...this.assigned].sort((a, b) => a - b),
      tasks: Object.fromEntries([...this.handles].map(([p, h]) => [p, h.state])),
      restore: [...this.restoreProgress.values()],
      startFailures: Object.fromEntries([...this.startRetries].map(([p, r]) => [p, { attempts: r.attempt, error: r.error }])),
    };
  }

  /** The local store instance of a running task (queries). */
  /**
   * Resolves once this instance has folded `topic`/`partition` past `offset` and applied it to its
   * stores, so that its local queries see that record; rejects with a {@link FoldTimeout} after
   * `timeoutMs`. For a writer that reads its own write back through this instance (the DKG
   * participant's "append then sync"). Event-driven: the position is read once from the stores,
   * then each applied unit (`commit`) and each task start is checked; nothing polls.
   */
  async waitForFold(topic: string, partition: number, offset: number, timeoutMs: number): Promise<void> {
    const k = tpKey(topic, partition);
    const applied = async (): Promise<boolean> => {
      const h = this.handles.get(partition);
      if (h?.state !== 'running') return false;
      const first = h.stores.values().next();
      const pos = first.done ? undefined : (await first.value.meta()).inputOffsets?.[k];
      return pos !== undefined && pos > offset;
    };
    if (await applied()) return;
    if (this.stopped) throw new FoldTimeout(`${this.opts.processor.name} is stopped: ${topic}/${partition}@${offset} will not be folded here`);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.off('commit', onCommit);
        this.off('task', onTask);
        this.off('stopped', onStopped);
        f();
      };
      const onCommit = (c: { partition: number; offsets: TopicPartitionOffset[] }) => {
        if (c.partition === partition && c.offsets.some((o) => o.topic === topic && o.partition === partition && o.offset > offset)) finish(resolve);
      };
      const check = () =>
        void applied().then(
          (ok) => ok && finish(resolve),
          () => {},
        );
      const onTask = (t: { partition: number; state: string }) => t.partition === partition && t.state === 'running' && check();
      const onStopped = () => finish(() => reject(new FoldTimeout(`${this.opts.processor.name} stopped before it folded ${topic}/${partition}@${offset}`)));
      // setTimeout fires at once for delays beyond 2^31 − 1 ms: cap the wait there (about 24 days).
      const timer = setTimeout(
        () => finish(() => reject(new FoldTimeout(`${this.opts.processor.name} did not fold ${topic}/${partition}@${offset} within ${timeoutMs} ms`))),
        Math.min(Math.max(0, timeoutMs), 2 ** 31 - 1),
      );
      this.on('commit', onCommit);
      this.on('task', onTask);
      this.on('stopped', onStopped);
      check(); // a unit applied between the first look and the subscription
    });
  }

  localStore(store: string, partition: number): StateStore | undefined {
    const h = this.handles.get(partition);
    return h?.state === 'running' ? h.stores.get(store) : undefined;
  }

  global(topic: string): GlobalTable | undefined {
    return this.globals.get(topic);
  }

  assignedPartitions(): number[] {
    return [...this.assigned];
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const b of this.notBefore.values()) clearTimeout(b.timer);
    this.notBefore.clear();
    this.startRetries.clear();
    // Drain first (no new batch is taken once stopped): in-flight transactions finish and
    // at-least-once offsets are committed while the consumer is still connected.
    for (const h of this.handles.values()) await this.drain(h);
    await this.consumer?.stop().catch((e) => log.warn({ err: (e as Error).message }, 'consumer stop'));
    for (const p of [...this.tasks.keys()]) await this.closeTask(p);
    for (const g of this.globals.values()) await g.close();
    for (const r of this.retrying.values()) clearTimeout(r.timer);
    this.emit('stopped');
  }

  private progress(p: RestoreProgress): void {
    this.restoreProgress.set(`${p.store}/${p.partition}`, p);
    this.emit('restore', p);
  }

  private onAssignment(tps: TopicPartition[]): void {
    const next = new Set(tps.map((t) => t.partition));
    this.joined = true;
    this.consumerTrouble = undefined;
    const revoked = [...this.tasks.keys()].filter((p) => !next.has(p));
    this.assigned = next;
    log.info({ processor: this.opts.processor.name, assigned: [...next], revoked }, 'assignment');
    this.emit('assignment', [...next]);
    for (const p of revoked) void this.closeTask(p);
    // Back-offs and splits of partitions that moved away are the new owner's business now: a stale
    // entry would keep this instance "stalled" (not ready) for good.
    // The partition is resumed too: a pause would outlive the revocation and stall it if it came back.
    for (const [k, r] of this.retrying) {
      const p = Number(k.slice(k.lastIndexOf('/') + 1));
      if (next.has(p)) continue;
      clearTimeout(r.timer);
      this.retrying.delete(k);
      this.consumer?.resume([{ topic: r.topic, partition: p }]);
    }
    for (const p of this.isolating.keys()) if (!next.has(p)) this.isolating.delete(p);
    for (const [p, b] of this.notBefore) {
      if (next.has(p)) continue;
      clearTimeout(b.timer);
      this.notBefore.delete(p);
      this.startRetries.delete(p);
      this.resumeInputs(p);
    }
    // Start restoring right away instead of waiting for the first batch of each partition (a
    // start that fails is retried by ensureTask, so an idle partition becomes ready too).
    for (const p of next) void this.ensureTask(p).catch(() => {});
  }

  /**
   * The partition's task, created if there is none. A creation that fails (broker down, "not the
   * leader" right after topic creation or a leader move) is retried with back-off (0.2 s doubling
   * to 5 s) until the task exists, the partition is revoked or the runtime stops — whether or not
   * records arrive for the partition: an idle partition must become ready too. During a back-off
   * ({@link holdOff}) it refuses with a {@link BackingOff}: no caller can bypass it.
   */
  private ensureTask(p: number): Promise<TaskHandle> {
    let t = this.tasks.get(p);
    if (!t) {
      const b = this.notBefore.get(p);
      if (b) return Promise.reject(new BackingOff(`partition ${p}: task start held off for ${Math.max(0, b.at - Date.now())} ms`));
      t = this.createTask(p);
      this.tasks.set(p, t);
      t.then(
        () => this.startRetries.delete(p),
        (err) => {
          if (this.tasks.get(p) === t) this.tasks.delete(p);
          const retry = this.retryTaskStart(p, err as Error);
          log.warn({ processor: this.opts.processor.name, partition: p, err: (err as Error).message, attempt: retry?.attempt, retryInMs: retry?.delayMs }, 'task start failed');
        },
      );
    }
    return t;
  }

  /** Schedules the next creation attempt of a task whose start failed. */
  private retryTaskStart(p: number, err: Error): { attempt: number; delayMs: number } | undefined {
    if (this.stopped || !this.assigned.has(p)) {
      this.startRetries.delete(p);
      return undefined;
    }
    const r = this.startRetries.get(p) ?? { attempt: 0, error: err.message };
    this.startRetries.set(p, r);
    r.error = err.message;
    r.attempt++;
    const delayMs = startBackoffMs(r.attempt);
    this.holdOff(p, delayMs);
    return { attempt: r.attempt, delayMs };
  }

  /**
   * No task for partition `p` before `ms` from now: its inputs are paused (their records wait in
   * the broker instead of being fetched, refused and fetched again), then resumed and the task
   * created when the time is up.
   */
  private holdOff(p: number, ms: number): void {
    clearTimeout(this.notBefore.get(p)?.timer);
    for (const topic of this.opts.processor.inputs) this.consumer?.pause([{ topic, partition: p }]);
    const timer = setTimeout(() => {
      this.notBefore.delete(p);
      if (this.stopped || !this.assigned.has(p)) return;
      this.resumeInputs(p);
      void this.ensureTask(p).catch(() => {});
    }, ms);
    this.notBefore.set(p, { at: Date.now() + ms, timer });
  }

  /** Resumes the inputs of partition `p`, except one still waiting out a record's back-off (backOff resumes that one). */
  private resumeInputs(p: number): void {
    for (const topic of this.opts.processor.inputs) if (!this.retrying.get(tpKey(topic, p))?.timer) this.consumer?.resume([{ topic, partition: p }]);
  }

  private async createTask(p: number): Promise<TaskHandle> {
    const def = this.opts.processor;
    const handle: TaskHandle = { partition: p, state: 'restoring', stores: new Map(), closed: false, lock: Promise.resolve(), commits: Promise.resolve(), inFlight: 0 };
    this.handles.set(p, handle);
    try {
      if (this.alos) handle.plain = await this.opts.port.producer();
      else handle.producer = await this.opts.port.transactionalProducer(`${this.groupId}-${p}`);
      const admin = await this.opts.port.admin();
      const group: Record<string, number> = {};
      for (const topic of def.inputs) {
        const o = (await admin.groupOffsets(this.groupId, topic)).find((x) => x.partition === p);
        if (o && o.offset >= 0) group[tpKey(topic, p)] = o.offset;
      }
      for (const name of def.stores ?? []) {
        const store = new StateStore(name, await RocksKV.open(storeDir(this.opts.dataDir, def.name, name, p), this.opts.rocks));
        handle.stores.set(name, store);
        await this.restore(handle, name, store);
        const meta = await store.meta();
        // At-least-once commits the group offsets after the stores: the stores may be ahead, and
        // their position is the one to continue from.
        if (!this.alos && meta.inputOffsets && !samePosition(meta.inputOffsets, group)) {
          log.warn({ partition: p, store: name, state: meta.inputOffsets, group }, 'local state does not match the group offsets: rebuilding it from the changelog');
          await store.wipe();
          await this.restore(handle, name, store);
        }
      }
      if (handle.closed) throw new Error('task closed during restore');
      handle.task = await Task.open(
        {
          def,
          partition: p,
          stores: handle.stores,
          globals: new Map([...this.globals]),
          changelogTopic: this.changelog,
          dlqTopic: this.opts.dlqTopic,
          dlqEncode: this.opts.dlqEncode,
          ...(this.opts.dlqValuePrefixBytes ? { dlqValuePrefixBytes: this.opts.dlqValuePrefixBytes } : {}),
          poisoned: (r) => (this.poison.size === 0 ? undefined : this.poison.get(`${tpKey(r.topic, r.partition)}@${r.offset}`)),
        },
        group,
      );
      for (const topic of def.inputs) {
        const pos = handle.task.positionOf(topic, p) ?? this.firstDelivered.get(tpKey(topic, p));
        if (pos !== undefined) this.consumer?.seek({ topic, partition: p, offset: pos });
        const committed = handle.task.positionOf(topic, p) ?? 0;
        this.lastSeen.set(tpKey(topic, p), { committed, fetched: committed, high: this.lastSeen.get(tpKey(topic, p))?.high ?? 0 });
      }
      handle.state = 'running';
      // React once to every global table: anything parked before a crash gets its chance again.
      for (const g of def.globals ?? []) if (def.onGlobalUpdate) this.enqueueGlobalUpdate(handle, g, []);
      log.info({ processor: def.name, partition: p, position: handle.task.positions() }, 'task running');
      this.emit('task', { partition: p, state: 'running' });
      return handle;
    } catch (err) {
      await this.disposeHandle(handle);
      throw err;
    }
  }

  private async restore(handle: TaskHandle, name: string, store: StateStore): Promise<void> {
    const p = handle.partition;
    const topic = this.changelog(name);
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
    if (!this.alos && from > 0 && marks.high - from === 1) from = marks.high;
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
        if (handle.closed) throw new Error('task closed during restore');
        const prev = writes;
        writes = prev.then(async () => {
          await applyChangelogBatch(store, records, next);
          restored += records.length;
          this.metrics.inc('dkg_stream_restored_records_total', 'Changelog records applied by restores', { processor: base.processor, store: name }, records.length);
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

  private async handle(batch: InBatch, ctl: BatchControl): Promise<void> {
    const p = batch.partition;
    const k = tpKey(batch.topic, p);
    const seen = this.lastSeen.get(k) ?? { committed: 0, fetched: 0, high: 0 };
    seen.high = batch.highWatermark;
    this.lastSeen.set(k, seen);
    if (this.stopped || !this.assigned.has(p)) return;
    if (!this.firstDelivered.has(k) && batch.records.length > 0) this.firstDelivered.set(k, batch.records[0]!.offset);
    // Held off (a task back-off): the partition is paused; this batch, fetched before the pause,
    // is left unresolved and fetched again once the task exists (its start seeks the consumer).
    if (this.notBefore.has(p)) return;
    let handle: TaskHandle;
    try {
      handle = await this.withHeartbeat(this.ensureTask(p), ctl);
    } catch {
      // Not resolved: fetched again once a task exists (ensureTask retries the start with
      // back-off in the background, so the partition heals even if no further batch arrives).
      return;
    }
    if (ctl.isStale() || handle.closed) return;
    const run = handle.lock.then(async () => {
      if (handle.closed || ctl.isStale()) return;
      const task = handle.task!;
      const pos = task.positionOf(batch.topic, p);
      if (pos !== undefined && batch.lastOffset < pos) return ctl.resolve(batch.lastOffset);
      const iso = this.isolating.get(p);
      const max = iso ? iso.limit : (this.opts.maxCommitRecords ?? 10_000);
      for (let i = 0; i < batch.records.length; i += max) {
        handle.unitStart ??= performance.now();
        // A record may wait on a dependency (registry lookups are bounded by 5 s): keep the
        // group membership alive meanwhile.
        await heartbeating(task.absorb(batch.records.slice(i, i + max)), ctl);
        if (iso) {
          // Isolating a record the broker rejects: each unit commits alone, so a failure names
          // exactly its records (see Isolation).
          if (handle.inFlight > 0) await handle.commits;
          this.sealAndSubmit(handle);
          await handle.commits;
          if (passed(task.positions(), iso.until)) {
            this.isolating.delete(p);
            log.info({ processor: this.opts.processor.name, partition: p }, 'isolation done: back to group commit');
          }
        } else {
          // Group commit: a unit is sealed as soon as no transaction is in flight; while one is,
          // it keeps absorbing batches, up to `max` records, then waits for it.
          if (handle.inFlight > 0 && task.openRecords >= max) await handle.commits;
          if (handle.inFlight === 0) this.sealAndSubmit(handle);
        }
        if (!ctl.isRunning()) break;
      }
      this.retried(k);
      // The unit may still be open or committing: the consumer fetches ahead meanwhile. If its
      // transaction fails, the task is re-created and the consumer sought back to its position.
      ctl.resolve(batch.lastOffset);
      seen.fetched = Math.max(seen.fetched, batch.lastOffset + 1);
    });
    handle.lock = run.catch(() => {});
    try {
      await run;
    } catch (err) {
      if (err instanceof TransientError && !handle.closed) this.backOff(handle, batch.topic, err);
      else {
        await this.taskFailed(handle, err);
        await sleep(200);
      }
    }
  }

  /**
   * A dependency failed while folding a record of `topic` (Task.absorb threw a TransientError:
   * the record is rolled back, the open unit holds the records before it). Those commit; the
   * partition is sought back to the record and paused, and resumed after a back-off that doubles
   * per attempt on the same record (250 ms … maxRetryBackoffMs). The record is never skipped or
   * dead-lettered for it; /readyz turns not ready once this lasts longer than stalledAfterMs.
   */
  private backOff(handle: TaskHandle, topic: string, err: TransientError): void {
    const p = handle.partition;
    const k = tpKey(topic, p);
    const offset = handle.task?.positionOf(topic, p) ?? this.firstDelivered.get(k);
    handle.lock = handle.lock.then(() => {
      if (handle.inFlight === 0 && !handle.closed) this.sealAndSubmit(handle);
    });
    const prev = this.retrying.get(k);
    const r: Retrying = prev && prev.offset === offset ? prev : { topic, offset: offset ?? -1, since: Date.now(), attempts: 0, reason: err.dependency };
    clearTimeout(r.timer);
    r.attempts++;
    r.reason = err.dependency;
    this.retrying.set(k, r);
    const delay = Math.min(this.opts.maxRetryBackoffMs ?? 10_000, 250 * 2 ** Math.min(r.attempts - 1, 10));
    this.metrics.inc('dkg_stream_retries_total', 'Retries after transient failures, by reason (each retry once; records are counted only when committed)', {
      processor: this.opts.processor.name,
      reason: err.dependency,
    });
    log.warn(
      { processor: this.opts.processor.name, topic, partition: p, offset, attempt: r.attempts, retryInMs: delay, dependency: err.dependency, err: err.message },
      'dependency failed: pausing the partition and retrying the record',
    );
    const tp = { topic, partition: p };
    this.consumer?.pause([tp]);
    if (offset !== undefined) {
      this.consumer?.seek({ topic, partition: p, offset });
      const seen = this.lastSeen.get(k);
      if (seen) seen.fetched = Math.min(seen.fetched, offset);
    }
    r.timer = setTimeout(() => {
      r.timer = undefined;
      if (!this.notBefore.has(p)) this.consumer?.resume([tp]); // else the task's back-off resumes it
    }, delay);
  }

  /** The partition folded past the record it was retrying. */
  private retried(k: string): void {
    const r = this.retrying.get(k);
    if (!r) return;
    clearTimeout(r.timer);
    this.retrying.delete(k);
    log.info({ processor: this.opts.processor.name, partition: k, offset: r.offset, attempts: r.attempts, stalledMs: Date.now() - r.since }, 'dependency back: partition resumed');
  }

  /** Nothing folded, in flight or retried on this input partition (its fetched position is all there is). */
  private idle(topic: string, partition: number): boolean {
    const h = this.handles.get(partition);
    if (h?.state !== 'running' || !h.task) return false;
    return h.inFlight === 0 && h.task.openRecords === 0 && !this.retrying.has(tpKey(topic, partition));
  }

  /** Refreshes the high watermarks of the inputs for the lag gauge (at most once a second, bounded in time). */
  private async refreshHighWatermarks(): Promise<void> {
    if (Date.now() - this.highsFetchedAt < 1000) return;
    this.highsFetchedAt = Date.now();
    const admin = await this.opts.port.admin();
    for (const topic of this.opts.processor.inputs) {
      let timer: NodeJS.Timeout | undefined;
      const marks = await Promise.race([admin.offsets(topic), new Promise<null>((r) => (timer = setTimeout(() => r(null), 2000)))])
        .catch(() => null)
        .finally(() => clearTimeout(timer));
      for (const m of marks ?? []) {
        const seen = this.lastSeen.get(tpKey(topic, m.partition));
        if (seen) seen.high = Math.max(seen.high, m.high);
      }
    }
  }

  /** Seals the task's open unit (if it folded anything) and queues its transaction. */
  private sealAndSubmit(handle: TaskHandle): void {
    const pc = handle.task?.seal();
    const t0 = handle.unitStart ?? performance.now();
    handle.unitStart = undefined;
    if (pc && pc.stats.processed > 0) this.submit(handle, pc, t0);
  }

  /**
   * Queues a unit's transaction behind the ones before it (fold order). When the task's last
   * transaction is done, whatever was absorbed meanwhile is sealed and submitted.
   */
  private submit(handle: TaskHandle, pc: PendingCommit, t0: number): void {
    handle.inFlight++;
    const mine = handle.commits.then(async () => {
      try {
        await this.commitUnit(handle, pc);
      } catch (err) {
        handle.failedUnit ??= pc;
        throw err;
      }
      this.failures.delete(handle.partition);
      for (const o of pc.offsets) {
        const seen = this.lastSeen.get(tpKey(o.topic, o.partition));
        if (seen) seen.committed = o.offset;
      }
      if (pc.stats.processed > 0)
        this.metrics.observe(
          'dkg_stream_commit_seconds',
          'Latency of one unit of work (fold + produce + commit + store write)',
          { processor: this.opts.processor.name },
          (performance.now() - t0) / 1000,
        );
      this.emit('commit', { partition: handle.partition, stats: pc.stats, offsets: pc.offsets });
    });
    handle.commits = mine;
    mine.then(
      () => {
        handle.inFlight--;
        if (handle.inFlight > 0 || handle.closed) return;
        handle.lock = handle.lock
          .then(() => {
            if (handle.inFlight === 0 && !handle.closed) this.sealAndSubmit(handle);
          })
          .catch((err: unknown) => void this.taskFailed(handle, err));
      },
      // Nobody may be waiting for this transaction: its failure restarts the task here.
      (err: unknown) => void this.taskFailed(handle, err),
    );
  }

  /**
   * A transaction failed (or folding threw): its effects and every unit folded after it are gone
   * with the task. The task is re-created at once (fencing + gap restore) and the consumer sought
   * back to the restored position, even if no further batch arrives.
   */
  private async taskFailed(handle: TaskHandle, err: unknown): Promise<void> {
    const p = handle.partition;
    if (handle.failed) return;
    handle.failed = true;
    const fault = handle.failedUnit ? recordFault(err) : null;
    // A split on a record fault is progress, not a restart loop.
    const n = fault ? 0 : (this.failures.get(p)?.count ?? 0) + 1;
    if (!fault) this.failures.set(p, { count: n, lastAt: Date.now() });
    log.warn({ processor: this.opts.processor.name, partition: p, err: (err as Error).message, errName: (err as Error).name, fault, inARow: n }, 'transaction failed: restarting the task');
    this.metrics.inc('dkg_stream_task_failures_total', 'Tasks closed after a failed transaction', { processor: this.opts.processor.name });
    this.metrics.inc('dkg_stream_retries_total', 'Retries after transient failures, by reason (each retry once; records are counted only when committed)', {
      processor: this.opts.processor.name,
      reason: fault ? 'isolate' : (transientCause(err)?.dependency ?? 'transaction'),
    });
    if (fault && handle.failedUnit) this.isolate(p, handle.failedUnit, fault, err);
    if (this.handles.get(p) !== handle) return; // already replaced
    // Back off when failures repeat (an outage), not on the first one (a fencing, a split); held
    // before the task closes, so that no batch arriving meanwhile re-creates it early.
    if (n > 1 && !fault && this.assigned.has(p) && !this.stopped) this.holdOff(p, restartBackoffMs(n));
    await this.closeTask(p);
    // Created again (it seeks the consumer back to the task's position: a batch already resolved
    // is fetched again only after that seek); a failed start is retried by ensureTask.
    if (this.assigned.has(p) && !this.stopped && !this.notBefore.has(p)) void this.ensureTask(p).catch(() => {});
  }

  /**
   * The broker rejected a unit's records for what they are (`fault`, e.g. MESSAGE_TOO_LARGE):
   * retrying the same unit can never succeed. A unit of one input record names that record as
   * poison (dead-lettered with the broker's reason when folded again); a larger one puts the
   * partition in isolation with half the unit size (see Isolation).
   */
  private isolate(p: number, pc: PendingCommit, fault: string, err: unknown): void {
    const name = this.opts.processor.name;
    if (pc.stats.processed <= 1) {
      for (const [k, next] of Object.entries(pc.inputOffsets)) {
        if (next === pc.fromOffsets[k]) continue;
        const why = new RecordRejected(`the broker rejects this record's effects (${fault}): ${(err as Error).message.slice(0, 300)}`);
        this.poison.set(`${k}@${next - 1}`, why);
        log.warn({ processor: name, partition: p, record: `${k}@${next - 1}`, fault }, 'isolated a record the broker rejects: it goes to the DLQ');
      }
      return;
    }
    const prev = this.isolating.get(p);
    const until = { ...(prev?.until ?? {}) };
    for (const [k, v] of Object.entries(pc.inputOffsets)) until[k] = Math.max(until[k] ?? 0, v);
    const limit = Math.max(1, Math.min(prev?.limit ?? Infinity, Math.ceil(pc.stats.processed / 2)));
    this.isolating.set(p, { until, limit });
    log.warn({ processor: name, partition: p, fault, records: pc.stats.processed, limit }, 'a transaction failed on its records: splitting it');
  }

  /**
   * Counts a unit once it is durable (it will never be folded again, whatever happens next): its
   * records, outputs and dead letters, and the processor's own counts (ProcessorContext.count).
   */
  private counted(pc: PendingCommit): void {
    const name = this.opts.processor.name;
    const m = this.metrics;
    if (pc.stats.processed > 0) {
      m.inc('dkg_stream_consumed_records_total', 'Input records folded', { processor: name }, pc.stats.processed);
      m.inc('dkg_stream_produced_records_total', 'Output records committed (excluding changelogs and DLQ)', { processor: name }, pc.stats.outputs);
      m.inc('dkg_stream_commits_total', 'Committed transactions', { processor: name });
    }
    if (pc.stats.dlq > 0) m.inc('dkg_stream_dlq_records_total', 'Records routed to the dead-letter topic', { processor: name }, pc.stats.dlq);
    m.addCounts(pc.counts);
  }

  /**
   * Makes one unit of work durable. Exactly-once: records + offsets in one transaction, then the
   * stores. At-least-once: records, then the stores, then the group offsets. The unit is counted
   * once it can no longer be folded again: when the transaction committed (exactly-once), when
   * its records, changelog included, are produced (at-least-once: a restart restores the unit
   * from the changelog rather than folding it again).
   */
  private async commitUnit(handle: TaskHandle, pc: PendingCommit): Promise<void> {
    const task = handle.task!;
    if (this.alos) {
      const produced: ProducedRange[] = pc.records.length > 0 ? await handle.plain!.send(pc.records) : [];
      this.counted(pc);
      this.opts.afterCommitHook?.();
      await task.apply(pc, produced);
      if (pc.offsets.length > 0) this.scheduleOffsets(handle, pc.offsets);
      return;
    }
    const txn = await handle.producer!.begin();
    let produced;
    try {
      produced = await txn.send(pc.records);
      if (pc.offsets.length > 0) await txn.sendOffsets(this.groupId, pc.offsets);
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => {});
      throw err;
    }
    this.counted(pc);
    this.opts.afterCommitHook?.();
    await task.apply(pc, produced);
  }

  /** At-least-once: commits the newest applied position within commitIntervalMs (trailing). */
  private scheduleOffsets(handle: TaskHandle, offsets: TopicPartitionOffset[]): void {
    handle.offsetsDue = offsets;
    if (handle.offsetsTimer) return;
    const interval = this.opts.commitIntervalMs ?? 1000;
    const wait = Math.max(0, (handle.lastOffsetsCommit ?? 0) + interval - Date.now());
    handle.offsetsTimer = setTimeout(() => {
      handle.offsetsTimer = undefined;
      void this.flushOffsets(handle);
    }, wait);
  }

  private async flushOffsets(handle: TaskHandle): Promise<void> {
    await handle.offsetsCommit;
    const due = handle.offsetsDue;
    if (!due || !this.consumer) return;
    handle.offsetsDue = undefined;
    handle.lastOffsetsCommit = Date.now();
    handle.offsetsCommit = this.consumer.commitOffsets(due).catch((err: Error) => {
      // Informational under at-least-once: the next commit carries a newer position anyway.
      log.warn({ processor: this.opts.processor.name, partition: handle.partition, err: err.message }, 'committing group offsets failed');
    });
    await handle.offsetsCommit;
  }

  private get alos(): boolean {
    return this.opts.guarantee === 'at_least_once';
  }

  /** A global table applied records: every running task reacts (ProcessorDef.onGlobalUpdate). */
  private globalUpdate(topic: string, records: InBatch['records']): void {
    for (const h of this.handles.values()) if (h.state === 'running') this.enqueueGlobalUpdate(h, topic, records);
  }

  /** One transaction per reaction, folded in turn with the task's batches (same lock and commit chain). */
  private enqueueGlobalUpdate(handle: TaskHandle, topic: string, records: InBatch['records']): void {
    const run = handle.lock.then(async () => {
      if (handle.closed || !handle.task) return;
      this.sealAndSubmit(handle); // units commit in fold order: the open one first
      const pc = await handle.task.globalUpdate(topic, records);
      if (pc) this.submit(handle, pc, performance.now());
    });
    // Effects are discarded on failure; the task restarts (fencing + gap restore) and reacts again at start.
    handle.lock = run.catch((err: unknown) => {
      void this.taskFailed(handle, err); // not awaited: closing the task waits for this lock
    });
  }

  private async withHeartbeat<T>(p: Promise<T>, ctl: BatchControl): Promise<T> {
    let done = false;
    const beat = (async () => {
      while (!done) {
        await sleep(1000);
        if (!done) await ctl.heartbeat().catch(() => {});
      }
    })();
    try {
      return await p;
    } finally {
      done = true;
      void beat;
    }
  }

  private async closeTask(p: number): Promise<void> {
    const t = this.tasks.get(p);
    this.tasks.delete(p);
    const h = this.handles.get(p);
    if (h) h.closed = true;
    if (t) await t.then((handle) => this.disposeHandle(handle)).catch(() => {});
    else if (h) await this.disposeHandle(h);
  }

  /** Waits for the task's folding and transactions, then commits any at-least-once offsets due. */
  private async drain(h: TaskHandle): Promise<void> {
    await h.lock.catch(() => {});
    // Whatever was absorbed and not sealed yet is committed now (a clean stop leaves nothing open).
    if (!h.closed && !h.failed && h.task) this.sealAndSubmit(h);
    for (let c = h.commits; ; c = h.commits) {
      await c.catch(() => {});
      await h.lock.catch(() => {});
      if (c === h.commits) break;
    }
    if (h.offsetsTimer) {
      clearTimeout(h.offsetsTimer);
      h.offsetsTimer = undefined;
    }
    await this.flushOffsets(h);
  }

  private async disposeHandle(h: TaskHandle): Promise<void> {
    h.closed = true;
    await this.drain(h);
    if (this.handles.get(h.partition) === h) this.handles.delete(h.partition);
    await h.producer?.close().catch(() => {});
    h.producer = undefined;
    await h.plain?.close().catch(() => {});
    h.plain = undefined;
    for (const s of h.stores.values()) await s.close().catch(() => {});
    h.stores.clear();
    this.emit('task', { partition: h.partition, state: 'closed' });
  }
}

/** Heartbeats every second while `p` runs (a fold that waits longer than the session timeout would lose the partition). */
async function heartbeating<T>(p: Promise<T>, ctl: BatchControl): Promise<T> {
  const timer = setInterval(() => void ctl.heartbeat().catch(() => {}), 1000);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

/** Every input partition of `until` has reached its offset. */
function passed(position: Record<string, number>, until: Record<string, number>): boolean {
  for (const [k, v] of Object.entries(until)) if ((position[k] ?? -1) < v) return false;
  return true;
}

function samePosition(state: Record<string, number>, group: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(state), ...Object.keys(group)]);
  for (const k of keys) if (state[k] !== group[k]) return false;
  return true;
}
