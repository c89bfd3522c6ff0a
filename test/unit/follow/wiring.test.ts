/**
 * `followRuntime` (the follower's entry point for the CLI, workers and tests): the metrics given in
 * the follow configuration are the runtime's, so the follower's counters (added by the runtime at
 * commit, ProcessorContext.count) and its horizon gauge (set by the fold) land in one registry.
 * Before, the counters went to a registry of the runtime's own that nobody read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { followRuntime } from '../../../src/app/env.ts';
import { bootstrapFromOutcome } from '../../../src/processors/follow/bootstrap.ts';
import { KafkajsPort } from '../../../src/runtime/kafka/kafkajs.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import { avroTopicCodecs } from '../../../src/topics/codecs.ts';
import { memorySerde } from '../../support/avro.ts';
import { buildChain } from '../../support/tempo-chain.ts';

test('the follow configuration’s metrics are the runtime’s unless the runtime is given its own', async () => {
  const { serde, topology } = memorySerde();
  const port = new KafkajsPort({ brokers: ['localhost:1'] }); // never connected: the runtime is not started
  const env = { topology, serde, codec: avroTopicCodecs(serde, topology), port, close: () => port.close() };
  const bootstrap = bootstrapFromOutcome(buildChain({ epochLength: 4n, epochs: 1 }).genesis.outcomeBytes);
  const metrics = new Metrics();
  assert.equal(followRuntime(env, { epochLength: 4n, bootstrap, metrics }, { dataDir: '/nonexistent' }).metrics, metrics);
  const own = new Metrics();
  assert.equal(followRuntime(env, { epochLength: 4n, bootstrap, metrics }, { dataDir: '/nonexistent', metrics: own }).metrics, own);
  await env.close();
});
