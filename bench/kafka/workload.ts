/**
 * The fold benchmark's workload: "DKG-event records" in a fixed binary layout that Kafka Streams
 * (bench/anchors/kafka-streams) and dkg-stream fold identically, so neither side pays for Avro or
 * a registry client (the production `dkg.events` values are Avro in the Confluent wire format;
 * decoding them is measured elsewhere, the comparison here is the fold loop + state + EOS).
 *
 * Record key: epoch u64 BE (as `dkg.events`). Partition: epoch mod partitions.
 * Record value:
 *   0..8   epoch u64 BE
 *   8      kind u8 (0 dealing, 1 ack, 2 log)
 *   9..13  participant u32 BE (dealer of the dealing/ack/log)
 *   13..21 seq u64 BE (global sequence number)
 *   21..   payload (dealing 512 B, ack 112 B, log 1024 B; ≈ commonware sizes for n = 10)
 * Per epoch, a committee of 10: 10 dealings, 100 acks (10 per dealer), 10 logs = 120 records,
 * epochs ascending — 1M records ≈ 8.3k epochs, 250k distinct store keys, ≈ 240 MB.
 *
 * The fold: state[epoch ‖ kind ‖ participant] = count u64 ‖ last seq u64 (last writer).
 */
import type { KafkaPort, OutRecord } from '../../src/runtime/kafka/port.ts';
import type { InRecord, ProcessorDef } from '../../src/runtime/processor.ts';
import type { Bytes } from '../../src/state/kv.ts';

export const COMMITTEE = 10;
export const PER_EPOCH = COMMITTEE + COMMITTEE * COMMITTEE + COMMITTEE;
const PAYLOAD = [512, 112, 1024] as const;
export const STORE = 'fold';

/** The i-th record of the workload (deterministic). */
export function workloadRecord(i: number, partitions: number): OutRecord {
  const epoch = Math.floor(i / PER_EPOCH);
  const j = i % PER_EPOCH;
  let kind: number;
  let participant: number;
  if (j < COMMITTEE) [kind, participant] = [0, j];
  else if (j < COMMITTEE + COMMITTEE * COMMITTEE) [kind, participant] = [1, Math.floor((j - COMMITTEE) / COMMITTEE)];
  else [kind, participant] = [2, j - COMMITTEE - COMMITTEE * COMMITTEE];
  const v = Buffer.alloc(21 + PAYLOAD[kind as 0 | 1 | 2]);
  v.writeBigUInt64BE(BigInt(epoch), 0);
  v.writeUInt8(kind, 8);
  v.writeUInt32BE(participant, 9);
  v.writeBigUInt64BE(BigInt(i), 13);
  for (let k = 21; k < v.length; k += 4) v.writeUInt32BE((i * 2654435761 + k) >>> 0, Math.min(k, v.length - 4));
  const key = Buffer.alloc(8);
  key.writeBigUInt64BE(BigInt(epoch));
  return { topic: '', key, value: v, partition: epoch % partitions };
}

export const inputTopic = (n: number) => `bench.fold.input.${n}`;

/**
 * Makes sure `bench.fold.input.<n>` holds exactly the n workload records (created once, reused by
 * later runs; recreated when incomplete). Bounded producer: batches of 5000, one in flight.
 */
export async function ensureInput(port: KafkaPort, n: number, partitions: number, log: (s: string) => void): Promise<string> {
  const topic = inputTopic(n);
  const admin = await port.admin();
  if ((await admin.listTopics()).includes(topic)) {
    const marks = await admin.offsets(topic);
    const total = marks.reduce((s, m) => s + m.high - m.low, 0);
    if (total === n && marks.length === partitions) return topic;
    log(`${topic}: ${total} records, expected ${n}: recreating`);
    await admin.deleteTopics([topic]);
    await new Promise((r) => setTimeout(r, 2000));
  }
  await admin.createTopics([{ topic, partitions, configs: { 'retention.ms': '-1', 'segment.bytes': String(256 << 20) } }]);
  const producer = await port.producer();
  const t0 = performance.now();
  const BATCH = 5000;
  for (let i = 0; i < n; i += BATCH) {
    const recs: OutRecord[] = [];
    for (let k = i; k < Math.min(n, i + BATCH); k++) recs.push({ ...workloadRecord(k, partitions), topic });
    await producer.send(recs);
    if ((i / BATCH) % 20 === 0) log(`${topic}: produced ${Math.min(n, i + BATCH)}/${n}`);
  }
  await producer.close();
  log(`${topic}: ${n} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return topic;
}

/**
 * The folded state of a key after record `v`: count + 1 ‖ the record's seq, written into `out`
 * (16 bytes). The count is a u64 handled as two u32 halves: no BigInt per record.
 */
export function nextState(prev: Bytes | null, v: Buffer, out: Buffer): Buffer {
  let hi = 0;
  let lo = 1;
  if (prev) {
    hi = prev.readUInt32BE(0);
    lo = prev.readUInt32BE(4) + 1;
    if (lo > 0xffffffff) {
      lo = 0;
      hi = (hi + 1) >>> 0;
    }
  }
  out.writeUInt32BE(hi, 0);
  out.writeUInt32BE(lo, 4);
  out.writeUInt32BE(v.readUInt32BE(13), 8); // the seq, as two words: cheaper than Buffer#copy for 8 bytes
  out.writeUInt32BE(v.readUInt32BE(17), 12);
  return out;
}

/** dkg-stream's side of the fold (same semantics as FoldBench.java). */
export function foldProcessor(input: string, onFirst?: () => void): ProcessorDef<Buffer> {
  let first = true;
  const scratch = Buffer.alloc(16);
  return {
    name: 'fold',
    inputs: [input],
    stores: [STORE],
    // Read-ahead of the one key each record folds into (one multi-get per chunk; set
    // BENCH_NO_PREFETCH=1 to measure without it).
    ...(process.env.BENCH_NO_PREFETCH ? {} : { prefetch: (record: InRecord) => (record.value && record.value.length >= 13 ? [{ store: STORE, key: record.value.subarray(0, 13) }] : []) }),
    decode(record) {
      const v = record.value;
      if (!v || v.length < 21) throw new Error('short record');
      return v;
    },
    // Synchronous when the key is in memory (read ahead, or written earlier in the unit): no
    // promise per record. `put` copies, so one scratch value serves every record.
    process(ctx, v) {
      if (first) {
        first = false;
        onFirst?.();
      }
      const store = ctx.store(STORE);
      const key = v.subarray(0, 13);
      const prev = store.peek(key);
      if (prev === undefined) return store.get(key).then((p) => store.put(key, nextState(p ?? null, v, scratch)));
      store.put(key, nextState(prev, v, scratch));
    },
  };
}
