/** The Kafka port against the real broker: transactions, read_committed, fencing, groups. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { InRecord, TopicPartition } from '../../src/runtime/kafka/port.ts';
import { ProducerFencedError } from '../../src/runtime/kafka/port.ts';
import { newPort, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-port');
after(() => port.close());

const T = { timeout: 90_000 };
let topic: string;
before(async () => {
  topic = unique('port');
  const admin = await port.admin();
  await admin.createTopics([{ topic, partitions: 2 }]);
});

async function readAll(t: string, partitions: number[]): Promise<InRecord[]> {
  const admin = await port.admin();
  const marks = await admin.offsets(t);
  const got: InRecord[] = [];
  const h = await port.read({
    topic: t,
    from: new Map(partitions.map((p) => [p, 0])),
    until: new Map(marks.map((m) => [m.partition, m.high])),
    onRecords: async (_p, rs) => void got.push(...rs),
  });
  await h.done;
  return got;
}

test('committed transactions are visible, aborted ones are not, and reads finish past commit markers', T, async () => {
  const tp = await port.transactionalProducer(unique('tid'));
  const t1 = await tp.begin();
  const ranges = await t1.send([
    { topic, partition: 0, key: Buffer.from('a'), value: Buffer.from('1') },
    { topic, partition: 0, key: Buffer.from('b'), value: Buffer.from('2'), headers: { h: 'x' } },
    { topic, partition: 1, key: Buffer.from('c'), value: null },
  ]);
  const r0 = ranges.find((r) => r.partition === 0)!;
  assert.equal(r0.lastOffset - r0.baseOffset, 1, 'two records in partition 0');
  await t1.commit();
  const t2 = await tp.begin();
  await t2.send([{ topic, partition: 0, key: Buffer.from('z'), value: Buffer.from('aborted') }]);
  await t2.abort();
  const t3 = await tp.begin();
  await t3.send([{ topic, partition: 0, key: Buffer.from('d'), value: Buffer.from('3') }]);
  await t3.commit();
  await tp.close();

  const got = await readAll(topic, [0, 1]);
  const p0 = got.filter((r) => r.partition === 0).map((r) => `${r.key}=${r.value}`);
  assert.deepEqual(p0, ['a=1', 'b=2', 'd=3']);
  const tomb = got.find((r) => r.partition === 1)!;
  assert.equal(tomb.value, null);
  assert.equal(got.find((r) => r.key?.toString() === 'b')!.headers.h!.toString(), 'x');
  // Reading only from an offset after the first transaction returns just the last commit.
  const admin = await port.admin();
  const marks = await admin.offsets(topic);
  const tail: InRecord[] = [];
  const h = await port.read({
    topic,
    from: new Map([[0, r0.lastOffset + 1]]),
    until: new Map([[0, marks[0]!.high]]),
    onRecords: async (_p, rs) => void tail.push(...rs),
  });
  await h.done;
  assert.deepEqual(
    tail.map((r) => r.value?.toString()),
    ['3'],
  );
});

test('a second producer with the same transactional id fences the first', T, async () => {
  const tid = unique('fence');
  const a = await port.transactionalProducer(tid);
  const ta = await a.begin();
  await ta.send([{ topic, partition: 1, key: null, value: Buffer.from('zombie') }]);
  const b = await port.transactionalProducer(tid); // aborts a's open transaction
  await assert.rejects(ta.commit(), (e: Error) => {
    assert.ok(e instanceof ProducerFencedError, `expected ProducerFencedError, got ${e.name}: ${e.message} (cause: ${(e as { cause?: Error }).cause?.message})`);
    return true;
  });
  const tb = await b.begin();
  await tb.send([{ topic, partition: 1, key: null, value: Buffer.from('winner') }]);
  await tb.commit();
  await a.close().catch(() => {});
  await b.close();
  const values = (await readAll(topic, [1])).map((r) => r.value?.toString());
  assert.ok(values.includes('winner'));
  assert.ok(!values.includes('zombie'));
});

test('offsets sent in a transaction become the group position; a group consumer co-partitions, seeks and reports assignment', T, async (t) => {
  const a = unique('in-a');
  const b = unique('in-b');
  const group = unique('group');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: a, partitions: 3 },
    { topic: b, partitions: 3 },
  ]);
  const prod = await port.producer();
  await prod.send(Array.from({ length: 30 }, (_, i) => ({ topic: i % 2 ? a : b, partition: i % 3, key: null, value: Buffer.from(String(i)) })));
  await prod.close();

  const tp = await port.transactionalProducer(unique('tid'));
  const txn = await tp.begin();
  await txn.sendOffsets(group, [{ topic: a, partition: 0, offset: 2 }]);
  await txn.commit();
  await tp.close();
  assert.equal((await admin.groupOffsets(group, a)).find((o) => o.partition === 0)?.offset, 2);

  const c = port.groupConsumer({ groupId: group, topics: [a, b], fromBeginning: true });
  t.after(() => c.stop()); // also when an assertion fails first (a second disconnect is a no-op)
  let assigned: TopicPartition[] = [];
  c.onAssignment((x) => (assigned = x));
  const seen = new Map<string, number[]>();
  let seeked = false;
  await c.start(async (batch, ctl) => {
    const k = `${batch.topic}/${batch.partition}`;
    for (const r of batch.records) (seen.get(k) ?? seen.set(k, []).get(k)!).push(r.offset);
    if (batch.records.length) ctl.resolve(batch.records[batch.records.length - 1]!.offset);
    if (!seeked && batch.topic === b && batch.partition === 2) {
      seeked = true;
      c.seek({ topic: b, partition: 2, offset: 3 });
    }
  });
  await waitFor('all partitions read', () => (seen.get(`${b}/2`)?.includes(4) && (seen.get(`${a}/1`)?.length ?? 0) >= 5 && seen.has(`${a}/0`) ? true : undefined));
  await c.stop();
  assert.equal(assigned.length, 6, 'sole member owns all partitions of both topics');
  assert.equal(seen.get(`${a}/0`)![0], 2, 'started at the offset committed in the transaction');
  assert.equal(seen.get(`${b}/2`)!.filter((o) => o === 3).length, 2, 'seek back re-delivered offset 3');
});
