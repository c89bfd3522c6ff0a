/**
 * kafkajs 2.2.4 adapter of the {@link KafkaPort}. The only module that imports kafkajs.
 *
 * kafkajs facts this relies on (see reference §2.1):
 * - transactional producer: `idempotent: true, maxInFlightRequests: 1`; the producer id is
 *   initialised by the first `transaction()` call, so `transactionalProducer()` opens and aborts
 *   an empty transaction to fence older producers with the same id before returning;
 *   CONCURRENT_TRANSACTIONS right after a crash (kafkajs#296) is retried here;
 * - consumers use `readUncommitted: false` (read_committed); there is no manual assignment, so
 *   `read()` uses a throwaway consumer group (sole member) and seeks;
 * - group membership is eager (no revoke callback): GROUP_JOIN carries the new full assignment;
 * - a consumer that crashes and restarts itself (a lost broker) drops its group object with the
 *   pauses and seeks in it, and its pause/seek throw until the new one exists: the adapter keeps
 *   both and applies them again at every join;
 * - batches made only of control/aborted records never reach eachBatch, but END_BATCH_PROCESS
 *   reports their last offset, which is how positions advance past commit markers.
 */
import './kafkajs-patches.ts'; // first: replaces kafkajs' per-record hot paths before kafkajs loads
import { randomBytes } from 'node:crypto';
import type { Assigner, EachBatchPayload, Admin as KAdmin, Kafka as KafkaT, Consumer as KConsumer, Producer as KProducer, LogEntry, Message, PartitionAssigner, RecordMetadata } from 'kafkajs';
import kafkajs from 'kafkajs';
import { logger } from '../log.ts';
import { type KafkaClientSecurity, type ReplicationSettings, SecurityFailure, SecurityWatch, securityFailure } from './security.ts';

export { BrokerUnreachable } from './port.ts';

import {
  type AdminPort,
  type BatchControl,
  BrokerUnreachable,
  type GroupConsumer,
  type GroupConsumerOptions,
  type GroupMemberInfo,
  type InBatch,
  type InRecord,
  type KafkaPort,
  type OutRecord,
  type PartitionOffsets,
  type ProducedRange,
  type Producer,
  ProducerFencedError,
  type ReadHandle,
  type ReadOptions,
  type TopicPartition,
  type TopicPartitionOffset,
  type Transaction,
  type TransactionalProducer,
} from './port.ts';

const { Kafka, logLevel, AssignerProtocol, Partitioners, ConfigResourceTypes } = kafkajs;
const log = logger('kafka');

export interface KafkajsOptions {
  brokers: string[];
  clientId?: string;
  /** Transaction timeout in ms (default 30 s): how long an abandoned transaction blocks readers. */
  transactionTimeoutMs?: number;
  /**
   * How long to try reaching the cluster (TCP connect, handshake, first metadata answer) before
   * {@link BrokerUnreachable}: the budget of every admin connect, and kafkajs' TCP connect
   * timeout (default {@link DEFAULT_CONNECTION_TIMEOUT_MS}).
   */
  connectionTimeoutMs?: number;
  /** How long a request may wait for its answer once connected (default {@link DEFAULT_REQUEST_TIMEOUT_MS}). */
  requestTimeoutMs?: number;
  /** TLS / SASL options (from `kafkaSecurity(config)`); none = plaintext. */
  security?: KafkaClientSecurity;
  /** Replication of topics created through this port (default: what the cluster can hold). */
  replication?: ReplicationSettings;
  /** Prefix of the throwaway consumer groups of {@link KafkajsPort.read} (default the client id); an ACL'd principal needs it under its group prefix. */
  readerGroupPrefix?: string;
}

/** Default of `kafkaConnectionTimeoutMs`: a command that cannot reach Kafka says so well within 15 s. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
/** Default of `kafkaRequestTimeoutMs` (the Java client's `request.timeout.ms`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * What a client's kafkajs logger saw of its connections. Until the client has reached the
 * cluster once, kafkajs' per-retry connection errors are not logged: a command that cannot
 * connect reports one {@link BrokerUnreachable} line with the last of them instead.
 */
interface ConnectionState {
  reached: boolean;
  lastError?: string;
}

const CONNECTION_ERROR = /connection error|connection timeout|failed to connect|timed out|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|closed connection/i;

/** Errors kafkajs logs but retries or that fencing/rebalancing produce by design. */
const EXPECTED = /concurrent operation|old epoch|rebalanc|not the correct coordinator|coordinator is (loading|not available)|specified group generation id is not valid|member id is not valid/i;

