/** Task semantics through the broker-less test driver (same Task code as the Kafka runtime). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countProcessor } from '../../../src/runtime/builtin.ts';
import { DLQ_HEADERS } from '../../../src/runtime/dlq.ts';
import type { ProcessorDef } from '../../../src/runtime/processor.ts';
import { TestDriver } from '../../../src/runtime/test-driver.ts';
import { decodeU64, u64 } from '../../../src/state/keys.ts';
import { collect } from '../../../src/state/kv.ts';

const b = (s: string) => Buffer.from(s);
const count = () => countProcessor({ input: 'in', output: 'out' });
const values = (rs: Array<{ value: Buffer | null }>) => rs.map((r) => r.value?.toString());

test('a fold keeps per-key state, emits outputs and advances its position', async () => {
  const d = new TestDriver(count(), { partitions: 2 });
  await d.pipe('in', [
    { key: b('a'), value: b('1') },
    { key: b('b'), value: b('2') },
    { key: b('a'), value: b('3') },
    { key: b('c'), value: b('4'), partition: 1 },
  ]);
  assert.deepEqual(values(d.outputs('out')), ['1:1', '2:1', '3:2', '4:1']);
  assert.equal(decodeU64((await d.get('counts', b('a')))!), 2n);
  assert.equal(decodeU64((await d.get('counts', b('c'), 1))!), 1n);
  assert.equal(await d.get('counts', b('c'), 0), undefined, 'partition 1 state is not in partition 0');
  assert.equal(await d.position('in', 0), 3);
  assert.equal(await d.position('in', 1), 1);
});

test('decode and fold errors go to the DLQ with headers, roll back the record, and processing continues', async () => {
  const d = new TestDriver(count());
  const stats = await d.pipe('in', [
    { key: b('a'), value: b('1') },
    { key: b('a'), value: b('bad-1') },
    { key: b('a'), value: b('boom-2') },
    { key: b('a'), value: b('3') },
  ]);
  assert.deepEqual(stats, { processed: 4, skipped: 0, dlq: 2, outputs: 2 });
  assert.deepEqual(values(d.outputs('out')), ['1:1', '3:2'], 'the failed fold did not count');
  assert.equal(decodeU64((await d.get('counts', b('a')))!), 2n);
  const [decode, fold] = d.deadLetters();
  assert.equal(decode!.errorClass, 'DecodeError');
  assert.equal(decode!.headers[DLQ_HEADERS.stage], 'decode');
  assert.equal(decode!.headers[DLQ_HEADERS.sourceOffset], '1');
  assert.equal(decode!.headers[DLQ_HEADERS.sourceTopic], 'in');
  assert.equal(decode!.headers[DLQ_HEADERS.processor], 'count');
  assert.deepEqual(decode!.value, b('bad-1'));
  assert.equal(fold!.errorClass, 'FoldError');
  assert.equal(fold!.headers[DLQ_HEADERS.stage], 'process');
  assert.equal(fold!.headers[DLQ_HEADERS.errorClass], 'FoldError');
  assert.match(fold!.errorMessage, /boom-2/);
  assert.deepEqual(
    d.outputs('dlq').map((r) => r.key?.toString()),
    ['a', 'a'],
  );
});

test('a crash after commit and before the store write restores exactly the gap from the changelog', async () => {
  const d = new TestDriver(count());
  await d.pipe('in', [
    { key: b('a'), value: b('1') },
    { key: b('b'), value: b('2') },
  ]);
  await d.pipe('in', [{ key: b('a'), value: b('3') }], { crashBeforeApply: true });
  // After the restart the task restores the last transaction from the changelog…
  assert.equal(decodeU64((await d.get('counts', b('a')))!), 2n);
  assert.equal(await d.position('in'), 3);
  // …and continues from there, without re-counting anything.
  await d.pipe('in', [{ key: b('a'), value: b('4') }]);
  assert.deepEqual(values(d.outputs('out')), ['1:1', '2:1', '3:2', '4:3']);
});

test('losing the local state entirely restores it from the changelog (same contents, same position)', async () => {
  const d = new TestDriver(count(), { partitions: 2 });
  for (let i = 0; i < 50; i++) await d.pipe('in', { key: b(`k${i % 7}`), value: b(String(i)), partition: i % 2 });
  const before = [await d.entries('counts', 0), await d.entries('counts', 1)];
  await d.restart({ wipeLocalState: true });
  assert.deepEqual([await d.entries('counts', 0), await d.entries('counts', 1)], before);
  assert.equal(await d.position('in', 0), 25);
  // The changelog carries the input position as a meta record (internal key 0x00…).
  const meta = d.outputs('count-counts-changelog').filter((r) => r.key![0] === 0);
  assert.equal(meta.length, 50, 'one position record per transaction');
});

test('redelivered records (offset below the position) are skipped', async () => {
  const d = new TestDriver(count());
  await d.pipe('in', [
    { key: b('a'), value: b('1') },
    { key: b('a'), value: b('2') },
  ]);
  await d.pipe('in', [{ key: b('a'), value: b('3') }], { crashBeforeApply: true });
  const stats = await d.redeliver('in', 0, 0);
  assert.deepEqual(stats, { processed: 0, skipped: 3, dlq: 0, outputs: 0 });
  assert.equal(decodeU64((await d.get('counts', b('a')))!), 3n);
  assert.deepEqual(values(d.outputs('out')), ['1:1', '2:2', '3:3']);
});

test('stores are read-your-writes within a commit; ranges merge pending writes and deletes in order', async () => {
  const seen: string[][] = [];
  const def: ProcessorDef = {
    name: 'ranger',
    inputs: ['in'],
    stores: ['s'],
    async process(ctx, record) {
      const s = ctx.store('s');
      const [op, k] = record.value!.toString().split(' ');
      if (op === 'put') s.put(u64(Number(k)), b(k!));
      if (op === 'del') s.delete(u64(Number(k)));
      if (op === 'scan') {
        seen.push((await collect(s.range())).map(([, v]) => v.toString()));
        seen.push((await collect(s.range({ gte: u64(2), reverse: true, limit: 2 }))).map(([, v]) => v.toString()));
      }
    },
  };
  const d = new TestDriver(def);
  await d.pipe(
    'in',
    ['put 1', 'put 3', 'put 5'].map((v) => ({ value: b(v) })),
  );
  await d.pipe(
    'in',
    ['put 2', 'del 3', 'put 10', 'scan'].map((v) => ({ value: b(v) })),
  );
  assert.deepEqual(seen, [
    ['1', '2', '5', '10'],
    ['10', '5'],
  ]);
});

test('writing to an undeclared topic or store is a processor error (DLQ), global tables are readable', async () => {
  const def: ProcessorDef = {
    name: 'p',
    inputs: ['in'],
    outputs: ['out'],
    globals: ['epochs'],
    async process(ctx, record) {
      const v = record.value!.toString();
      if (v === 'wrong-topic') ctx.send({ topic: 'elsewhere', key: null, value: null });
      if (v === 'wrong-store') ctx.store('nope');
      if (v === 'lookup') {
        const scheme = await ctx.global('epochs').get(u64(7));
        ctx.send({ topic: 'out', key: null, value: scheme ?? b('missing') });
      }
    },
  };
  const d = new TestDriver(def);
  await d.pipeGlobal('epochs', u64(7), b('scheme-7'));
  await d.pipe(
    'in',
    ['wrong-topic', 'wrong-store', 'lookup'].map((v) => ({ value: b(v) })),
  );
  assert.deepEqual(
    d.deadLetters().map((x) => x.errorMessage.split(' ').slice(0, 4).join(' ')),
    ['processor p may not', 'processor p has no'],
  );
  assert.deepEqual(values(d.outputs('out')), ['scheme-7']);
});
