/**
 * Foundation against the real stack: topology apply on the broker and registry, Avro records in
 * the Confluent wire format produced and consumed back inside Kafka transactions (read_committed),
 * and clear, bounded failures for bad input and an unreachable broker.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/runtime/kafka/kafkajs-patches.ts'; // before kafkajs, so its hot paths are the patched ones
import kafkajs from 'kafkajs';
import { applyTopology } from '../../src/runtime/apply.ts';
import { BrokerUnreachable, connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { AvroDecodeError, AvroSerde, loadSchemas, registryClient, UnknownSchemaId, WireFormatError } from '../../src/runtime/schemas.ts';
import { loadTopology } from '../../src/runtime/topology.ts';
import { waitFor } from '../support/runtime.ts';
import { BROKERS, CLI, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';

const { Kafka, logLevel } = kafkajs;
const kafka = new Kafka({ clientId: 'foundation-test', brokers: BROKERS, logLevel: logLevel.NOTHING });
const schemas = loadSchemas(SCHEMAS_DIR);
const registry = registryClient(REGISTRY_URL);

test('topology apply creates every topic and subject once, then is idempotent', { timeout: 120_000 }, async () => {
  const prefix = uniquePrefix('apply');
  const topology = loadTopology(TOPOLOGY_FILE, { prefix, schemasDir: SCHEMAS_DIR });
  const admin = await connectAdmin({ brokers: BROKERS });
  try {
    const first = await applyTopology(admin, topology, { client: registry, schemas });
    assert.equal(first.topics.length, topology.topics.size);
    assert.ok(
      first.topics.every((t) => t.outcome === 'created'),
      JSON.stringify(first.topics),
    );
    assert.equal(first.schemas.length, [...topology.topics.values()].filter((t) => t.value).length);

    const second = await applyTopology(admin, topology, { client: registry, schemas });
    assert.ok(
      second.topics.every((t) => t.outcome === 'unchanged'),
      JSON.stringify(second.topics),
    );
    assert.deepEqual(second.schemas, first.schemas, 're-registering identical schemas must return the same ids');

    // The broker really has what the topology says.
    const epochs = topology.topics.get('epochs')!;
    assert.equal(await admin.partitionCount(epochs.name), 1);
    assert.equal((await admin.describeConfigs(epochs.name, ['cleanup.policy']))['cleanup.policy'], 'compact');
    const events = topology.topics.get('dkg.events')!;
    assert.equal(await admin.partitionCount(events.name), events.partitions);

    // A drifted config is put back; a partition-count difference is reported, not "fixed".
    await admin.alterConfigs(events.name, { 'cleanup.policy': 'delete', 'retention.ms': '1000' });
    // The broker applies a config change asynchronously (KRaft metadata): wait until it shows.
    await waitFor('the drifted config to be visible', async () => ((await admin.describeConfigs(events.name, ['retention.ms']))['retention.ms'] === '1000' ? true : undefined), 30_000);
    const third = await applyTopology(admin, topology);
    const drift = third.topics.find((t) => t.topic === events.name)!;
    assert.equal(drift.outcome, 'updated');
    assert.match(drift.detail ?? '', /retention\.ms: 1000 -> -1/);
    const shrunk = loadTopology(TOPOLOGY_FILE, { prefix, schemasDir: SCHEMAS_DIR });
    shrunk.topics.get('dlq')!.partitions = 3;
    const fourth = await applyTopology(admin, shrunk);
    assert.equal(fourth.topics.find((t) => t.topic === `${prefix}dlq`)?.outcome, 'mismatch');

    // Subject compatibility is BACKWARD.
    const res = await fetch(`${REGISTRY_URL}/config/${encodeURIComponent(`${events.name}-value`)}`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { compatibilityLevel: string }).compatibilityLevel, 'BACKWARD');
  } finally {
    await admin.close();
  }
});

test('Avro records in the registry wire format round-trip through a transaction, read_committed', { timeout: 120_000 }, async () => {
  const prefix = uniquePrefix('avro');
  const topology = loadTopology(TOPOLOGY_FILE, { prefix, schemasDir: SCHEMAS_DIR });
  const admin = await connectAdmin({ brokers: BROKERS });
  await applyTopology(admin, topology, { client: registry, schemas });
  await admin.close();
  const serde = new AvroSerde(registry, schemas);
  const events = topology.topics.get('dkg.events')!;
  const epochs = topology.topics.get('epochs')!;

  const ack = (i: number) => ({
    epoch: 7,
    owner: Buffer.alloc(32, 9),
    event: { 'xyz.dkgstream.dkg.Ack': { player: Buffer.alloc(32, i), ack: Buffer.alloc(64, i + 100) } },
  });
  const key = Buffer.alloc(8);
  key.writeBigUInt64BE(7n);

  // Producer side: one committed transaction with three records and one aborted with a fourth.
  const producer = kafka.producer({ transactionalId: `${prefix}producer`, maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const committed = await producer.transaction();
  await committed.send({ topic: events.name, messages: await Promise.all([1, 2, 3].map(async (i) => ({ key, value: await serde.encode(events, ack(i)) }))) });
  await committed.commit();
  const aborted = await producer.transaction();
  await aborted.send({ topic: events.name, messages: [{ key, value: await serde.encode(events, ack(4)) }] });
  await aborted.abort();

  // Consume-transform-produce: read the events read_committed and, inside one transaction, emit
  // an EpochAdvanced per event and commit the consumer offsets with it.
  const group = `${prefix}group`;
  const consumer = kafka.consumer({ groupId: group, readUncommitted: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: events.name, fromBeginning: true });
  const seen: Array<{ player: number; schemaId: number }> = [];
  const done = new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const tx = await producer.transaction();
          try {
            for (const m of batch.messages) {
              const { schemaId, value } = await serde.decode(m.value, 'dkg-event');
              const ev = (value as { event: Record<string, { player: Buffer }> }).event['xyz.dkgstream.dkg.Ack']!;
              seen.push({ player: ev.player[0]!, schemaId });
              await tx.send({
                topic: epochs.name,
                messages: [
                  {
                    key,
                    value: await serde.encode(epochs, {
                      epoch: 8,
                      event: { 'xyz.dkgstream.epochs.EpochAdvanced': { from: 7, boundaryHeight: 99, boundaryHash: Buffer.alloc(32), isFullDkg: false, players: [ev.player], observation: null } },
                    }),
                  },
                ],
              });
            }
            const last = batch.messages[batch.messages.length - 1]!;
            await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }] });
            await tx.commit();
          } catch (err) {
            await tx.abort();
            reject(err);
          }
          if (seen.length >= 3) resolve();
        },
      })
      .catch(reject);
  });
  await done;
  await consumer.disconnect();
  await producer.disconnect();

  assert.deepEqual(seen.map((s) => s.player).sort(), [1, 2, 3], 'aborted record must be invisible to read_committed');
  const eventsId = await registry.getLatestSchemaId(`${events.name}-value`);
  assert.ok(seen.every((s) => s.schemaId === eventsId));

  // The transformed records are there, committed, and decode under the epochs schema.
  const reader = kafka.consumer({ groupId: `${prefix}reader`, readUncommitted: false, maxWaitTimeInMs: 200 });
  await reader.connect();
  await reader.subscribe({ topic: epochs.name, fromBeginning: true });
  const players: number[] = [];
  await new Promise<void>((resolve, reject) => {
    reader
      .run({
        eachMessage: async ({ message }) => {
          const { value } = await serde.decode(message.value);
          const adv = (value as { event: Record<string, { players: Buffer[] }> }).event['xyz.dkgstream.epochs.EpochAdvanced']!;
          players.push(adv.players[0]![0]!);
          if (players.length >= 3) resolve();
        },
      })
      .catch(reject);
  });
  await reader.disconnect();
  assert.deepEqual(players.sort(), [1, 2, 3]);

  const offsets = await kafka.admin();
  await offsets.connect();
  const groupOffsets = await offsets.fetchOffsets({ groupId: group, topics: [events.name] });
  await offsets.disconnect();
  // All four records share a key, so one partition holds offsets 0-2 (committed), 3 (commit
  // marker), 4 (aborted) and 5 (abort marker); the group resumes exactly after the last input.
  const committedOffsets = groupOffsets[0]!.partitions.filter((p) => p.offset !== '-1').map((p) => p.offset);
  assert.deepEqual(committedOffsets, ['3'], JSON.stringify(groupOffsets));
});

test('bad payloads are typed errors, not crashes', { timeout: 60_000 }, async () => {
  const serde = new AvroSerde(registry, schemas);
  await assert.rejects(serde.decode(Buffer.from('hello')), WireFormatError);
  await assert.rejects(serde.decode(null), WireFormatError);
  await assert.rejects(serde.decode(Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2])), UnknownSchemaId);
  // A real id with a body that is not a record of that schema (truncated).
  const prefix = uniquePrefix('bad');
  const topology = loadTopology(TOPOLOGY_FILE, { prefix, schemasDir: SCHEMAS_DIR });
  const dlq = topology.topics.get('dlq')!;
  const { id } = await registry.register({ type: 'AVRO' as never, schema: schemas.get('dlq')!.json }, { subject: `${dlq.name}-value` });
  const good = await serde.encode(dlq, {
    sourceTopic: 'x',
    sourcePartition: 0,
    sourceOffset: 1,
    processor: 'p',
    errorClass: 'E',
    errorMessage: 'm',
    key: null,
    value: null,
    timestampMs: 1,
    failedAtMs: 2,
  });
  assert.equal(good.readInt32BE(1), id);
  await assert.rejects(serde.decode(good.subarray(0, good.length - 3)), AvroDecodeError);
  await assert.rejects(serde.decode(Buffer.concat([good, Buffer.from([1])])), AvroDecodeError);
  await assert.rejects(serde.encode(dlq, { sourceTopic: 1 }), /does not match dlq\.avsc/);
});

test('an unreachable broker fails fast with a clear error', { timeout: 30_000 }, async () => {
  const started = Date.now();
  await assert.rejects(connectAdmin({ brokers: ['127.0.0.1:1'], connectionTimeoutMs: 4000 }), (err: unknown) => {
    assert.ok(err instanceof BrokerUnreachable);
    assert.match((err as Error).message, /cannot reach Kafka at 127\.0\.0\.1:1/);
    return true;
  });
  assert.ok(Date.now() - started < 20_000, 'must not hang');
  // The CLI says so on stderr and exits non-zero.
  const res = spawnSync(process.execPath, [CLI, 'topology', 'apply'], {
    encoding: 'utf8',
    env: { ...process.env, DKG_STREAM_BROKERS: '127.0.0.1:1' },
    timeout: 25_000,
  });
  assert.equal(res.status, 1);
  assert.match(res.stderr, /cannot reach Kafka at 127\.0\.0\.1:1/);
});

test('a malformed topology is rejected before anything starts', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'topo-'));
  const file = join(dir, 'topology.yaml');
  writeFileSync(file, 'version: 1\ntopics:\n  a: { partitions: 1, key: epoch, value: dlq }\nprocessors:\n  p: { inputs: [a, ghost] }\n');
  const res = spawnSync(process.execPath, [CLI, 'topology', 'apply'], {
    encoding: 'utf8',
    env: { ...process.env, DKG_STREAM_TOPOLOGY: file, DKG_STREAM_BROKERS: '127.0.0.1:1' },
    timeout: 25_000,
  });
  assert.equal(res.status, 1);
  assert.match(res.stderr, /unknown topic 'ghost'/);
  assert.doesNotMatch(res.stderr, /cannot reach Kafka/, 'validation must happen before connecting');
});
