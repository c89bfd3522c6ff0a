/**
 * Issue 6 item 9: ≥ 100k records through the counting processor while its process is SIGKILLed
 * ≥ 10 times and the broker restarts once; then the stores equal the reference fold and the
 * output topic (read_committed) holds every expected record exactly once.
 *
 * Knobs: DKG_STREAM_FAULT_RECORDS, DKG_STREAM_FAULT_BROKER_RESTART=0, DKG_STREAM_FAULT_KEEP=1 (keep
 * the log and data), DKG_STREAM_FAULT_SEED, DKG_STREAM_FAULT_CRASH_AFTER_COMMIT (the worker's
 * chance to SIGKILL itself right after a commit; default 0.05).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RocksKV, storeDir } from '../../src/state/rocksdb.ts';
import { StateStore } from '../../src/state/store.ts';
import { checkOutputs, countOf, readTopic, referenceCounts } from '../support/count-check.ts';
import { runFaultHarness } from '../support/fault-harness.ts';
import { newPort, tempDir, unique } from '../support/runtime.ts';

const RECORDS = Number(process.env.DKG_STREAM_FAULT_RECORDS ?? 100_000);
const port = newPort('dkg-test-fault');
const dir = tempDir('fault');
after(async () => {
  await port.close();
  if (!process.env.DKG_STREAM_FAULT_KEEP) rmSync(dir, { recursive: true, force: true });
});

test(`count processor: ${RECORDS} records, 10 SIGKILLs, 1 broker restart → exactly once`, { timeout: 10 * 60_000 }, async () => {
  const app = unique('fault');
  const input = unique('fault-in');
  const output = unique('fault-out');
  const dlq = unique('fault-dlq');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 4 },
    { topic: output, partitions: 4 },
  ]);
  const inputs: Array<{ key: string; value: string }> = [];
  const makeRecord = (i: number) => {
    const r = { key: `k${(i * 7919) % 1000}`, value: i % 10_000 === 4_999 ? `bad-${i}` : `id-${i}` };
    inputs[i] = r;
    return { key: Buffer.from(r.key), value: Buffer.from(r.value) };
  };
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'fault.log');
  const report = await runFaultHarness({
    port,
    worker: 'test/support/count-worker.ts',
    workerEnv: { W_APP: app, W_INPUT: input, W_OUTPUT: output, W_DLQ: dlq, W_DATA_DIR: dataDir, W_SESSION_MS: '6000', W_CRASH_AFTER_COMMIT: process.env.DKG_STREAM_FAULT_CRASH_AFTER_COMMIT ?? '0.05' },
    input,
    groupId: `${app}-count`,
    records: RECORDS,
    makeRecord,
    kills: 10,
    restartBroker: process.env.DKG_STREAM_FAULT_BROKER_RESTART !== '0',
    logFile,
  });
  process.stderr.write(`fault harness: ${JSON.stringify(report)} (log ${logFile})\n`);
  assert.equal(report.kills, 10);
  assert.equal(report.produced, RECORDS);

  const ref = referenceCounts(inputs);
  const got = new Map<string, bigint>();
  for (let p = 0; p < 4; p++) {
    const s = new StateStore('counts', await RocksKV.open(storeDir(dataDir, 'count', 'counts', p)));
    for await (const [k, v] of s.range()) got.set(k.toString(), countOf(v));
    await s.close();
  }
  assert.equal(got.size, ref.size);
  assert.deepEqual(got, ref, 'stores equal the reference fold');
  const outputs = await readTopic(port, output);
  assert.deepEqual(checkOutputs(inputs, outputs), [], 'every expected output exactly once');
  const dead = await readTopic(port, dlq);
  assert.equal(dead.length, inputs.filter((r) => r.value.startsWith('bad')).length, 'every bad record in the DLQ exactly once');
});