/** `quiet`: everything at debug (a standalone admin client reports its failures itself). */
function kafkaLogCreator(conn: ConnectionState, quiet = false) {
  const kl = logger('kafkajs');
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      if (!conn.reached && CONNECTION_ERROR.test(message)) {
        conn.lastError = message.replace(/^Failed to connect to seed broker, trying another broker from the list: /, '');
        kl.debug(rest, message);
      } else if (quiet) kl.debug(rest, message);
      // kafkajs logs expected events (rebalances, fencing) as ERROR; keep them one level lower.
      // (The retry of a broker CONCURRENT_TRANSACTIONS answer names it only in the message.)
      else if (EXPECTED.test(`${String((rest as { error?: unknown }).error ?? '')} ${message}`)) kl.debug(rest, message);
      else if (level <= logLevel.ERROR) kl.warn(rest, message);
      else if (level === logLevel.WARN) kl.info(rest, message);
      else kl.debug(rest, message);
    };
}

const num = (s: string | number | undefined | null): number => (s === undefined || s === null ? -1 : Number(s));

function toMessage(r: OutRecord): Message {
  const m: Message = { key: r.key, value: r.value };
  if (r.partition !== undefined) m.partition = r.partition;
  if (r.headers) m.headers = r.headers;
  if (r.timestamp !== undefined) m.timestamp = String(r.timestamp);
  return m;
}

function groupByTopic(records: OutRecord[]): { topicMessages: Array<{ topic: string; messages: Message[] }> } {
  const by = new Map<string, Message[]>();
  for (const r of records) {
    let l = by.get(r.topic);
    if (!l) by.set(r.topic, (l = []));
    l.push(toMessage(r));
  }
  return { topicMessages: [...by].map(([topic, messages]) => ({ topic, messages })) };
}

/**
 * kafkajs returns one metadata entry per topic-partition with the base offset of the one record
 * batch it wrote there. `lastOffset` is exact for records whose partition the caller chose
 * (changelogs); for key-hashed records it is the base offset (a lower bound).
 */
function producedRanges(records: OutRecord[], meta: RecordMetadata[]): ProducedRange[] {
  assertAcknowledged(records, meta);
  const out: ProducedRange[] = [];
  for (const m of meta) {
    const n = records.filter((r) => r.topic === m.topicName && r.partition === m.partition).length;
    const base = num(m.baseOffset ?? (m as { offset?: string }).offset);
    out.push({ topic: m.topicName, partition: m.partition, baseOffset: base, lastOffset: n > 0 ? base + n - 1 : base });
  }
  return out;
}

/**
 * A send that resolved must have an acknowledgement for every partition it wrote to: the caller
 * commits on it (a transaction, or the store positions). kafkajs' own sendMessages resolved
 * without the partitions whose leader moved to a broker that had already answered (see
 * ./kafkajs-fixes.ts, which corrects it); should anything like it happen again, the send fails
 * (the transaction is aborted, the task retried) instead of committing records that were never
 * written. Key-hashed records are checked per topic (their partition is the partitioner's).
 */
export class UnacknowledgedProduce extends Error {
  override name = 'UnacknowledgedProduce';
}

/** Throws {@link UnacknowledgedProduce} unless `meta` acknowledges every partition `records` went to. */
export function assertAcknowledged(records: ReadonlyArray<Pick<OutRecord, 'topic' | 'partition'>>, meta: ReadonlyArray<Pick<RecordMetadata, 'topicName' | 'partition'>>): void {
  const acked = new Set<string>();
  const ackedTopics = new Set<string>();
  for (const m of meta) {
    acked.add(`${m.topicName}/${m.partition}`);
    ackedTopics.add(m.topicName);
  }
  for (const r of records) {
    const missing = r.partition !== undefined ? !acked.has(`${r.topic}/${r.partition}`) : !ackedTopics.has(r.topic);
    if (missing) {
      throw new UnacknowledgedProduce(
        `the broker acknowledged no write to ${r.topic}${r.partition !== undefined ? `/${r.partition}` : ''} though the send resolved (${meta.length} partition acknowledgements for ${records.length} records): not committing`,
      );
    }
  }
}

/**
 * Bytes one produce call may carry. kafkajs writes all of a call's records for one partition as
 * one record batch, and the broker rejects a batch above message.max.bytes (1 MiB by default)
 * even when every record in it is small: three 400 KB records in one unit would fail forever.
 * Calls are cut below that; a single record larger than the limit still goes alone (the broker
 * rejects it, and the runtime isolates and dead-letters its input).
 */
