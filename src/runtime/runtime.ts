/**
 * The runtime of one processor on Kafka (the facade over its roles, in the spirit of Kafka
 * Streams): one consumer group per processor (`<applicationId>-<processor>`), one task per input
 * partition, RocksDB stores per (store, partition), changelogs, restore, global tables, DLQ,
 * metrics, readiness. The roles, one per file:
 *   - stream-thread.ts   (StreamThread): the group consumer, its batches, pause/resume/seek,
 *                        assignments, record retries after dependency failures, lag;
 *   - task-manager.ts    (TaskManager): tasks per partition, folding and group commit, the commit
 *                        chain, failures, back-off, isolation of records the broker rejects;
 *   - state-manager.ts   (StateManager): stores restored from their changelogs, global tables;
 *   - committer.ts       (Committer): how a unit becomes durable, exactly-once or at-least-once.
 *
 * Per unit of work (the processing contract):
 *   1. Task.absorb folds batches into the open unit, Task.seal closes it → outputs + dead letters
 *      + changelog records + new positions;
 *   2. exactly-once: one Kafka transaction: all those records + sendOffsets(group, positions) →
 *      commit (at-least-once: the records through a plain producer; the group offsets later);
 *   3. one RocksDB batch per store: changes + input offsets + changelog offset.
 * Group commit: a task seals its open unit as soon as none of its transactions is in flight;
 * while one is, later batches keep folding into the open unit (reading the in-flight unit's
 * writes), up to maxCommitRecords. Units commit and apply strictly in fold order.
 * A crash between 2 and 3 leaves RocksDB behind the changelog; task start replays exactly that
 * gap. Task start (on assignment or after an error):
 *   a. open the task's producer (exactly-once: fences the previous owner and aborts its open transaction);
 *   b. per store: read the changelog from the stored changelog offset to the end (a local store
 *      that does not fit the changelog any more — truncated/recreated — is wiped and rebuilt);
 *   c. exactly-once: check the restored input offsets against the group's committed offsets
 *      (equal unless someone reset the group): on mismatch wipe and rebuild from the changelog;
 *   d. seek the consumer to the restored position, so records the state already reflects are
 *      never folded twice (records below the position are also skipped defensively).
 * Any transaction error (fenced, timeout, broker restart) closes the task without touching the
 * stores; it is re-created at once (fencing + gap restore), after a back-off when failures repeat.
 * A task start that fails is retried with back-off until it succeeds, whether or not records
 * arrive for its partition. A back-off cannot be bypassed: until it ends no task of the partition
 * is created, whoever asks, and the partition's inputs are paused.
 */
import { EventEmitter } from 'node:events';
import type { RocksOptions } from '../state/rocksdb.ts';
import { type StateStore, tpKey } from '../state/store.ts';
import { AtLeastOnceCommitter, type Committer, ExactlyOnceCommitter } from './committer.ts';
import type { DlqEncoder } from './dlq.ts';
import type { GlobalTable } from './global.ts';
import type { KafkaPort, TopicPartitionOffset } from './kafka/port.ts';
import { Metrics } from './metrics.ts';
import type { ProcessorDef } from './processor.ts';
import type { RestoreProgress } from './restore.ts';
import { StateManager } from './state-manager.ts';
import { StreamThread } from './stream-thread.ts';
import { TaskManager, type TaskState } from './task-manager.ts';

export type { TaskState };

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

/** {@link StreamRuntime.waitForFold} gave up: the record was not folded here in time. */
export class FoldTimeout extends Error {
  override name = 'FoldTimeout';
}

export class StreamRuntime extends EventEmitter {
  readonly groupId: string;
  readonly metrics: Metrics;
  private readonly changelog: (store: string) => string;
  private readonly state: StateManager;
  private readonly thread: StreamThread;
  private readonly tasks: TaskManager;
  private stopped = false;

