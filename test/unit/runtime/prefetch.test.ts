/** ProcessorDef.prefetch (chunk read-ahead) and KeyValueStore.peek never change what a fold computes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InRecord, ProcessorContext, ProcessorDef } from '../../../src/runtime/processor.ts';
import { TestDriver } from '../../../src/runtime/test-driver.ts';

const b = (s: string) => Buffer.from(s);

/**
 * Counts per key; emits the running count. `prefetch` may guess right, wrong, or throw. `sync`:
 * reads through `peek` and stays synchronous when the key is in memory (counting how often).
 */
function counter(prefetch?: ProcessorDef['prefetch'], sync?: { peeked: number }): ProcessorDef {
  const fold = (ctx: ProcessorContext, record: InRecord, prev: Buffer | null | undefined) => {
    const counts = ctx.store('counts');
    const n = Number(prev?.toString() ?? '0') + 1;
    if (record.value?.toString() === 'del') counts.delete(record.key!);
    else counts.put(record.key!, b(String(n)));
    if (record.value?.toString() === 'boom') throw new Error('boom');
    ctx.send({ topic: 'out', key: record.key, value: b(String(n)) });
  };
  return {
    name: 'counter',
    inputs: ['in'],
    outputs: ['out'],
    stores: ['counts'],
    ...(prefetch ? { prefetch } : {}),
    process(ctx, record: InRecord) {
      const counts = ctx.store('counts');
      if (sync) {
        const p = counts.peek(record.key!);
        if (p !== undefined) {
          sync.peeked++;
          return fold(ctx, record, p);
        }
      }
      return counts.get(record.key!).then((v) => fold(ctx, record, v));
    },
  };
}

test('prefetch: same stores, outputs and dead letters with right, wrong, throwing and unknown-store guesses', async () => {
  const guesses: Array<ProcessorDef['prefetch']> = [
    undefined,
    (r) => [{ store: 'counts', key: r.key! }],
    (r) => [
      { store: 'counts', key: b(`other-${r.key!.toString()}`) },
      { store: 'nope', key: r.key! },
    ],
    (r) => {
      if (r.offset % 2 === 0) throw new Error('no guess');
      return [{ store: 'counts', key: r.key! }];
    },
  ];
  const results: unknown[] = [];
  const peeks: number[] = [];
  for (const [g, sync] of guesses.flatMap(
    (g) =>
      [
        [g, undefined],
        [g, { peeked: 0 }],
      ] as const,
  )) {
    const d = new TestDriver(counter(g, sync));
    const chunk = (i: number) => Array.from({ length: 20 }, (_, k) => ({ key: b(`k${(i * 7 + k) % 5}`), value: b(k === 3 ? 'boom' : k === 11 ? 'del' : `v${k}`) }));
    for (let i = 0; i < 4; i++) await d.pipe('in', chunk(i));
    await d.restart();
    await d.pipe('in', chunk(9));
    results.push({
      store: (await d.entries('counts')).map(([k, v]) => `${k.toString()}=${v.toString()}`),
      out: d.outputs('out').map((o) => `${o.key?.toString()}:${o.value?.toString()}`),
      dlq: d.deadLetters().length,
    });
    if (sync) peeks.push(sync.peeked);
  }
  for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
  // Every read of a right guess is served from memory; without a guess only the unit's own writes are.
  assert.equal(peeks[1], 100);
  assert.ok(peeks[0]! > 0 && peeks[0]! < 100, `peeks without read-ahead: ${peeks[0]}`);
});

test('peek: a write, a delete and a read-ahead miss are known; anything else is not in memory', async () => {
  const seen: Array<string | null | undefined> = [];
  const d = new TestDriver<InRecord>({
    name: 'peeker',
    inputs: ['in'],
    stores: ['s'],
    prefetch: (r) => [{ store: 's', key: b(`ahead-${r.value!.toString()}`) }],
    async process(ctx, r) {
      const s = ctx.store('s');
      const show = (k: string) => {
        const v = s.peek(b(k));
        seen.push(v === null || v === undefined ? v : v.toString());
      };
      if (r.value!.toString() === 'first') {
        s.put(b('w'), b('1'));
        s.put(b('ahead-x'), b('y'));
        s.put(b('gone'), b('x'));
        s.delete(b('gone'));
        show('w'); // written in this unit
        show('gone'); // deleted in this unit: known absent
        show('ahead-first'); // read ahead, not in the store: known absent
        show('elsewhere'); // never read: not in memory
      } else {
        show('w'); // applied by the first unit: not in memory any more
        assert.equal((await s.get(b('w')))?.toString(), '1');
        show('ahead-x'); // read ahead and present
      }
    },
  });
  await d.pipe('in', [{ key: b('k'), value: b('first') }]);
  await d.pipe('in', [{ key: b('k'), value: b('x') }]);
  assert.deepEqual(seen, ['1', null, null, undefined, undefined, 'y']);
});
