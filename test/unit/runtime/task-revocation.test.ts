/**
 * TaskManager bookkeeping when a partition is revoked (pure logic: the port, the stores' restore
 * and the producer are stand-ins).
 * - A start still restoring when its partition is revoked fails ("task closed during restore");
 *   if the partition came back meanwhile, a newer task owns it. Before the fix the stale failure
 *   was retried as the current start: it put the partition in a start back-off (inputs paused,
 *   notBefore set, a "start failure" in the status) while the newer task was running.
 * - The failures in a row of a revoked partition go with it.
 * - A transaction that fails while its task closes for a revocation is no task failure to restart
 *   from: before the fix it counted a failure in a row for the partition that had just moved away
 *   and disposed the closing task a second time.
 * - A start whose task was revoked after its restore (while it reads its position) does not
 *   start: before the fix it sought the consumer of a partition no longer owned and announced a
 *   running task that was being closed.
 * - A partition paused for a start back-off and revoked is resumed, and starts at once when it
 *   comes back (no pause or back-off outlives the revocation).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { countProcessor } from '../../../src/runtime/builtin.ts';
import type { Committer } from '../../../src/runtime/committer.ts';
import type { BatchControl, KafkaPort } from '../../../src/runtime/kafka/port.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import type { StateManager } from '../../../src/runtime/state-manager.ts';
import { type ConsumerSide, TaskManager } from '../../../src/runtime/task-manager.ts';
import { MemoryKV } from '../../../src/state/memory.ts';
import { StateStore } from '../../../src/state/store.ts';

/**
 * A TaskManager over stand-ins. `gateFirstRestore`: the first restore waits until `release()`;
 * `failStarts`: that many restores fail first (the broker is down).
 */
function harness(gateFirstRestore: boolean, failStarts = 0, gateFirstOpen = false) {
  const ctl = { assigned: new Set<number>(), paused: [] as number[], resumed: [] as number[], started: [] as number[], reading: () => {}, commit: async (): Promise<void> => {} };
  const consumer: ConsumerSide = {
    assigned: (p) => ctl.assigned.has(p),
    taskStarted: (p) => ctl.started.push(p),
    committed: () => {},
    pauseInputs: (p) => ctl.paused.push(p),
    resumeInputs: (p) => ctl.resumed.push(p),
  };
  let release!: () => void;
  const firstRestore = new Promise<void>((r) => (release = r));
  let restores = 0;
  const state = {
    globals: new Map(),
    async openStores(_p: number, _group: Record<string, number>, stores: Map<string, StateStore>, closed: () => boolean) {
      const store = new StateStore('counts', new MemoryKV());
      if (gateFirstOpen && restores === 0) {
        // The task reads its stores' position once restored (Task.open): that read waits.
        const meta = store.meta.bind(store);
        store.meta = async () => {
          ctl.reading();
          await firstRestore;
          return meta();
        };
      }
      stores.set('counts', store);
      if (restores++ === 0 && gateFirstRestore) await firstRestore;
      if (restores <= failStarts) throw new Error('broker down');
      if (closed()) throw new Error('task closed during restore');
    },
  } as unknown as StateManager;
  const committer: Committer = {
    guarantee: 'exactly_once',
    groupMatchesStores: true,
    markerEndsChangelog: true,
    open: async () => ({ commit: () => ctl.commit(), flush: async () => {}, close: async () => {} }),
  };
  const port = { admin: async () => ({ groupOffsets: async () => [] }) } as unknown as KafkaPort;
  const events = new EventEmitter();
  const tm = new TaskManager({
    port,
    processor: countProcessor({ input: 'in', output: 'out' }),
    groupId: 'g',
    dlqTopic: 'dlq',
    changelog: (s) => `${s}-changelog`,
    committer,
    state,
    metrics: new Metrics(),
    events,
    consumer,
  });
  const assign = (ps: number[]) => {
    ctl.assigned = new Set(ps);
    tm.assign(ctl.assigned);
  };
  const next = (state: string) => new Promise<void>((r) => events.on('task', (t: { state: string }) => t.state === state && r()));
  const stop = async () => {
    await tm.drainAll();
    await tm.closeAll();
  };
  return { tm, ctl, assign, next, release, stop, events };
}

