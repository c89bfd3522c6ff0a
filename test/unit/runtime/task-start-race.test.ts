/**
 * TaskManager bookkeeping around a task start that a revocation overtook (pure logic: the port,
 * the stores' restore and the producer are stand-ins). A start still restoring when its partition
 * is revoked fails ("task closed during restore"); if the partition came back meanwhile, a newer
 * task owns it. The stale failure must not be retried as if it were the current start: before the
 * fix it put the partition in a start back-off (inputs paused, notBefore set, a "start failure" in
 * the status) while the newer task was running, and it replaced whatever back-off was in place.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { countProcessor } from '../../../src/runtime/builtin.ts';
import type { Committer } from '../../../src/runtime/committer.ts';
import type { KafkaPort } from '../../../src/runtime/kafka/port.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import type { StateManager } from '../../../src/runtime/state-manager.ts';
import { type ConsumerSide, TaskManager } from '../../../src/runtime/task-manager.ts';
import { MemoryKV } from '../../../src/state/memory.ts';
import { StateStore } from '../../../src/state/store.ts';

test('a task start overtaken by a revocation and reassignment does not back off the newer task', async () => {
  let assigned = new Set<number>();
  const paused: number[] = [];
  const consumer: ConsumerSide = {
    assigned: (p) => assigned.has(p),
    taskStarted: () => {},
    committed: () => {},
    pauseInputs: (p) => paused.push(p),
    resumeInputs: () => {},
  };
  // The first restore waits until released; later ones are immediate.
  let release!: () => void;
  const firstRestore = new Promise<void>((r) => (release = r));
  let restores = 0;
  const state = {
    globals: new Map(),
    async openStores(_p: number, _group: Record<string, number>, stores: Map<string, StateStore>, closed: () => boolean) {
      stores.set('counts', new StateStore('counts', new MemoryKV()));
      if (restores++ === 0) await firstRestore;
      if (closed()) throw new Error('task closed during restore');
    },
  } as unknown as StateManager;
  const committer: Committer = {
    guarantee: 'exactly_once',
    groupMatchesStores: true,
    markerEndsChangelog: true,
    open: async () => ({ commit: async () => {}, flush: async () => {}, close: async () => {} }),
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
  try {
    const running = new Promise<void>((r) => events.on('task', (t: { state: string }) => t.state === 'running' && r()));
    const closed = new Promise<void>((r) => events.on('task', (t: { state: string }) => t.state === 'closed' && r()));
    assigned = new Set([0]);
    tm.assign(assigned); // the first start: restoring, waits
    assigned = new Set();
    tm.assign(assigned); // revoked while it restores
    assigned = new Set([0]);
    tm.assign(assigned); // back again: a newer start, which completes
    await running;
    release(); // the first start now fails: its task was closed during restore
    await closed;
    // Its rejection handler runs after the disposal: let it.
    await new Promise((r) => setImmediate(r));
    assert.ok(tm.running(0), 'the newer task runs');
    assert.equal(tm.holdingOff(0), false, 'no back-off for a partition whose current task runs');
    assert.deepEqual(paused, [], 'its inputs were never paused');
    assert.equal(tm.startRetries.has(0), false, 'no start failure reported for it');
  } finally {
    await tm.drainAll();
    await tm.closeAll();
  }
});
