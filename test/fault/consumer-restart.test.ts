/**
 * Found by a clean-clone CI (issue 19, test/fault/heal.test.ts): a task-start back-off paused its
 * partition while kafkajs was restarting its crashed consumer (the broker had died). kafkajs has
 * no consumer group object between the crash and the restart, so its `pause` threw ("Consumer
 * group was not initialized") out of the back-off, and the restarted group would have started
 * unpaused and fetching from the committed offsets anyway, dropping pauses and seeks made before.
 * The group consumer must take pause/resume/seek at any time and hold them across the restart.
 * Runs on a broker of its own (test/support/own-broker.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KafkajsPort } from '../../src/runtime/kafka/kafkajs.ts';
import { startOwnBroker } from '../support/own-broker.ts';
import { lifo, unique, waitFor } from '../support/runtime.ts';

test('pause and seek during a consumer restart do not throw and hold once the consumer rejoins', { timeout: 300_000 }, async (t) => {
  const cleanup = lifo(t);
  const broker = await startOwnBroker((l) => t.diagnostic(l));
  cleanup(() => broker.close());
  const port = new KafkajsPort({ brokers: broker.brokers, clientId: 'dkg-test-consumer-restart' });
  cleanup(() => port.close());
  const topic = unique('cr');
  await (await port.admin()).createTopics([{ topic, partitions: 2 }]);
  const send = async (partition: number, n: number) => {
    const p = await port.producer();
    await p.send(Array.from({ length: n }, () => ({ topic, partition, key: null, value: Buffer.from('x') })));
    await p.close();
  };
  await send(0, 5);
  await send(1, 5);

  const consumer = port.groupConsumer({ groupId: unique('cr-group'), topics: [topic], fromBeginning: true, copartition: false });
  cleanup(() => consumer.stop());
  // Offsets delivered per partition, before and after the first restart.
  const before: number[][] = [[], []];
  const after: number[][] = [[], []];
  let restarted = false;
  let assignments = 0;
  let thrown: unknown;
  consumer.onAssignment(() => assignments++);
  consumer.onRestart?.(() => {
    if (restarted) return;
    restarted = true;
    // kafkajs reports the crash after it dropped its group and before the restart: the worst moment.
    try {
      consumer.pause([{ topic, partition: 0 }]);
      consumer.seek({ topic, partition: 1, offset: 0 });
    } catch (err) {
      thrown = err;
    }
  });
  await consumer.start(async (batch, ctl) => {
    if (ctl.isStale()) return;
    for (const r of batch.records) (restarted ? after : before)[batch.partition]!.push(r.offset);
    ctl.resolve(batch.lastOffset);
  });
  await waitFor('the first records of both partitions', () => (before[0]!.length === 5 && before[1]!.length === 5 ? true : undefined), 60_000);
  await consumer.commitOffsets([
    { topic, partition: 0, offset: 5 },
    { topic, partition: 1, offset: 5 },
  ]);
  const joined = assignments;

  await broker.kill();
  await waitFor('the consumer to crash and restart itself', () => (restarted ? true : undefined), 120_000);
  await broker.start();
  await waitFor('the consumer to rejoin', () => (assignments > joined ? true : undefined), 120_000);
  assert.equal(thrown, undefined, `pause/seek while the consumer restarted threw: ${(thrown as Error | undefined)?.message}`);

  await send(0, 5);
  await send(1, 5);
  // The seek made during the restart holds: partition 1 is read again from 0, not from the
  // committed 5.
  await waitFor('partition 1 read up to its new records', () => (after[1]!.includes(9) ? true : undefined), 60_000);
  assert.deepEqual(
    after[1],
    Array.from({ length: 10 }, (_, i) => i),
    'the seek made during the restart holds after the rejoin',
  );
  // One more record on partition 1, fetched after partition 0's new records were in the broker:
  // once it is delivered, an unpaused partition 0 would have been delivered too.
  await send(1, 1);
  await waitFor('the marker on partition 1', () => (after[1]!.length === 11 ? true : undefined), 60_000);
  assert.deepEqual(after[0], [], 'the pause made during the restart holds after the rejoin');

  consumer.resume([{ topic, partition: 0 }]);
  await waitFor('partition 0 once resumed', () => (after[0]!.length >= 5 ? true : undefined), 60_000);
  assert.deepEqual(after[0], [5, 6, 7, 8, 9], 'partition 0 goes on from its committed offset');
});