export const MAX_PRODUCE_CALL_BYTES = 900 * 1024;

const recordBytes = (r: OutRecord): number => {
  let n = 64 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  if (r.headers) for (const [k, v] of Object.entries(r.headers)) n += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : v.length) + 8;
  return n;
};

/** Records in order, cut into calls of at most {@link MAX_PRODUCE_CALL_BYTES} (one call when they fit, the usual case). */
function produceCalls(records: OutRecord[], max = MAX_PRODUCE_CALL_BYTES): OutRecord[][] {
  const calls: OutRecord[][] = [];
  let cur: OutRecord[] = [];
  let size = 0;
  for (const r of records) {
    const n = recordBytes(r);
    if (cur.length > 0 && size + n > max) {
      calls.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += n;
  }
  if (cur.length > 0) calls.push(cur);
  return calls;
}

/** Produces `records` in calls that fit the broker's batch limit; the ranges of all calls merged per partition. */
async function sendInCalls(records: OutRecord[], send: (records: OutRecord[]) => Promise<RecordMetadata[]>): Promise<ProducedRange[]> {
  const calls = produceCalls(records);
  if (calls.length === 1) return producedRanges(records, await send(records));
  const merged = new Map<string, ProducedRange>();
  for (const call of calls) {
    for (const r of producedRanges(call, await send(call))) {
      const k = `${r.topic}/${r.partition}`;
      const m = merged.get(k);
      if (!m) merged.set(k, r);
      else merged.set(k, { ...m, baseOffset: Math.min(m.baseOffset, r.baseOffset), lastOffset: Math.max(m.lastOffset, r.lastOffset) });
    }
  }
  return [...merged.values()];
}

/** Whether a kafkajs error (or one it wraps) says this producer was fenced by a newer one. */
export function isFenced(err: unknown, depth = 0): boolean {
  const e = err as { type?: string; name?: string; message?: string; originalError?: unknown; cause?: unknown } | undefined;
  if (!e || depth > 8) return false;
  if (e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'PRODUCER_FENCED' || e.type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED') return true;
  if (e.originalError) return isFenced(e.originalError, depth + 1);
  // kafkajs wraps the last error of exhausted retries (KafkaJSNumberOfRetriesExceeded) as `cause`.
  if (e.cause && e.cause !== e) return isFenced(e.cause, depth + 1);
  return /fenced|INVALID_PRODUCER_EPOCH/i.test(e.message ?? '');
}

function wrapTxnError(err: unknown): Error {
  if (isFenced(err)) return new ProducerFencedError((err as Error).message);
  return err instanceof Error ? err : new Error(String(err));
}

/** Shared by every record without headers (most of them): one object less per record. */
const NO_HEADERS: Record<string, Buffer> = Object.freeze({}) as Record<string, Buffer>;

function toInRecord(topic: string, partition: number, m: EachBatchPayload['batch']['messages'][number]): InRecord {
  let headers = NO_HEADERS;
  const hs = m.headers;
  if (hs) {
    for (const k in hs) {
      const v = hs[k];
      if (v === undefined) continue;
      const one = Array.isArray(v) ? v[v.length - 1] : v;
      if (one === undefined) continue;
      if (headers === NO_HEADERS) headers = {};
      headers[k] = Buffer.isBuffer(one) ? one : Buffer.from(one);
    }
  }
  return { topic, partition, offset: Number(m.offset), key: m.key ?? null, value: m.value ?? null, timestamp: Number(m.timestamp), headers };
}

/**
 * Co-partitioning assigner: partition p of every subscribed topic goes to the same member, so a
 * task owns all its inputs' partition p (Kafka Streams' rule). Partition numbers are dealt round
 * robin over the members sorted by id. Each member's userData (e.g. its HTTP endpoint) is
 * advertised in its subscription metadata and visible to everyone through describeGroup.
 */
function copartitionAssigner(userData: Buffer): PartitionAssigner {
  return ({ cluster }) => {
    const assigner: Assigner = {
      name: 'DkgCopartition',
      version: 1,
      protocol: ({ topics }) => ({ name: 'DkgCopartition', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData }) }),
      async assign({ members, topics }) {
        const ids = members.map((m) => m.memberId).sort();
        const counts = new Map<string, number>();
        let maxPartitions = 0;
        for (const t of topics) {
          const n = cluster.findTopicPartitionMetadata(t).length;
          counts.set(t, n);
          maxPartitions = Math.max(maxPartitions, n);
        }
        const plan = new Map<string, Record<string, number[]>>(ids.map((id) => [id, {}]));
        for (let p = 0; p < maxPartitions; p++) {
          const owner = plan.get(ids[p % ids.length]!)!;
          for (const t of topics) if (p < (counts.get(t) ?? 0)) (owner[t] ??= []).push(p);
        }
        return ids.map((memberId) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: plan.get(memberId)!, userData: Buffer.alloc(0) }),
        }));
      },
    };
    return assigner;
  };
}

