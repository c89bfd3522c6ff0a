/**
 * Real Presto mainnet data through the whole pipeline on the real broker and registry: a local
 * WebSocket server answers in tempo's JSON shapes with the recorded blocks; ingest (resuming
 * inside epoch 1514) sees block 32,724,390 of epoch 1515 on the subscription, backfills the
 * boundary 32,723,999 with `consensus_getFinalization({"height"})`; the follower, trusting only
 * the published mainnet identity for epoch 1514, verifies the boundary, registers epoch 1515's
 * scheme from its outcome (identity = the mainnet identity, a reshare), and only then verifies
 * block 32,724,390 with that registered scheme (it has no other scheme for 1515: it parks).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type FollowEnv, followEnv, followRuntime } from '../../src/app/env.ts';
import { KafkaIngestSink } from '../../src/edges/tempo-ingest/kafka-sink.ts';
import { TempoWsIngest } from '../../src/edges/tempo-ingest/tempo-ws.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { FixedEpocher } from '../../src/tempo/epocher.ts';
import { decodeFinalization } from '../../src/tempo/finalization.ts';
import { bytesToHex } from '../../src/tempo/hex.ts';
import { MAINNET_NETWORK_IDENTITY } from '../../src/tempo/network-identity.ts';
import { verifyFinalization } from '../../src/tempo/verify.ts';
import { decodeEpochEventKey } from '../../src/topics/epochs.ts';
import { readTopic } from '../support/count-check.ts';
import { PRESTO_BOUNDARY, PRESTO_EPOCH_LENGTH, PRESTO_REGULAR, prestoCertifiedJson } from '../support/presto.ts';
import { tempDir, waitFor } from '../support/runtime.ts';
import { BROKERS, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';
import { fakeTempoNode } from '../support/tempo-node.ts';

const L = PRESTO_EPOCH_LENGTH;
const prefix = uniquePrefix('presto');
const applicationId = `t-presto-${randomBytes(4).toString('hex')}`;
const config = { brokers: BROKERS, registryUrl: REGISTRY_URL, topology: TOPOLOGY_FILE, schemasDir: SCHEMAS_DIR, topicPrefix: prefix, applicationId };
const dataDir = tempDir('presto');
let env: FollowEnv;
const topic = (logical: string) => env.topology.topics.get(logical)!.name;

before(async () => {
  env = followEnv(config, 'dkg-test-presto');
  const admin = await connectAdmin({ brokers: BROKERS });
  await applyTopology(admin, env.topology, { client: registryClient(REGISTRY_URL), schemas: loadSchemas(SCHEMAS_DIR) }).finally(() => admin.close());
});
after(async () => {
  await env.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('Presto mainnet: ingest backfills the real boundary, the follower registers epoch 1515 under the mainnet identity and verifies the next epoch with it', { timeout: 180_000 }, async () => {
  const event = { type: 'finalized', ...prestoCertifiedJson(PRESTO_REGULAR), seen: 1_785_000_000_000 };
  const node = await fakeTempoNode(undefined, [[event]], (h) => (h === PRESTO_BOUNDARY.height ? prestoCertifiedJson(PRESTO_BOUNDARY) : undefined));
  const sink = new KafkaIngestSink({
    port: env.port,
    codec: env.codec,
    serde: env.serde,
    finalizations: env.topology.topics.get('consensus.finalizations')!,
    dlq: env.topology.topics.get('dlq')!,
    transactionalId: `${applicationId}-ingest`,
    url: node.url,
  });
  const ingest = new TempoWsIngest({ url: node.url, epocher: new FixedEpocher(L), sink, resumeAfterHeight: PRESTO_BOUNDARY.height - 100n, initialBackoffMs: 50, maxBackoffMs: 200 });
  try {
    ingest.start();
    await waitFor('ingest to reach the epoch-1515 block', () => (ingest.height === PRESTO_REGULAR.height ? true : undefined), 60_000);
  } finally {
    await ingest.stop();
    await sink.close();
    await node.close();
  }
  assert.equal(ingest.stats.backfilled, 1, 'the boundary came from consensus_getFinalization');
  assert.ok(node.requests.some((r) => r.method === 'consensus_getFinalization' && JSON.stringify(r.params) === `[{"height":${PRESTO_BOUNDARY.height}}]`));

  // Trust root: the published mainnet identity, for epoch 1514 only (no network-identity
  // fallback), so epoch 1515 can only verify under the scheme the boundary registers.
  const metrics = new Metrics();
  const bootstrap = { epoch: 1514n, identity: MAINNET_NETWORK_IDENTITY.identity, outcome: new Uint8Array(0), height: L * 1514n - 1n };
  const rt = followRuntime(env, { epochLength: L, bootstrap, metrics }, { dataDir, metrics });
  await rt.ensureTopics();
  await rt.start();
  try {
    await waitFor(
      '2 verified finalizations and the epoch-1515 events',
      async () => {
        const v = await readTopic(env.port, topic('finalizations.verified'));
        const e = await readTopic(env.port, topic('epochs'));
        return v.length >= 2 && e.length >= 3 ? true : undefined;
      },
      120_000,
    );
  } finally {
    await rt.stop();
  }
  const verified = await Promise.all((await readTopic(env.port, topic('finalizations.verified'))).map((r) => env.codec.decodeVerified(r.value)));
  assert.deepEqual(verified.map((v) => v.height).sort(), [PRESTO_BOUNDARY.height, PRESTO_REGULAR.height]);
  for (const v of verified) {
    assert.equal(bytesToHex(v.identity), bytesToHex(MAINNET_NETWORK_IDENTITY.identity));
    assert.equal('0x' + bytesToHex(v.blockHash), (v.height === PRESTO_BOUNDARY.height ? PRESTO_BOUNDARY : PRESTO_REGULAR).hash);
  }
  const events = await Promise.all((await readTopic(env.port, topic('epochs'))).map(async (r) => ({ key: decodeEpochEventKey(r.key!), ev: await env.codec.decodeEpochEvent(r.value) })));
  const reg = events.find((e) => e.key.epoch === 1515n && e.ev.type === 'SchemeRegistered')?.ev;
  assert.ok(reg && reg.type === 'SchemeRegistered');
  assert.equal(reg.source, `boundary:${PRESTO_BOUNDARY.height}`);
  assert.equal(bytesToHex(reg.identity), bytesToHex(MAINNET_NETWORK_IDENTITY.identity), 'a reshare keeps the mainnet identity');
  assert.equal(bytesToHex(reg.outcome!), bytesToHex(PRESTO_BOUNDARY.header.inner.extraData), 'the real outcome has no trailing bytes');
  const adv = events.find((e) => e.key.epoch === 1515n && e.ev.type === 'EpochAdvanced')?.ev;
  assert.ok(adv && adv.type === 'EpochAdvanced');
  assert.equal(adv.from, 1514n);
  assert.equal(adv.players.length, 15);
  assert.equal(adv.isFullDkg, false);
  assert.equal(adv.outcomeTrailingBytes, 0);
  // The registered scheme is what verifies the next epoch's certificate.
  assert.equal(verifyFinalization(decodeFinalization(PRESTO_REGULAR.certificate), reg.identity).valid, true);
  // (No network identity is configured: the registered scheme was the only one epoch 1515 could use.)
  assert.equal(metrics.get('dkg_stream_follow_records_total', { outcome: 'verified' }), 2);
  const dlq = await readTopic(env.port, topic('dlq'));
  assert.deepEqual(dlq, [], 'nothing rejected');
});
