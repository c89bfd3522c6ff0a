/**
 * The processor API. A processor is a fold over its input records: for each record it reads and
 * writes its stores and emits output records. It never sees kafkajs or RocksDB: the runtime
 * (Kafka, RocksDB) and the broker-less {@link ../test-driver.ts TestDriver} (memory) run the same
 * {@link Task} code underneath.
 *
 * Per record, the effect is all-or-nothing: if `decode` or `process` throws, the record's store
 * writes and outputs are discarded and the record goes to the dead-letter topic instead (with the
 * reason in `dlq.*` headers); processing continues with the next record. A dependency failure
 * (registry, RocksDB I/O, network, broker: see errors.ts) is not the record's fault: the record is
 * rolled back and retried after a back-off, never dead-lettered.
 *
 * Counters a processor keeps ({@link ProcessorContext.count}) are effects like the others: they
 * reach the metrics only when the record's unit commits, so a record folded again (a failed or
 * aborted transaction, a restarted task) is counted once. Retries are counted by the runtime,
 * separately (`dkg_stream_retries_total`, `dkg_stream_task_failures_total`).
 */
import type { Bytes, RangeOptions } from '../state/kv.ts';
import type { InRecord } from './kafka/port.ts';

export type { InRecord };

/** Read access to a store (or a global table). Keys and values are raw bytes. */
export interface ReadOnlyStore {
  get(key: Bytes): Promise<Bytes | undefined>;
  /** Entries in key order within the bounds (the processor's own writes included). */
  range(opts?: RangeOptions): AsyncIterable<[Bytes, Bytes]>;
}

/** A task-local state store (one per store per partition), read-your-writes within the fold. */
export interface KeyValueStore extends ReadOnlyStore {
  /**
   * `get` without I/O: the value of `key` when the task holds it in memory (written earlier in
   * this unit or by an unapplied one, or read ahead by {@link ProcessorDef.prefetch} for the
   * chunk being folded); `null` when the key is known to be absent there; `undefined` when it is
   * not in memory (then `await get(key)`). A processor whose reads are all read ahead can be
   * synchronous this way: no promise per record. Never disagrees with `get`.
   */
  peek(key: Bytes): Bytes | null | undefined;
  put(key: Bytes, value: Bytes): void;
  delete(key: Bytes): void;
}

export interface Output {
  topic: string;
  key: Bytes | null;
  value: Bytes | null;
  /** Explicit partition; unset = key hash (the client's default partitioner). */
  partition?: number;
  headers?: Record<string, Bytes | string>;
}

/** Counters of a processor, counted once per committed record (see {@link ProcessorContext.count}). */
export interface CountContext {
  readonly processor: string;
  /** The task's partition (of every input). */
  readonly partition: number;
  /**
   * Adds `n` (default 1) to the counter `name` (a `dkg_stream_` name; its label names are fixed
   * by its first use). Buffered with the record's other effects: dropped if the record is rolled
   * back or dead-lettered or its transaction fails, added to the metrics once the transaction
   * commits. Gauges are not effects of a record: a processor sets those directly.
   */
  count(name: string, help: string, labels?: Record<string, string | number>, n?: number): void;
}

export interface ProcessorContext extends CountContext {
  store(name: string): KeyValueStore;
  /** A global table (every partition of `topic`, materialised on every instance). */
  global(topic: string): ReadOnlyStore;
  /** Emits an output record, committed in the same transaction as the state changes. */
  send(out: Output): void;
  /**
   * Routes a record other than the one being processed (e.g. one parked earlier in a store) to
   * the DLQ with `error` as the reason, in the same transaction as the other effects.
   */
  deadLetter(record: InRecord, error: unknown): void;
}

export interface ProcessorDef<V = InRecord> {
  name: string;
  /** Input topics (co-partitioned: partition p of each belongs to task p). */
  inputs: string[];
  /** Topics `send` may write to (checked; the DLQ topic is implicit). */
  outputs?: string[];
  /** Store names; each gets a RocksDB instance per partition and a compacted changelog. */
  stores?: string[];
  /** Topics read as global tables. */
  globals?: string[];
  /** Turns the raw record into the value `process` gets. Throwing routes the record to the DLQ. */
  decode?(record: InRecord): V | Promise<V>;
  process(ctx: ProcessorContext, value: V, record: InRecord): void | Promise<void>;
  /**
   * Optional read-ahead: the store keys `process` will probably read for this raw record. The
   * task fetches the keys of a whole chunk in one multi-get per store before folding it, instead
   * of one RocksDB round trip per `get` (an optimisation only: results never depend on it; a
   * throw or a wrong guess just means no read-ahead for that record).
   */
  prefetch?(record: InRecord): Array<{ store: string; key: Bytes }>;
  /**
   * Optional work on a whole chunk before it is folded (e.g. verifying its signatures on other
   * threads). Like `prefetch`, an optimisation only: the fold's results must not depend on it,
   * and a throw just means the chunk is folded without it (logged).
   */
  prepare?(records: InRecord[]): Promise<void>;
  /**
   * Reacts to a global table: called on every task after the table `topic` applied `records`,
   * and once per global table when a task starts (`records` empty), so work waiting on a table
   * (parked records) is never stranded by a crash between the table update and the reaction.
   * Runs as its own transaction on the task (store writes, outputs and dead letters together);
   * a throw discards its effects (logged; the next update or task start retries).
   */
  onGlobalUpdate?(ctx: ProcessorContext, topic: string, records: InRecord[]): void | Promise<void>;
  /**
   * Optional: called when a record of this processor is dead-lettered (by `decode`, `process` or
   * {@link ProcessorContext.deadLetter}), after its own effects and counts were discarded, so that
   * it can count the rejection (e.g. by error class); the counts commit with the dead letter.
   */
  deadLettered?(ctx: CountContext, record: InRecord, error: unknown): void;
}

/** Wraps a decode failure so the DLQ says which stage failed. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}
