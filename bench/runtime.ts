/**
 * Runtime benchmark (issue 6 item 10), against the local broker:
 *   1. throughput: records/s of the trivial counting fold with exactly-once (transactions,
 *      changelog, offsets in RocksDB);
 *   2. restart time after a clean stop with 10k vs 1M records folded — with offsets stored in
 *      the state, a restart restores only the gap (none here), so both must be close
 *      (requirement: the 1M restart within 2× of the 10k restart).
 * Prints a table. Sizes: BENCH_SMALL (10000), BENCH_LARGE (1000000).
 *   node --import tsx bench/runtime.ts
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localBrokers } from '../src/config.ts';
import { countProcessor } from '../src/runtime/builtin.ts';
import { KafkajsPort } from '../src/runtime/kafka/kafkajs.ts';
import { ProgressBar } from '../src/runtime/progress.ts';
import type { RestoreProgress } from '../src/runtime/restore.ts';
import { StreamRuntime } from '../src/runtime/runtime.ts';

const brokers = (process.env.DKG_STREAM_BROKERS ?? localBrokers()).split(',');
const SMALL = Number(process.env.BENCH_SMALL ?? 10_000);
const LARGE = Number(process.env.BENCH_LARGE ?? 1_000_000);
const PARTITIONS = 4;
const port = new KafkajsPort({ brokers, clientId: 'dkg-bench' });
const dir = mkdtempSync(join(tmpdir(), 'dkg-bench-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function produce(topic: string, n: number): Promise<void> {
  const prod = await port.producer();
  const bar = new ProgressBar(`produce ${topic}`, n);
  for (let i = 0; i < n; i += 10_000) {
    const m = Math.min(10_000, n - i);
    await prod.send(Array.from({ length: m }, (_, j) => ({ topic, key: Buffer.from(`k${(i + j) % 50_000}`), value: Buffer.from(`id-${i + j}`) })));
    bar.update(i + m);
  }
  bar.done();
  await prod.close();
}

async function caughtUp(rt: StreamRuntime, input: string, label: string, total: number): Promise<void> {
  const admin = await port.admin();
  const bar = new ProgressBar(label, total);
  for (;;) {
    const ends = await admin.offsets(input);
    const c = await admin.groupOffsets(rt.groupId, input);
    const done = c.reduce((s, x) => s + Math.max(0, x.offset), 0);
    bar.update(Math.min(done, total));
    if (ends.every((e) => (c.find((x) => x.partition === e.partition)?.offset ?? -1) >= e.high)) break;
    await sleep(200);
  }
  bar.done();
}

interface Row {
  records: number;
  foldSeconds: number;
  recordsPerSecond: number;
  restartMs: number;
  restoredOnRestart: number;
}

async function scenario(n: number): Promise<Row> {
  const id = randomBytes(3).toString('hex');
  const input = `bench-in-${id}`;
  const output = `bench-out-${id}`;
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: PARTITIONS },
    { topic: output, partitions: PARTITIONS },
  ]);
  await produce(input, n);
  const mk = () => new StreamRuntime({ port, processor: countProcessor({ input, output }), applicationId: `bench-${id}`, dataDir: join(dir, id), dlqTopic: `bench-dlq-${id}`, maxCommitRecords: 5000 });
  const rt = mk();
  await rt.ensureTopics();
  const t0 = performance.now();
  await rt.start();
  await caughtUp(rt, input, `fold ${n}`, n);
  const foldSeconds = (performance.now() - t0) / 1000;
  await rt.stop();

  // Restart: construct → ready (joined, every task restored and running).
  const again = mk();
  let restored = 0;
  again.on('restore', (p: RestoreProgress) => p.done && (restored += p.restored));
  const t1 = performance.now();
  await again.start();
  while (!again.ready()) await sleep(5);
  const restartMs = performance.now() - t1;
  await again.stop();
  await admin.deleteTopics([input, output, `bench-${id}-count-counts-changelog`]).catch(() => {});
  return { records: n, foldSeconds, recordsPerSecond: n / foldSeconds, restartMs, restoredOnRestart: restored };
}

const rows: Row[] = [];
try {
  for (const n of [SMALL, LARGE]) rows.push(await scenario(n));
} finally {
  await port.close();
  rmSync(dir, { recursive: true, force: true });
}
const table = [
  '| records folded | fold time (s) | records/s (exactly-once) | restart to ready (ms) | records restored on restart |',
  '|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.records} | ${r.foldSeconds.toFixed(1)} | ${Math.round(r.recordsPerSecond)} | ${Math.round(r.restartMs)} | ${r.restoredOnRestart} |`),
];
process.stdout.write(table.join('\n') + '\n');
const [small, large] = rows;
if (small && large) {
  const ratio = large.restartMs / small.restartMs;
  process.stdout.write(`\nrestart ratio ${LARGE}/${SMALL}: ${ratio.toFixed(2)}× (requirement ≤ 2×: ${ratio <= 2 ? 'met' : 'NOT met'})\n`);
}
