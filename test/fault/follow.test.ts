/**
 * Issue 8 item 4: the runtime's fault harness over 4 epochs of follower input (a signed chain,
 * L = 6, every record delivered twice plus a re-certified boundary) while the follow process is
 * SIGKILLed repeatedly (and the broker restarted once unless DKG_STREAM_FAULT_BROKER_RESTART=0):
 * afterwards finalizations.verified holds each height exactly once, in height order per epoch
 * key, `epochs` holds each event exactly once, and nothing went to the DLQ.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import '../../src/runtime/kafka/kafkajs-patches.ts'; // before kafkajs: its producer gets the patches and the fixes
import kafkajs from 'kafkajs';
import { followEnv } from '../../src/app/env.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { decodeU64 } from '../../src/state/keys.ts';
import { RocksKV, storeDir } from '../../src/state/rocksdb.ts';
import { StateStore } from '../../src/state/store.ts';
import { encodeFinalization } from '../../src/tempo/finalization.ts';
import { encodeTempoHeader, tempoHeaderHash } from '../../src/tempo/header.ts';
import { bytesToHex } from '../../src/tempo/hex.ts';
import { epochKey } from '../../src/topics/epoch-key.ts';
import { decodeEpochEventKey } from '../../src/topics/epochs.ts';
import { readTopic } from '../support/count-check.ts';
import { runFaultHarness } from '../support/fault-harness.ts';
import { tempDir } from '../support/runtime.ts';
import { BROKERS, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';
import { buildChain, fixtureCommittee, makeHeader, reCertify, signFinalization } from '../support/tempo-chain.ts';

/** A lone signed block at `height` (parent hash zero), e.g. a certificate from far ahead. */
function standaloneBlock(height: bigint, epochLength: bigint) {
  const epoch = height / epochLength;
  const view = height - epoch * epochLength + 1n;
  const committee = fixtureCommittee();
  const header = makeHeader(new Uint8Array(32), height, new Uint8Array(0), { epoch, view, parentView: view - 1n, proposer: committee.participants[0]! });
  const fin = signFinalization({ epoch, view, parent: view - 1n, payload: tempoHeaderHash(header) }, committee);
  return { height, epoch, headerRlp: encodeTempoHeader(header), certificate: encodeFinalization(fin) };
}

/** The partition kafkajs' default partitioner picks for a key (what the harness's producer does). */
function partitionOf(key: Buffer, partitions: number): number {
  const pick = kafkajs.Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return pick({ topic: '', partitionMetadata, message: { key, value: null } });
}

const L = 6n;
const EPOCHS = 4;
const KILLS = Number(process.env.DKG_STREAM_FAULT_FOLLOW_KILLS ?? 5);
const dir = tempDir('fault-follow');
const prefix = uniquePrefix('ffollow');
const applicationId = `t-ffollow-${Date.now().toString(36)}`;
const env = followEnv({ brokers: BROKERS, registryUrl: REGISTRY_URL, topology: TOPOLOGY_FILE, schemasDir: SCHEMAS_DIR, topicPrefix: prefix, applicationId }, 'dkg-test-fault-follow');
after(async () => {
  await env.close();
  if (!process.env.DKG_STREAM_FAULT_KEEP) rmSync(dir, { recursive: true, force: true });
});
const topic = (logical: string) => env.topology.topics.get(logical)!.name;

