/**
 * `dkg-stream dlq list|show|redrive` on the real broker and registry: dkg-journal dead-letters
 * epoch states sealed under a key it does not have (UnknownKeyId); the letters keep only a
 * prefix of the value; the key is added, the letters are redriven from their source topic and
 * folded; a second redrive does nothing; a letter whose original was deleted is refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { ed25519FromSeed, ed25519PublicKey } from '../../src/crypto/ed25519.ts';
import { dkgJournalProcessor } from '../../src/processors/dkg-journal/processor.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { AvroSerde, loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { loadTopology } from '../../src/runtime/topology.ts';
import { Keyring } from '../../src/state/seal.ts';
import { rngSeedContext, stateToAvro } from '../../src/topics/dkg-states.ts';
import { epochKey } from '../../src/topics/epoch-key.ts';
import { STORES } from '../../src/topics/names.ts';
import { readTopic } from '../support/count-check.ts';
import { newPort, tempDir, waitFor } from '../support/runtime.ts';
import { BROKERS, CLI, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';

test('dlq list/show/redrive: redrive once from the source topic, then nothing; a deleted original is refused', { timeout: 300_000 }, async (t) => {
  const cleanups: Array<() => unknown> = [];
  t.after(async () => {
    for (const f of cleanups.reverse()) await Promise.resolve(f()).catch(() => {});
  });
  const prefix = uniquePrefix('dlqcli');
  const topology = loadTopology(TOPOLOGY_FILE, { prefix, schemasDir: SCHEMAS_DIR });
  const schemas = loadSchemas(SCHEMAS_DIR);
  const registry = registryClient(REGISTRY_URL);
  const admin = await connectAdmin({ brokers: BROKERS });
  cleanups.push(() => admin.close());
  await applyTopology(admin, topology, { client: registry, schemas });
  const states = topology.topics.get('dkg.states')!;
  const dlq = topology.topics.get('dlq')!;
  const serde = new AvroSerde(registry, schemas);
  const port = newPort('dkg-test-dlqcli');
  const dataDir = tempDir('dlqcli');
  cleanups.push(async () => {
    await port.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const known = randomBytes(32);
  const added = randomBytes(32);
  const owners = [1, 2, 3].map((s) => Buffer.from(ed25519PublicKey(ed25519FromSeed(s))));
  const state = (epoch: bigint, owner: Buffer, key: Buffer) =>
    serde.encode(states, stateToAvro({ epoch, owner, round: epoch, rngSeed: new Keyring([key]).seal(randomBytes(32), rngSeedContext(epoch, owner)), output: null, share: null }));
  // Two epochs on different partitions: the original of the second will be deleted.
  const e1 = 5n;
  const p1 = port.partitionFor(epochKey(e1), states.partitions);
  let e2 = 6n;
  while (port.partitionFor(epochKey(e2), states.partitions) === p1) e2++;
  const producer = await port.producer();
  cleanups.push(() => producer.close());
  await producer.send([
    { topic: states.name, key: epochKey(e1), value: await state(e1, owners[0]!, known) },
    { topic: states.name, key: epochKey(e1), value: await state(e1, owners[1]!, added) },
    { topic: states.name, key: epochKey(e2), value: await state(e2, owners[2]!, added) },
  ]);

  const runtime = (keys: Buffer[]) => {
    const def = dkgJournalProcessor({ serde, keyring: new Keyring(keys), maxReadSize: 4, eventsTopic: topology.topics.get('dkg.events')!.name, statesTopic: states.name });
    // Letters keep a 16-byte prefix here, so redrive has to read the originals back.
    return new StreamRuntime({
      port,
      processor: def,
      applicationId: `${prefix}app`,
      dataDir,
      dlqTopic: dlq.name,
      dlqEncode: (dl) => serde.encode(dlq, dl),
      dlqValuePrefixBytes: 16,
      sessionTimeoutMs: 6000,
    });
  };
  const committed = async (rt: StreamRuntime) => (await admin.groupOffsets(rt.groupId, states.name)).reduce((s, o) => s + Math.max(0, o.offset), 0);
  const folded = async (rt: StreamRuntime) => {
    let n = 0;
    for (const p of rt.assignedPartitions()) for await (const _ of rt.localStore(STORES.states, p)?.range() ?? []) n++;
    return n;
  };

  // 1. The runtime has only the first key: two states are dead-lettered.
  const rt1 = runtime([known]);
  cleanups.push(() => rt1.stop());
  await rt1.ensureTopics();
  await rt1.start();
  // Exactly-once writes the store after the transaction commits: wait for both, not the commit alone
  // (on a busy machine the commit was seen before the store write and the count read 0).
  await waitFor('3 states consumed and the valid one applied', async () => ((await committed(rt1)) === 3 && (await folded(rt1)) >= 1 ? true : undefined), 90_000);
  assert.equal(await folded(rt1), 1);
  await rt1.stop();
  assert.equal((await readTopic(port, dlq.name)).length, 2);

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'dlq', ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        DKG_STREAM_BROKERS: BROKERS.join(','),
        DKG_STREAM_REGISTRY_URL: REGISTRY_URL,
        DKG_STREAM_TOPIC_PREFIX: prefix,
        DKG_STREAM_APPLICATION_ID: `${prefix}app`,
        DKG_STREAM_LOG_LEVEL: 'error',
      },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  // 2. list and show.
  const listed = cli('list', '--json', '--processor', 'dkg-journal', '--topic', 'dkg.states');
  assert.equal(listed.code, 0, listed.err);
  const rows = JSON.parse(listed.out) as Array<{ offset: number; reason: string; sourcePartition: number; sourceOffset: number; truncated: boolean; redriven: boolean }>;
  assert.equal(rows.length, 2);
  assert.ok(
    rows.every((r) => r.reason === 'UnknownKeyId' && r.truncated && !r.redriven),
    listed.out,
  );
  assert.equal(JSON.parse(cli('list', '--json', '--reason', 'MalformedPayload').out).length, 0, 'the reason filter filters');
  assert.equal(JSON.parse(cli('list', '--json', '--since', new Date(Date.now() + 60_000).toISOString()).out).length, 0, 'the time filter filters');
  const table = cli('list');
  assert.match(table.out, /UnknownKeyId/);
  const letter1 = rows.find((r) => r.sourcePartition === p1)!;
  const letter2 = rows.find((r) => r.sourcePartition !== p1)!;
  const shown = cli('show', String(letter1.offset), '--json');
  assert.equal(shown.code, 0, shown.err);
  const s = JSON.parse(shown.out) as { errorClass: string; sourceOffset: number; valueTruncated: boolean; value: string; valueSize: number };
  assert.equal(s.errorClass, 'UnknownKeyId');
  assert.equal(s.sourceOffset, letter1.sourceOffset);
  assert.equal(s.valueTruncated, true);
  assert.equal(s.value.length, 32, '16-byte prefix, hex');

  // 3. The second letter's original is deleted by "retention": the redrive of both is refused, nothing written.
  await admin.deleteRecords(states.name, [{ partition: letter2.sourcePartition, offset: letter2.sourceOffset + 1 }]);
  const refused = cli('redrive', '--json', '--offset', `${letter1.offset},${letter2.offset}`);
  assert.equal(refused.code, 1, refused.out + refused.err);
  assert.match(refused.err, /deleted by retention/);
  assert.equal((JSON.parse(refused.out) as { redriven: number }).redriven, 0);
  assert.equal((JSON.parse(cli('list', '--json').out) as Array<{ redriven: boolean }>).filter((r) => r.redriven).length, 0, 'nothing recorded as redriven');

  // 4. Redrive the others, then once more: the second does nothing.
  const first = cli('redrive', '--json', '--skip-missing');
  assert.equal(first.code, 0, first.err);
  const r1 = JSON.parse(first.out) as { redriven: number; alreadyRedriven: number; refused: unknown[]; records: Array<{ fromSource: boolean }> };
  assert.deepEqual([r1.redriven, r1.alreadyRedriven, r1.refused.length, r1.records[0]?.fromSource], [1, 0, 1, true]);
  const second = cli('redrive', '--json', '--skip-missing');
  const r2 = JSON.parse(second.out) as { redriven: number; alreadyRedriven: number };
  assert.deepEqual([r2.redriven, r2.alreadyRedriven], [0, 1]);
  const redrivenRecords = (await readTopic(port, states.name)).filter((r) => r.headers['dlq.redriven.from']);
  assert.equal(redrivenRecords.length, 1, 'the original produced exactly once');

  // 5. With the key added, the redriven state folds.
  const rt2 = runtime([known, added]);
  cleanups.push(() => rt2.stop());
  await rt2.ensureTopics();
  await rt2.start();
  await waitFor('the redriven state folded', async () => ((await folded(rt2)) === 2 && rt2.ready() ? true : undefined), 90_000);
  assert.equal((await readTopic(port, dlq.name)).length, 2, 'no new dead letter');
});
