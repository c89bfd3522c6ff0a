/** The exactly-once runtime on the real broker: fold, DLQ, restart without restore, full rebuild. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import { DLQ_HEADERS } from '../../src/runtime/dlq.ts';
import type { RestoreProgress } from '../../src/runtime/restore.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { RocksKV, storeDir } from '../../src/state/rocksdb.ts';
import { StateStore } from '../../src/state/store.ts';
import { checkOutputs, countOf, readTopic, referenceCounts } from '../support/count-check.ts';
import { newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-runtime');
const dataDir = tempDir('runtime');
after(async () => {
  await port.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const app = unique('app');
const input = unique('in');
const output = unique('out');
const dlq = unique('dlq');
const def = countProcessor({ input, output });
const inputs: Array<{ key: string; value: string }> = [];

async function produce(n: number, bad = 0): Promise<void> {
  const prod = await port.producer();
  const batch = Array.from({ length: n }, (_, i) => {
    const id = inputs.length + i;
    return { key: `k${id % 13}`, value: i < bad ? `bad-${id}` : `id-${id}` };
  });
  inputs.push(...batch);
  await prod.send(batch.map((r) => ({ topic: input, key: Buffer.from(r.key), value: Buffer.from(r.value) })));
  await prod.close();
}

function runtime(): StreamRuntime {
  return new StreamRuntime({ port, processor: def, applicationId: app, dataDir, dlqTopic: dlq, maxCommitRecords: 500 });
}

async function runUntilConsumed(expected: number): Promise<{ restored: number }> {
  const rt = runtime();
  let restored = 0;
  rt.on('restore', (p: RestoreProgress) => p.done && (restored += p.restored));
  try {
    await rt.ensureTopics();
    await rt.start();
    const admin = await port.admin();
    await waitFor(
      'group position at the end of the input',
      async () => {
        const offs = await admin.groupOffsets(rt.groupId, input);
        const sum = offs.reduce((s, o) => s + Math.max(0, o.offset), 0);
        return sum >= expected && rt.ready() ? true : undefined;
      },
      60_000,
    );
  } finally {
    await rt.stop();
  }
  return { restored };
}

async function localCounts(): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const p of [0, 1]) {
    const s = new StateStore('counts', await RocksKV.open(storeDir(dataDir, def.name, 'counts', p)));
    for await (const [k, v] of s.range()) out.set(k.toString(), countOf(v));
    await s.close();
  }
  return out;
}

test('folds every record exactly once, routes bad ones to the DLQ, and restarts without a restore', { timeout: 150_000 }, async () => {
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: output, partitions: 2 },
  ]);
  await produce(1500, 5);
  const first = await runUntilConsumed(1500);
  assert.equal(first.restored, 0, 'fresh start: nothing to restore');
  assert.deepEqual(await localCounts(), referenceCounts(inputs));
  assert.deepEqual(checkOutputs(inputs, await readTopic(port, output)), []);
  const dead = await readTopic(port, dlq);
  assert.equal(dead.length, 5);
  assert.equal(dead[0]!.headers[DLQ_HEADERS.errorClass]!.toString(), 'DecodeError');
  assert.equal(dead[0]!.headers[DLQ_HEADERS.sourceTopic]!.toString(), input);

  // Clean restart with more input: the stores are current, so nothing is restored.
  await produce(700);
  const second = await runUntilConsumed(2200);
  assert.equal(second.restored, 0, 'clean restart restores nothing');
  assert.deepEqual(await localCounts(), referenceCounts(inputs));
  assert.deepEqual(checkOutputs(inputs, await readTopic(port, output)), []);

  // Local state lost entirely: rebuilt from the changelog, then processing continues.
  rmSync(dataDir, { recursive: true, force: true });
  await produce(300);
  const third = await runUntilConsumed(2500);
  assert.ok(third.restored > 0, 'lost state is restored from the changelog');
  assert.deepEqual(await localCounts(), referenceCounts(inputs));
  assert.deepEqual(checkOutputs(inputs, await readTopic(port, output)), []);
});
