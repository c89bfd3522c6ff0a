/**
 * The participant's journal on Kafka: appends are Avro records produced in one Kafka transaction
 * (a fenced transactional producer per node, so a restarted node fences its zombie), keyed by the
 * epoch; `append` resolves once the transaction committed **and** the journal's fold of the
 * produced offsets is visible to this node's queries — upstream's "append then sync". Two ways
 * to see the fold:
 *  - `runtime`: a `dkg-journal` runtime in this process that owns every partition of the inputs
 *    (the node's own instance, or a single-instance group); queries read its local stores
 *    (StreamRuntime.waitForFold);
 *  - `view`: `dkg-journal` instances in other processes (`dkg-stream run`, any number, one
 *    group); queries read a {@link ChangelogView} of their changelogs, which also knows when the
 *    group has folded a write.
 *
 * A failed transaction (broker lost, coordinator moved) is aborted and the append retried with a
 * fresh producer until `appendTimeoutMs`: an aborted transaction leaves nothing for readers, and
 * a dependency outage pauses the node instead of failing its ceremony.
 */

import { JournalQueries, type QueryOptions } from '../../processors/dkg-journal/queries.ts';
import type { ChangelogView } from '../../runtime/changelog-view.ts';
import { type KafkaPort, type OutRecord, type ProducedRange, ProducerFencedError, type TransactionalProducer } from '../../runtime/kafka/port.ts';
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
  /** The in-process journal runtime whose stores the queries read (or `view`). */
  runtime?: StreamRuntime;
  /** The changelogs of journal instances running elsewhere (or `runtime`). */
  view?: ChangelogView;
  /** Transactional id of this node's journal producer (stable across restarts: it fences zombies). */
  transactionalId: string;
  /** Bound of the wait for the fold (default 60 s). */
  foldTimeoutMs?: number;
  /** Bound of an append's retries of a failed transaction (default 120 s). */
  appendTimeoutMs?: number;
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
    const view = opts.view;
    if (!rt === !view) throw new TypeError('KafkaJournalBackend needs exactly one of runtime and view');
    const local = (store: string) => (rt ? rt.assignedPartitions().flatMap((p) => rt.localStore(store, p) ?? []) : view!.stores(store));
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
    const commit = this.sending.then(() => this.commitRetrying(out));
    this.sending = commit.catch(() => {});
    await this.waitFolded(await commit);
  }

  /** {@link commitOne} until it succeeds, the producer is fenced (a newer node took over) or `appendTimeoutMs` passed. */
  private async commitRetrying(out: OutRecord[]): Promise<ProducedRange[]> {
    const deadline = Date.now() + (this.opts.appendTimeoutMs ?? 120_000);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commitOne(out);
      } catch (err) {
        if (err instanceof ProducerFencedError || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
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
    if (this.opts.view) return this.opts.view.waitForFold(produced, this.opts.foldTimeoutMs ?? 60_000);
    for (const r of produced) await this.opts.runtime!.waitForFold(r.topic, r.partition, r.lastOffset, Math.max(0, deadline - Date.now()));
  }

  async close(): Promise<void> {
    await this.producer?.close().catch(() => {});
    this.producer = undefined;
  }
}
