/**
 * dkg-journal on the real broker, registry and RocksDB: a 4-node DKG + reshare whose journals go
 * through Kafka transactions (KafkaJournalBackend) and are folded by the StreamRuntime; bad
 * records produced next to them land in the DLQ; then
 *   - a second runtime with a fresh application id replays both topics from offset 0 into empty
 *     RocksDB stores and ends byte-identical;
 *   - the first runtime, restarted with its data directory wiped, restores the same stores from
 *     its changelogs (prune tombstones included).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { KafkaJournalBackend } from '../../src/edges/participant/kafka-backend.ts';
import { dkgJournalProcessor, JOURNAL_METRICS } from '../../src/processors/dkg-journal/processor.ts';
import { decodeDealing } from '../../src/processors/dkg-journal/stores.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import { DLQ_HEADERS } from '../../src/runtime/dlq.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { FoldTimeout, StreamRuntime } from '../../src/runtime/runtime.ts';
import { AvroSerde, loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { loadTopology } from '../../src/runtime/topology.ts';
import { Keyring } from '../../src/state/seal.ts';
import { eventToAvro, privMsgContext } from '../../src/topics/dkg-events.ts';
import { epochKey } from '../../src/topics/epoch-key.ts';
import { STORES } from '../../src/topics/names.ts';
import { readTopic } from '../support/count-check.ts';
import { newPort, tempDir, waitFor } from '../support/runtime.ts';
import { BROKERS, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';
import { runCeremony } from '../unit/journal/ceremony.ts';

const port = newPort('dkg-test-journal');
const dirs: string[] = [];
after(async () => {
  await port.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const MAX_READ = 4;

test('journal through Kafka: ceremony, DLQ, replay from offset 0 and changelog restore are equivalent', { timeout: 300_000 }, async (t) => {
  const prefix = uniquePrefix('journal');
  const topology = loadTopology(TOPOLOGY_FILE, { prefix, schemasDir: SCHEMAS_DIR });
  const schemas = loadSchemas(SCHEMAS_DIR);
  const registry = registryClient(REGISTRY_URL);
  const admin = await connectAdmin({ brokers: BROKERS });
  try {
    await applyTopology(admin, topology, { client: registry, schemas });
  } finally {
    await admin.close();
  }
  const events = topology.topics.get('dkg.events')!;
  const states = topology.topics.get('dkg.states')!;
  const dlq = topology.topics.get('dlq')!;
  const serde = new AvroSerde(registry, schemas);
  const keyring = new Keyring([randomBytes(32)]);

  const runtimeFor = (applicationId: string, dataDir: string, metrics: Metrics) => {
    const def = dkgJournalProcessor({ serde, keyring, maxReadSize: MAX_READ, eventsTopic: events.name, statesTopic: states.name });
    return new StreamRuntime({ port, processor: def, applicationId: `${prefix}${applicationId}`, dataDir, dlqTopic: dlq.name, metrics, sessionTimeoutMs: 6000 });
  };
  const dump = async (rt: StreamRuntime) => {
    const out: Record<string, string> = {};
    for (const store of [STORES.journal, STORES.states])
      for (let p = 0; p < events.partitions; p++) for await (const [k, v] of rt.localStore(store, p)!.range()) out[`${store}/${p}/${k.toString('hex')}`] = v.toString('hex');
    return out;
  };
  const allReady = (rt: StreamRuntime) => waitFor('runtime ready on every partition', () => (rt.ready() && rt.assignedPartitions().length === events.partitions ? true : undefined), 60_000);

  // 1. Live: four nodes, each with its own transactional journal producer, one folding runtime.
  const dirA = tempDir('journal-a');
  dirs.push(dirA);
  const metricsA = new Metrics();
  const rtA = runtimeFor('a', dirA, metricsA);
  t.after(() => rtA.stop()); // stop is idempotent: also when an assertion fails first
  await rtA.ensureTopics();
  await rtA.start();
  await allReady(rtA);
  const backends = Array.from({ length: 4 }, (_, i) => new KafkaJournalBackend({ port, serde, events, states, runtime: rtA, transactionalId: `${prefix}node-${i}`, keyring, maxReadSize: MAX_READ }));
  const result = await runCeremony({ keyring, metrics: metricsA, backend: (i) => backends[i]! }, { n: 4, epochs: 2 });
  for (const b of backends) await b.close();
  const outputs = new Set(Object.values(result.finals).map((f) => f.output));
  assert.equal(outputs.size, 1);
  assert.ok([...outputs][0], 'the reshare produced an Output');
  for (const f of Object.values(result.finals)) assert.equal(f.epoch, '2');

  // Bad records next to the good ones: a tampered secret, a wrong-epoch key, bytes that are not Avro.
  const ownerPk = Buffer.from(Object.keys(result.finals)[0]!, 'hex');
  const stored = (await backends[0]!.queries.raw(ownerPk, 1n, 'dealing'))[0];
  assert.ok(stored, 'epoch 1 dealings are stored');
  const sealed = keyring.seal(Buffer.alloc(32, 1), privMsgContext(1n, ownerPk));
  sealed.ciphertext[0]! ^= 1;
  const bad = await serde.encode(events, eventToAvro({ kind: 'dealing', epoch: 1n, owner: ownerPk, dealer: ownerPk, pubMsg: decodeDealing(stored[1]).pubMsg, privMsg: sealed }));
  const wrongKey = await serde.encode(events, eventToAvro({ kind: 'prune', epoch: 0n, owner: ownerPk }));
  const producer = await port.producer();
  await producer.send([
    { topic: events.name, key: epochKey(1n), value: bad },
    { topic: events.name, key: epochKey(7n), value: wrongKey },
    { topic: events.name, key: epochKey(1n), value: Buffer.from('not avro') },
  ]);
  await producer.close();
  // Dead letters are committed in the transaction that moves past their records, so once all
  // three are visible, everything produced before them has been folded.
  const dead = await waitFor(
    'three dead letters',
    async () => {
      const r = await readTopic(port, dlq.name);
      return r.length >= 3 ? r : undefined;
    },
    60_000,
  );
  assert.deepEqual(dead.map((r) => r.headers[DLQ_HEADERS.errorClass]!.toString()).sort(), ['AuthenticationFailed', 'EpochKeyMismatch', 'WireFormatError']);
  assert.equal(metricsA.get(JOURNAL_METRICS.rejected, { reason: 'AuthenticationFailed' }), 1);
  // waitForFold: a folded offset resolves at once; one never produced times out with FoldTimeout.
  const end = (await (await port.admin()).offsets(events.name)).find((m) => m.partition === 1)!.high;
  await waitFor(
    'partition 1 folded to its end',
    async () =>
      (await rtA.waitForFold(events.name, 1, end - 2, 100).then(
        () => true,
        () => false,
      ))
        ? true
        : undefined,
    60_000,
  );
  await assert.rejects(rtA.waitForFold(events.name, 1, end + 1000, 300), (e: Error) => e instanceof FoldTimeout && /did not fold .*@\d+ within 300 ms/.test(e.message));
  const live = await dump(rtA);
  assert.ok(Object.keys(live).length > 20);
  await rtA.stop();

  // 2. Replay both topics from offset 0 into empty stores (fresh application id = fresh group).
  const dirB = tempDir('journal-b');
  dirs.push(dirB);
  const rtB = runtimeFor('b', dirB, new Metrics());
  t.after(() => rtB.stop());
  await rtB.ensureTopics();
  await rtB.start();
  await allReady(rtB);
  const replayed = await waitFor(
    'replay to reach the live contents',
    async () => {
      const d = await dump(rtB);
      return JSON.stringify(d) === JSON.stringify(live) ? d : undefined;
    },
    120_000,
  ).catch(async () => dump(rtB));
  assert.deepEqual(replayed, live);
  await rtB.stop();

  // 3. The live runtime restarted with its RocksDB wiped restores the same stores from the changelogs.
  rmSync(dirA, { recursive: true, force: true });
  const rtA2 = runtimeFor('a', dirA, new Metrics());
  t.after(() => rtA2.stop());
  await rtA2.start();
  await allReady(rtA2);
  assert.deepEqual(await dump(rtA2), live);
  await rtA2.stop();
});
