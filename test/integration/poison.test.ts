/**
 * No record and no combination of records stalls a partition (real broker, registry, RocksDB):
 *   - a 1 MB garbage record next to a 98 KB one on dkg.events (dkg-journal), with valid states
 *     of the same task around them;
 *   - three 400 KB garbage records on consensus.finalizations (follow), between valid blocks;
 *   - an output the broker rejects (MESSAGE_TOO_LARGE on a topic with a small max.message.bytes):
 *     the failed transaction is split until the record is alone, and that record is dead-lettered.
 * Every dead letter is bounded (prefix + size + SHA-256 of the original, which stays in its topic).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { followEnv, followRuntime } from '../../src/app/env.ts';
import { ed25519FromSeed, ed25519PublicKey } from '../../src/crypto/ed25519.ts';
import { dkgJournalProcessor } from '../../src/processors/dkg-journal/processor.ts';
import { bootstrapFromOutcome } from '../../src/processors/follow/bootstrap.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import { DLQ_HEADERS, DLQ_VALUE_PREFIX_BYTES, decodeJsonDeadLetter } from '../../src/runtime/dlq.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import type { InRecord } from '../../src/runtime/kafka/port.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import type { ProcessorDef } from '../../src/runtime/processor.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { AvroSerde, loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { loadTopology } from '../../src/runtime/topology.ts';
import { Keyring } from '../../src/state/seal.ts';
import { rngSeedContext, stateToAvro } from '../../src/topics/dkg-states.ts';
import { epochKey, epochKey as followEpochKey } from '../../src/topics/epoch-key.ts';
import { STORES } from '../../src/topics/names.ts';
import { readTopic } from '../support/count-check.ts';
import { lifo, newPort, tempDir, unique, waitFor } from '../support/runtime.ts';
import { BROKERS, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';
import { buildChain } from '../support/tempo-chain.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Checks a dead letter against the garbage it stands for: bounded prefix, size, digest, source. */
function checkLetter(letter: InRecord, original: Buffer, source: { name: string }): void {
  const h = (n: string) => letter.headers[n]?.toString();
  assert.equal(h(DLQ_HEADERS.sourceTopic), source.name);
  assert.equal(h(DLQ_HEADERS.valueSize), String(original.length));
  assert.equal(h(DLQ_HEADERS.valueSha256), sha256(original));
  assert.equal(h(DLQ_HEADERS.valueTruncated), String(original.length > DLQ_VALUE_PREFIX_BYTES));
  assert.ok(letter.value!.length < DLQ_VALUE_PREFIX_BYTES + 4096, `a dead letter is bounded (${letter.value!.length} bytes)`);
}

/** Cleanups run last-registered first (t.after runs in registration order): a runtime stops before the port it uses closes. */

