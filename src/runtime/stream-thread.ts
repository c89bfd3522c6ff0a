/**
 * The consumer role (Kafka Streams' StreamThread): the group consumer of one processor, its poll
 * loop (each fetched batch goes to its partition's task through the {@link TaskManager}), pause,
 * resume and seek, the group's assignments, and the positions behind the lag gauge.
 *
 * Invariants:
 * - A batch is resolved (its offsets may be fetched past) only once its task folded it; a batch
 *   that was not (no task yet, a back-off, a stale seek) is fetched again after the task's start
 *   seeks the consumer to the task's position.
 * - A dependency failure while folding a record pauses that input partition, seeks it back to
 *   the record and resumes it after a back-off that doubles per attempt on the same record: the
 *   record is retried, never skipped or dead-lettered for it.
 * - Lag is measured from the committed position (the last committed unit's new offsets), not
 *   the fetched one: records fetched and not committed (in flight, retried) are still lag.
 * - On revocation, a partition's retries, pauses and lag go with it (a stale entry would keep the
 *   instance not ready, a pause would outlive the revocation, a lag series would grow for good).
 */
import { tpKey } from '../state/store.ts';
import { TransientError } from './errors.ts';
import type { BatchControl, GroupConsumer, InBatch, KafkaPort, TopicPartition, TopicPartitionOffset } from './kafka/port.ts';
import { logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { ProcessorDef } from './processor.ts';
import type { Task } from './task.ts';
import type { ConsumerSide, TaskHandle, TaskManager } from './task-manager.ts';

const log = logger('runtime');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A partition retrying one record after dependency failures (see StreamThread.backOff). */
export interface Retrying {
  topic: string;
  offset: number;
  since: number;
  attempts: number;
  reason: string;
  timer?: NodeJS.Timeout;
}

export interface StreamThreadOptions {
  port: KafkaPort;
  processor: ProcessorDef<any>;
  groupId: string;
  fromBeginning?: boolean;
  endpoint?: string;
  concurrency?: number;
  sessionTimeoutMs?: number;
  maxRetryBackoffMs?: number;
  metrics: Metrics;
  /** Called with each new assignment (partitions) and when the consumer gives up for good. */
  onAssignment: (partitions: number[]) => void;
  onCrash: (err: Error) => void;
}

export class StreamThread implements ConsumerSide {
  private consumer: GroupConsumer | undefined;
  private tasks!: TaskManager;
  /** Partitions assigned to this instance. */
  assignedSet = new Set<number>();
  /** Joined the group at least once. */
  joined = false;
  /** The consumer lost the group or its broker connection and is rejoining (cleared by the next assignment). */
  consumerTrouble: string | undefined;
  private stopped = false;
  /**
   * Per input partition: the committed position (the last committed unit's new offsets), the
   * fetched position (incl. control records) and the high watermark. Lag is measured from the
   * committed position: records fetched but not committed (in flight, or retried) are still lag.
   */
  readonly lastSeen = new Map<string, { committed: number; fetched: number; high: number }>();
  readonly retrying = new Map<string, Retrying>();
  private highsFetchedAt = 0;
  /**
   * First offset delivered per input partition: where a re-created task seeks back to when it has
   * no position yet (its first transaction failed after the consumer had already moved on:
   * batches are resolved once folded, before their transaction commits).
   */
  private readonly firstDelivered = new Map<string, number>();

  constructor(private readonly opts: StreamThreadOptions) {}

  /** The task manager the batches go to (set once, before {@link start}: the two refer to each other). */
  attach(tasks: TaskManager): void {
    this.tasks = tasks;
  }

  async start(): Promise<void> {
    const def = this.opts.processor;
    const consumer = this.opts.port.groupConsumer({
      groupId: this.opts.groupId,
      topics: def.inputs,
      fromBeginning: this.opts.fromBeginning ?? true,
      clientId: `${this.opts.groupId}`,
      userData: Buffer.from(JSON.stringify({ endpoint: this.opts.endpoint ?? null }), 'utf8'),
      concurrency: this.opts.concurrency ?? 2,
      ...(this.opts.sessionTimeoutMs ? { sessionTimeoutMs: this.opts.sessionTimeoutMs } : {}),
    });
    this.consumer = consumer;
    consumer.onAssignment((tps) => void this.onAssignment(tps));
    consumer.onCrash((err) => {
      log.error({ err: err.message }, 'consumer gave up');
      this.opts.onCrash(err);
    });
    consumer.onPosition((tp, next) => {
      const k = tpKey(tp.topic, tp.partition);
      const cur = this.lastSeen.get(k);
      if (cur) cur.fetched = Math.max(cur.fetched, next);
    });
    consumer.onRestart?.((err) => {
      this.consumerTrouble = err.message;
      this.opts.metrics.inc('dkg_stream_retries_total', 'Retries after transient failures, by reason (each retry once; records are counted only when committed)', {
        processor: def.name,
        reason: 'consumer',
      });
    });
    await consumer.start((batch, ctl) => this.handle(batch, ctl));
  }

  /** Stops taking batches (call before draining the tasks). */
  markStopped(): void {
    this.stopped = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.stop().catch((e) => log.warn({ err: (e as Error).message }, 'consumer stop'));
  }

  /** Clears the record retry timers (after the tasks are closed). */
  clearRetries(): void {
    for (const r of this.retrying.values()) clearTimeout(r.timer);
  }

  /** Group offsets, for the at-least-once committer. */
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    return this.consumer ? this.consumer.commitOffsets(offsets) : Promise.resolve();
  }

  // ConsumerSide: what the task manager asks of the consumer.

  assigned(p: number): boolean {
    return this.assignedSet.has(p);
  }

  taskStarted(p: number, task: Task): void {
    for (const topic of this.opts.processor.inputs) {
      const pos = task.positionOf(topic, p) ?? this.firstDelivered.get(tpKey(topic, p));
      if (pos !== undefined) this.consumer?.seek({ topic, partition: p, offset: pos });
      const committed = task.positionOf(topic, p) ?? 0;
      this.lastSeen.set(tpKey(topic, p), { committed, fetched: committed, high: this.lastSeen.get(tpKey(topic, p))?.high ?? 0 });
    }
  }

  committed(offsets: TopicPartitionOffset[]): void {
    for (const o of offsets) {
      const seen = this.lastSeen.get(tpKey(o.topic, o.partition));
      if (seen) seen.committed = o.offset;
    }
  }

  pauseInputs(p: number): void {
    for (const topic of this.opts.processor.inputs) this.consumer?.pause([{ topic, partition: p }]);
  }

  resumeInputs(p: number): void {
    for (const topic of this.opts.processor.inputs) if (!this.retrying.get(tpKey(topic, p))?.timer) this.consumer?.resume([{ topic, partition: p }]);
  }

  private onAssignment(tps: TopicPartition[]): void {
    const next = new Set(tps.map((t) => t.partition));
    this.joined = true;
    this.consumerTrouble = undefined;
    this.assignedSet = next;
    this.opts.onAssignment([...next]);
    // Back-offs of partitions that moved away are the new owner's business now: a stale entry
    // would keep this instance "stalled" (not ready) for good. The partition is resumed too: a
    // pause would outlive the revocation and stall it if it came back.
    for (const [k, r] of this.retrying) {
      const p = Number(k.slice(k.lastIndexOf('/') + 1));
      if (next.has(p)) continue;
      clearTimeout(r.timer);
      this.retrying.delete(k);
      this.consumer?.resume([{ topic: r.topic, partition: p }]);
    }
    // Their lag and first delivered offsets go too: the new owner reports the lag (a frozen
    // committed position here would grow with every high-watermark refresh), and a partition
    // that comes back starts from what is delivered then.
    for (const m of [this.lastSeen, this.firstDelivered]) for (const k of m.keys()) if (!next.has(Number(k.slice(k.lastIndexOf('/') + 1)))) m.delete(k);
    const revoked = this.tasks.assign(next);
    log.info({ processor: this.opts.processor.name, assigned: [...next], revoked }, 'assignment');
  }

  private async handle(batch: InBatch, ctl: BatchControl): Promise<void> {
    const p = batch.partition;
    const k = tpKey(batch.topic, p);
    // A batch of a partition moved away meanwhile adds nothing here (not even its lag).
    if (this.stopped || !this.assignedSet.has(p)) return;
    const seen = this.lastSeen.get(k) ?? { committed: 0, fetched: 0, high: 0 };
    seen.high = batch.highWatermark;
    this.lastSeen.set(k, seen);
    if (!this.firstDelivered.has(k) && batch.records.length > 0) this.firstDelivered.set(k, batch.records[0]!.offset);
    // Held off (a task back-off): the partition is paused; this batch, fetched before the pause,
    // is left unresolved and fetched again once the task exists (its start seeks the consumer).
    if (this.tasks.holdingOff(p)) return;
    let handle: TaskHandle;
    try {
      handle = await this.withHeartbeat(this.tasks.ensureTask(p), ctl);
    } catch {
      // Not resolved: fetched again once a task exists (ensureTask retries the start with
      // back-off in the background, so the partition heals even if no further batch arrives).
      return;
    }
    if (ctl.isStale() || handle.closed) return;
    try {
      const done = await this.tasks.process(handle, batch, ctl);
      if (done === 'folded') {
        this.retried(k);
        seen.fetched = Math.max(seen.fetched, batch.lastOffset + 1);
      }
    } catch (err) {
      if (err instanceof TransientError && !handle.closed) this.backOff(handle, batch.topic, err);
      else {
        await this.tasks.taskFailed(handle, err);
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
    this.tasks.commitFolded(handle);
    const prev = this.retrying.get(k);
    const r: Retrying = prev && prev.offset === offset ? prev : { topic, offset: offset ?? -1, since: Date.now(), attempts: 0, reason: err.dependency };
    clearTimeout(r.timer);
    r.attempts++;
    r.reason = err.dependency;
    this.retrying.set(k, r);
    const delay = Math.min(this.opts.maxRetryBackoffMs ?? 10_000, 250 * 2 ** Math.min(r.attempts - 1, 10));
    this.opts.metrics.inc('dkg_stream_retries_total', 'Retries after transient failures, by reason (each retry once; records are counted only when committed)', {
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
      if (!this.tasks.holdingOff(p)) this.consumer?.resume([tp]); // else the task's back-off resumes it
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
  idle(topic: string, partition: number): boolean {
    const h = this.tasks.running(partition);
    if (!h?.task) return false;
    return h.inFlight === 0 && h.task.openRecords === 0 && !this.retrying.has(tpKey(topic, partition));
  }

  /** Refreshes the high watermarks of the inputs for the lag gauge (at most once a second, bounded in time). */
  async refreshHighWatermarks(): Promise<void> {
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
}
