/**
 * A transaction's records survive a partition leader move on a real 3-node cluster (the test's
 * own). Partition 0 is led by node 2, partition 1 by node 1, and the producer's metadata says so
 * when partition 1 moves to node 2. kafkajs 2.2.4 sent partition 0 to node 2, failed on node 1,
 * refreshed, and then skipped partition 1 because node 2 had answered already: the send resolved,
 * the commit wrote a lone commit marker on partition 1 and its records were gone (what the chaos
 * soak found on a journal changelog, seed 1919). With src/runtime/kafka/kafkajs-fixes.ts every
 * record is there, read back read_committed.
 *
 * Two moves: a reassignment that takes node 1 out of partition 1 while node 1 stays up (it answers
 * "not the leader"), and a SIGKILL of node 1 (what the soak did). Whether the original kafkajs
 * loses the records depends on timing (node 2's answer must be in before the retry): with the fix
 * removed, one of two reassignment runs hit it (caught by the adapter's UnacknowledgedProduce),
 * the SIGKILL runs mostly failed earlier, in findBroker, and survived. The deterministic
 * comparison of the two is test/unit/runtime/kafkajs-fixes.test.ts; this test proves the fix on
 * a real cluster.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import '../../src/runtime/kafka/kafkajs-patches.ts'; // before kafkajs
import kafkajs from 'kafkajs';
import { KafkajsPort } from '../../src/runtime/kafka/kafkajs.ts';
import type { ProducedRange, TransactionalProducer } from '../../src/runtime/kafka/port.ts';
import { type OwnCluster, startOwnCluster } from '../support/own-broker.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rec = (topic: string, partition: number, value: string) => ({ topic, partition, key: Buffer.from('k'), value: Buffer.from(value) });

let cluster: OwnCluster;
let admin: kafkajs.Admin;
let port: KafkajsPort;

before(async () => {
  cluster = await startOwnCluster(3);
  // Nodes 2 and 3 only: the admin keeps answering after node 1 is gone.
  admin = new kafkajs.Kafka({ brokers: cluster.brokers.slice(1), clientId: 'leader-move-admin', logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  port = new KafkajsPort({ brokers: cluster.brokers.slice(1), clientId: 'leader-move' });
});

after(async () => {
  await port?.close().catch(() => {});
  await admin?.disconnect().catch(() => {});
  await cluster?.close();
});

/** Partition 0 on nodes [2, 3], partition 1 on [1, 2]: leaders 2 and 1. */
async function createTopic(topic: string): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        replicaAssignment: [
          { partition: 0, replicas: [2, 3] },
          { partition: 1, replicas: [1, 2] },
        ],
        configEntries: [{ name: 'min.insync.replicas', value: '1' }],
      },
    ],
  });
  await waitLeaders(topic, { 0: 2, 1: 1 }, 'preferred leaders');
}

async function waitLeaders(topic: string, want: Record<number, number>, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const md = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    const l = new Map(md?.topics[0]?.partitions.map((p) => [p.partitionId, p.leader]) ?? []);
    if (Object.entries(want).every(([p, n]) => l.get(Number(p)) === n)) return;
    if (Date.now() > deadline) throw new Error(`${what}: leaders ${JSON.stringify([...l])} after 120 s`);
    await sleep(200);
  }
}

/** A producer whose metadata has partition 1 on node 1 (it wrote there), before `move` runs. */
async function acrossMove(topic: string, txnId: string, move: () => Promise<void>): Promise<Map<number, string[]>> {
  let producer: TransactionalProducer | undefined;
  let produced: ProducedRange[] = [];
  // Its own port, bootstrapped on all three nodes, so that node 1 is in its metadata.
  const own = new KafkajsPort({ brokers: cluster.brokers, clientId: `leader-move-${txnId}` });
  try {
    producer = await own.transactionalProducer(txnId);
    const warm = await producer.begin();
    await warm.send([rec(topic, 0, 'warm-0'), rec(topic, 1, 'warm-1')]);
    await warm.commit();
    await move();
    const txn = await producer.begin();
    produced = await txn.send([rec(topic, 0, 'a'), rec(topic, 1, 'b'), rec(topic, 1, 'c')]);
    assert.deepEqual(produced.map((r) => r.partition).sort(), [0, 1], 'both partitions acknowledged');
    await txn.commit();
    // The commit markers are written after the commit returns; the offsets below are the last
    // stable ones (read_committed), so wait until each partition's marker is in.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const stable = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
      if (produced.every((r) => (stable.get(r.partition) ?? 0) > r.lastOffset + 1)) break;
      if (Date.now() > deadline) throw new Error(`commit markers not in after 60 s: ${JSON.stringify([...stable])}`);
      await sleep(100);
    }
  } finally {
    await producer?.close().catch(() => {});
    await own.close().catch(() => {});
  }
  const got = new Map<number, string[]>([
    [0, []],
    [1, []],
  ]);
  const offsets = await admin.fetchTopicOffsets(topic);
  const read = await port.read({
    topic,
    from: new Map([
      [0, 0],
      [1, 0],
    ]),
    until: new Map(offsets.map((o) => [o.partition, Number(o.high)])),
    onRecords: async (p, records) => {
      for (const r of records) got.get(p)!.push(r.value!.toString());
    },
  });
  await read.done;
  return got;
}

test('partition 1 reassigned away from a live node 1 mid-transaction: its records reach node 2 and commit', { timeout: 300_000 }, async (t) => {
  const topic = 'leader-move-reassign';
  await createTopic(topic);
  const got = await acrossMove(topic, 'leader-move-reassign', async () => {
    await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 1, replicas: [2, 3] }] }] });
    await waitLeaders(topic, { 0: 2, 1: 2 }, 'partition 1 moving to node 2');
    t.diagnostic('partition 1 reassigned to [2, 3]; the producer still believes node 1 leads it');
  });
  assert.deepEqual(got.get(0), ['warm-0', 'a']);
  assert.deepEqual(got.get(1), ['warm-1', 'b', 'c'], 'the moved partition kept its records');
});

test('node 1 SIGKILLed mid-transaction: every record of the transaction commits', { timeout: 300_000 }, async (t) => {
  const topic = 'leader-move-kill';
  await createTopic(topic);
  const got = await acrossMove(topic, 'leader-move-kill', async () => {
    await cluster.kill(1);
    await waitLeaders(topic, { 0: 2, 1: 2 }, 'partition 1 moving to node 2');
    t.diagnostic('node 1 killed; partition 1 now led by node 2');
  });
  assert.deepEqual(got.get(0), ['warm-0', 'a']);
  assert.deepEqual(got.get(1), ['warm-1', 'b', 'c']);
});
