/**
 * src/runtime/kafka/kafkajs-fixes.ts: kafkajs' own `producer/sendMessages` and the replacement,
 * driven through the same scripted cluster (leaders, broker failures, metadata refreshes). The
 * original resolves without the partitions whose leader moved to a broker that had already
 * answered (the records are lost); the replacement sends every partition until it is
 * acknowledged, once. The real-broker counterpart is test/fault/produce-leader-move.test.ts.
 */
import '../../../src/runtime/kafka/kafkajs.ts'; // first: installs the fixes before kafkajs loads
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { test } from 'node:test';
import vm from 'node:vm';
import { createSendMessages, kafkajsFixesActive } from '../../../src/runtime/kafka/kafkajs-fixes.ts';

type Any = any;

const require = createRequire(import.meta.url);
const SEND = require.resolve('kafkajs/src/producer/sendMessages');
const createRetry = require('kafkajs/src/retry');
const { KafkaJSConnectionError, KafkaJSProtocolError } = require('kafkajs/src/errors');
const { createErrorFromCode } = require('kafkajs/src/protocol/error');
const { createLogger, LEVELS } = require('kafkajs/src/loggers');
const quiet = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} });

/** kafkajs' own sendMessages, compiled afresh from its file (the cached one is the fix). */
function originalSendMessages(): Any {
  const mod = { exports: {} as Any };
  const fn = vm.runInThisContext(Module.wrap(readFileSync(SEND, 'utf8')), { filename: `${SEND} (original)` });
  fn.call(mod.exports, mod.exports, createRequire(SEND), mod, SEND, dirname(SEND));
  return mod.exports;
}

interface Script {
  /** Leaders per partition before and after the first metadata refresh. */
  leaders: Record<number, number>;
  afterRefresh: Record<number, number>;
  /** Brokers whose produce fails (until the refresh), and how. */
  failing: Record<number, () => Error>;
  /** Delay (ms) of each broker's answer. */
  delay?: Record<number, number>;
  transactional?: boolean;
}

/** A scripted cluster and what reached each broker (topic/partition@node, in order). */
function scripted(s: Script) {
  let leaders = { ...s.leaders };
  let refreshed = false;
  const written: string[] = [];
  const added: string[] = [];
  const sequences = new Map<string, number>();
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: Any) {
      await new Promise((r) => setTimeout(r, s.delay?.[nodeId] ?? 0));
      if (!refreshed && s.failing[nodeId]) throw s.failing[nodeId]!();
      for (const t of topicData) for (const p of t.partitions) written.push(`${t.topic}/${p.partition}@${nodeId}#${p.firstSequence}+${p.messages.length}`);
      return { topics: topicData.map((t: Any) => ({ topicName: t.topic, partitions: t.partitions.map((p: Any) => ({ partition: p.partition, errorCode: 0, baseOffset: '100' })) })) };
    },
  });
  const brokers = new Map([1, 2, 3].map((n) => [n, broker(n)]));
  const cluster = {
    targetTopics: new Set<string>(),
    async refreshMetadataIfNecessary() {},
    async addMultipleTargetTopics() {},
    isConnected: () => true,
    async connect() {},
    async refreshMetadata() {
      refreshed = true;
      leaders = { ...s.afterRefresh };
    },
    removeBroker() {},
    findTopicPartitionMetadata: () => Object.keys(leaders).map((p) => ({ partitionId: Number(p), leader: leaders[Number(p)] })),
    findLeaderForPartitions: (_topic: string, parts: string[]) => {
      const o: Record<number, number[]> = {};
      for (const p of parts) (o[leaders[Number(p)]!] ??= []).push(Number(p));
      return o;
    },
    async findBroker({ nodeId }: Any) {
      return brokers.get(Number(nodeId));
    },
  };
  const eosManager = {
    isTransactional: () => !!s.transactional,
    async addPartitionsToTransaction(topicData: Any) {
      for (const t of topicData) for (const p of t.partitions) if (!added.includes(`${t.topic}/${p.partition}`)) added.push(`${t.topic}/${p.partition}`);
    },
    getTransactionalId: () => 'txn',
    async acquireBrokerLock() {},
    async releaseBrokerLock() {},
    getSequence: (t: string, p: number) => sequences.get(`${t}/${p}`) ?? 0,
    updateSequence: (t: string, p: number, n: number) => sequences.set(`${t}/${p}`, (sequences.get(`${t}/${p}`) ?? 0) + n),
    getProducerId: () => 7,
    getProducerEpoch: () => 0,
  };
  return { cluster, eosManager, written, added };
}

const messages = [
  { partition: 0, key: 'a', value: 'a' },
  { partition: 1, key: 'b', value: 'b' },
  { partition: 1, key: 'c', value: 'c' },
];

async function send(factory: Any, s: Script) {
  const c = scripted(s);
  const fn = factory({ logger: quiet, cluster: c.cluster, partitioner: ({ message }: Any) => message.partition, eosManager: c.eosManager, retrier: createRetry({ retries: 3, initialRetryTime: 5 }) });
  const responses = await fn({ acks: -1, timeout: 1000, topicMessages: [{ topic: 't', messages }] });
  return { ...c, responses: (responses as Any[]).map((r) => `${r.topicName}/${r.partition}`).sort() };
}

// Partition 1's leader (broker 1) is down; after the refresh it is broker 2, which answered for partition 0.
const MOVED_TO_ANSWERED: Script = {
  leaders: { 0: 2, 1: 1 },
  afterRefresh: { 0: 2, 1: 2 },
  failing: { 1: () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { host: '127.0.0.1', port: 1 }) },
  transactional: true,
};

