/**
 * A registry outage is not bad input: the REAL registry of the local stack is stopped while the
 * dkg-journal processor folds `dkg.states`, and the records that arrive meanwhile carry a schema id
 * the runtime has never seen (a new, compatible version of the subject), so it cannot decode them
 * without the registry. The partition pauses and retries: nothing is dead-lettered, nothing is
 * committed past those records, the lag gauge and /readyz say so; once the registry is back every
 * record is folded exactly once.
 *
 * Stops and restarts the registry of this stack (pid file under the stack dir): node's test runner
 * runs one file at a time here, and t.after brings the registry back whatever happens.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { stackConfig } from '../../src/cli/stack.ts';
import { ed25519FromSeed, ed25519PublicKey } from '../../src/crypto/ed25519.ts';
import { dkgJournalProcessor } from '../../src/processors/dkg-journal/processor.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { AvroSerde, loadSchemas, registryClient, valueSubject } from '../../src/runtime/schemas.ts';
import { loadTopology } from '../../src/runtime/topology.ts';
import { Keyring } from '../../src/state/seal.ts';
import { rngSeedContext, stateToAvro } from '../../src/topics/dkg-states.ts';
import { epochKey } from '../../src/topics/epoch-key.ts';
import { STORES } from '../../src/topics/names.ts';
import { readTopic } from '../support/count-check.ts';
import { lifo, newPort, tempDir, waitFor } from '../support/runtime.ts';
import { BROKERS, CLI, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';

const registryPidFile = () => join(stackConfig().dir, 'run', 'registry.pid');
const registryPid = (): number | undefined => {
  try {
    const pid = Number(readFileSync(registryPidFile(), 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
};
const registryUp = () => {
  const r = spawnSync(process.execPath, [CLI, 'stack', 'up'], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`stack up failed: ${r.stderr}`);
};
async function registryDown(): Promise<void> {
  const pid = registryPid();
  assert.ok(pid, 'the registry of the local stack runs (pid file)');
  process.kill(pid, 'SIGKILL');
  await waitFor('registry process gone', () => (registryPid() === undefined ? true : undefined), 30_000);
}

/** Cleanups run last-registered first (t.after runs in registration order): a runtime stops before the port it uses closes. */

