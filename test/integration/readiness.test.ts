/**
 * /readyz tells the truth about a task restarting in a loop (real broker): a processor whose
 * global-table reaction always fails restarts its task again and again (each start reacts to the
 * tables); the runtime is not ready while that lasts, counts each restart as a retry, and is ready
 * again once the reaction works.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { Metrics } from '../../src/runtime/metrics.ts';
import type { ProcessorDef } from '../../src/runtime/processor.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

test('a task restarting in a loop makes the runtime not ready, with the reason; ready again once it stops failing', { timeout: 120_000 }, async (t) => {
  const cleanups: Array<() => unknown> = [];
  t.after(async () => {
    for (const f of cleanups.reverse()) await Promise.resolve(f()).catch(() => {});
  });
  const port = newPort('dkg-test-readiness');
  const dataDir = tempDir('readiness');
  cleanups.push(async () => {
    await port.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const input = unique('ready-in');
  const table = unique('ready-table');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 1 },
    { topic: table, partitions: 1 },
  ]);
  let broken = true;
  const def: ProcessorDef = {
    name: 'looper',
    inputs: [input],
    globals: [table],
    process() {},
    onGlobalUpdate() {
      if (broken) throw new Error('the reaction fails every time');
    },
  };
  const metrics = new Metrics();
  const rt = new StreamRuntime({ port, processor: def, applicationId: unique('ready-app'), dataDir, dlqTopic: unique('ready-dlq'), metrics, sessionTimeoutMs: 6000, stalledAfterMs: 4000 });
  cleanups.push(() => rt.stop());
  await rt.ensureTopics();
  await rt.start();
  const why = await waitFor('not ready because of the restart loop', () => rt.notReady().find((w) => w.includes('restarted')), 60_000);
  assert.match(why, /partition 0: task restarted \d+ times in a row/);
  assert.equal(rt.status().ready, false);
  assert.ok((metrics.get('dkg_stream_task_failures_total', { processor: 'looper' }) ?? 0) >= 3);
  assert.ok((metrics.get('dkg_stream_retries_total', { processor: 'looper', reason: 'transaction' }) ?? 0) >= 3, 'restarts are counted as retries');
  broken = false;
  await waitFor('ready again', () => (rt.ready() ? true : undefined), 60_000);
});
