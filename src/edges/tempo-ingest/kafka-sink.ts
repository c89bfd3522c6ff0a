/**
 * The ingest's Kafka side: {@link IngestSink} over a transactional producer.
 *
 * - `append` produces one Avro `Finalization` (header as `HeaderRlp`, key = epoch u64 BE) to
 *   `consensus.finalizations` in its own transaction and resolves once it is committed, so the
 *   ingest advances its height only over durable records.
 * - `reject` produces a `DeadLetter` (processor `ingest`, source = the node URL, value = the raw
 *   event text) with the `dlq.*` headers to the DLQ.
 * - One transactional id per ingested chain (`<applicationId>-ingest`): starting a second ingest
 *   fences the first, so two writers never interleave.
 * - Resume: {@link lastIngestedHeight} reads the tail of every partition (read_committed) and
 *   returns the highest height present; the ingest starts after it. After a failed transaction
 *   (whose outcome may be unknown) the sink re-reads it and drops appends at or below it, so a
 *   commit that did happen is not written twice.
 */

import { type DeadLetter, deadLetter, dlqHeaders } from '../../runtime/dlq.ts';
import type { KafkaPort, TransactionalProducer } from '../../runtime/kafka/port.ts';
import { logger } from '../../runtime/log.ts';
import type { AvroSerde } from '../../runtime/schemas.ts';
import type { TopicSpec } from '../../runtime/topology.ts';
import type { TopicCodecs } from '../../topics/codecs.ts';
import { epochKey } from '../../topics/epoch-key.ts';
import type { IngestedFinalization, IngestSink } from './tempo-ws.ts';

const log = logger('ingest.kafka');

/** Highest height in the topic (committed records only), or undefined when it has none. */
export async function lastIngestedHeight(port: KafkaPort, topic: string, codec: TopicCodecs, tail = 64): Promise<bigint | undefined> {
  const admin = await port.admin();
  const marks = (await admin.offsets(topic)).filter((m) => m.high > m.low);
  if (marks.length === 0) return undefined;
  let best: bigint | undefined;
  const h = await port.read({
    topic,
    from: new Map(marks.map((m) => [m.partition, Math.max(m.low, m.high - tail)])),
    until: new Map(marks.map((m) => [m.partition, m.high])),
    onRecords: async (_p, records) => {
      for (const r of records) {
        try {
          const { height } = await codec.decodeFinalization(r.value);
          if (best === undefined || height > best) best = height;
        } catch {
          // not ours to judge here: the follower dead-letters it
        }
      }
    },
  });
  await h.done;
  return best;
}

export interface KafkaIngestSinkOptions {
  port: KafkaPort;
  codec: TopicCodecs;
  serde: AvroSerde;
  finalizations: TopicSpec;
  dlq: TopicSpec;
  transactionalId: string;
  /** Recorded as the source of rejects. */
  url: string;
}

export class KafkaIngestSink implements IngestSink {
  private producer: TransactionalProducer | undefined;
  /** Heights at or below this are already in the topic (set after a failed transaction). */
  private floor: bigint | undefined;
  readonly stats = { produced: 0, rejected: 0, skippedAfterFailure: 0 };

  constructor(private readonly opts: KafkaIngestSinkOptions) {}

  private async txn(records: Parameters<Awaited<ReturnType<TransactionalProducer['begin']>>['send']>[0]): Promise<void> {
    this.producer ??= await this.opts.port.transactionalProducer(this.opts.transactionalId);
    const t = await this.producer.begin();
    try {
      await t.send(records);
      await t.commit();
    } catch (err) {
      await t.abort().catch(() => {});
      const p = this.producer;
      this.producer = undefined;
      await p?.close().catch(() => {});
      throw err;
    }
  }

  async append(r: IngestedFinalization): Promise<void> {
    if (this.floor !== undefined && r.height <= this.floor) {
      this.stats.skippedAfterFailure++;
      return;
    }
    const value = await this.opts.codec.encodeFinalization({
      height: r.height,
      certificate: r.certificate,
      header: { rlp: r.headerRlp },
      source: `${r.source}#${r.via}`,
      receivedAtMs: r.receivedAtMs,
    });
    try {
      await this.txn([{ topic: this.opts.finalizations.name, key: epochKey(r.epoch), value }]);
    } catch (err) {
      // The commit may or may not have happened: learn what the topic holds before going on.
      this.floor = await lastIngestedHeight(this.opts.port, this.opts.finalizations.name, this.opts.codec).catch(() => this.floor);
      log.warn({ height: r.height.toString(), floor: this.floor?.toString(), err: (err as Error).message }, 'append failed');
      throw err;
    }
    this.stats.produced++;
  }

  async reject(raw: string, reason: string, errorClass: string): Promise<void> {
    const now = Date.now();
    // Bounded like every dead letter (a hostile node can send frames of any size).
    const record = { topic: this.opts.url, partition: -1, offset: -1, key: null, value: Buffer.from(raw, 'utf8'), timestamp: now, headers: {} };
    const dl: DeadLetter = deadLetter(record, 'ingest', Object.assign(new Error(reason), { name: errorClass }), now);
    const value = await this.opts.serde.encode(this.opts.dlq, dl);
    await this.txn([{ topic: this.opts.dlq.name, key: null, value, headers: dlqHeaders(dl, 'decode') }]);
    this.stats.rejected++;
  }

  async close(): Promise<void> {
    await this.producer?.close().catch(() => {});
    this.producer = undefined;
  }
}
