/**
 * Issue 15 item 4: a task whose start fails right after assignment (here: ListOffsets answered
 * "not the leader", as a fresh topic or a leader move does) is started again with back-off, and
 * its partition becomes ready although no record ever arrives for it. Real broker; the fault is
 * injected into the runtime's admin client for as long as the test wants it. The variant that
 * kills the broker itself is test/fault/heal.test.ts.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import type { AdminPort, KafkaPort } from '../../src/runtime/kafka/port.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-heal');
const dataDir = tempDir('heal');
after(async () => {
  await port.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The real port, whose admin answers `offsets(topic)` for `failing` topics with a not-leader error while `fault.on`. */
function faultyPort(real: KafkaPort, failing: (topic: string) => boolean, fault: { on: boolean; hits: number }): KafkaPort {
  return {
    transactionalProducer: (id) => real.transactionalProducer(id),
    producer: () => real.producer(),
    groupConsumer: (o) => real.groupConsumer(o),
    read: (o) => real.read(o),
    partitionFor: (k, n) => real.partitionFor(k, n),
    async admin(): Promise<AdminPort> {
      const a = await real.admin();
      return {
        ...a,
        offsets: async (topic) => {
          if (fault.on && failing(topic)) {
            fault.hits++;
            throw Object.assign(new Error('This server is not the leader for that topic-partition'), { type: 'NOT_LEADER_OR_FOLLOWER', retriable: true });
          }
          return a.offsets(topic);
        },
      };
    },
  };
}

test('a task whose start failed at assignment is retried with back-off and its idle partition becomes ready', { timeout: 120_000 }, async (t) => {
  const app = unique('heal');
  const input = unique('heal-in');
  const output = unique('heal-out');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: output, partitions: 2 },
  ]);
  const fault = { on: true, hits: 0 };
  const changelog = `${app}-count-counts-changelog`;
  const rt = new StreamRuntime({
    port: faultyPort(port, (topic) => topic === changelog, fault),
    processor: countProcessor({ input, output }),
    applicationId: app,
    dataDir,
    dlqTopic: unique('heal-dlq'),
  });
  t.after(() => rt.stop());
  await rt.ensureTopics();
  await rt.start();

  // Both tasks fail to start, and are started again (no record arrives to trigger that).
  const failures = await waitFor('both task starts failed twice', () => {
    const f = rt.status().startFailures;
    return (f[0]?.attempts ?? 0) >= 2 && (f[1]?.attempts ?? 0) >= 2 ? f : undefined;
  });
  assert.match(failures[0]!.error, /not the leader/);
  assert.equal(rt.ready(), false, 'not ready while a task cannot start');
  assert.deepEqual(rt.assignedPartitions().sort(), [0, 1]);

  // The "leader" is back: the next retry starts both tasks without any record arriving.
  fault.on = false;
  await waitFor('ready after the fault cleared', () => (rt.ready() ? true : undefined), 30_000);
  assert.deepEqual(rt.status().startFailures, {}, 'no start failure left once running');
  assert.deepEqual(rt.status().tasks, { 0: 'running', 1: 'running' });
  const ends = await admin.offsets(input);
  assert.deepEqual(
    ends.map((e) => e.high),
    [0, 0],
    'no record was ever produced to the input',
  );
  assert.ok(fault.hits >= 4, `the fault was hit by every attempt (${fault.hits})`);
});
