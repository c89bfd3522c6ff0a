/** ProcessorDef.onGlobalUpdate and ProcessorContext.deadLetter through the broker-less driver. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InRecord, ProcessorContext, ProcessorDef } from '../../../src/runtime/processor.ts';
import { TestDriver } from '../../../src/runtime/test-driver.ts';

const b = (s: string) => Buffer.from(s);

/** Emits `<value>@<table value>` when the record's key is in the table; otherwise parks it. */
function parker(): ProcessorDef {
  const release = async (ctx: ProcessorContext) => {
    const parked = ctx.store('parked');
    for await (const [k, v] of parked.range()) {
      const rec = JSON.parse(v.toString()) as { key: string; value: string; offset: number };
      const known = await ctx.global('table').get(b(rec.key));
      if (!known) continue;
      parked.delete(k);
      if (known.toString() === 'poison') {
        ctx.deadLetter(
          { topic: 'in', partition: ctx.partition, offset: rec.offset, key: b(rec.key), value: b(rec.value), timestamp: 0, headers: {} },
          Object.assign(new Error(`poisoned ${rec.key}`), { name: 'Poisoned' }),
        );
      } else ctx.send({ topic: 'out', key: b(rec.key), value: b(`${rec.value}@${known.toString()}`) });
    }
  };
  return {
    name: 'parker',
    inputs: ['in'],
    outputs: ['out'],
    stores: ['parked'],
    globals: ['table'],
    async process(ctx, record: InRecord) {
      const known = await ctx.global('table').get(record.key!);
      if (known) return ctx.send({ topic: 'out', key: record.key, value: b(`${record.value!.toString()}@${known.toString()}`) });
      ctx.store('parked').put(b(`${record.offset}`), b(JSON.stringify({ key: record.key!.toString(), value: record.value!.toString(), offset: record.offset })));
    },
    async onGlobalUpdate(ctx, topic, records) {
      assert.equal(topic, 'table');
      for (const r of records) assert.equal(r.topic, 'table');
      await release(ctx);
    },
  };
}

const outs = (d: TestDriver) => d.outputs('out').map((r) => `${r.key!.toString()}=${r.value!.toString()}`);

test('records parked until a global table learns their key are released by the update, once', async () => {
  const d = new TestDriver(parker(), { partitions: 2 });
  await d.pipe('in', [
    { key: b('a'), value: b('1') },
    { key: b('b'), value: b('2'), partition: 1 },
  ]);
  assert.deepEqual(outs(d), []);
  await d.pipeGlobal('table', b('a'), b('A'));
  assert.deepEqual(outs(d), ['a=1@A']);
  assert.equal((await d.entries('parked', 0)).length, 0);
  assert.equal((await d.entries('parked', 1)).length, 1, 'b is still parked');
  await d.pipeGlobal('table', b('a'), b('A2'));
  assert.deepEqual(outs(d), ['a=1@A'], 'released exactly once');
  await d.pipeGlobal('table', b('b'), b('B'));
  assert.deepEqual(outs(d), ['a=1@A', 'b=2@B']);
  await d.pipe('in', { key: b('a'), value: b('3') });
  assert.deepEqual(outs(d), ['a=1@A', 'b=2@B', 'a=3@A2']);
});

test('deadLetter from a reaction routes the parked record to the DLQ with its reason and source offset', async () => {
  const d = new TestDriver(parker());
  await d.pipe('in', [
    { key: b('x'), value: b('1') },
    { key: b('y'), value: b('2') },
  ]);
  await d.pipeGlobal('table', b('y'), b('poison'));
  const [dl, ...more] = d.deadLetters();
  assert.equal(more.length, 0);
  assert.equal(dl!.errorClass, 'Poisoned');
  assert.equal(dl!.sourceOffset, 1);
  assert.deepEqual(dl!.value, b('2'));
  assert.equal((await d.entries('parked')).length, 1, 'only x is left');
});

test('a task start reacts to the tables: a record parked before a crash is released after the restart', async () => {
  const d = new TestDriver(parker());
  await d.pipe('in', { key: b('k'), value: b('1') });
  // The table learns k while the task is down (the update reaction never ran for this task).
  d.crash();
  const def = d.def;
  const hook = def.onGlobalUpdate;
  def.onGlobalUpdate = undefined;
  await d.pipeGlobal('table', b('k'), b('K'));
  def.onGlobalUpdate = hook;
  assert.deepEqual(outs(d), []);
  await d.restart({ wipeLocalState: true });
  assert.deepEqual((await d.entries('parked')).length, 0, 'released at task start');
  assert.deepEqual(outs(d), ['k=1@K']);
});
