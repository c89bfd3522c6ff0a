/** The soak's fault plan: the default run holds the counts issue 19 asks for, and a seed fixes it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultFaultCounts, faultSchedule } from '../../../soak/soak.ts';

const kinds = (plan: Array<{ kind: string }>, match: (k: string) => boolean) => plan.filter((p) => match(p.kind)).length;

test('the default 40-minute plan: ≥ 100 instance kills, ≥ 10 broker/controller kills, each one-off fault once, all before the quiet tail', () => {
  const plan = faultSchedule(40, 7, defaultFaultCounts(40));
  assert.ok(kinds(plan, (k) => k.startsWith('instance-kill')) >= 100);
  assert.ok(kinds(plan, (k) => k === 'broker-leader-kill' || k === 'controller-kill') >= 10);
  for (const k of ['rolling-restart', 'registry-restart', 'scale-in-out', 'data-dir-wipe'])
    assert.equal(
      kinds(plan, (x) => x === k),
      1,
      k,
    );
  for (const k of ['instance-kill', 'instance-kill-after-commit', 'instance-kill-during-restore', 'instance-kill-during-rebalance', 'broker-leader-kill', 'controller-kill'])
    assert.ok(kinds(plan, (x) => x === k) > 0, `no ${k}`);
  assert.ok(plan.every((p, i) => p.atS > 0 && p.atS <= 40 * 60 * 0.85 && (i === 0 || plan[i - 1]!.atS <= p.atS)));
});

test('the same seed gives the same plan, another seed another', () => {
  const counts = defaultFaultCounts(10);
  assert.deepEqual(faultSchedule(10, 42, counts), faultSchedule(10, 42, counts));
  assert.notDeepEqual(faultSchedule(10, 42, counts), faultSchedule(10, 43, counts));
});
