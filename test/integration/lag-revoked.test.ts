/**
 * The lag gauge (dkg_stream_consumer_lag) of an instance covers the partitions it owns. Before
 * the fix, a partition that moved to another instance kept its series here for good: its
 * committed position frozen at the revocation while the high-watermark refresh kept raising its
 * high, so the moved partition's lag grew on the old owner with every record the new owner
 * processed (and a sum over instances counted it twice). Real broker, two instances.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { lifo, newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-lag-revoked');
const dir = tempDir('lag-revoked');
after(async () => {
  await port.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Partition → lag of the runtime's dkg_stream_consumer_lag series for `topic`. */
async function lagSeries(metrics: Metrics, topic: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const line of (await metrics.render()).split('\n')) {
    if (!line.startsWith('dkg_stream_consumer_lag{') || !line.includes(`topic="${topic}"`)) continue;
    const m = /partition="(\d+)"\}\s+(\S+)$/.exec(line);
    if (m) out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

test('a partition that moved to another instance leaves the lag gauge of its old owner', { timeout: 180_000 }, async (t) => {
  const cleanup = lifo(t);
  const app = unique('lag');
  const input = unique('lag-in');
  const output = unique('lag-out');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 4 },
    { topic: output, partitions: 4 },
  ]);
  const def = countProcessor({ input, output });
  const produce = async (n: number) => {
    const prod = await port.producer();
    await prod.send(Array.from({ length: n }, (_, i) => ({ topic: input, key: Buffer.from(`k${i % 31}`), value: Buffer.from(`id-${i}`) })));
    await prod.close();
  };
  const caughtUp = (rts: StreamRuntime[]) =>
    waitFor(
      'caught up',
      async () => {
        const ends = await admin.offsets(input);
        const c = await admin.groupOffsets(`${app}-count`, input);
        return ends.every((e) => (c.find((x) => x.partition === e.partition)?.offset ?? -1) >= e.high) && rts.every((r) => r.ready()) ? true : undefined;
      },
      90_000,
    );
  const mk = (name: string) => new StreamRuntime({ port, processor: def, applicationId: app, dataDir: join(dir, name), dlqTopic: unique('lag-dlq'), sessionTimeoutMs: 6000, metrics: new Metrics() });

  const a = mk('a');
  cleanup(() => a.stop());
  await a.ensureTopics();
  await a.start();
  await produce(400);
  await caughtUp([a]);
  assert.deepEqual([...(await lagSeries(a.metrics, input)).keys()].sort(), [0, 1, 2, 3], 'a reports every partition it owns');

  const b = mk('b');
  cleanup(() => b.stop());
  await b.start();
  await waitFor('partitions split', () => (a.assignedPartitions().length === 2 && b.assignedPartitions().length === 2 ? true : undefined), 60_000);
  await produce(400);
  await caughtUp([a, b]);
  const moved = [0, 1, 2, 3].filter((p) => !a.assignedPartitions().includes(p));
  const onA = await lagSeries(a.metrics, input);
  assert.deepEqual(
    moved.filter((p) => onA.has(p)).map((p) => `partition ${p}: lag ${onA.get(p)}`),
    [],
    'no series on a for the partitions b owns',
  );
  assert.deepEqual([...onA.keys()].sort(), a.assignedPartitions().sort());
});
