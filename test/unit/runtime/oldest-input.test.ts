/**
 * The timestamp a unit's end-to-end latency is measured from (PendingCommit.oldestInput, observed
 * in dkg_stream_end_to_end_seconds): the oldest input record that has a timestamp. A record
 * without one (Kafka's -1, or 0) must not hide the unit's other records from the histogram.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countProcessor } from '../../../src/runtime/builtin.ts';
import type { InRecord } from '../../../src/runtime/processor.ts';
import { Task } from '../../../src/runtime/task.ts';
import { MemoryKV } from '../../../src/state/memory.ts';
import { StateStore } from '../../../src/state/store.ts';

const rec = (offset: number, timestamp: number): InRecord => ({
  topic: 'in',
  partition: 0,
  offset,
  key: Buffer.from('k'),
  value: Buffer.from(`v${offset}`),
  timestamp,
  headers: {},
});

async function open(): Promise<Task> {
  return Task.open({
    def: countProcessor({ input: 'in', output: 'out' }),
    partition: 0,
    stores: new Map([['counts', new StateStore('counts', new MemoryKV())]]),
    changelogTopic: (s) => `app-count-${s}-changelog`,
    dlqTopic: 'dlq',
  });
}

test('a unit is measured from its oldest record that has a timestamp: a record without one does not hide the others', async () => {
  const task = await open();
  await task.absorb([rec(0, 5000), rec(1, -1), rec(2, 3000), rec(3, 0)]);
  assert.equal(task.seal()!.oldestInput, 3000);
});

test('a unit whose records have no timestamp has no oldest input (not observed)', async () => {
  const task = await open();
  await task.absorb([rec(0, -1), rec(1, 0)]);
  assert.equal(task.seal()!.oldestInput, undefined);
});
