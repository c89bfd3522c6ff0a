/**
 * A follow-processor process for the fault harness: runs the follow processor on the runtime
 * until SIGTERM (clean stop) or SIGKILL. Configured by environment: DKG_STREAM_BROKERS,
 * DKG_STREAM_REGISTRY_URL, W_PREFIX, W_APP, W_DATA_DIR, W_EPOCH_LENGTH, W_GENESIS_OUTCOME (hex).
 * Prints one JSON line per event on stdout ({"event":"task","state":"running"} etc.).
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/paths.ts';
import { followEnv, followRuntime } from '../../src/processors/follow/env.ts';
import { bootstrapFromOutcome } from '../../src/processors/follow/processor.ts';
import { hexToBytes } from '../../src/tempo/hex.ts';

const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`follow-worker: ${k} is not set`);
  return v;
};
const say = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\n');

const fe = followEnv(
  {
    brokers: (process.env.DKG_STREAM_BROKERS ?? '127.0.0.1:39092').split(','),
    registryUrl: process.env.DKG_STREAM_REGISTRY_URL ?? 'http://127.0.0.1:38081/apis/ccompat/v7',
    topology: join(REPO_ROOT, 'topology.yaml'),
    schemasDir: join(REPO_ROOT, 'schemas'),
    topicPrefix: env('W_PREFIX'),
    applicationId: env('W_APP'),
  },
  'follow-worker',
);
const rt = followRuntime(fe, { epochLength: BigInt(env('W_EPOCH_LENGTH')), bootstrap: bootstrapFromOutcome(hexToBytes(env('W_GENESIS_OUTCOME'))) }, { dataDir: env('W_DATA_DIR') });
rt.on('task', (t: { partition: number; state: string }) => say({ event: 'task', ...t }));
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void rt
    .stop()
    .then(() => fe.close())
    .finally(() => {
      say({ event: 'stopped' });
      process.exit(0);
    });
});
await rt.ensureTopics();
await rt.start();
say({ event: 'started' });
