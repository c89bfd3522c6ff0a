/**
 * ChangelogView's life cycle above the port: a changelog read that fails is started again, and a
 * stop() that comes while that new read is still starting must stop it too (a read left running
 * keeps its consumer, and the process, alive). The port here is a script of read handles; the
 * view against the real broker is test/integration/changelog-view.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangelogView } from '../../../src/runtime/changelog-view.ts';
import type { KafkaPort, ReadHandle } from '../../../src/runtime/kafka/port.ts';

interface ScriptedRead {
  handle: ReadHandle;
  fail(err: Error): void;
  stopped: boolean;
}

function scriptedRead(): ScriptedRead {
  let fail!: (err: Error) => void;
  const done = new Promise<void>((_, reject) => {
    fail = reject;
  });
  done.catch(() => {});
  const read: ScriptedRead = {
    handle: {
      done,
      stop: async () => {
        read.stopped = true;
      },
    },
    fail,
    stopped: false,
  };
  return read;
}

test('ChangelogView.stop stops a read that was being started again after a failure', async () => {
  const reads: ScriptedRead[] = [];
  let releaseSecond!: () => void;
  const secondStarted = new Promise<void>((resolve) => {
    releaseSecond = resolve;
  });
  let secondCalled!: () => void;
  const secondAsked = new Promise<void>((resolve) => {
    secondCalled = resolve;
  });
  const port = {
    admin: async () => ({ offsets: async () => [{ partition: 0, low: 0, high: 0 }] }),
    read: async () => {
      const r = scriptedRead();
      reads.push(r);
      if (reads.length === 2) {
        secondCalled();
        await secondStarted; // the broker is slow to answer the new read
      }
      return r.handle;
    },
  } as unknown as KafkaPort;
  const view = new ChangelogView({ port, groupId: 'g', changelogs: new Map([['s', 'changelog']]) });
  await view.start();
  assert.equal(reads.length, 1);

  reads[0]!.fail(new Error('broker gone'));
  await secondAsked;
  const stopping = view.stop();
  releaseSecond();
  await stopping;
  assert.equal(reads.length, 2, 'no third read after stop');
  assert.ok(reads[0]!.stopped, 'the failed read was stopped');
  assert.ok(reads[1]!.stopped, 'the read that was starting when stop() came was stopped');
});