class KafkajsTxnProducer implements TransactionalProducer {
  constructor(
    readonly transactionalId: string,
    private readonly producer: KProducer,
  ) {}

  async begin(): Promise<Transaction> {
    let txn: Awaited<ReturnType<KProducer['transaction']>>;
    try {
      txn = await this.producer.transaction();
    } catch (err) {
      throw wrapTxnError(err);
    }
    return {
      async send(records) {
        if (records.length === 0) return [];
        try {
          return await sendInCalls(records, (call) => txn.sendBatch(groupByTopic(call)));
        } catch (err) {
          throw wrapTxnError(err);
        }
      },
      async sendOffsets(groupId, offsets) {
        const topics = new Map<string, Array<{ partition: number; offset: string }>>();
        for (const o of offsets) {
          let l = topics.get(o.topic);
          if (!l) topics.set(o.topic, (l = []));
          l.push({ partition: o.partition, offset: String(o.offset) });
        }
        try {
          await txn.sendOffsets({ consumerGroupId: groupId, topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) });
        } catch (err) {
          throw wrapTxnError(err);
        }
      },
      async commit() {
        try {
          await txn.commit();
        } catch (err) {
          throw wrapTxnError(err);
        }
      },
      async abort() {
        try {
          await txn.abort();
        } catch (err) {
          throw wrapTxnError(err);
        }
      },
    };
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** kafkajs' error for pause/resume/seek between a consumer's crash and its restart (2.2.4 consumer/index.js). */
const NO_CONSUMER_GROUP = 'Consumer group was not initialized';

class KafkajsGroupConsumer implements GroupConsumer {
  private readonly consumer: KConsumer;
  private assignmentListeners: Array<(a: TopicPartition[]) => void> = [];
  private crashListeners: Array<(e: Error) => void> = [];
  private restartListeners: Array<(e: Error) => void> = [];
  private positionListeners: Array<(tp: TopicPartition, next: number) => void> = [];
  /** Seeks per "topic/partition" so far: a batch delivered before a seek is stale. */
  private readonly seeks = new Map<string, number>();
  /**
   * What the runtime paused and sought, by "topic/partition". kafkajs keeps both in its consumer
   * group object, which it drops when the consumer crashes and restarts itself (a lost broker):
   * until the new one exists its pause/seek throw, and the new one starts unpaused, fetching
   * from the committed offsets. So the adapter keeps them and applies them again at every join.
   * A seek is forgotten once a batch fetched after it is delivered (the fetch took it).
   */
  private readonly paused = new Map<string, TopicPartition>();
  private readonly untakenSeeks = new Map<string, TopicPartitionOffset>();
  private stopped = false;

