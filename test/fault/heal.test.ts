/**
 * Issue 15 item 4 with a real outage: the broker dies right after the runtime got its assignment,
 * so the tasks' start fails; once the broker is back, every (idle) partition becomes ready
 * without a record arriving. Runs on a broker of its own (test/support/own-broker.ts), so the
 * shared stack of the other test files is never touched. On a multi-broker cluster the same
 * test applies to the broker that leads the partitions.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import { KafkajsPort } from '../../src/runtime/kafka/kafkajs.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { startOwnBroker } from '../support/own-broker.ts';
import { lifo, tempDir, unique, waitFor } from '../support/runtime.ts';

test('the broker dies right after assignment: the failed task starts are retried and the idle partitions become ready', { timeout: 300_000 }, async (t) => {
  // Stopped in reverse order (the runtime before its broker), also when the test fails.
  const cleanup = lifo(t);
  const broker = await startOwnBroker((l) => t.diagnostic(l));
  cleanup(() => broker.close());
  const port = new KafkajsPort({ brokers: broker.brokers, clientId: 'dkg-test-heal-kill' });
  cleanup(() => port.close());
  const dataDir = tempDir('heal-kill');
  cleanup(() => rmSync(dataDir, { recursive: true, force: true }));

  const input = unique('hk-in');
  const output = unique('hk-out');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: output, partitions: 2 },
  ]);
  const rt = new StreamRuntime({ port, processor: countProcessor({ input, output }), applicationId: unique('hk'), dataDir, dlqTopic: unique('hk-dlq') });
  cleanup(() => rt.stop());
  let assignments = 0;
  let killed: Promise<void> | undefined;
  // Synchronously on the first assignment, before the tasks' start reaches the broker.
  rt.on('assignment', () => {
    assignments++;
    killed ??= broker.kill();
  });
  await rt.ensureTopics();
  await rt.start();
  await waitFor('the first assignment', () => (killed ? true : undefined), 60_000);
  await killed;
  await waitFor('a task start failed while the broker is down', () => (Object.keys(rt.status().startFailures).length > 0 ? true : undefined), 120_000);
  assert.equal(rt.ready(), false);

  await broker.start();
  await waitFor('every partition ready after the broker came back', () => (rt.ready() ? true : undefined), 120_000);
  assert.deepEqual(rt.status().tasks, { 0: 'running', 1: 'running' });
  assert.deepEqual(rt.status().startFailures, {});
  assert.deepEqual(
    (await (await port.admin()).offsets(input)).map((o) => o.high),
    [0, 0],
    'no record was produced to the input',
  );
  t.diagnostic(`assignments seen: ${assignments}`);
});
