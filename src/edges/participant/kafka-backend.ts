/**
 * The participant's journal on Kafka: appends are Avro records produced in one Kafka transaction
 * (a fenced transactional producer per node, so a restarted node fences its zombie), keyed by the
 * epoch; `append` resolves once the transaction committed **and** the local `dkg-journal` runtime
 * has folded past the produced offsets and applied them to its stores (StreamRuntime.waitForFold),
 * so every query afterwards sees the append — upstream's "append then sync".
 *
 * The local runtime must own every partition of the inputs (run the node's own `dkg-journal`
 * instance, or a single-instance group); queries read its local stores.
 */

import { JournalQueries, type QueryOptions } from '../../processors/dkg-journal/queries.ts';
import type { KafkaPort, OutRecord, ProducedRange, TransactionalProducer } from '../../runtime/kafka/port.ts';
import type { StreamRuntime } from '../../runtime/runtime.ts';
import type { AvroSerde } from '../../runtime/schemas.ts';
import type { TopicSpec } from '../../runtime/topology.ts';
import { eventToAvro } from '../../topics/dkg-events.ts';
import { stateToAvro } from '../../topics/dkg-states.ts';
import { epochKey } from '../../topics/epoch-key.ts';
import { STORES } from '../../topics/names.ts';
import type { JournalBackend, JournalRecord } from './participant.ts';

export interface KafkaJournalBackendOptions extends QueryOptions {
  port: KafkaPort;
  serde: AvroSerde;
  events: TopicSpec;
  states: TopicSpec;
  runtime: StreamRuntime;
  /** Transactional id of this node's journal producer (stable across restarts: it fences zombies). */
  transactionalId: string;
  /** Bound of the wait for the fold (default 60 s). */
  foldTimeoutMs?: number;
}

export class KafkaJournalBackend implements JournalBackend {
  readonly queries: JournalQueries;
  private producer: TransactionalProducer | undefined;
  /**
   * A transactional producer runs one transaction at a time: concurrent appends (a node's dealer
   * and player halves) are queued here, otherwise they would interleave inside one Kafka
   * transaction (kafkajs rejects that as a "concurrent operation" and retries).
   */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: KafkaJournalBackendOptions) {
    const rt = opts.runtime;
    const local = (store: string) => rt.assignedPartitions().flatMap((p) => rt.localStore(store, p) ?? []);
    this.queries = new JournalQueries(() => ({ journal: local(STORES.journal), states: local(STORES.states) }), opts);
  }

  private async tx(): Promise<TransactionalProducer> {
    this.producer ??= await this.opts.port.transactionalProducer(this.opts.transactionalId);
    return this.producer;
  }

  async append(records: JournalRecord[]): Promise<void> {
    const out: OutRecord[] = [];
    for (const r of records) {
      if (r.kind === 'state') {
        out.push({ topic: this.opts.states.name, key: epochKey(r.state.epoch), value: await this.opts.serde.encode(this.opts.states, stateToAvro(r.state)) });
        continue;
      }
      const value = await this.opts.serde.encode(this.opts.events, eventToAvro(r.event));
      if (r.event.kind === 'prune') {
        for (let p = 0; p < this.opts.events.partitions; p++) out.push({ topic: this.opts.events.name, partition: p, key: epochKey(r.event.epoch), value });
      } else out.push({ topic: this.opts.events.name, key: epochKey(r.event.epoch), value });
    }
    const commit = this.sending.then(() => this.commitOne(out));
    this.sending = commit.catch(() => {});
    await this.waitFolded(await commit);
  }

  private async commitOne(out: OutRecord[]): Promise<ProducedRange[]> {
    const producer = await this.tx();
    const txn = await producer.begin();
    try {
      const produced = await txn.send(out);
      await txn.commit();
      return produced;
    } catch (err) {
      await txn.abort().catch(() => {});
      this.producer = undefined;
      await producer.close().catch(() => {});
      throw err;
    }
  }

  /** Resolves when every produced range is folded into the local stores (the runtime's {@link StreamRuntime.waitForFold}). */
  async waitFolded(produced: ProducedRange[]): Promise<void> {
    const deadline = Date.now() + (this.opts.foldTimeoutMs ?? 60_000);
    for (const r of produced) await this.opts.runtime.waitForFold(r.topic, r.partition, r.lastOffset, Math.max(0, deadline - Date.now()));
  }

  async close(): Promise<void> {
    await this.producer?.close().catch(() => {});
    this.producer = undefined;
  }
}
