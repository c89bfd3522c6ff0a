/** The runtime's at-least-once mode on the real broker: no transactions, same fold, restart continues from the stores. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import type { RestoreProgress } from '../../src/runtime/restore.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { RocksKV, storeDir } from '../../src/state/rocksdb.ts';
import { StateStore } from '../../src/state/store.ts';
import { checkOutputs, countOf, readTopic, referenceCounts } from '../support/count-check.ts';
import { newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-runtime-alos');
const dataDir = tempDir('runtime-alos');
after(async () => {
  await port.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('at-least-once: folds every record, commits group offsets, restarts without a restore or refold', { timeout: 150_000 }, async () => {
  const app = unique('app');
  const input = unique('in');
  const output = unique('out');
  const def = countProcessor({ input, output });
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: output, partitions: 2 },
  ]);
  const inputs: Array<{ key: string; value: string }> = [];
  const produce = async (n: number) => {
    const prod = await port.producer();
    const batch = Array.from({ length: n }, (_, i) => ({ key: `k${(inputs.length + i) % 11}`, value: `id-${inputs.length + i}` }));
    inputs.push(...batch);
    await prod.send(batch.map((r) => ({ topic: input, key: Buffer.from(r.key), value: Buffer.from(r.value) })));
    await prod.close();
  };
  const run = async (expected: number) => {
    const rt = new StreamRuntime({ port, processor: def, applicationId: app, dataDir, dlqTopic: unique('dlq'), guarantee: 'at_least_once', maxCommitRecords: 300 });
    let restored = 0;
    let folded = 0;
    rt.on('restore', (p: RestoreProgress) => p.done && (restored += p.restored));
    rt.on('commit', (c: { stats: { processed: number } }) => (folded += c.stats.processed));
    try {
      await rt.ensureTopics();
      await rt.start();
      await waitFor(
        'group offsets at the end of the input',
        async () => {
          const sum = (await admin.groupOffsets(rt.groupId, input)).reduce((s, o) => s + Math.max(0, o.offset), 0);
          return sum >= expected && rt.ready() ? true : undefined;
        },
        60_000,
      );
    } finally {
      await rt.stop();
    }
    return { restored, folded };
  };
  await produce(1000);
  assert.equal((await run(1000)).folded, 1000);
  await produce(400);
  const second = await run(1400);
  assert.equal(second.restored, 0, 'clean restart: nothing to restore');
  assert.equal(second.folded, 400, 'only the new records are folded');
  const counts = new Map<string, bigint>();
  for (const p of [0, 1]) {
    const s = new StateStore('counts', await RocksKV.open(storeDir(dataDir, def.name, 'counts', p)));
    for await (const [k, v] of s.range()) counts.set(k.toString(), countOf(v));
    await s.close();
  }
  assert.deepEqual(counts, referenceCounts(inputs));
  assert.deepEqual(checkOutputs(inputs, await readTopic(port, output)), []);
});
