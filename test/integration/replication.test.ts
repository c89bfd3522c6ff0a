/**
 * Replication settings on the real broker: topics the project creates get the configured (or the
 * cluster's) replication factor and min.insync.replicas, and a later config update (topology
 * apply altering retention) keeps min.insync.replicas.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/runtime/kafka/kafkajs-patches.ts'; // before kafkajs, so its hot paths are the patched ones
import kafkajs from 'kafkajs';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { BROKERS, KAFKA_CLIENT, uniquePrefix } from '../support/stack.ts';

test('created topics carry min.insync.replicas; altering other configs keeps it', async () => {
  const admin = await connectAdmin({ ...KAFKA_CLIENT, brokers: BROKERS, replication: { minInsyncReplicas: 2 } });
  const topic = `${uniquePrefix('repl')}t`;
  try {
    await admin.createTopics([{ topic, partitions: 1, configs: { 'retention.ms': '-1' } }]);
    assert.deepEqual(await admin.describeConfigs(topic, ['min.insync.replicas', 'retention.ms']), { 'min.insync.replicas': '2', 'retention.ms': '-1' });
    await admin.alterConfigs(topic, { 'retention.ms': '86400000' });
    assert.deepEqual(await admin.describeConfigs(topic, ['min.insync.replicas', 'retention.ms']), { 'min.insync.replicas': '2', 'retention.ms': '86400000' });
  } finally {
    await admin.deleteTopics([topic]).catch(() => {});
    await admin.close();
  }
});

test('without settings a topic gets what the cluster holds: min(3, brokers) replicas, min ISR one less (at least 1)', async () => {
  const admin = await connectAdmin({ ...KAFKA_CLIENT, brokers: BROKERS, replication: {} });
  const topic = `${uniquePrefix('repl')}d`;
  try {
    await admin.createTopics([{ topic, partitions: 1 }]);
    const probe = new kafkajs.Kafka({ brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING, ...KAFKA_CLIENT.security }).admin();
    await probe.connect();
    const brokers = (await probe.describeCluster()).brokers.length;
    const md = await probe.fetchTopicMetadata({ topics: [topic] });
    await probe.disconnect();
    assert.equal(md.topics[0]!.partitions[0]!.replicas.length, Math.min(3, brokers));
    const minIsr = await admin.describeConfigs(topic, ['min.insync.replicas']);
    assert.equal(minIsr['min.insync.replicas'], String(Math.min(2, Math.max(1, brokers - 1))));
  } finally {
    await admin.deleteTopics([topic]).catch(() => {});
    await admin.close();
  }
});