  constructor(
    kafka: KafkaT,
    private readonly opts: GroupConsumerOptions,
  ) {
    const userData = opts.userData ?? Buffer.alloc(0);
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      readUncommitted: false,
      partitionAssigners: opts.copartition === false ? [kafkajs.PartitionAssigners.roundRobin] : [copartitionAssigner(userData)],
      sessionTimeout: opts.sessionTimeoutMs ?? 10_000,
      rebalanceTimeout: 30_000,
      heartbeatInterval: opts.heartbeatIntervalMs ?? 1_000,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 << 20,
      maxWaitTimeInMs: opts.maxWaitTimeMs ?? 250,
      // A crash while stop() disconnects must not schedule a restart: kafkajs would start the
      // consumer again after it was stopped and retry connecting for ever.
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000, restartOnFailure: async () => !this.stopped },
    });
    const { GROUP_JOIN, CRASH, END_BATCH_PROCESS } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (e) => {
      const assigned: TopicPartition[] = [];
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) for (const partition of partitions) assigned.push({ topic, partition });
      // Before the listeners (they may pause, resume and seek themselves) and before the first
      // fetch of the new generation: the group object exists by now.
      for (const tp of this.paused.values()) this.inGroup(() => this.consumer.pause([{ topic: tp.topic, partitions: [tp.partition] }]));
      for (const s of this.untakenSeeks.values()) this.inGroup(() => this.consumer.seek({ topic: s.topic, partition: s.partition, offset: String(s.offset) }));
      for (const l of this.assignmentListeners) l(assigned);
    });
    this.consumer.on(CRASH, (e) => {
      const err = e.payload.error instanceof Error ? e.payload.error : new Error(String(e.payload.error));
      log.warn({ groupId: opts.groupId, err: err.message, restart: e.payload.restart }, 'consumer crashed');
      // A crash of the requests in flight while stop() disconnects is the stop, not a failure.
      if (this.stopped) return;
      for (const l of e.payload.restart ? this.restartListeners : this.crashListeners) l(err);
    });
    this.consumer.on(END_BATCH_PROCESS, (e) => {
      const next = Number(e.payload.lastOffset) + 1;
      for (const l of this.positionListeners) l({ topic: e.payload.topic, partition: e.payload.partition }, next);
    });
  }

  onAssignment(l: (a: TopicPartition[]) => void): void {
    this.assignmentListeners.push(l);
  }
  onCrash(l: (e: Error) => void): void {
    this.crashListeners.push(l);
  }
  onRestart(l: (e: Error) => void): void {
    this.restartListeners.push(l);
  }
  onPosition(l: (tp: TopicPartition, next: number) => void): void {
    this.positionListeners.push(l);
  }

  async start(handler: (batch: InBatch, ctl: BatchControl) => Promise<void>): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.opts.topics) await this.consumer.subscribe({ topic, fromBeginning: this.opts.fromBeginning ?? false });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.concurrency ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const key = `${batch.topic}/${batch.partition}`;
        const seeks = this.seeks.get(key) ?? 0;
        // kafkajs' own isStale is true only until the next fetch takes the seek: a batch fetched
        // before a seek must stay stale after that too (its handler may still be running).
        const staleAtDelivery = isStale();
        if (!staleAtDelivery) this.untakenSeeks.delete(key);
        const stale = () => staleAtDelivery || (this.seeks.get(key) ?? 0) !== seeks || isStale();
        const lastOffset = Number(batch.lastOffset());
        const records = batch.messages.map((m) => toInRecord(batch.topic, batch.partition, m));
        const inBatch: InBatch = { topic: batch.topic, partition: batch.partition, records, highWatermark: Number(batch.highWatermark), lastOffset };
        const ctl: BatchControl = {
          heartbeat,
          isRunning,
          isStale: stale,
          resolve: (o) => {
            if (!stale()) resolveOffset(String(o));
          },
        };
        return handler(inBatch, ctl);
      },
    });
  }

  seek(tp: TopicPartitionOffset): void {
    const key = `${tp.topic}/${tp.partition}`;
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
    this.untakenSeeks.set(key, { ...tp });
    this.inGroup(() => this.consumer.seek({ topic: tp.topic, partition: tp.partition, offset: String(tp.offset) }));
  }
  async commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    if (offsets.length > 0) await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })));
  }
  pause(tps: TopicPartition[]): void {
    for (const tp of tps) {
      this.paused.set(`${tp.topic}/${tp.partition}`, { topic: tp.topic, partition: tp.partition });
      this.inGroup(() => this.consumer.pause([{ topic: tp.topic, partitions: [tp.partition] }]));
    }
  }
  resume(tps: TopicPartition[]): void {
    for (const tp of tps) {
      this.paused.delete(`${tp.topic}/${tp.partition}`);
      this.inGroup(() => this.consumer.resume([{ topic: tp.topic, partitions: [tp.partition] }]));
    }
  }
  /**
   * Runs a call on kafkajs' consumer group, which does not exist while the consumer restarts
   * (or after it stopped): then the call is left to the next join (see {@link paused}). Any
   * other error is thrown.
   */
  private inGroup(call: () => void): void {
    try {
      call();
    } catch (err) {
      if (!(err instanceof kafkajs.KafkaJSNonRetriableError && err.message.startsWith(NO_CONSUMER_GROUP))) throw err;
      log.debug({ groupId: this.opts.groupId, err: err.message }, 'consumer restarting: pause/resume/seek applies at the next join');
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.disconnect();
  }
}

/**
 * Connects an admin client within `budgetMs` (connect + one metadata request) or fails with
 * {@link BrokerUnreachable}, instead of kafkajs' long default back-off.
 */
