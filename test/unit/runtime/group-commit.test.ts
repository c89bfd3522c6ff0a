/**
 * Group commit at the Task level (what the runtime relies on): units fold ahead of their
 * transactions, read the writes of units not yet applied, absorb several batches before they are
 * sealed, and are applied strictly in fold order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countProcessor } from '../../../src/runtime/builtin.ts';
import type { InRecord } from '../../../src/runtime/processor.ts';
import { Task } from '../../../src/runtime/task.ts';
import { decodeU64 } from '../../../src/state/keys.ts';
import { MemoryKV } from '../../../src/state/memory.ts';
import { StateStore } from '../../../src/state/store.ts';

const rec = (offset: number, key: string, id: string): InRecord => ({
  topic: 'in',
  partition: 0,
  offset,
  key: Buffer.from(key),
  value: Buffer.from(id),
  timestamp: 0,
  headers: {},
});

async function open() {
  const store = new StateStore('counts', new MemoryKV());
  const task = await Task.open({
    def: countProcessor({ input: 'in', output: 'out' }),
    partition: 0,
    stores: new Map([['counts', store]]),
    changelogTopic: (s) => `app-count-${s}-changelog`,
    dlqTopic: 'dlq',
  });
  return { store, task };
}
const outputs = (records: Array<{ topic: string; value: Buffer | null }>) => records.filter((r) => r.topic === 'out').map((r) => r.value!.toString());

test('a unit folded before the previous one is applied reads its writes and continues from its position', async () => {
  const { store, task } = await open();
  const first = await task.process([rec(0, 'a', 'x0'), rec(1, 'a', 'x1')]);
  // Not applied yet: the base store has nothing, the next unit must still count on from 2.
  assert.equal(await store.get(Buffer.from('a')), undefined);
  assert.equal(task.positionOf('in'), 2);
  const second = await task.process([rec(1, 'a', 'x1'), rec(2, 'a', 'x2')]);
  assert.equal(second.stats.skipped, 1, 'offset 1 was folded by the unapplied unit');
  assert.deepEqual(outputs(second.records), ['x2:3']);
  await assert.rejects(task.apply(second, []), /applied in the order they were folded/);
  await task.apply(first, []);
  assert.equal(decodeU64((await store.get(Buffer.from('a')))!), 2n);
  await task.apply(second, []);
  assert.equal(decodeU64((await store.get(Buffer.from('a')))!), 3n);
  assert.deepEqual((await store.meta()).inputOffsets, { 'in/0': 3 });
});

test('an open unit absorbs several batches into one transaction; a failed record rolls back only itself', async () => {
  const { store, task } = await open();
  await task.absorb([rec(0, 'a', 'x0'), rec(1, 'b', 'x1')]);
  await task.absorb([rec(2, 'a', 'boom-2'), rec(3, 'a', 'x3')]);
  assert.equal(task.openRecords, 4);
  const unit = task.seal()!;
  assert.equal(task.seal(), null, 'nothing open after sealing');
  assert.deepEqual(unit.stats, { processed: 4, skipped: 0, dlq: 1, outputs: 3 });
  assert.deepEqual(outputs(unit.records), ['x0:1', 'x1:1', 'x3:2']);
  // One changelog record per key changed in the unit, plus the position.
  const changelog = unit.records.filter((r) => r.topic === 'app-count-counts-changelog');
  assert.equal(changelog.length, 3);
  await task.apply(unit, []);
  assert.equal(decodeU64((await store.get(Buffer.from('a')))!), 2n);
  assert.equal(decodeU64((await store.get(Buffer.from('b')))!), 1n);
});

test('ranges inside a fold merge the writes of unapplied units and of the current unit', async () => {
  const store = new StateStore('s', new MemoryKV());
  const task = await Task.open({
    def: {
      name: 'ranges',
      inputs: ['in'],
      outputs: ['out'],
      stores: ['s'],
      async process(ctx, record) {
        const v = record.value!.toString();
        const s = ctx.store('s');
        if (v === 'scan') {
          const keys: string[] = [];
          for await (const [k] of s.range()) keys.push(k.toString());
          ctx.send({ topic: 'out', key: null, value: Buffer.from(keys.join(',')) });
        } else if (v.startsWith('del:')) s.delete(Buffer.from(v.slice(4)));
        else s.put(Buffer.from(v), Buffer.from(String(record.offset)));
      },
    },
    partition: 0,
    stores: new Map([['s', store]]),
    changelogTopic: (s) => `c-${s}`,
    dlqTopic: 'dlq',
  });
  await store.commit([{ key: Buffer.from('k0'), value: Buffer.from('base') }], {}, null);
  const first = await task.process([rec(0, '', 'k1'), rec(1, '', 'k2')]);
  const second = await task.process([rec(2, '', 'del:k1'), rec(3, '', 'k3'), rec(4, '', 'scan')]);
  assert.deepEqual(outputs(second.records), ['k0,k2,k3'], 'base k0, unapplied k2, own k3; k1 deleted by this unit');
  await task.apply(first, []);
  await task.apply(second, []);
  const keys: string[] = [];
  for await (const [k] of store.range()) keys.push(k.toString());
  assert.deepEqual(keys, ['k0', 'k2', 'k3']);
});
