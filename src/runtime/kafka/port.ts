/**
 * The Kafka port: the small interface the runtime needs from a Kafka client. Processors and the
 * runtime never import kafkajs; `kafkajs.ts` is the one adapter today (a librdkafka adapter could
 * be added behind the same interface).
 *
 * Offsets are JS numbers (Kafka offsets stay far below 2^53 here). Every consumer reads
 * read_committed. Producers used for processing are transactional, one per task (input
 * partition): `transactionalProducer()` returns only after the producer id is initialised, which
 * fences any older producer with the same transactional id and aborts its open transaction
 * (EOS v1, the model kafkajs supports: TxnOffsetCommit v0–1 has no KIP-447 group fencing).
 */

export type Headers = Record<string, Buffer>;

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** Next offset to consume. */
  offset: number;
}

/** A record as consumed. */
export interface InRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Record timestamp (ms since epoch). */
  timestamp: number;
  headers: Headers;
}

/** A record to produce. `partition` unset = the client's default key hash partitioner. */
export interface OutRecord {
  topic: string;
  partition?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string>;
  timestamp?: number;
}

/** Where the records of one produce call landed, per topic-partition. */
export interface ProducedRange extends TopicPartition {
  baseOffset: number;
  /** Offset of the last record written to this partition by the call. */
  lastOffset: number;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface PartitionOffsets {
  partition: number;
  /** Log start offset. */
  low: number;
  /**
   * End offset as a read_committed reader sees it: the last stable offset. It equals the high
   * watermark once no transaction is open on the partition; right after a commit returns it can
   * still lie before that transaction's records, because the markers are written afterwards.
   */
  high: number;
}

export interface GroupMemberInfo {
  memberId: string;
  clientId: string;
  host: string;
  /** What the member advertised at join (see GroupConsumerOptions.userData). */
  userData: Buffer;
  assignment: Record<string, number[]>;
}

export interface AdminPort {
  /** Creates the topics that do not exist yet (with their configs); existing ones are left alone. */
  createTopics(topics: TopicSpec[]): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  partitionCount(topic: string): Promise<number>;
  /** Low and high watermarks of every partition of the topic. */
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** Per partition: the earliest offset whose timestamp is ≥ ts (or the high watermark). */
  offsetsForTimestamp(topic: string, timestampMs: number): Promise<Array<{ partition: number; offset: number }>>;
  /** Committed offsets of a group (-1 = none committed). */
  groupOffsets(groupId: string, topic: string): Promise<Array<{ partition: number; offset: number }>>;
  /** Sets committed offsets; the group must have no active members. */
  setGroupOffsets(groupId: string, topic: string, offsets: Array<{ partition: number; offset: number }>): Promise<void>;
  /** Deletes records before `offset` per partition (raises the log start offset). */
  deleteRecords(topic: string, offsets: Array<{ partition: number; offset: number }>): Promise<void>;
  describeGroup(groupId: string): Promise<{ state: string; members: GroupMemberInfo[] }>;
  deleteGroups(groupIds: string[]): Promise<void>;
  /** Current values of the named topic configs (names the broker does not report are absent). */
  describeConfigs(topic: string, names: string[]): Promise<Record<string, string>>;
  /**
   * Sets topic configs. Not incremental: configs not named here go back to the broker default,
   * so pass the whole wanted set.
   */
  alterConfigs(topic: string, configs: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** The bootstrap brokers did not answer within the connect budget (a fast, bounded failure). */
export class BrokerUnreachable extends Error {
  override name = 'BrokerUnreachable';
}

/** One open transaction. After any error the producer must be closed and re-created. */
export interface Transaction {
  send(records: OutRecord[]): Promise<ProducedRange[]>;
  /** Commits consumer offsets of `groupId` as part of the transaction. */
  sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface TransactionalProducer {
  readonly transactionalId: string;
  begin(): Promise<Transaction>;
  close(): Promise<void>;
}

/** Plain idempotent producer (feeders, tests, tools). */
export interface Producer {
  send(records: OutRecord[]): Promise<ProducedRange[]>;
  close(): Promise<void>;
}

export interface InBatch {
  topic: string;
  partition: number;
  records: InRecord[];
  highWatermark: number;
  /** Last offset the fetch covered, including filtered control/aborted records. */
  lastOffset: number;
}

export interface BatchControl {
  /** Keeps the group membership alive during long work (may throw when a rebalance starts). */
  heartbeat(): Promise<void>;
  /** Marks `offset` as processed: the next fetch of this partition starts after it. */
  resolve(offset: number): void;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True when the batch is outdated: a seek of its partition came after it was fetched. */
  isStale(): boolean;
}

export interface GroupConsumerOptions {
  groupId: string;
  topics: string[];
  clientId?: string;
  /** Where to start on partitions without a committed offset (default false = latest). */
  fromBeginning?: boolean;
  /** Advertised to the group (e.g. the HTTP endpoint for query routing). */
  userData?: Buffer;
  /**
   * Assign partition p of every subscribed topic to the same member (co-partitioned inputs,
   * one task per partition). Default true.
   */
  copartition?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * Fetch size per partition (default 4 MiB). kafkajs fetches again only after the previous
   * fetch's batches were handled, so larger fetches mean fewer idle round trips (1 MiB → 4 MiB:
   * +7 % fold throughput; 8 MiB is slower again, capped by the 10 MiB response limit).
   */
  maxBytesPerPartition?: number;
  maxWaitTimeMs?: number;
  /** How many partitions' batches may be handled at once (default 1). */
  concurrency?: number;
}

export interface GroupConsumer {
  /** Called after every (re)join with this member's full assignment (eager protocol). */
  onAssignment(listener: (assigned: TopicPartition[]) => void): void;
  /** Called when the consumer gave up (it will not deliver more batches). */
  onCrash(listener: (err: Error) => void): void;
  /** Called when the consumer failed and restarts itself (lost broker, group error): it rejoins, then reports the assignment again. */
  onRestart?(listener: (err: Error) => void): void;
  /** Called with the position after every fetched batch, including batches of only control records. */
  onPosition(listener: (tp: TopicPartition, nextOffset: number) => void): void;
  /** Joins the group and delivers batches until stop(). Resolves once running. */
  start(handler: (batch: InBatch, ctl: BatchControl) => Promise<void>): Promise<void>;
  /**
   * The next fetch of the partition starts at `tp.offset`. A seek holds until a fetch takes it,
   * also across a restart of the consumer (when it rejoins, a seek not yet taken applies again).
   * Never throws for a consumer that is restarting or stopped.
   */
  seek(tp: TopicPartitionOffset): void;
  /** Commits the group's offsets outside any transaction (at-least-once processing). */
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
  /**
   * No batches of the partitions until they are resumed. A pause holds until `resume`, across
   * rebalances and restarts of the consumer. Never throws for a consumer that is restarting or
   * stopped.
   */
  pause(tps: TopicPartition[]): void;
  resume(tps: TopicPartition[]): void;
  /** Leaves the group (waits for the batch in progress). */
  stop(): Promise<void>;
}

export interface ReadOptions {
  topic: string;
  /** Partition → first offset to read (clamped to the log start offset). */
  from: Map<number, number>;
  /** Partition → stop once the position reaches this offset; unset = tail forever. */
  until?: Map<number, number>;
  onRecords(partition: number, records: InRecord[], nextOffset: number): Promise<void>;
}

export interface ReadHandle {
  /** Resolves when every partition reached `until` (never, when tailing) or after stop(). */
  done: Promise<void>;
  stop(): Promise<void>;
  /** The read's own throwaway consumer group (none when there was nothing to read): for diagnostics and tests. */
  groupId?: string;
}

export interface KafkaPort {
  admin(): Promise<AdminPort>;
  /** Connected and initialised (fencing older producers with the same id). */
  transactionalProducer(transactionalId: string): Promise<TransactionalProducer>;
  producer(): Promise<Producer>;
  groupConsumer(opts: GroupConsumerOptions): GroupConsumer;
  /** Reads partitions outside any processing group (restore, global tables). */
  read(opts: ReadOptions): Promise<ReadHandle>;
  /** The partition the client's default partitioner picks for a key (query routing). */
  partitionFor(key: Buffer, partitions: number): number;
}

/** The transactional producer was fenced by a newer instance with the same transactional id. */
export class ProducerFencedError extends Error {
  override name = 'ProducerFencedError';
}