test(`follow: ${EPOCHS} epochs of certificates, ${KILLS} SIGKILLs → each verified finalization and epoch event exactly once, in order`, { timeout: 10 * 60_000 }, async () => {
  const admin = await connectAdmin({ brokers: BROKERS });
  await applyTopology(admin, env.topology, { client: registryClient(REGISTRY_URL), schemas: loadSchemas(SCHEMAS_DIR) }).finally(() => admin.close());
  const chain = buildChain({ epochLength: L, epochs: EPOCHS });
  const again = reCertify(chain.boundary(1n), 99n);
  // Partitions the chain's epochs do not reach get a certificate from far ahead (epoch ≥ 1000),
  // whose scheme never arrives: it must stay parked through the kills, neither lost nor emitted.
  const partitions = env.topology.topics.get('consensus.finalizations')!.partitions;
  const used = new Set(Array.from({ length: EPOCHS }, (_, e) => partitionOf(epochKey(BigInt(e)), partitions)));
  const future = [];
  for (let e = 1000n; used.size < partitions; e++) {
    const p = partitionOf(epochKey(e), partitions);
    if (used.has(p)) continue;
    used.add(p);
    future.push(standaloneBlock(e * L + 2n, L));
  }
  const items = [
    ...chain.blocks.map((b) => ({ b, certificate: b.certificate })),
    ...future.map((b) => ({ b, certificate: b.certificate })),
    { b: chain.boundary(1n), certificate: again.certificate },
    ...chain.blocks.map((b) => ({ b, certificate: b.certificate })),
  ];
  const records = await Promise.all(
    items.map(async ({ b, certificate }) => ({
      key: epochKey(b.epoch),
      value: await env.codec.encodeFinalization({ height: b.height, certificate, header: { rlp: b.headerRlp }, source: 'fault', receivedAtMs: 0 }),
    })),
  );
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'fault.log');
  const report = await runFaultHarness({
    port: env.port,
    worker: 'test/support/follow-worker.ts',
    workerEnv: { W_PREFIX: prefix, W_APP: applicationId, W_DATA_DIR: dataDir, W_EPOCH_LENGTH: String(L), W_GENESIS_OUTCOME: bytesToHex(chain.genesis.outcomeBytes) },
    input: topic('consensus.finalizations'),
    groupId: `${applicationId}-follow`,
    records: records.length,
    makeRecord: (i) => records[i]!,
    kills: KILLS,
    restartBroker: process.env.DKG_STREAM_FAULT_BROKER_RESTART !== '0',
    logFile,
  });
  process.stderr.write(`fault harness (follow): ${JSON.stringify(report)} (log ${logFile})\n`);
  assert.equal(report.kills, KILLS);
  assert.equal(report.produced, records.length);

  const verified = await Promise.all(
    (await readTopic(env.port, topic('finalizations.verified'))).map(async (r) => ({ key: r.key!.toString('hex'), p: r.partition, o: r.offset, v: await env.codec.decodeVerified(r.value) })),
  );
  const heights = verified.map((x) => Number(x.v.height)).sort((a, b) => a - b);
  assert.deepEqual(
    heights,
    chain.blocks.map((b) => Number(b.height)),
    'each height exactly once',
  );
  for (const x of verified) assert.equal(x.key, epochKey(x.v.epoch).toString('hex'));
  const perKey = new Map<string, number[]>();
  for (const x of [...verified].sort((a, b) => a.p - b.p || a.o - b.o)) (perKey.get(x.key) ?? perKey.set(x.key, []).get(x.key)!).push(Number(x.v.height));
  for (const [k, hs] of perKey)
    assert.deepEqual(
      hs,
      [...hs].sort((a, b) => a - b),
      `heights in order for epoch key ${k}`,
    );

  const events = (await readTopic(env.port, topic('epochs'))).map((r) => decodeEpochEventKey(r.key!)).map((k) => `${k.epoch}/${k.kind}`);
  const expected = ['0/0', ...Array.from({ length: EPOCHS }, (_, i) => [`${i + 1}/0`, `${i + 1}/1`]).flat()];
  assert.deepEqual([...events].sort(), [...expected].sort(), 'each epoch event exactly once');
  assert.deepEqual((await readTopic(env.port, topic('dlq'))).length, 0, 'no rejection');
  const parked: bigint[] = [];
  for (let p = 0; p < partitions; p++) {
    const s = new StateStore('pending', await RocksKV.open(storeDir(dataDir, 'follow', 'pending', p)));
    for await (const [k] of s.range()) parked.push(decodeU64(k, 8));
    await s.close();
  }
  assert.deepEqual(parked.sort(), future.map((b) => b.height).sort(), 'the far-ahead certificates are parked, once each');
});
