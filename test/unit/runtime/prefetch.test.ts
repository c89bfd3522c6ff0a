/** ProcessorDef.prefetch (chunk read-ahead) never changes what a fold computes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InRecord, ProcessorDef } from '../../../src/runtime/processor.ts';
import { TestDriver } from '../../../src/runtime/test-driver.ts';

const b = (s: string) => Buffer.from(s);

/** Counts per key; emits the running count. `prefetch` may guess right, wrong, or throw. */
function counter(prefetch?: ProcessorDef['prefetch']): ProcessorDef {
  return {
    name: 'counter',
    inputs: ['in'],
    outputs: ['out'],
    stores: ['counts'],
    ...(prefetch ? { prefetch } : {}),
    async process(ctx, record: InRecord) {
      const counts = ctx.store('counts');
      const n = Number((await counts.get(record.key!))?.toString() ?? '0') + 1;
      if (record.value?.toString() === 'del') counts.delete(record.key!);
      else counts.put(record.key!, b(String(n)));
      if (record.value?.toString() === 'boom') throw new Error('boom');
      ctx.send({ topic: 'out', key: record.key, value: b(String(n)) });
    },
  };
}

test('prefetch: same stores, outputs and dead letters with right, wrong, throwing and unknown-store guesses', async () => {
  const guesses: Array<ProcessorDef['prefetch']> = [
    undefined,
    (r) => [{ store: 'counts', key: r.key! }],
    (r) => [{ store: 'counts', key: b(`other-${r.key!.toString()}`) }, { store: 'nope', key: r.key! }],
    (r) => {
      if (r.offset % 2 === 0) throw new Error('no guess');
      return [{ store: 'counts', key: r.key! }];
    },
  ];
  const results: unknown[] = [];
  for (const g of guesses) {
    const d = new TestDriver(counter(g));
    const chunk = (i: number) => Array.from({ length: 20 }, (_, k) => ({ key: b(`k${(i * 7 + k) % 5}`), value: b(k === 3 ? 'boom' : k === 11 ? 'del' : `v${k}`) }));
    for (let i = 0; i < 4; i++) await d.pipe('in', chunk(i));
    await d.restart();
    await d.pipe('in', chunk(9));
    results.push({
      store: (await d.entries('counts')).map(([k, v]) => `${k.toString()}=${v.toString()}`),
      out: d.outputs('out').map((o) => `${o.key?.toString()}:${o.value?.toString()}`),
      dlq: d.deadLetters().length,
    });
  }
  for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
});
