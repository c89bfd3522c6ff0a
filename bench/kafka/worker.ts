/**
 * One dkg-stream fold instance for the Kafka benchmarks (bench/kafka/section.ts spawns it, so
 * both systems run as child processes of the harness). Configured by environment:
 * W_BROKERS, W_APP, W_INPUT, W_DATA_DIR, W_SESSION_MS, W_MAX_COMMIT, W_GUARANTEE (eos|alos),
 * W_EXPECT (records: "processed" is printed once that many were folded and stored).
 * Prints one JSON line per event on stdout ({"event":…,"t":ms}): started, first (first record
 * folded), processed (W_EXPECT records folded and stored), assignment, restore (per store instance), ready (every assigned task running),
 * stopped. SIGTERM = clean stop; the harness uses SIGKILL for the unclean one.
 */
import { KafkajsPort } from '../../src/runtime/kafka/kafkajs.ts';
import type { RestoreProgress } from '../../src/runtime/restore.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { foldProcessor } from './workload.ts';

const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`fold worker: ${k} is not set`);
  return v;
};
const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, t: Date.now() })}\n`);
say({ event: 'started' });

const port = new KafkajsPort({ brokers: env('W_BROKERS').split(','), clientId: 'bench-fold' });
const rt = new StreamRuntime({
  port,
  processor: foldProcessor(env('W_INPUT'), () => say({ event: 'first' })),
  applicationId: env('W_APP'),
  dataDir: env('W_DATA_DIR'),
  dlqTopic: `${env('W_APP')}-dlq`,
  sessionTimeoutMs: Number(process.env.W_SESSION_MS ?? 6000),
  ...(process.env.W_MAX_COMMIT ? { maxCommitRecords: Number(process.env.W_MAX_COMMIT) } : {}),
  guarantee: process.env.W_GUARANTEE === 'alos' ? 'at_least_once' : 'exactly_once',
});
const expect = Number(process.env.W_EXPECT ?? 0);
let folded = 0;
rt.on('commit', (c: { stats: { processed: number } }) => {
  const before = folded;
  folded += c.stats.processed;
  if (expect > 0 && before < expect && folded >= expect) say({ event: 'processed', n: folded });
});
rt.on('assignment', (a: number[]) => say({ event: 'assignment', partitions: a }));
rt.on('restore', (p: RestoreProgress) => p.done && say({ event: 'restore', partition: p.partition, restored: p.restored }));
let ready = false;
const poll = setInterval(() => {
  if (!ready && rt.ready() && rt.assignedPartitions().length > 0) {
    ready = true;
    say({ event: 'ready' });
  }
}, 10);
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  clearInterval(poll);
  void rt
    .stop()
    .then(() => port.close())
    .finally(() => {
      say({ event: 'stopped' });
      process.exit(0);
    });
});
await rt.ensureTopics();
await rt.start();