test('registry outage mid-stream: records wait (no DLQ, no commit past them), then are folded once it is back', { timeout: 300_000 }, async (t) => {
  const defer = lifo(t);
  const prefix = uniquePrefix('outage');
  const topology = loadTopology(TOPOLOGY_FILE, { prefix, schemasDir: SCHEMAS_DIR });
  const schemas = loadSchemas(SCHEMAS_DIR);
  const registry = registryClient(REGISTRY_URL);
  const admin = await connectAdmin({ brokers: BROKERS });
  defer(() => admin.close());
  await applyTopology(admin, topology, { client: registry, schemas });
  const states = topology.topics.get('dkg.states')!;
  const dlq = topology.topics.get('dlq')!;
  const keyring = new Keyring([randomBytes(32)]);
  const port = newPort('dkg-test-outage');
  const dataDir = tempDir('outage');
  defer(async () => {
    if (registryPid() === undefined) registryUp();
    await port.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // A second, compatible version of the states subject (an extra field with a default): records
  // written with it carry an id the runtime's serde has not cached.
  const v1 = schemas.get('epoch-state')!;
  const v2Schema = JSON.parse(v1.json) as { fields: unknown[] };
  v2Schema.fields.push({ name: 'note', type: 'string', default: '' });
  const v2Type = avro.Type.forSchema(v2Schema as avro.Schema);
  let v2Id = -1;

  const producerSerde = new AvroSerde(registry, schemas);
  const owner = Buffer.from(ed25519PublicKey(ed25519FromSeed(7)));
  const stateValue = (epoch: bigint) => ({
    ...(stateToAvro({ epoch, owner, round: epoch, rngSeed: keyring.seal(randomBytes(32), rngSeedContext(epoch, owner)), output: null, share: null }) as object),
  });
  const v2Bytes = (epoch: bigint) => {
    const body = v2Type.toBuffer({ ...stateValue(epoch), note: `written during the outage (${epoch})` });
    const out = Buffer.alloc(5 + body.length);
    out.writeInt32BE(v2Id, 1);
    body.copy(out, 5);
    return out;
  };
  const producer = await port.producer();
  defer(() => producer.close());
  const send = async (values: Array<{ epoch: bigint; value: Buffer }>) => producer.send(values.map((v) => ({ topic: states.name, key: epochKey(v.epoch), value: v.value })));

  const metrics = new Metrics();
  const def = dkgJournalProcessor({
    serde: new AvroSerde(registryClient(REGISTRY_URL), schemas),
    keyring,
    maxReadSize: 4,
    eventsTopic: topology.topics.get('dkg.events')!.name,
    statesTopic: states.name,
  });
  const rt = new StreamRuntime({ port, processor: def, applicationId: `${prefix}app`, dataDir, dlqTopic: dlq.name, metrics, sessionTimeoutMs: 6000, stalledAfterMs: 1500, maxRetryBackoffMs: 1000 });
  defer(() => rt.stop());
  await rt.ensureTopics();
  await rt.start();
  const folded = async () => {
    let n = 0;
    for (const p of rt.assignedPartitions()) for await (const _ of rt.localStore(STORES.states, p)?.range() ?? []) n++;
    return n;
  };
  const committed = async () => (await admin.groupOffsets(rt.groupId, states.name)).reduce((s, o) => s + Math.max(0, o.offset), 0);

  // 1. Registry up: 12 records of version 1 fold.
  await send(await Promise.all(Array.from({ length: 12 }, async (_, i) => ({ epoch: BigInt(i + 1), value: await producerSerde.encode(states, stateValue(BigInt(i + 1))) }))));
  await waitFor('12 states folded', async () => ((await folded()) === 12 && rt.ready() ? true : undefined), 60_000).catch(async (e) => {
    throw new Error(
      `${e.message}: folded ${await folded()}, ${JSON.stringify(rt.status())}, dlq ${(await readTopic(port, dlq.name)).map((r) => r.headers['dlq.error.message']?.toString()).join('; ')}`,
    );
  });
  const committedBefore = await committed();
  assert.equal(committedBefore, 12);

  // 2. Version 2 registered (after the producer cached version 1's id); registry down; 12
  // records of version 2 arrive.
  ({ id: v2Id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2Schema) }, { subject: valueSubject(states), compatibility: COMPATIBILITY.BACKWARD }));
  await registryDown();
  await send(Array.from({ length: 12 }, (_, i) => ({ epoch: BigInt(i + 101), value: v2Bytes(BigInt(i + 101)) })));
  await waitFor('the runtime reports the stall (not ready)', () => (rt.notReady().some((w) => w.includes('stalled')) ? true : undefined), 60_000);
  assert.ok((metrics.get('dkg_stream_retries_total', { processor: def.name, reason: 'registry' }) ?? 0) >= 1, 'retries are counted with their reason');
  assert.match(await metrics.render(), /dkg_stream_consumer_lag\{[^}]*\} [1-9]/, 'lag counts the records not committed');
  assert.equal(await folded(), 12, 'nothing folded during the outage');
  assert.equal(await committed(), committedBefore, 'no offset committed past the waiting records');
  assert.equal((await readTopic(port, dlq.name)).length, 0, 'nothing dead-lettered');

  // 3. Registry back: everything folds, once; nothing in the DLQ.
  registryUp();
  await waitFor('24 states folded and ready again', async () => ((await folded()) === 24 && rt.ready() ? true : undefined), 90_000);
  assert.equal(await committed(), 24);
  assert.equal((await readTopic(port, dlq.name)).length, 0, 'still nothing dead-lettered');
  assert.equal(metrics.get('dkg_stream_consumed_records_total', { processor: def.name }), 24, 'each record counted once, retries apart');
  assert.doesNotMatch(await metrics.render(), /dkg_stream_consumer_lag\{[^}]*\} [1-9]/, 'no lag left');
});
