/**
 * The producer role (Kafka Streams' StreamsProducer): how a task makes a unit of work durable.
 * One interface, two implementations chosen once per runtime by the processing guarantee:
 *
 * - {@link ExactlyOnceCommitter}: one transactional producer per task (`<group>-<partition>`; its
 *   init fences the previous owner and aborts its open transaction). Per unit one transaction:
 *   outputs + dead letters + changelog records + sendOffsets(group, positions) → commit; then the
 *   stores (state + input offsets + changelog offset, one batch per store).
 * - {@link AtLeastOnceCommitter}: one plain idempotent producer per task. Per unit the records,
 *   then the stores, then (in the background, at most every commitIntervalMs, and when the task
 *   closes) the group offsets, which are informational: a restart continues from the stores.
 *
 * Invariants:
 * - `commit` calls `durable` once, at the point after which the unit is never folded again
 *   (a restart restores it from the changelog): the transaction's commit (exactly-once), the
 *   produce of its records, changelog included (at-least-once). The unit is counted there.
 * - The stores are written only after that point; the caller commits a task's units one at a
 *   time, in fold order.
 * - A commit that throws left nothing of the unit visible under exactly-once (the transaction is
 *   aborted); under at-least-once its records may have been produced and are produced again.
 */
import type { KafkaPort, ProducedRange, Producer, TopicPartitionOffset, TransactionalProducer } from './kafka/port.ts';
import { logger } from './log.ts';
import type { PendingCommit, Task } from './task.ts';

const log = logger('runtime');

export type Guarantee = 'exactly_once' | 'at_least_once';

/** How the units of one task are made durable (its producer). */
export interface TaskCommitter {
  /** Makes `pc` durable, calling `durable()` at the point of no return, then applies it to the task's stores. */
  commit(task: Task, pc: PendingCommit, durable: () => void): Promise<void>;
  /** Commits what is still pending (at-least-once: the group offsets due). */
  flush(): Promise<void>;
  /** Closes the producer (after {@link flush}). */
  close(): Promise<void>;
}

export interface Committer {
  readonly guarantee: Guarantee;
  /**
   * The group's committed offsets always equal the stores' position after a unit (exactly-once:
   * both move in the same transaction), so a mismatch at task start means someone reset the
   * group and the stores are rebuilt; at-least-once the stores may be ahead.
   */
  readonly groupMatchesStores: boolean;
  /**
   * Every unit ends its changelog partition with one commit marker (exactly-once), so a store one
   * offset behind the changelog's end has nothing to restore.
   */
  readonly markerEndsChangelog: boolean;
  /** Opens the producer of the task of `partition`. */
  open(partition: number): Promise<TaskCommitter>;
}

export interface CommitterOptions {
  port: KafkaPort;
  /** Consumer group whose offsets the units carry. */
  groupId: string;
  processor: string;
  /** Test hook: called after a unit is durable and before the stores are written. */
  afterCommitHook?: () => void;
}

export class ExactlyOnceCommitter implements Committer {
  readonly guarantee = 'exactly_once';
  readonly groupMatchesStores = true;
  readonly markerEndsChangelog = true;

  constructor(private readonly opts: CommitterOptions) {}

  async open(partition: number): Promise<TaskCommitter> {
    const producer: TransactionalProducer = await this.opts.port.transactionalProducer(`${this.opts.groupId}-${partition}`);
    const { groupId, afterCommitHook } = this.opts;
    return {
      async commit(task, pc, durable) {
        const txn = await producer.begin();
        let produced: ProducedRange[];
        try {
          produced = await txn.send(pc.records);
          if (pc.offsets.length > 0) await txn.sendOffsets(groupId, pc.offsets);
          await txn.commit();
        } catch (err) {
          await txn.abort().catch(() => {});
          throw err;
        }
        durable();
        afterCommitHook?.();
        await task.apply(pc, produced);
      },
      flush: async () => {},
      close: () => producer.close(),
    };
  }
}

export class AtLeastOnceCommitter implements Committer {
  readonly guarantee = 'at_least_once';
  readonly groupMatchesStores = false;
  readonly markerEndsChangelog = false;

  constructor(
    private readonly opts: CommitterOptions & {
      /** Commits group offsets (the group consumer's). */
      commitOffsets: (offsets: TopicPartitionOffset[]) => Promise<void>;
      /** Group offsets are committed at most this often (default 1000 ms). */
      commitIntervalMs?: number;
    },
  ) {}

  async open(partition: number): Promise<TaskCommitter> {
    const producer = await this.opts.port.producer();
    return new AtLeastOnceTask(producer, partition, this.opts);
  }
}

/** At-least-once: the plain producer of one task and its group offsets not yet committed. */
class AtLeastOnceTask implements TaskCommitter {
  /** The newest applied position not yet committed to the group, and its timer. */
  private offsetsDue: TopicPartitionOffset[] | undefined;
  private offsetsTimer: NodeJS.Timeout | undefined;
  private lastOffsetsCommit = 0;
  private offsetsCommit: Promise<void> | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly partition: number,
    private readonly opts: AtLeastOnceCommitter['opts'],
  ) {}

  async commit(task: Task, pc: PendingCommit, durable: () => void): Promise<void> {
    const produced: ProducedRange[] = pc.records.length > 0 ? await this.producer.send(pc.records) : [];
    durable();
    this.opts.afterCommitHook?.();
    await task.apply(pc, produced);
    if (pc.offsets.length > 0) this.scheduleOffsets(pc.offsets);
  }

  /** Commits the newest applied position within commitIntervalMs (trailing). */
  private scheduleOffsets(offsets: TopicPartitionOffset[]): void {
    this.offsetsDue = offsets;
    if (this.offsetsTimer) return;
    const interval = this.opts.commitIntervalMs ?? 1000;
    const wait = Math.max(0, this.lastOffsetsCommit + interval - Date.now());
    this.offsetsTimer = setTimeout(() => {
      this.offsetsTimer = undefined;
      void this.flushOffsets();
    }, wait);
  }

  private async flushOffsets(): Promise<void> {
    await this.offsetsCommit;
    const due = this.offsetsDue;
    if (!due) return;
    this.offsetsDue = undefined;
    this.lastOffsetsCommit = Date.now();
    this.offsetsCommit = this.opts.commitOffsets(due).catch((err: Error) => {
      // Informational under at-least-once: the next commit carries a newer position anyway.
      log.warn({ processor: this.opts.processor, partition: this.partition, err: err.message }, 'committing group offsets failed');
    });
    await this.offsetsCommit;
  }

  async flush(): Promise<void> {
    if (this.offsetsTimer) {
      clearTimeout(this.offsetsTimer);
      this.offsetsTimer = undefined;
    }
    await this.flushOffsets();
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
