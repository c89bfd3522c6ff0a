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
  /** Every record value a broker wrote, in order. */
  const values: string[] = [];
  const added: string[] = [];
  const sequences = new Map<string, number>();
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: Any) {
      await new Promise((r) => setTimeout(r, s.delay?.[nodeId] ?? 0));
      if (!refreshed && s.failing[nodeId]) throw s.failing[nodeId]!();
      for (const t of topicData)
        for (const p of t.partitions) {
          written.push(`${t.topic}/${p.partition}@${nodeId}#${p.firstSequence}+${p.messages.length}`);
          for (const m of p.messages) values.push(String(m.value));
        }
      return { topics: topicData.map((t: Any) => ({ topicName: t.topic, partitions: t.partitions.map((p: Any) => ({ partition: p.partition, errorCode: 0, baseOffset: '100' })) })) };
    },
  });
  const brokers = new Map([1, 2, 3, 4].map((n) => [n, broker(n)]));
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
      // Like kafkajs: a partition whose metadata has no leader (-1) is left out.
      for (const p of parts) if ((leaders[Number(p)] ?? -1) >= 0) (o[leaders[Number(p)]!] ??= []).push(Number(p));
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
  return { cluster, eosManager, written, values, added };
}

const messages = [
  { partition: 0, key: 'a', value: 'a' },
  { partition: 1, key: 'b', value: 'b' },
  { partition: 1, key: 'c', value: 'c' },
];

async function send(factory: Any, s: Script, opts: { partitioner?: Any; messages?: Any[] } = {}) {
  const c = scripted(s);
  const partitioner = opts.partitioner ?? (({ message }: Any) => message.partition);
  const fn = factory({ logger: quiet, cluster: c.cluster, partitioner, eosManager: c.eosManager, retrier: createRetry({ retries: 3, initialRetryTime: 5 }) });
  const responses = await fn({ acks: -1, timeout: 1000, topicMessages: [{ topic: 't', messages: opts.messages ?? messages }] });
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

// Keyless records go round-robin: re-partitioning them on a retry put a record on a partition
// acknowledged for another one. Three partitions, node 2 (partition 1) down, then partition 1 on
// node 4 (a broker that had not answered: kafkajs sends it, but with the records regrouped).
const ROUND_ROBIN: Script = {
  leaders: { 0: 1, 1: 2, 2: 3 },
  afterRefresh: { 0: 1, 1: 4, 2: 3 },
  failing: { 2: () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { host: '127.0.0.1', port: 2 }) },
};
// Five: the round-robin counter moves by a non-multiple of three between attempts.
const keyless = ['r1', 'r2', 'r3', 'r4', 'r5'].map((value) => ({ key: null, value }));

test('keyless records: every record written exactly once across a retry (the grouping is kept, not redone)', async () => {
  const { Partitioners } = require('kafkajs');
  for (let i = 0; i < 6; i++) {
    // Fresh round-robin counters each time (the DefaultPartitioner starts at a random point).
    const fixed = await send(createSendMessages, ROUND_ROBIN, { partitioner: Partitioners.DefaultPartitioner(), messages: keyless });
    assert.deepEqual([...fixed.values].sort(), ['r1', 'r2', 'r3', 'r4', 'r5'], `fixed run ${i}: ${fixed.written.join(' ')}`);
  }
});

test('keyless records through the original: some are written twice or never (what the grouping fix prevents)', async () => {
  const { Partitioners } = require('kafkajs');
  let wrong = 0;
  for (let i = 0; i < 6; i++) {
    const orig = await send(originalSendMessages(), ROUND_ROBIN, { partitioner: Partitioners.DefaultPartitioner(), messages: keyless });
    if ([...orig.values].sort().join() !== 'r1,r2,r3,r4,r5') wrong++;
  }
  assert.equal(wrong, 6, 'the original re-partitions keyless records on a retry, every time');
});

test('a partition without a known leader is not dropped: the send refreshes metadata and retries it', async () => {
  const script: Script = { leaders: { 0: 2, 1: -1 }, afterRefresh: { 0: 2, 1: 3 }, failing: {} };
  const orig = await send(originalSendMessages(), script);
  assert.deepEqual(orig.responses, ['t/0'], 'kafkajs resolves without partition 1');
  const fixed = await send(createSendMessages, script);
  assert.deepEqual(fixed.written, ['t/0@2#0+1', 't/1@3#0+2']);
  assert.deepEqual(fixed.responses, ['t/0', 't/1']);
});

test('two brokers failing in one attempt: a non-retriable error wins over a retriable one and ends the send', async () => {
  const script: Script = {
    leaders: { 0: 2, 1: 1 },
    afterRefresh: { 0: 2, 1: 1 },
    failing: {
      1: () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { host: '127.0.0.1', port: 1 }),
      2: () => new KafkaJSProtocolError(createErrorFromCode(10)), // MESSAGE_TOO_LARGE (answers later)
    },
    delay: { 2: 20 },
  };
  await assert.rejects(send(createSendMessages, script), /larger than the max message size/);
});