test('a task start overtaken by a revocation and reassignment does not back off the newer task', async () => {
  const { tm, ctl, assign, next, release, stop } = harness(true);
  try {
    const running = next('running');
    const closed = next('closed');
    assign([0]); // the first start: restoring, waits
    assign([]); // revoked while it restores
    assign([0]); // back again: a newer start, which completes
    await running;
    release(); // the first start now fails: its task was closed during restore
    await closed;
    // Its rejection handler runs after the disposal: let it.
    await new Promise((r) => setImmediate(r));
    assert.ok(tm.running(0), 'the newer task runs');
    assert.equal(tm.holdingOff(0), false, 'no back-off for a partition whose current task runs');
    assert.deepEqual(ctl.paused, [], 'its inputs were never paused');
    assert.equal(tm.startRetries.has(0), false, 'no start failure reported for it');
  } finally {
    await stop();
  }
});

test('the failures in a row of a partition that moved away go with it (readiness, and its back-off if it comes back)', async () => {
  const { tm, assign, next, stop } = harness(false);
  try {
    let running = next('running');
    assign([0]);
    await running;
    running = next('running');
    await tm.taskFailed(tm.running(0)!, new Error('fenced'));
    await running; // re-created at once after a first failure
    assert.equal(tm.failures.get(0)?.count, 1);
    assign([]);
    assert.equal(tm.failures.has(0), false, 'a revoked partition keeps no failure count here');
  } finally {
    await stop();
  }
});

test('a partition held off after a failed start, revoked and assigned again, is resumed and gets its task at once', async () => {
  const { tm, ctl, assign, next, stop } = harness(false, 1);
  try {
    const closed = next('closed');
    assign([0]); // the start fails: a start back-off, inputs paused
    await closed;
    await new Promise((r) => setImmediate(r));
    assert.equal(tm.holdingOff(0), true);
    assert.deepEqual(ctl.paused, [0]);
    assign([]); // revoked during the back-off: its pause must not outlive it
    assert.equal(tm.holdingOff(0), false);
    assert.deepEqual(ctl.resumed, [0]);
    const running = next('running');
    assign([0]); // back: no back-off left to wait out
    await running;
    assert.ok(tm.running(0));
  } finally {
    await stop();
  }
});

test('a transaction failing while its task closes for a revocation counts no failure in a row and closes the task once', async () => {
  const { tm, ctl, assign, next, stop, events } = harness(false);
  try {
    const running = next('running');
    assign([0]);
    await running;
    let fail!: (e: Error) => void;
    ctl.commit = () => new Promise<void>((_, reject) => (fail = reject));
    const batchCtl: BatchControl = { heartbeat: async () => {}, resolve: () => {}, isRunning: () => true, isStale: () => false };
    const rec = { topic: 'in', partition: 0, offset: 0, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1, headers: {} };
    assert.equal(await tm.process(tm.running(0)!, { topic: 'in', partition: 0, records: [rec], highWatermark: 1, lastOffset: 0 }, batchCtl), 'folded');
    let closedEvents = 0;
    events.on('task', (t: { state: string }) => t.state === 'closed' && closedEvents++);
    const closed = next('closed');
    assign([]); // revoked while the unit's transaction is in flight
    fail(new Error('fenced by the new owner'));
    await closed;
    await new Promise((r) => setImmediate(r));
    assert.equal(tm.failures.has(0), false, 'no failure in a row for a partition that moved away');
    assert.equal(closedEvents, 1, 'the task is closed once');
  } finally {
    await stop();
  }
});

test('a start revoked after its restore does not seek the partition or announce a running task', async () => {
  const { ctl, assign, next, release, stop, events } = harness(false, 0, true);
  try {
    const announced: string[] = [];
    events.on('task', (t: { state: string }) => announced.push(t.state));
    const closed = next('closed');
    const reading = new Promise<void>((r) => (ctl.reading = r));
    assign([0]);
    await reading; // restored, reading its position: waits
    assign([]); // revoked meanwhile
    release();
    await closed;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ctl.started, [], 'no seek for a partition no longer owned');
    assert.deepEqual(announced, ['closed']);
  } finally {
    await stop();
  }
});
