/**
 * The follower on the real broker + registry: a local WebSocket server serving a short signed
 * chain in tempo's JSON shapes → ingest (in-process and the CLI) → consensus.finalizations →
 * the follow processor on the exactly-once runtime → finalizations.verified and epochs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type FollowEnv, followEnv, followRuntime } from '../../src/app/env.ts';
import { KafkaIngestSink, lastIngestedHeight } from '../../src/edges/tempo-ingest/kafka-sink.ts';
import { TempoWsIngest } from '../../src/edges/tempo-ingest/tempo-ws.ts';
import { bootstrapFromOutcome } from '../../src/processors/follow/bootstrap.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { FixedEpocher } from '../../src/tempo/epocher.ts';
import { decodeEpochEventKey } from '../../src/topics/epochs.ts';
import { readTopic } from '../support/count-check.ts';
import { tempDir, waitFor } from '../support/runtime.ts';
import { BROKERS, CLI, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';
import { buildChain } from '../support/tempo-chain.ts';
import { fakeTempoNode } from '../support/tempo-node.ts';

const L = 4n;
const chain = buildChain({ epochLength: L, epochs: 3 });
const prefix = uniquePrefix('follow');
const applicationId = `t-follow-${randomBytes(4).toString('hex')}`;
const config = { brokers: BROKERS, registryUrl: REGISTRY_URL, topology: TOPOLOGY_FILE, schemasDir: SCHEMAS_DIR, topicPrefix: prefix, applicationId };
const dataDir = tempDir('follow');
let env: FollowEnv;
const topic = (logical: string) => env.topology.topics.get(logical)!.name;

before(async () => {
  env = followEnv(config, 'dkg-test-follow');
  const admin = await connectAdmin({ brokers: BROKERS });
  await applyTopology(admin, env.topology, { client: registryClient(REGISTRY_URL), schemas: loadSchemas(SCHEMAS_DIR) }).finally(() => admin.close());
});
after(async () => {
  await env.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const ingestedHeights = async () =>
  (await Promise.all((await readTopic(env.port, topic('consensus.finalizations'))).map((r) => env.codec.decodeFinalization(r.value)))).map((f) => Number(f.height)).sort((a, b) => a - b);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

test('ingest: reconnects, backfills a missed boundary, rejects a malformed event to the DLQ, and the CLI resumes without loss or duplicates', { timeout: 180_000 }, async (t) => {
  const node = await fakeTempoNode(chain, [
    [1n, 2n, 3n, 4n, 'drop'],
    [3n, 4n, 5n, 6n, { type: 'finalized', epoch: 1, certificate: 'zz' }, 8n, 9n], // 7 (a boundary) never announced
  ]);
  const sink = new KafkaIngestSink({
    port: env.port,
    codec: env.codec,
    serde: env.serde,
    finalizations: env.topology.topics.get('consensus.finalizations')!,
    dlq: env.topology.topics.get('dlq')!,
    transactionalId: `${applicationId}-ingest`,
    url: node.url,
  });
  const ingest = new TempoWsIngest({ url: node.url, epocher: new FixedEpocher(L), sink, initialBackoffMs: 50, maxBackoffMs: 200 });
  // Also when an assertion fails first (stop and close may run twice).
  t.after(async () => {
    await ingest.stop();
    await sink.close();
    await node.close();
  });
  ingest.start();
  await waitFor('ingest to reach height 9', () => (ingest.height === 9n ? true : undefined), 60_000);
  await ingest.stop();
  await sink.close();
  await node.close();
  assert.deepEqual(await ingestedHeights(), range(1, 9), 'heights 1..9 once each (7 backfilled)');
  assert.ok(node.requests.some((r) => r.method === 'consensus_getFinalization' && JSON.stringify(r.params) === '[{"height":7}]'));
  assert.equal(ingest.stats.backfilled, 1);
  assert.equal(await lastIngestedHeight(env.port, topic('consensus.finalizations'), env.codec), 9n);
  const dlq = await readTopic(env.port, topic('dlq'));
  assert.equal(dlq.length, 1);
  assert.equal(dlq[0]!.headers['dlq.processor']!.toString(), 'ingest');
  assert.equal(dlq[0]!.headers['dlq.error.class']!.toString(), 'MalformedEvent');

  // The CLI resumes after height 9: the node's replay of 8 and 9 is dropped, 10 and 11 appended.
  const node2 = await fakeTempoNode(chain, [[8n, 9n, 10n, 11n]]);
  const child = spawn(process.execPath, [CLI, 'ingest', '--url', node2.url, '--epoch-length', String(L)], {
    env: { ...process.env, DKG_STREAM_TOPIC_PREFIX: prefix, DKG_STREAM_APPLICATION_ID: applicationId, DKG_STREAM_BROKERS: BROKERS.join(','), DKG_STREAM_REGISTRY_URL: REGISTRY_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await waitFor('the CLI to append 10 and 11', async () => ((await ingestedHeights()).length >= 11 ? true : undefined), 90_000);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  await node2.close();
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines[0]!.resumeAfterHeight, '9');
  assert.equal(lines.at(-1)!.event, 'stopped');
  assert.equal(lines.at(-1)!.duplicates, 2);
  assert.deepEqual(await ingestedHeights(), range(1, 11));
});

test('follow on Kafka: every height verified once, schemes and epoch advances once each, no rejection', { timeout: 180_000 }, async () => {
  const rt = followRuntime(env, { epochLength: L, bootstrap: bootstrapFromOutcome(chain.genesis.outcomeBytes) }, { dataDir });
  await rt.ensureTopics();
  await rt.start();
  try {
    await waitFor(
      '11 verified finalizations and 7 epoch events',
      async () => {
        const v = await readTopic(env.port, topic('finalizations.verified'));
        const e = await readTopic(env.port, topic('epochs'));
        return v.length >= 11 && e.length >= 7 ? true : undefined;
      },
      120_000,
    );
  } finally {
    await rt.stop();
  }
  const verified = await Promise.all((await readTopic(env.port, topic('finalizations.verified'))).map((r) => env.codec.decodeVerified(r.value)));
  assert.deepEqual(
    verified.map((v) => Number(v.height)).sort((a, b) => a - b),
    range(1, 11),
  );
  const keys = (await readTopic(env.port, topic('epochs')))
    .map((r) => decodeEpochEventKey(r.key!))
    .map((k) => `${k.epoch}/${k.kind}`)
    .sort();
  assert.deepEqual(keys, ['0/0', '1/0', '1/1', '2/0', '2/1', '3/0', '3/1']);
  const dlq = await readTopic(env.port, topic('dlq'));
  assert.deepEqual(
    dlq.map((r) => r.headers['dlq.processor']!.toString()),
    ['ingest'],
    'the follower rejected nothing',
  );
});
