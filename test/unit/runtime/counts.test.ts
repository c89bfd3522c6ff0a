/**
 * Issue 16 item 4: a processor's counters (ProcessorContext.count) count each record once. The
 * counts travel with the record's unit and reach the metrics only when it commits: a record
 * rolled back (dead-lettered, or retried after a dependency failure) leaves no count behind, and
 * a unit folded again after its transaction never committed is counted once, when it commits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countProcessor } from '../../../src/runtime/builtin.ts';
import { TransientError } from '../../../src/runtime/errors.ts';
import type { ProcessorDef } from '../../../src/runtime/processor.ts';
import { TestDriver } from '../../../src/runtime/test-driver.ts';

const b = (s: string) => Buffer.from(s);
const FOLDED = 'dkg_stream_test_folded_total';
const REJECTED = 'dkg_stream_test_rejected_total';
const COUNT_ERRORS = 'dkg_stream_count_errors_total';

/** The built-in count fold, counting each record it keeps by key; `down-*` fails as a dependency outage would, while `outage.on`. */
function counting(outage = { on: false }): ProcessorDef<string> {
  const inner = countProcessor({ input: 'in', output: 'out' });
  return {
    ...inner,
    async process(ctx, id, record) {
      ctx.count(FOLDED, 'Records folded', { key: record.key?.toString() ?? '' });
      if (id.startsWith('down') && outage.on) throw new TransientError('registry', 'registry unreachable');
      await inner.process(ctx, id, record);
    },
    deadLettered(ctx, _record, err) {
      ctx.count(REJECTED, 'Records dead-lettered', { reason: (err as Error).name });
    },
  };
}

test('counts of kept records commit with them; a dead-lettered record leaves only its rejection count', async () => {
  const d = new TestDriver(counting());
  await d.pipe('in', [
    { key: b('a'), value: b('1') },
    { key: b('a'), value: b('bad-1') }, // decode fails: process never ran
    { key: b('a'), value: b('boom-2') }, // process counted, then failed: its count is rolled back
    { key: b('b'), value: b('3') },
  ]);
  assert.equal(d.metrics.get(FOLDED, { key: 'a' }), 1, 'the failed fold is not counted');
  assert.equal(d.metrics.get(FOLDED, { key: 'b' }), 1);
  assert.equal(d.metrics.get(REJECTED, { reason: 'DecodeError' }), 1);
  assert.equal(d.metrics.get(REJECTED, { reason: 'FoldError' }), 1);
});

test('a unit whose transaction never committed is counted once, when it is folded again and commits', async () => {
  const outage = { on: true };
  const d = new TestDriver(counting(outage));
  // The third record fails on a dependency: the unit (two records folded) is never committed.
  await assert.rejects(
    d.pipe('in', [
      { key: b('a'), value: b('1') },
      { key: b('a'), value: b('2') },
      { key: b('a'), value: b('down-3') },
    ]),
    TransientError,
  );
  assert.equal(d.metrics.get(FOLDED, { key: 'a' }), undefined, 'nothing counted before a commit');
  // The task is dropped with its uncommitted unit (as a failed transaction closes it) and the
  // records are delivered again once the dependency is back.
  d.crash();
  outage.on = false;
  await d.redeliver('in', 0, 0);
  assert.equal(d.metrics.get(FOLDED, { key: 'a' }), 3, 'three records, three counts');
  // Delivered once more (a consumer that restarted from an older position): skipped, not counted.
  d.crash();
  await d.redeliver('in', 0, 0);
  assert.equal(d.metrics.get(FOLDED, { key: 'a' }), 3);
});

test('a unit committed before a crash is counted once: the restart restores it from the changelog, it is not folded again', async () => {
  const d = new TestDriver(counting());
  await d.pipe('in', [{ key: b('a'), value: b('1') }], { crashBeforeApply: true });
  await d.pipe('in', [{ key: b('a'), value: b('2') }]);
  assert.equal(d.metrics.get(FOLDED, { key: 'a' }), 2);
  assert.deepEqual(
    d.outputs('out').map((r) => r.value?.toString()),
    ['1:1', '2:2'],
  );
});

test('a count the metrics refuse (a processor bug) is reported, not thrown after its unit committed', async () => {
  const inner = countProcessor({ input: 'in', output: 'out' });
  const d = new TestDriver<string>({
    ...inner,
    async process(ctx, id, record) {
      ctx.count(FOLDED, 'Records folded', { key: record.key?.toString() ?? '' });
      // No dkg_stream_ prefix, then other label names than the first use: both refused by the metrics.
      ctx.count('test_unprefixed_total', 'Not a dkg_stream_ name');
      ctx.count(FOLDED, 'Records folded', { other: 'label' });
      await inner.process(ctx, id, record);
    },
  });
  // The unit is committed before its counts are added: a refused count must not fail it.
  await d.pipe('in', [{ key: b('a'), value: b('1') }]);
  await d.pipe('in', [{ key: b('a'), value: b('2') }]);
  assert.equal(await d.position('in'), 2, 'both units applied');
  assert.equal(d.metrics.get(FOLDED, { key: 'a' }), 2, 'the good counts of the unit still count');
  assert.equal(d.metrics.get(COUNT_ERRORS, { name: 'test_unprefixed_total' }), 2);
  assert.equal(d.metrics.get(COUNT_ERRORS, { name: FOLDED }), 2);
});