async function connectKafkaAdmin(kafka: KafkaT, brokers: string[], budgetMs: number, conn: ConnectionState, replication: ReplicationSettings = {}, watch?: SecurityWatch): Promise<AdminPort> {
  const admin: KAdmin = kafka.admin();
  let clusterSize = 1;
  // An untrusted broker certificate ends the wait at the first handshake (kafkajs would retry it).
  const untrusted = watch?.failed();
  const bounded = <T>(p: Promise<T>, what: string): Promise<T> => (untrusted ? Promise.race([withDeadline(p, budgetMs, what), untrusted]) : withDeadline(p, budgetMs, what));
  try {
    // One budget for connecting and the first metadata answer together.
    clusterSize = (
      await bounded(
        admin.connect().then(() => admin.describeCluster()),
        'no answer',
      )
    ).brokers.length;
    conn.reached = true;
  } catch (err) {
    // Not awaited: disconnecting waits for the requests in flight, which a silent broker never
    // answers (kafkajs' own retries of this connect end by themselves).
    void admin.disconnect().catch(() => {});
    const security = securityFailure(err, brokers);
    if (security) throw security;
    const cause = conn.lastError ?? (err as Error).message;
    throw new BrokerUnreachable(`cannot reach Kafka at ${brokers.join(',')} within ${budgetMs} ms (${cause}). Is the broker running? (npm run stack:up)`);
  }
  /** Runs an admin call; a security failure (an ACL missing) is rethrown as one line naming the resource. */
  const named = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      const security = securityFailure(err, brokers);
      if (security) throw new SecurityFailure(security.kind, `${what}: ${security.message}`);
      throw err;
    }
  };
  // What the cluster can hold: three copies where there are three brokers, and a write needs
  // all but one of them (never fewer than one, never more than two: RF 3 survives one broker down).
  const rf = (asked: number | undefined): number => asked ?? replication.replicationFactor ?? Math.min(3, Math.max(1, clusterSize));
  const minIsr = (factor: number): string => String(replication.minInsyncReplicas ?? Math.min(2, Math.max(1, factor - 1)));
  return {
    async createTopics(topics) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      await named(`creating topic(s) ${missing.map((t) => t.topic).join(', ')}`, () =>
        admin.createTopics({
          // kafkajs' own leader wait can throw UNKNOWN_TOPIC_OR_PARTITION while a fresh broker is
          // still propagating metadata; wait below instead, tolerating exactly those answers.
          waitForLeaders: false,
          topics: missing.map((t) => {
            const factor = rf(t.replicationFactor);
            const configs = { 'min.insync.replicas': minIsr(factor), ...t.configs };
            return { topic: t.topic, numPartitions: t.partitions, replicationFactor: factor, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) };
          }),
        }),
      );
      await waitForLeaders(
        admin,
        missing.map((t) => t.topic),
      );
    },
    async deleteTopics(topics) {
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    },
    listTopics: () => admin.listTopics(),
    async partitionCount(topic) {
      const md = await named(`reading metadata of topic ${topic}`, () => admin.fetchTopicMetadata({ topics: [topic] }));
      return md.topics[0]?.partitions.length ?? 0;
    },
    async offsets(topic): Promise<PartitionOffsets[]> {
      const res = await named(`reading offsets of topic ${topic}`, () => admin.fetchTopicOffsets(topic));
      return res.map((r) => ({ partition: r.partition, low: Number(r.low), high: Number(r.high) })).sort((a, b) => a.partition - b.partition);
    },
    async offsetsForTimestamp(topic, ts) {
      const res = await admin.fetchTopicOffsetsByTimestamp(topic, ts);
      const highs = new Map((await admin.fetchTopicOffsets(topic)).map((r) => [r.partition, Number(r.high)]));
      return res.map((r) => ({ partition: r.partition, offset: Number(r.offset) < 0 ? highs.get(r.partition)! : Number(r.offset) }));
    },
    async groupOffsets(groupId, topic) {
      const res = await named(`reading offsets of group ${groupId}`, () => admin.fetchOffsets({ groupId, topics: [topic] }));
      return (res[0]?.partitions ?? []).map((p) => ({ partition: p.partition, offset: Number(p.offset) }));
    },
    async setGroupOffsets(groupId, topic, offsets) {
      await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) });
    },
    async deleteRecords(topic, offsets) {
      await admin.deleteTopicRecords({ topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) });
    },
    async describeGroup(groupId) {
      const res = await admin.describeGroups([groupId]);
      const g = res.groups[0];
      const members: GroupMemberInfo[] = (g?.members ?? []).map((m) => {
        let userData: Buffer = Buffer.alloc(0);
        let assignment: Record<string, number[]> = {};
        try {
          userData = AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData ?? userData;
        } catch {
          /* a member of another protocol */
        }
        try {
          assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {};
        } catch {
          /* not yet assigned */
        }
        return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost, userData, assignment };
      });
      return { state: g?.state ?? 'Dead', members };
    },
    async deleteGroups(groupIds) {
      if (groupIds.length > 0) await admin.deleteGroups(groupIds).catch(() => {});
    },
    async describeConfigs(topic, names) {
      const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }], includeSynonyms: false });
      const out: Record<string, string> = {};
      for (const e of res.resources[0]?.configEntries ?? []) out[e.configName] = e.configValue;
      return out;
    },
    async alterConfigs(topic, configs) {
      // AlterConfigs replaces every topic override: keep the topic's own min.insync.replicas
      // (set at creation from the replication settings) unless the caller names it.
      const kept: Record<string, string> = {};
      if (!('min.insync.replicas' in configs)) {
        const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
        const e = res.resources[0]?.configEntries.find((x) => x.configName === 'min.insync.replicas');
        if (e && e.configSource === TOPIC_CONFIG_SOURCE) kept['min.insync.replicas'] = e.configValue;
      }
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: Object.entries({ ...kept, ...configs }).map(([name, value]) => ({ name, value })) }],
      });
    },
    close: () => admin.disconnect(),
  };
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface AdminOptions {
  brokers: string[];
  clientId?: string;
  /** Time budget for reaching the cluster, in ms (default {@link DEFAULT_CONNECTION_TIMEOUT_MS}). */
  connectionTimeoutMs?: number;
  /** Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number;
  /** TLS / SASL options (from `kafkaSecurity(config)`); none = plaintext. */
  security?: KafkaClientSecurity;
  /** Replication of topics this client creates (default: what the cluster can hold). */
  replication?: ReplicationSettings;
}

