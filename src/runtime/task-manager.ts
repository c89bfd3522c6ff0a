/**
 * The task role (Kafka Streams' TaskManager): one {@link Task} per assigned input partition, its
 * creation (producer, stores restored by the {@link StateManager}), the folding of its batches
 * into units (group commit, isolation of a record the broker rejects), the chain of its commits
 * (through the {@link Committer}), and its closing, failure and re-creation.
 *
 * Invariants:
 * - At most one task per partition; its batches and global-table reactions fold one at a time
 *   (`lock`), its units commit one at a time in fold order (`commits`), at most one in flight
 *   while the next unit absorbs batches (group commit, up to maxCommitRecords).
 * - A failed commit or fold closes the task without touching the stores: every unit folded after
 *   the failed one is dropped with it, and the task is created again (fencing + gap restore),
 *   seeking the consumer back to its restored position.
 * - Repeated failures (and failed starts) back off: until the partition's `notBefore`, no task of
 *   it is created, whoever asks (a batch, an assignment, a timer), and its inputs are paused.
 * - A unit is counted (records, outputs, dead letters, the processor's counts) once, when it is
 *   durable; a retry is counted in `dkg_stream_retries_total`, a failure in
 *   `dkg_stream_task_failures_total`, never as records.
 */
import type { EventEmitter } from 'node:events';
import { type StateStore, tpKey } from '../state/store.ts';
import type { Committer, TaskCommitter } from './committer.ts';
import type { DlqEncoder } from './dlq.ts';
import { RecordRejected, recordFault, transientCause } from './errors.ts';
import type { BatchControl, InBatch, KafkaPort, TopicPartitionOffset } from './kafka/port.ts';
import { logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { ProcessorDef } from './processor.ts';
import type { StateManager } from './state-manager.ts';
import type { PendingCommit } from './task.ts';
import { Task } from './task.ts';

const log = logger('runtime');

export type TaskState = 'restoring' | 'running';

export interface TaskHandle {
  partition: number;
  state: TaskState;
  task?: Task;
  /** The task's producer (exactly-once: transactional; at-least-once: plain). */
  committer?: TaskCommitter;
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

/**
 * A partition whose transaction failed deterministically (e.g. MESSAGE_TOO_LARGE): until its
 * position passes `until`, it commits units of at most `limit` records one at a time, halving
 * the limit on every such failure, until the offending record is alone in its unit and is
 * dead-lettered (TaskManager.poison) instead of restarting the task on the same records forever.
 */
interface Isolation {
  until: Record<string, number>;
  limit: number;
}

/**
 * Back-off before a task is created again after `n` failures in a row (n ≥ 2; the first failure,
 * a fencing or a split, restarts at once): 100 ms doubling to 5 s.
 */
export const restartBackoffMs = (n: number): number => Math.min(5000, 100 * 2 ** Math.min(n - 2, 6));

/** Back-off before the `attempt`-th retry of a task start that failed: 200 ms doubling to 5 s. */
export const startBackoffMs = (attempt: number): number => Math.min(5000, 200 * 2 ** (attempt - 1));

/** {@link TaskManager.ensureTask} refused to create a task during its partition's back-off. */
class BackingOff extends Error {
  override name = 'BackingOff';
}

/** What the task manager asks of the consumer side (the stream thread). */
export interface ConsumerSide {
  /** Whether the partition is assigned to this instance. */
  assigned(p: number): boolean;
  /** The task of `p` starts: seek its inputs to the task's position (or the first delivered offset). */
  taskStarted(p: number, task: Task): void;
  /** A unit committed these input positions. */
  committed(offsets: TopicPartitionOffset[]): void;
  pauseInputs(p: number): void;
  /** Resumes the inputs of `p` (except one still waiting out a record's own back-off). */
  resumeInputs(p: number): void;
}

export interface TaskManagerOptions {
  port: KafkaPort;
  processor: ProcessorDef<any>;
  groupId: string;
  dlqTopic: string;
  dlqEncode?: DlqEncoder;
  dlqValuePrefixBytes?: number;
  changelog: (store: string) => string;
  maxCommitRecords?: number;
  committer: Committer;
  state: StateManager;
  metrics: Metrics;
  /** Where `task` ({ partition, state }) and `commit` ({ partition, stats, offsets }) events go. */
  events: EventEmitter;
  consumer: ConsumerSide;
}

export class TaskManager {
  private readonly tasks = new Map<number, Promise<TaskHandle>>();
  /** Every task being created or running, by partition. */
  readonly handles = new Map<number, TaskHandle>();
  private readonly isolating = new Map<number, Isolation>();
  /** `topic/partition@offset` → why that record's effects can never be produced (dead-lettered as such). */
  private readonly poison = new Map<string, Error>();
  /** Consecutive task failures per partition without a commit in between, and when the last one was. */
  readonly failures = new Map<number, { count: number; lastAt: number }>();
  /** Partitions whose task start failed: attempts so far and the last error. */
  readonly startRetries = new Map<number, { attempt: number; error: string }>();
  /**
   * Partitions whose task may not be created before `at` (a back-off after repeated task failures
   * or a failed start): ensureTask refuses until then, whoever asks (a batch, an assignment), and
   * the partition's inputs are paused meanwhile; the timer resumes them and creates the task.
   */
  private readonly notBefore = new Map<number, { at: number; timer: NodeJS.Timeout }>();
  private stopped = false;

  constructor(private readonly opts: TaskManagerOptions) {}

  /** The running task of `p` (undefined while it restores or when there is none). */
  running(p: number): TaskHandle | undefined {
    const h = this.handles.get(p);
    return h?.state === 'running' ? h : undefined;
  }

  /** The task of `p` is held off by a back-off. */
  holdingOff(p: number): boolean {
    return this.notBefore.has(p);
  }

  /** A new assignment: tasks, splits and back-offs of partitions that moved away go; every assigned partition gets its task. */
  assign(next: Set<number>): number[] {
    const revoked = [...this.tasks.keys()].filter((p) => !next.has(p));
    for (const p of revoked) void this.closeTask(p);
    // Splits, failures in a row and back-offs of partitions that moved away are the new owner's
    // business now (a stale count would report this instance not ready, and lengthen the
    // partition's back-off should it come back).
    for (const p of this.isolating.keys()) if (!next.has(p)) this.isolating.delete(p);
    for (const p of this.failures.keys()) if (!next.has(p)) this.failures.delete(p);
    for (const [p, b] of this.notBefore) {
      if (next.has(p)) continue;
      clearTimeout(b.timer);
      this.notBefore.delete(p);
      this.startRetries.delete(p);
      this.opts.consumer.resumeInputs(p);
    }
    // Start restoring right away instead of waiting for the first batch of each partition (a
    // start that fails is retried by ensureTask, so an idle partition becomes ready too).
    for (const p of next) void this.ensureTask(p).catch(() => {});
    return revoked;
  }

  /**
   * The partition's task, created if there is none. A creation that fails (broker down, "not the
   * leader" right after topic creation or a leader move) is retried with back-off (0.2 s doubling
   * to 5 s) until the task exists, the partition is revoked or the runtime stops — whether or not
   * records arrive for the partition: an idle partition must become ready too. During a back-off
   * ({@link holdOff}) it refuses with a {@link BackingOff}: no caller can bypass it.
   */
  ensureTask(p: number): Promise<TaskHandle> {
    let t = this.tasks.get(p);
    if (!t) {
      const b = this.notBefore.get(p);
      if (b) return Promise.reject(new BackingOff(`partition ${p}: task start held off for ${Math.max(0, b.at - Date.now())} ms`));
      t = this.createTask(p);
      this.tasks.set(p, t);
      t.then(
        () => this.startRetries.delete(p),
        (err) => {
          // A start its partition's revocation overtook (closed during restore) is not retried:
          // a reassignment started a newer task, whose back-off and inputs are not this one's.
          if (this.tasks.get(p) !== t) return;
          this.tasks.delete(p);
          const retry = this.retryTaskStart(p, err as Error);
          log.warn({ processor: this.opts.processor.name, partition: p, err: (err as Error).message, attempt: retry?.attempt, retryInMs: retry?.delayMs }, 'task start failed');
        },
      );
    }
    return t;
  }

  /** Schedules the next creation attempt of a task whose start failed. */
  private retryTaskStart(p: number, err: Error): { attempt: number; delayMs: number } | undefined {
    if (this.stopped || !this.opts.consumer.assigned(p)) {
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
    this.opts.consumer.pauseInputs(p);
    const timer = setTimeout(() => {
      this.notBefore.delete(p);
      if (this.stopped || !this.opts.consumer.assigned(p)) return;
      this.opts.consumer.resumeInputs(p);
      void this.ensureTask(p).catch(() => {});
    }, ms);
    this.notBefore.set(p, { at: Date.now() + ms, timer });
  }

  private async createTask(p: number): Promise<TaskHandle> {
    const def = this.opts.processor;
    const handle: TaskHandle = { partition: p, state: 'restoring', stores: new Map(), closed: false, lock: Promise.resolve(), commits: Promise.resolve(), inFlight: 0 };
    this.handles.set(p, handle);
    try {
      handle.committer = await this.opts.committer.open(p);
      const admin = await this.opts.port.admin();
      const group: Record<string, number> = {};
      for (const topic of def.inputs) {
        const o = (await admin.groupOffsets(this.opts.groupId, topic)).find((x) => x.partition === p);
        if (o && o.offset >= 0) group[tpKey(topic, p)] = o.offset;
      }
      await this.opts.state.openStores(p, group, handle.stores, () => handle.closed);
      handle.task = await Task.open(
        {
          def,
          partition: p,
          stores: handle.stores,
          globals: new Map([...this.opts.state.globals]),
          changelogTopic: this.opts.changelog,
          dlqTopic: this.opts.dlqTopic,
          dlqEncode: this.opts.dlqEncode,
          ...(this.opts.dlqValuePrefixBytes ? { dlqValuePrefixBytes: this.opts.dlqValuePrefixBytes } : {}),
          poisoned: (r) => (this.poison.size === 0 ? undefined : this.poison.get(`${tpKey(r.topic, r.partition)}@${r.offset}`)),
        },
        group,
      );
      // Revoked (or stopped) while it read its position: it must not seek a partition it no
      // longer owns nor announce a task that is being closed.
      if (handle.closed) throw new Error('task closed during start');
      this.opts.consumer.taskStarted(p, handle.task);
      handle.state = 'running';
      // React once to every global table: anything parked before a crash gets its chance again.
      for (const g of def.globals ?? []) if (def.onGlobalUpdate) this.enqueueGlobalUpdate(handle, g, []);
      log.info({ processor: def.name, partition: p, position: handle.task.positions() }, 'task running');
      this.opts.events.emit('task', { partition: p, state: 'running' });
      return handle;
    } catch (err) {
      await this.disposeHandle(handle);
      throw err;
    }
  }

  /**
   * Folds a batch into the task's open unit, in slices of at most maxCommitRecords (the
   * isolation limit while isolating), sealing and committing units as the group commit allows.
   * `skipped`: the task's position is past the batch; `folded`: absorbed (and resolved);
   * undefined: the task closed or the batch went stale meanwhile. Throws what folding threw (a
   * TransientError: the record is rolled back, the open unit holds the records before it).
   */
  process(handle: TaskHandle, batch: InBatch, ctl: BatchControl): Promise<'skipped' | 'folded' | undefined> {
    const p = handle.partition;
    const run = handle.lock.then(async () => {
      if (handle.closed || ctl.isStale()) return undefined;
      const task = handle.task!;
      const pos = task.positionOf(batch.topic, p);
      if (pos !== undefined && batch.lastOffset < pos) {
        ctl.resolve(batch.lastOffset);
        return 'skipped' as const;
      }
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
      // The unit may still be open or committing: the consumer fetches ahead meanwhile. If its
      // transaction fails, the task is re-created and the consumer sought back to its position.
      ctl.resolve(batch.lastOffset);
      return 'folded' as const;
    });
    handle.lock = run.catch(() => {});
    return run;
  }

  /** Commits what the task folded so far (the records before one retried after a dependency failure). */
  commitFolded(handle: TaskHandle): void {
    handle.lock = handle.lock.then(() => {
      if (handle.inFlight === 0 && !handle.closed) this.sealAndSubmit(handle);
    });
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
        await handle.committer!.commit(handle.task!, pc, () => this.counted(pc));
      } catch (err) {
        handle.failedUnit ??= pc;
        throw err;
      }
      this.failures.delete(handle.partition);
      this.opts.consumer.committed(pc.offsets);
      if (pc.stats.processed > 0)
        this.opts.metrics.observe(
          'dkg_stream_commit_seconds',
          'Latency of one unit of work (fold + produce + commit + store write)',
          { processor: this.opts.processor.name },
          (performance.now() - t0) / 1000,
        );
      this.opts.events.emit('commit', { partition: handle.partition, stats: pc.stats, offsets: pc.offsets });
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
   * Counts a unit once it is durable (it will never be folded again, whatever happens next): its
   * records, outputs and dead letters, and the processor's own counts (ProcessorContext.count).
   */
  private counted(pc: PendingCommit): void {
    const name = this.opts.processor.name;
    const m = this.opts.metrics;
    if (pc.stats.processed > 0) {
      m.inc('dkg_stream_consumed_records_total', 'Input records folded', { processor: name }, pc.stats.processed);
      m.inc('dkg_stream_produced_records_total', 'Output records committed (excluding changelogs and DLQ)', { processor: name }, pc.stats.outputs);
      m.inc('dkg_stream_commits_total', 'Committed transactions', { processor: name });
    }
    if (pc.stats.dlq > 0) m.inc('dkg_stream_dlq_records_total', 'Records routed to the dead-letter topic', { processor: name }, pc.stats.dlq);
    m.addCounts(pc.counts);
    // One observation per unit, of its oldest record (the unit's worst latency): per record would
    // cost a histogram update per record on the hot path. Records without a timestamp (≤ 0) are
    // left out of oldestInput (Task); a timestamp in the future counts as 0 s.
    if (pc.oldestInput !== undefined) {
      m.observe(
        'dkg_stream_end_to_end_seconds',
        'Input record timestamp to output committed, per unit of work (its oldest input record)',
        { processor: name },
        Math.max(0, Date.now() - pc.oldestInput) / 1000,
      );
    }
  }

  /**
   * A transaction failed (or folding threw): its effects and every unit folded after it are gone
   * with the task. The task is re-created (fencing + gap restore; after a back-off when failures
   * repeat) and the consumer sought back to the restored position, even if no further batch arrives.
   */
  async taskFailed(handle: TaskHandle, err: unknown): Promise<void> {
    const p = handle.partition;
    if (handle.failed) return;
    handle.failed = true;
    // A task already closing (revoked, or the runtime stopping) is not restarted and its failure
    // is no failure in a row: its partition is another owner's (or nobody's) to redo, and closing
    // it again would dispose it twice.
    if (handle.closed) {
      log.info({ processor: this.opts.processor.name, partition: p, err: (err as Error).message }, 'transaction failed while the task was closing: nothing to restart');
      return;
    }
    const fault = handle.failedUnit ? recordFault(err) : null;
    // A split on a record fault is progress, not a restart loop.
    const n = fault ? 0 : (this.failures.get(p)?.count ?? 0) + 1;
    if (!fault) this.failures.set(p, { count: n, lastAt: Date.now() });
    log.warn({ processor: this.opts.processor.name, partition: p, err: (err as Error).message, errName: (err as Error).name, fault, inARow: n }, 'transaction failed: restarting the task');
    this.opts.metrics.inc('dkg_stream_task_failures_total', 'Tasks closed after a failed transaction', { processor: this.opts.processor.name });
    this.opts.metrics.inc('dkg_stream_retries_total', 'Retries after transient failures, by reason (each retry once; records are counted only when committed)', {
      processor: this.opts.processor.name,
      reason: fault ? 'isolate' : (transientCause(err)?.dependency ?? 'transaction'),
    });
    if (fault && handle.failedUnit) this.isolate(p, handle.failedUnit, fault, err);
    if (this.handles.get(p) !== handle) return; // already replaced
    const assigned = this.opts.consumer.assigned(p);
    // Back off when failures repeat (an outage), not on the first one (a fencing, a split); held
    // before the task closes, so that no batch arriving meanwhile re-creates it early.
    if (n > 1 && !fault && assigned && !this.stopped) this.holdOff(p, restartBackoffMs(n));
    await this.closeTask(p);
    // Created again (it seeks the consumer back to the task's position: a batch already resolved
    // is fetched again only after that seek); a failed start is retried by ensureTask.
    if (this.opts.consumer.assigned(p) && !this.stopped && !this.notBefore.has(p)) void this.ensureTask(p).catch(() => {});
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

  /** A global table applied records: every running task reacts (ProcessorDef.onGlobalUpdate). */
  globalUpdate(topic: string, records: InBatch['records']): void {
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

  async closeTask(p: number): Promise<void> {
    const t = this.tasks.get(p);
    this.tasks.delete(p);
    const h = this.handles.get(p);
    if (h) h.closed = true;
    if (t) await t.then((handle) => this.disposeHandle(handle)).catch(() => {});
    else if (h) await this.disposeHandle(h);
  }

  /** Waits for the task's folding and transactions, then commits whatever its committer still holds (at-least-once offsets). */
  private async drain(h: TaskHandle): Promise<void> {
    await h.lock.catch(() => {});
    // Whatever was absorbed and not sealed yet is committed now (a clean stop leaves nothing open).
    if (!h.closed && !h.failed && h.task) this.sealAndSubmit(h);
    for (let c = h.commits; ; c = h.commits) {
      await c.catch(() => {});
      await h.lock.catch(() => {});
      if (c === h.commits) break;
    }
    await h.committer?.flush();
  }

  private async disposeHandle(h: TaskHandle): Promise<void> {
    h.closed = true;
    await this.drain(h);
    if (this.handles.get(h.partition) === h) this.handles.delete(h.partition);
    await h.committer?.close().catch(() => {});
    h.committer = undefined;
    for (const s of h.stores.values()) await s.close().catch(() => {});
    h.stores.clear();
    this.opts.events.emit('task', { partition: h.partition, state: 'closed' });
  }

  /** Drains every task (in-flight units commit, at-least-once offsets too) while the consumer is still connected. */
  async drainAll(): Promise<void> {
    this.stopped = true;
    for (const b of this.notBefore.values()) clearTimeout(b.timer);
    this.notBefore.clear();
    this.startRetries.clear();
    for (const h of this.handles.values()) await this.drain(h);
  }

  async closeAll(): Promise<void> {
    for (const p of [...this.tasks.keys()]) await this.closeTask(p);
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