  constructor(private readonly opts: RuntimeOptions) {
    super();
    // Every waitForFold caller listens while it waits (one participant per node, several nodes per process in tests).
    this.setMaxListeners(0);
    this.groupId = `${opts.applicationId}-${opts.processor.name}`;
    this.changelog = opts.changelogTopic ?? ((s) => `${opts.applicationId}-${opts.processor.name}-${s}-changelog`);
    const metrics = (this.metrics = opts.metrics ?? new Metrics());
    const name = opts.processor.name;
    this.thread = new StreamThread({
      port: opts.port,
      processor: opts.processor,
      groupId: this.groupId,
      metrics,
      ...(opts.fromBeginning !== undefined ? { fromBeginning: opts.fromBeginning } : {}),
      ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
      ...(opts.maxRetryBackoffMs !== undefined ? { maxRetryBackoffMs: opts.maxRetryBackoffMs } : {}),
      onAssignment: (partitions) => this.emit('assignment', partitions),
      onCrash: (err) => this.emit('error', err),
    });
    const base = { port: opts.port, groupId: this.groupId, processor: name, ...(opts.afterCommitHook ? { afterCommitHook: opts.afterCommitHook } : {}) };
    const committer: Committer =
      opts.guarantee === 'at_least_once'
        ? new AtLeastOnceCommitter({ ...base, commitOffsets: (o) => this.thread.commitOffsets(o), ...(opts.commitIntervalMs !== undefined ? { commitIntervalMs: opts.commitIntervalMs } : {}) })
        : new ExactlyOnceCommitter(base);
    this.state = new StateManager({
      port: opts.port,
      processor: opts.processor,
      dataDir: opts.dataDir,
      ...(opts.rocks ? { rocks: opts.rocks } : {}),
      changelog: this.changelog,
      committer,
      metrics,
      onProgress: (p) => this.emit('restore', p),
    });
    this.tasks = new TaskManager({
      port: opts.port,
      processor: opts.processor,
      groupId: this.groupId,
      dlqTopic: opts.dlqTopic,
      ...(opts.dlqEncode ? { dlqEncode: opts.dlqEncode } : {}),
      ...(opts.dlqValuePrefixBytes ? { dlqValuePrefixBytes: opts.dlqValuePrefixBytes } : {}),
      ...(opts.maxCommitRecords !== undefined ? { maxCommitRecords: opts.maxCommitRecords } : {}),
      changelog: this.changelog,
      committer,
      state: this.state,
      metrics,
      events: this,
      consumer: this.thread,
    });
    this.thread.attach(this.tasks);

    metrics.gauge('dkg_stream_consumer_lag', 'Records between the committed position and the high watermark (per input partition)', async () => {
      await this.thread.refreshHighWatermarks();
      return [...this.thread.lastSeen].map(([k, v]) => {
        const i = k.lastIndexOf('/');
        const topic = k.slice(0, i);
        const partition = Number(k.slice(i + 1));
        // Idle (nothing folded, in flight or retried): whatever was fetched beyond the committed
        // position is control records (transaction markers), not work.
        const from = this.thread.idle(topic, partition) ? Math.max(v.committed, v.fetched) : v.committed;
        return { labels: { processor: name, topic, partition }, value: Math.max(0, v.high - from) };
      });
    });
    metrics.gauge('dkg_stream_partition_stalled_seconds', 'How long a partition has been retrying the same record after dependency failures (0 = not retrying)', () =>
      [...this.thread.retrying].map(([k, r]) => ({ labels: { processor: name, topic: r.topic, partition: k.slice(k.lastIndexOf('/') + 1) }, value: (Date.now() - r.since) / 1000 })),
    );
    metrics.gauge('dkg_stream_rocksdb_size_bytes', 'Approximate RocksDB size (SST + memtables) per store instance', async () => {
      const out: Array<{ labels: Record<string, string | number>; value: number }> = [];
      for (const h of this.tasks.handles.values())
        for (const [n, s] of h.stores) out.push({ labels: { processor: name, store: n, partition: h.partition }, value: await s.kv.approximateSize().catch(() => 0) });
      return out;
    });
    metrics.gauge('dkg_stream_restore_progress_ratio', 'Restore progress per store instance (1 = done)', () =>
      [...this.state.restoreProgress.values()].map((p) => ({
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

  /** Bootstraps the global tables, then joins the group (tasks start as partitions are assigned). */
  async start(): Promise<void> {
    await this.state.startGlobals((topic, records) => this.tasks.globalUpdate(topic, records));
    await this.thread.start();
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
    if (!this.state.globalsReady) why.push('global tables bootstrapping');
    if (!this.thread.joined) why.push('not joined to the group yet');
    const trouble = this.thread.consumerTrouble;
    if (trouble !== undefined) why.push(`consumer rejoining after: ${trouble.slice(0, 200)}`);
    for (const p of this.thread.assignedSet) if (!this.tasks.running(p)) why.push(`partition ${p}: task not running`);
    const bound = this.opts.stalledAfterMs ?? 10_000;
    for (const [k, r] of this.thread.retrying) {
      const ms = Date.now() - r.since;
      if (ms >= bound) why.push(`${k}: stalled at offset ${r.offset} for ${Math.round(ms / 1000)} s (${r.reason})`);
    }
    // A loop fails again well within the bound (its back-off is capped at 5 s); a task that has
    // run that long since its last failure is not looping any more, even if it had nothing to commit.
    const loops = this.opts.restartsUntilNotReady ?? 3;
    for (const [p, f] of this.tasks.failures) if (f.count >= loops && Date.now() - f.lastAt < bound) why.push(`partition ${p}: task restarted ${f.count} times in a row`);
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
      assigned: [...this.thread.assignedSet].sort((a, b) => a - b),
      tasks: Object.fromEntries([...this.tasks.handles].map(([p, h]) => [p, h.state])),
      restore: [...this.state.restoreProgress.values()],
      startFailures: Object.fromEntries([...this.tasks.startRetries].map(([p, r]) => [p, { attempts: r.attempt, error: r.error }])),
    };
  }

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
      const h = this.tasks.running(partition);
      if (!h) return false;
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

  /** The local store instance of a running task (queries). */
  localStore(store: string, partition: number): StateStore | undefined {
    return this.tasks.running(partition)?.stores.get(store);
  }

  global(topic: string): GlobalTable | undefined {
    return this.state.globals.get(topic);
  }

  assignedPartitions(): number[] {
    return [...this.thread.assignedSet];
  }
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.thread.markStopped();
    // Drain first (no new batch is taken once stopped): in-flight transactions finish and
    // at-least-once offsets are committed while the consumer is still connected.
    await this.tasks.drainAll();
    await this.thread.stop();
    await this.tasks.closeAll();
    await this.state.closeGlobals();
    this.thread.clearRetries();
    this.emit('stopped');
  }
}