/**
 * A standalone admin client (CLI commands, tools, tests) with a bounded connect: an unreachable
 * broker fails within the budget with {@link BrokerUnreachable}. Close it with `close()`.
 */
export async function connectAdmin(opts: AdminOptions): Promise<AdminPort> {
  const budget = opts.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
  const watch = new SecurityWatch();
  const conn: ConnectionState = { reached: false };
  const kafka = new Kafka({
    clientId: opts.clientId ?? 'dkg-stream-admin',
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(conn, true),
    connectionTimeout: budget,
    requestTimeout: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: Math.max(500, budget / 3) },
    ...opts.security,
    socketFactory: watch.socketFactory,
  });
  return connectKafkaAdmin(kafka, opts.brokers, budget, conn, opts.replication, watch);
}

export class KafkajsPort implements KafkaPort {
  readonly kafka: KafkaT;
  private readonly clientId: string;
  private sharedAdmin: Promise<AdminPort> | undefined;
  private readonly watch = new SecurityWatch();
  private readonly conn: ConnectionState = { reached: false };

  constructor(private readonly opts: KafkajsOptions) {
    this.clientId = opts.clientId ?? 'dkg-stream';
    this.kafka = new Kafka({
      clientId: this.clientId,
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.conn),
      connectionTimeout: opts.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
      ...opts.security,
      socketFactory: this.watch.socketFactory,
    });
  }

  /** A shared, lazily connected admin client (closed by {@link close}). */
  admin(): Promise<AdminPort> {
    this.sharedAdmin ??= this.newAdmin();
    return this.sharedAdmin;
  }

  private async newAdmin(): Promise<AdminPort> {
    return connectKafkaAdmin(this.kafka, this.opts.brokers, this.opts.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS, this.conn, this.opts.replication, this.watch).catch((err) => {
      this.sharedAdmin = undefined; // the next call tries again
      throw err;
    });
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const producer = this.kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.opts.transactionTimeoutMs ?? 30_000,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    await producer.connect();
    // Initialise the producer id now (fences zombies, aborts their open transaction). Right
    // after a crash the coordinator may still be completing the old transaction and answer
    // CONCURRENT_TRANSACTIONS for a while; keep retrying within a bound.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const t = await producer.transaction();
        await t.abort();
        break;
      } catch (err) {
        if (Date.now() > deadline) {
          await producer.disconnect().catch(() => {});
          throw err;
        }
        log.info({ transactionalId, err: (err as Error).message }, 'init transactions: retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    return new KafkajsTxnProducer(transactionalId, producer);
  }

  async producer(): Promise<Producer> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    return {
      async send(records) {
        if (records.length === 0) return [];
        return sendInCalls(records, (call) => producer.sendBatch({ ...groupByTopic(call), acks: -1 }));
      },
      close: () => producer.disconnect(),
    };
  }

  groupConsumer(opts: GroupConsumerOptions): GroupConsumer {
    return new KafkajsGroupConsumer(this.kafka, { clientId: this.clientId, ...opts });
  }

  async read(opts: ReadOptions): Promise<ReadHandle> {
    const admin = await this.admin();
    const marks = new Map((await admin.offsets(opts.topic)).map((o) => [o.partition, o]));
    const position = new Map<number, number>();
    for (const [p, from] of opts.from) position.set(p, Math.max(from, marks.get(p)?.low ?? 0));
    const until = opts.until;
    const pending = (): number[] => (until ? [...position].filter(([p, pos]) => pos < (until.get(p) ?? -Infinity)).map(([p]) => p) : [...position.keys()]);
    if (until && pending().length === 0) return { done: Promise.resolve(), stop: async () => {} };

    const groupId = `${this.opts.readerGroupPrefix ?? this.clientId}-reader-${randomBytes(6).toString('hex')}`;
    // A bounded read ends by stopping its consumer, which waits for the fetch in flight: that
    // fetch finds nothing new and the broker holds it for the full wait. 10 ms instead of 100 ms
    // ends every restore ~90 ms sooner; a tailing read keeps the longer wait (fewer idle fetches).
    const consumer = new KafkajsGroupConsumer(this.kafka, { groupId, topics: [opts.topic], copartition: false, fromBeginning: false, maxWaitTimeMs: until ? 10 : 100 });
    let finish!: () => void;
    let fail!: (e: Error) => void;
    const finished = new Promise<void>((res, rej) => ((finish = res), (fail = rej)));
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= consumer
        .stop()
        .catch(() => {})
        .then(() => admin.deleteGroups([groupId]))
        .then(() => finish()));
    const advance = (p: number, next: number) => {
      if (!position.has(p)) return;
      if (next > position.get(p)!) position.set(p, next);
      if (until && pending().length === 0) setImmediate(() => void stop());
    };
    consumer.onPosition((tp, next) => advance(tp.partition, next));
    consumer.onCrash((e) => fail(e));
    // The reader group commits nothing, so a consumer that restarted itself (a lost broker, a
    // coordinator that moved) would rejoin at the latest offset and skip what it had not read
    // yet: every join (the first one too) seeks each partition back to the read's own position.
    consumer.onAssignment(() => {
      try {
        for (const [partition, offset] of position) consumer.seek({ topic: opts.topic, partition, offset });
      } catch (err) {
        log.debug({ topic: opts.topic, err: (err as Error).message }, 'read: seek after a join failed (stopping)');
      }
    });
    await consumer.start(async (batch, ctl) => {
      const p = batch.partition;
      const pos = position.get(p);
      if (pos === undefined || ctl.isStale()) return;
      const limit = until?.get(p) ?? Infinity;
      const records = batch.records.filter((r) => r.offset >= pos && r.offset < limit);
      const next = Math.max(pos, Math.min(batch.lastOffset + 1, limit));
      try {
        if (records.length > 0 || next > pos) await opts.onRecords(p, records, next);
      } catch (err) {
        // A failing callback ends the read (a throw inside eachBatch would make kafkajs retry forever).
        fail(err instanceof Error ? err : new Error(String(err)));
        setImmediate(() => void stop());
        return;
      }
      ctl.resolve(batch.lastOffset);
      advance(p, next);
    });
    for (const [partition, offset] of position) consumer.seek({ topic: opts.topic, partition, offset });
    return { done: finished, stop, groupId };
  }

  partitionFor(key: Buffer, partitions: number): number {
    const pick = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    return pick({ topic: '', partitionMetadata, message: { key, value: null } });
  }

  async close(): Promise<void> {
    if (this.sharedAdmin) await (await this.sharedAdmin).close().catch(() => {});
    this.sharedAdmin = undefined;
  }
}

/** DescribeConfigs' config source of a topic-level override (DYNAMIC_TOPIC_CONFIG). */
const TOPIC_CONFIG_SOURCE = 1;

/** Polls metadata until every partition of `topics` has a leader (bounded: 30 s). */
async function waitForLeaders(admin: KAdmin, topics: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics });
      if (md.topics.length === topics.length && md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