test('kafkajs 2.2.4: a partition whose leader moved to a broker that already answered is never sent, and the send resolves', async () => {
  const r = await send(originalSendMessages(), MOVED_TO_ANSWERED);
  assert.deepEqual(r.written, ['t/0@2#0+1'], 'only partition 0 reached a broker');
  assert.deepEqual(r.responses, ['t/0'], 'and the call resolved without partition 1');
  assert.deepEqual([...r.added].sort(), ['t/0', 't/1'], 'though partition 1 was added to the transaction (its commit marker ends up alone)');
});

test('the fix sends the moved partition to its new leader, once, with its sequence rolled back', async () => {
  const r = await send(createSendMessages, MOVED_TO_ANSWERED);
  assert.deepEqual(r.written, ['t/0@2#0+1', 't/1@2#0+2']);
  assert.deepEqual(r.responses, ['t/0', 't/1']);
});

test('the fix: a partition moved to a broker that had no part yet, and a stale-leader error, are sent again like kafkajs does', async () => {
  const toNew = await send(createSendMessages, { ...MOVED_TO_ANSWERED, afterRefresh: { 0: 2, 1: 3 } });
  assert.deepEqual(toNew.written, ['t/0@2#0+1', 't/1@3#0+2']);
  const notLeader = await send(createSendMessages, {
    ...MOVED_TO_ANSWERED,
    failing: { 1: () => new KafkaJSProtocolError(createErrorFromCode(6)) }, // NOT_LEADER_OR_FOLLOWER
  });
  assert.deepEqual(notLeader.written, ['t/0@2#0+1', 't/1@2#0+2']);
  assert.deepEqual(notLeader.responses, ['t/0', 't/1']);
});

test('the fix waits for every request of an attempt before retrying: a slow sibling is not sent twice', async () => {
  // Broker 1 fails at once, broker 2 answers late: kafkajs retried meanwhile and wrote partition 0 twice.
  const slow: Script = { ...MOVED_TO_ANSWERED, afterRefresh: { 0: 2, 1: 3 }, delay: { 2: 50 } };
  const orig = await send(originalSendMessages(), slow);
  assert.equal(orig.written.filter((w) => w.startsWith('t/0@')).length, 2, 'kafkajs sent partition 0 again while its first request was in flight');
  const fixed = await send(createSendMessages, slow);
  assert.deepEqual(fixed.written, ['t/0@2#0+1', 't/1@3#0+2']);
});

test('the fix: no failure, one request per leader and every partition in the result', async () => {
  const r = await send(createSendMessages, { leaders: { 0: 1, 1: 2 }, afterRefresh: { 0: 1, 1: 2 }, failing: {} });
  assert.deepEqual(r.written.sort(), ['t/0@1#0+1', 't/1@2#0+2']);
  assert.deepEqual(r.responses, ['t/0', 't/1']);
});

test('the fix: a non-retriable error fails the send', async () => {
  await assert.rejects(
    send(createSendMessages, { ...MOVED_TO_ANSWERED, failing: { 1: () => new KafkaJSProtocolError(createErrorFromCode(10)) } }), // MESSAGE_TOO_LARGE
    /larger than the max message size/,
  );
});

test('the fix replaces kafkajs sendMessages (installed whatever DKG_STREAM_KAFKAJS_PATCHES says)', () => {
  assert.deepEqual([...kafkajsFixesActive()], ['producer/sendMessages']);
  assert.equal(require(SEND), createSendMessages);
});

test('the adapter refuses a resolved send that lacks a partition it wrote to (defence in depth: the transaction is aborted, not committed)', async () => {
  const { assertAcknowledged, UnacknowledgedProduce } = await import('../../../src/runtime/kafka/kafkajs.ts');
  const records = [
    { topic: 'changelog', partition: 3 },
    { topic: 'changelog', partition: 3 },
    { topic: 'out' }, // key-hashed: checked per topic
  ];
  assertAcknowledged(records, [
    { topicName: 'changelog', partition: 3 },
    { topicName: 'out', partition: 5 },
  ]);
  assert.throws(
    () => assertAcknowledged(records, [{ topicName: 'out', partition: 5 }]),
    (e: Error) => e instanceof UnacknowledgedProduce && /no write to changelog\/3/.test(e.message),
  );
  assert.throws(() => assertAcknowledged(records, [{ topicName: 'changelog', partition: 3 }]), /no write to out though/);
});

test('fencing is recognised however kafkajs wraps it (type, originalError, or the cause of exhausted retries)', async () => {
  const { isFenced } = await import('../../../src/runtime/kafka/kafkajs.ts');
  const { KafkaJSNumberOfRetriesExceeded } = require('kafkajs/src/errors');
  const fenced = new KafkaJSProtocolError(createErrorFromCode(47)); // INVALID_PRODUCER_EPOCH
  assert.equal(isFenced(fenced), true);
  assert.equal(isFenced(new KafkaJSNumberOfRetriesExceeded(fenced, { retryCount: 5, retryTime: 1000 })), true);
  assert.equal(isFenced(Object.assign(new Error('outer'), { originalError: fenced })), true);
  assert.equal(isFenced(new KafkaJSNumberOfRetriesExceeded(new KafkaJSProtocolError(createErrorFromCode(51)), { retryCount: 5, retryTime: 1000 })), false); // CONCURRENT_TRANSACTIONS
  const loop: Error & { cause?: unknown } = new Error('loop');
  loop.cause = loop;
  assert.equal(isFenced(loop), false);
});
