/**
 * Issue 6 items 5 and 8: two instances share the partitions, one leaves, the survivor restores
 * the moved partitions' gap and the fold stays exactly-once; the ops server answers health,
 * readiness, metrics and store queries, with a 404 naming the owner of a non-local key.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import { startOpsServer } from '../../src/runtime/http.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { checkOutputs, countOf, readTopic, referenceCounts } from '../support/count-check.ts';
import { killWorker, spawnWorker } from '../support/fault-harness.ts';
import { newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-rebalance');
const dir = tempDir('rebalance');
after(async () => {
  await port.close();
  rmSync(dir, { recursive: true, force: true });
});

test('two instances share partitions; after one leaves the other restores the gap and the fold stays exactly-once', { timeout: 180_000 }, async (t) => {
  const app = unique('rb');
  const input = unique('rb-in');
  const output = unique('rb-out');
  const dlq = unique('rb-dlq');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 4 },
    { topic: output, partitions: 4 },
  ]);
  const def = countProcessor({ input, output });
  const inputs: Array<{ key: string; value: string }> = [];
  const produce = async (n: number) => {
    const prod = await port.producer();
    const batch = Array.from({ length: n }, (_, i) => ({ key: `k${(inputs.length + i) % 37}`, value: `id-${inputs.length + i}` }));
    inputs.push(...batch);
    await prod.send(batch.map((r) => ({ topic: input, key: Buffer.from(r.key), value: Buffer.from(r.value) })));
    await prod.close();
  };
  const caughtUp = async (rts: StreamRuntime[]) =>
    waitFor(
      'caught up',
      async () => {
        const ends = await admin.offsets(input);
        const c = await admin.groupOffsets(`${app}-count`, input);
        const ok = ends.every((e) => (c.find((x) => x.partition === e.partition)?.offset ?? -1) >= e.high) && rts.every((r) => r.ready());
        return ok ? true : undefined;
      },
      90_000,
    );
  const metrics = new Metrics();
  const mk = (name: string) =>
    new StreamRuntime({ port, processor: def, applicationId: app, dataDir: join(dir, name), dlqTopic: dlq, endpoint: `${name}.local:8088`, sessionTimeoutMs: 6000, metrics });

  const a = mk('a');
  t.after(() => a.stop()); // stop is idempotent: also when an assertion fails first
  await a.ensureTopics();
  await a.start();
  await produce(1000);
  await caughtUp([a]);
  assert.deepEqual(a.assignedPartitions().sort(), [0, 1, 2, 3]);

  const b = mk('b');
  t.after(() => b.stop());
  const restoredB: number[] = [];
  b.on('restore', (p: { done: boolean; partition: number }) => p.done && restoredB.push(p.partition));
  await b.start();
  await waitFor('partitions split', () => (a.assignedPartitions().length === 2 && b.assignedPartitions().length === 2 ? true : undefined), 60_000);
  await produce(1000);
  await caughtUp([a, b]);
  assert.deepEqual([...a.assignedPartitions(), ...b.assignedPartitions()].sort(), [0, 1, 2, 3]);

  // Ops server on instance a.
  const q = new Map([['counts', { runtime: a, store: 'counts', partitions: 4 }]]);
  const ops = await startOpsServer({ port: 0, kafka: port, runtimes: [a], metrics: [metrics], queries: q });
  try {
    const get = async (path: string) => {
      const r = await fetch(ops.url + path);
      return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? ((await r.json()) as Record<string, unknown>) : await r.text() };
    };
    assert.equal((await get('/healthz')).status, 200);
    assert.equal((await get('/readyz')).status, 200);
    const m = (await get('/metrics')).body as string;
    assert.match(m, /dkg_stream_consumed_records_total\{processor="count"\} \d+/);
    assert.match(m, /dkg_stream_commit_seconds_count/);
    assert.match(m, /dkg_stream_rocksdb_size_bytes\{/);
    const ref = referenceCounts(inputs);
    let local = 0;
    let remote = 0;
    for (const [k, n] of ref) {
      const r = await get(`/stores/counts/${Buffer.from(k).toString('hex')}`);
      const body = r.body as { partition: number; value?: string; owner?: { endpoint: string } };
      if (a.assignedPartitions().includes(body.partition)) {
        assert.equal(r.status, 200);
        assert.equal(countOf(Buffer.from(body.value!, 'hex')), n);
        local++;
      } else {
        assert.equal(r.status, 404);
        assert.equal(body.owner?.endpoint, 'b.local:8088', 'the 404 names the owning instance');
        remote++;
      }
    }
    assert.ok(local > 0 && remote > 0);
    const range = (await get('/stores/counts?limit=5')).body as { entries: unknown[] };
    assert.equal(range.entries.length, 5);
    assert.equal((await get('/stores/nope/00')).status, 404);
  } finally {
    await ops.close();
  }

  // b leaves; a takes its partitions back and restores only what b added.
  await b.stop();
  const restoredA: Array<{ partition: number; restored: number }> = [];
  a.on('restore', (p: { done: boolean; partition: number; restored: number }) => p.done && restoredA.push(p));
  await waitFor('a owns everything again', () => (a.assignedPartitions().length === 4 ? true : undefined), 60_000);
  await produce(1000);
  await caughtUp([a]);
  assert.ok(
    restoredA.some((r) => r.restored > 0),
    'a restored the gap of the partitions b processed',
  );
  assert.ok(
    restoredA.every((r) => r.restored < 500),
    'only the gap, not the whole changelog',
  );
  await a.stop();

  const got = new Map<string, bigint>();
  const { RocksKV, storeDir } = await import('../../src/state/rocksdb.ts');
  const { StateStore } = await import('../../src/state/store.ts');
  for (let p = 0; p < 4; p++) {
    const s = new StateStore('counts', await RocksKV.open(storeDir(join(dir, 'a'), 'count', 'counts', p)));
    for await (const [k, v] of s.range()) got.set(k.toString(), countOf(v));
    await s.close();
  }
  assert.deepEqual(got, referenceCounts(inputs));
  assert.deepEqual(checkOutputs(inputs, await readTopic(port, output)), []);
});

test('an instance SIGKILLed (no leave) loses its partitions after the session timeout; the survivor restores them and the fold stays exactly-once', { timeout: 180_000 }, async () => {
  const app = unique('rbk');
  const input = unique('rbk-in');
  const output = unique('rbk-out');
  const dlq = unique('rbk-dlq');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 4 },
    { topic: output, partitions: 4 },
  ]);
  const def = countProcessor({ input, output });
  const inputs: Array<{ key: string; value: string }> = [];
  const produce = async (n: number) => {
    const prod = await port.producer();
    const batch = Array.from({ length: n }, (_, i) => ({ key: `k${(inputs.length + i) % 29}`, value: `id-${inputs.length + i}` }));
    inputs.push(...batch);
    await prod.send(batch.map((r) => ({ topic: input, key: Buffer.from(r.key), value: Buffer.from(r.value) })));
    await prod.close();
  };
  const caughtUp = async (rts: StreamRuntime[]) =>
    waitFor(
      'caught up',
      async () => {
        const ends = await admin.offsets(input);
        const c = await admin.groupOffsets(`${app}-count`, input);
        const ok = ends.every((e) => (c.find((x) => x.partition === e.partition)?.offset ?? -1) >= e.high) && rts.every((r) => r.ready());
        return ok ? true : undefined;
      },
      90_000,
    );

  const a = new StreamRuntime({ port, processor: def, applicationId: app, dataDir: join(dir, 'ka'), dlqTopic: dlq, sessionTimeoutMs: 6000 });
  await a.ensureTopics();
  await a.start();
  // b is another process: the count worker of the fault harness.
  const b = spawnWorker('test/support/count-worker.ts', { W_APP: app, W_INPUT: input, W_OUTPUT: output, W_DLQ: dlq, W_DATA_DIR: join(dir, 'kb'), W_SESSION_MS: '6000' });
  try {
    await waitFor('partitions split with the worker', () => (a.assignedPartitions().length === 2 ? true : undefined), 60_000);
    await produce(1000);
    await caughtUp([a]);
    const moved = [0, 1, 2, 3].filter((p) => !a.assignedPartitions().includes(p));
    assert.equal(moved.length, 2);

    // Crash: no LeaveGroup. a gets b's partitions once the broker expires b's session.
    await killWorker(b);
    const restored: Array<{ partition: number; restored: number }> = [];
    a.on('restore', (p: { done: boolean; partition: number; restored: number }) => p.done && restored.push(p));
    await produce(1000);
    await waitFor('a owns everything after the session timeout', () => (a.assignedPartitions().length === 4 ? true : undefined), 60_000);
    await caughtUp([a]);
    assert.ok(
      moved.every((p) => restored.some((r) => r.partition === p && r.restored > 0)),
      'the moved partitions were restored from their changelogs',
    );
  } finally {
    await killWorker(b);
    await a.stop();
  }
  const got = new Map<string, bigint>();
  const { RocksKV, storeDir } = await import('../../src/state/rocksdb.ts');
  const { StateStore } = await import('../../src/state/store.ts');
  for (let p = 0; p < 4; p++) {
    const s = new StateStore('counts', await RocksKV.open(storeDir(join(dir, 'ka'), 'count', 'counts', p)));
    for await (const [k, v] of s.range()) got.set(k.toString(), countOf(v));
    await s.close();
  }
  assert.deepEqual(got, referenceCounts(inputs));
  assert.deepEqual(checkOutputs(inputs, await readTopic(port, output)), [], "every output exactly once (the killed instance's open transactions aborted)");
});
