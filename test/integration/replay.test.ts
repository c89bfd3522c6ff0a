/**
 * Issue 6.6, replay from a topic offset, on the real broker with the counting processor: a replay
 * is refused while an instance runs; from the beginning it rebuilds identical stores; from an
 * offset or a timestamp the stores equal a reference fold of the records from there on (the old
 * state is not resurrected by the changelog restore).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import type { InRecord } from '../../src/runtime/kafka/port.ts';
import { formatReplayPlan, formatReplayReport, planReplay, type ReplayFrom, ReplayRefused, replay } from '../../src/runtime/replay.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { RocksKV, storeDir } from '../../src/state/rocksdb.ts';
import { StateStore } from '../../src/state/store.ts';
import { countOf, readTopic, referenceCounts } from '../support/count-check.ts';
import { newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-replay');
const dataDir = tempDir('replay');
after(async () => {
  await port.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const app = unique('rp');
const input = unique('rp-in');
const output = unique('rp-out');
const dlq = unique('rp-dlq');
const def = countProcessor({ input, output });
const PARTITIONS = 2;

const runtime = () => new StreamRuntime({ port, processor: def, applicationId: app, dataDir, dlqTopic: dlq, sessionTimeoutMs: 6000 });

async function localCounts(): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (let p = 0; p < PARTITIONS; p++) {
    const s = new StateStore('counts', await RocksKV.open(storeDir(dataDir, def.name, 'counts', p)));
    for await (const [k, v] of s.range()) out.set(k.toString(), countOf(v));
    await s.close();
  }
  return out;
}

const asInput = (rs: InRecord[]) => rs.map((r) => ({ key: r.key!.toString(), value: r.value!.toString() }));

const doReplay = (from: ReplayFrom) =>
  replay({ port, processor: def, groupId: `${app}-count`, dataDir, changelogTopic: (s) => `${app}-count-${s}-changelog`, from, runtime, progress: null, timeoutMs: 90_000 });

test('replay: refused while running; from the beginning, an offset and a timestamp it rebuilds the fold of the records from there', { timeout: 240_000 }, async (t) => {
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: PARTITIONS },
    { topic: output, partitions: PARTITIONS },
  ]);
  // Three chunks with distinct record timestamps (1 h apart), 1 bad record in the second.
  const base = Date.now() - 3 * 3_600_000;
  const prod = await port.producer();
  let id = 0;
  for (let chunk = 0; chunk < 3; chunk++) {
    const batch = Array.from({ length: 200 }, () => {
      const i = id++;
      return { topic: input, key: Buffer.from(`k${i % 11}`), value: Buffer.from(chunk === 1 && i % 200 === 7 ? `bad-${i}` : `id-${i}`), timestamp: base + chunk * 3_600_000 };
    });
    await prod.send(batch);
  }
  await prod.close();
  // An aborted transaction ends every partition: its records and markers are never folded, so
  // committed positions stop short of the end offsets (the replay must still see it finish).
  const txp = await port.transactionalProducer(`${app}-aborted`);
  const txn = await txp.begin();
  await txn.send([0, 1].map((partition) => ({ topic: input, partition, key: Buffer.from('k0'), value: Buffer.from('aborted') })));
  await txn.abort();
  await txp.close();
  const all = await readTopic(port, input);
  assert.equal(all.length, 600);
  const lastOffset = (p: number) => Math.max(...all.filter((r) => r.partition === p).map((r) => r.offset));

  // Live fold, up to the last committed record of each partition.
  const live = runtime();
  t.after(() => live.stop()); // stop is idempotent: also when an assertion fails first
  await live.ensureTopics();
  await live.start();
  await waitFor(
    'live fold at the end of the input',
    async () => {
      const c = await admin.groupOffsets(`${app}-count`, input);
      return live.ready() && [0, 1].every((p) => (c.find((x) => x.partition === p)?.offset ?? -1) > lastOffset(p)) ? true : undefined;
    },
    90_000,
  );
  // While it runs, a replay is refused and changes nothing.
  await assert.rejects(doReplay({ kind: 'beginning' }), (err: unknown) => {
    assert.ok(err instanceof ReplayRefused);
    assert.match((err as Error).message, /has 1 active member.*stop every instance of processor 'count'/);
    return true;
  });
  const busyPlan = await planReplay({ port, processor: def, groupId: `${app}-count`, dataDir, changelogTopic: (st) => `${app}-count-${st}-changelog`, from: { kind: 'beginning' } });
  assert.equal(busyPlan.activeMembers.length, 1);
  assert.match(formatReplayPlan(busyPlan), /would be REFUSED now: the group has 1 active member/);
  await live.stop();
  const folded = await localCounts();
  assert.deepEqual(folded, referenceCounts(asInput(all)));

  // From the beginning: identical stores.
  const r0 = await doReplay({ kind: 'beginning' });
  assert.deepEqual(await localCounts(), folded);
  assert.equal(r0.records, 600);
  assert.equal(r0.dlq, 1);
  assert.deepEqual(
    r0.partitions.map((p) => p.from),
    [0, 0],
  );
  assert.match(formatReplayReport(r0), /total: 600 records, 1 to the DLQ/);

  // A dry run says what a replay from offset N would reset, and changes nothing.
  const N = 120;
  const committedBefore = await admin.groupOffsets(`${app}-count`, input);
  const plan = await planReplay({ port, processor: def, groupId: `${app}-count`, dataDir, changelogTopic: (st) => `${app}-count-${st}-changelog`, from: { kind: 'offset', offset: N } });
  assert.deepEqual(plan.activeMembers, []);
  assert.deepEqual(
    plan.partitions.map((x) => [x.partition, x.committed, x.from, x.records]),
    [0, 1].map((p) => [p, committedBefore.find((c) => c.partition === p)!.offset, N, plan.partitions.find((x) => x.partition === p)!.to - N]),
  );
  assert.equal(plan.records, all.filter((r) => r.offset >= N).length + 4, 'offsets from N: the committed records, and per partition the aborted record and its marker');
  assert.deepEqual(plan.changelogs, [`${app}-count-counts-changelog`]);
  assert.deepEqual(
    plan.storeDirs,
    [0, 1].map((p) => storeDir(dataDir, def.name, 'counts', p)),
  );
  assert.match(formatReplayPlan(plan), /^dry run: replay of count .* from offset 120 would reset these offsets \(nothing was changed\)/);
  assert.deepEqual(await admin.groupOffsets(`${app}-count`, input), committedBefore, 'the dry run reset no offset');
  assert.deepEqual(await localCounts(), folded, 'the dry run deleted no store');

  // From offset N: the fold of the records at offsets ≥ N of each partition, nothing older.
  const r1 = await doReplay({ kind: 'offset', offset: N });
  const fromN = referenceCounts(asInput(all.filter((r) => r.offset >= N)));
  assert.deepEqual(await localCounts(), fromN);
  assert.notDeepEqual(fromN, folded);
  assert.equal(r1.records, all.filter((r) => r.offset >= N).length, 'records counts every record folded (DLQ included)');

  // From a timestamp: the fold of chunks 2 and 3.
  const T = base + 3_600_000;
  await doReplay({ kind: 'timestamp', timestampMs: T });
  const fromT = referenceCounts(asInput(all.filter((r) => r.timestamp >= T)));
  assert.deepEqual(await localCounts(), fromT);
  assert.equal(
    [...fromT.values()].reduce((a, b) => a + b, 0n),
    399n,
  );

  // A normal restart afterwards continues from the replayed state (no rebuild, nothing re-folded).
  const again = runtime();
  t.after(() => again.stop());
  let restored = 0;
  again.on('restore', (p: { done: boolean; restored: number }) => p.done && (restored += p.restored));
  let processed = 0;
  again.on('commit', (c: { stats: { processed: number } }) => (processed += c.stats.processed));
  await again.start();
  await waitFor('restarted runtime ready', () => (again.ready() && again.assignedPartitions().length === PARTITIONS ? true : undefined), 60_000);
  await again.stop();
  assert.equal(processed, 0, 'the replay left the group at the end');
  assert.equal(restored, 0, 'the replayed stores match their changelogs: nothing to restore');
  assert.deepEqual(await localCounts(), fromT);
});