test('dkg-journal: a 1 MB and a 98 KB garbage record on dkg.events are dead-lettered (bounded), the valid states around them fold', { timeout: 180_000 }, async (t) => {
  const defer = lifo(t);
  const prefix = uniquePrefix('poison-journal');
  const topology = loadTopology(TOPOLOGY_FILE, { prefix, schemasDir: SCHEMAS_DIR });
  const schemas = loadSchemas(SCHEMAS_DIR);
  const registry = registryClient(REGISTRY_URL);
  const admin = await connectAdmin({ brokers: BROKERS });
  defer(() => admin.close());
  await applyTopology(admin, topology, { client: registry, schemas });
  const events = topology.topics.get('dkg.events')!;
  const states = topology.topics.get('dkg.states')!;
  const dlq = topology.topics.get('dlq')!;
  const serde = new AvroSerde(registry, schemas);
  const keyring = new Keyring([randomBytes(32)]);
  const port = newPort('dkg-test-poison');
  const dataDir = tempDir('poison-journal');
  defer(async () => {
    await port.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const owners = [3, 4].map((s) => Buffer.from(ed25519PublicKey(ed25519FromSeed(s))));
  const state = (epoch: bigint, owner: Buffer) =>
    serde.encode(states, stateToAvro({ epoch, owner, round: epoch, rngSeed: keyring.seal(randomBytes(32), rngSeedContext(epoch, owner)), output: null, share: null }));
  const big = randomBytes(1_000_000);
  const mid = randomBytes(98 * 1024);
  const key = epochKey(5n); // one task: every record below is on the partition of epoch 5
  const producer = await port.producer();
  defer(() => producer.close());
  await producer.send([
    { topic: states.name, key, value: await state(5n, owners[0]!) },
    { topic: events.name, key, value: big },
    { topic: events.name, key, value: mid },
  ]);
  await producer.send([{ topic: states.name, key, value: await state(5n, owners[1]!) }]);

  const metrics = new Metrics();
  const def = dkgJournalProcessor({ serde, keyring, maxReadSize: 4, eventsTopic: events.name, statesTopic: states.name });
  const rt = new StreamRuntime({ port, processor: def, applicationId: `${prefix}app`, dataDir, dlqTopic: dlq.name, dlqEncode: (dl) => serde.encode(dlq, dl), metrics, sessionTimeoutMs: 6000 });
  defer(() => rt.stop());
  await rt.ensureTopics();
  await rt.start();
  const committed = async (topic: string) => (await admin.groupOffsets(rt.groupId, topic)).reduce((s, o) => s + Math.max(0, o.offset), 0);
  await waitFor('both inputs committed to their end', async () => ((await committed(events.name)) === 2 && (await committed(states.name)) === 2 ? true : undefined), 90_000);
  const letters = await readTopic(port, dlq.name);
  assert.equal(letters.length, 2, 'both garbage records dead-lettered, once');
  const bySize = new Map(letters.map((l) => [l.headers[DLQ_HEADERS.valueSize]!.toString(), l]));
  checkLetter(bySize.get(String(big.length))!, big, events);
  checkLetter(bySize.get(String(mid.length))!, mid, events);
  // The Avro letter decodes and keeps the prefix.
  const decoded = (await serde.decode(bySize.get(String(big.length))!.value, 'dlq')).value as { value: Buffer; valueTruncated: boolean; sourceOffset: number };
  assert.equal(decoded.valueTruncated, true);
  assert.deepEqual(decoded.value, big.subarray(0, DLQ_VALUE_PREFIX_BYTES));
  let folded = 0;
  for (const p of rt.assignedPartitions()) for await (const _ of rt.localStore(STORES.states, p)?.range() ?? []) folded++;
  assert.equal(folded, 2, 'the valid states before and after the garbage folded');
  assert.equal(metrics.get('dkg_stream_task_failures_total', { processor: def.name }) ?? 0, 0, 'no transaction failed');
});

test('follow: three 400 KB garbage records between valid blocks on consensus.finalizations do not stall the partition', { timeout: 180_000 }, async (t) => {
  const defer = lifo(t);
  const L = 4n;
  const chain = buildChain({ epochLength: L, epochs: 1 });
  const prefix = uniquePrefix('poison-follow');
  const env = followEnv(
    { brokers: BROKERS, registryUrl: REGISTRY_URL, topology: TOPOLOGY_FILE, schemasDir: SCHEMAS_DIR, topicPrefix: prefix, applicationId: `${prefix}app` },
    'dkg-test-poison-follow',
  );
  const dataDir = tempDir('poison-follow');
  defer(async () => {
    await env.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const admin = await connectAdmin({ brokers: BROKERS });
  defer(() => admin.close());
  await applyTopology(admin, env.topology, { client: registryClient(REGISTRY_URL), schemas: loadSchemas(SCHEMAS_DIR) });
  const input = env.topology.topics.get('consensus.finalizations')!;
  const verified = env.topology.topics.get('finalizations.verified')!;
  const dlq = env.topology.topics.get('dlq')!;
  const blocks = chain.blocks.filter((b) => b.epoch === 0n);
  const encode = (b: (typeof blocks)[number]) => env.codec.encodeFinalization({ height: b.height, certificate: b.certificate, header: { rlp: b.headerRlp }, source: 'test', receivedAtMs: 0 });
  const garbage = [randomBytes(400_000), randomBytes(400_000), randomBytes(400_000)];
  const key = followEpochKey(0n);
  const producer = await env.port.producer();
  defer(() => producer.close());
  await producer.send([
    { topic: input.name, key, value: await encode(blocks[0]!) },
    ...garbage.map((g) => ({ topic: input.name, key, value: g })),
    ...(await Promise.all(blocks.slice(1).map(async (b) => ({ topic: input.name, key, value: await encode(b) })))),
  ]);

  const metrics = new Metrics();
  const rt = followRuntime(env, { epochLength: L, bootstrap: bootstrapFromOutcome(chain.genesis.outcomeBytes), metrics }, { dataDir, metrics, sessionTimeoutMs: 6000 });
  defer(() => rt.stop());
  await rt.ensureTopics();
  await rt.start();
  await waitFor(`${blocks.length} verified`, async () => ((await readTopic(env.port, verified.name)).length >= blocks.length ? true : undefined), 90_000);
  const letters = await waitFor('3 dead letters', async () => {
    const l = await readTopic(env.port, dlq.name);
    return l.length >= 3 ? l : undefined;
  });
  assert.equal(letters.length, 3);
  for (const g of garbage) checkLetter(letters.find((l) => l.headers[DLQ_HEADERS.valueSha256]?.toString() === sha256(g))!, g, input);
  assert.deepEqual(letters.map((l) => Number(l.headers[DLQ_HEADERS.sourceOffset]!.toString())).sort(), [1, 2, 3]);
  assert.equal((await readTopic(env.port, verified.name)).length, blocks.length, 'every valid block verified once');
  assert.equal(metrics.get('dkg_stream_task_failures_total', { processor: 'follow' }) ?? 0, 0, 'no transaction failed');
});

test('a transaction the broker rejects for one output (MESSAGE_TOO_LARGE) is split until that record is isolated and dead-lettered', { timeout: 180_000 }, async (t) => {
  const defer = lifo(t);
  const port = newPort('dkg-test-split');
  const dataDir = tempDir('split');
  defer(async () => {
    await port.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const input = unique('split-in');
  const output = unique('split-out');
  const dlq = unique('split-dlq');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 1 },
    // The output topic takes records of at most ~4 KB: an echo of a 10 KB input cannot be produced.
    { topic: output, partitions: 1, configs: { 'max.message.bytes': '4096' } },
  ]);
  const echo: ProcessorDef = {
    name: 'echo',
    inputs: [input],
    outputs: [output],
    process(ctx, record) {
      ctx.send({ topic: output, key: record.key, value: record.value });
    },
  };
  const values = Array.from({ length: 40 }, (_, i) => (i === 17 || i === 31 ? Buffer.alloc(10_000, i) : Buffer.from(`small-${i}`)));
  const producer = await port.producer();
  defer(() => producer.close());
  await producer.send(values.map((value, i) => ({ topic: input, key: Buffer.from(`k${i}`), value })));

  const metrics = new Metrics();
  const rt = new StreamRuntime({ port, processor: echo, applicationId: unique('split-app'), dataDir, dlqTopic: dlq, metrics, sessionTimeoutMs: 6000 });
  defer(() => rt.stop());
  await rt.ensureTopics();
  await rt.start();
  await waitFor('input committed to its end', async () => ((await admin.groupOffsets(rt.groupId, input))[0]?.offset === values.length ? true : undefined), 120_000);
  const out = await readTopic(port, output);
  assert.deepEqual(
    out.map((r) => r.value!.toString()),
    values.filter((_, i) => i !== 17 && i !== 31).map((v) => v.toString()),
    'every other record echoed exactly once, in order',
  );
  const letters = (await readTopic(port, dlq)).map((r) => ({ dl: decodeJsonDeadLetter(r.value!), stage: r.headers[DLQ_HEADERS.stage]!.toString() }));
  assert.deepEqual(
    letters.map((l) => [l.dl.sourceOffset, l.dl.errorClass, l.stage]),
    [
      [17, 'RecordRejected', 'produce'],
      [31, 'RecordRejected', 'produce'],
    ],
  );
  assert.match(letters[0]!.dl.errorMessage, /MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/);
  assert.ok((metrics.get('dkg_stream_retries_total', { processor: 'echo', reason: 'isolate' }) ?? 0) >= 2, 'the splits are counted as retries');
  assert.equal(rt.ready(), true, 'ready again once the records are isolated');
});
