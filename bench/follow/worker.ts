/**
 * One follower instance for the `follow` bench (bench/follow/section.ts spawns it, so its RSS is
 * its own): the real follow processor on the exactly-once runtime, wired from the topology like
 * `dkg-stream follow` (src/app), with the bench chain's trust root. Configured by environment:
 * DKG_STREAM_* (brokers, registry, topic prefix, application id: the CLI's settings),
 * W_EPOCH_LENGTH, W_GENESIS_OUTCOME (hex), W_IDENTITY (network identity from epoch 0, hex),
 * W_THREADS (verifier threads; 0 = inline), W_DATA_DIR, W_COMMIT_EVENTS (1: a `commit` line with
 * partition and next input offset after every committed transaction).
 * Prints one JSON line per event on stdout ({"event":…,"t":ms}): started, first (the first
 * record reached the processor: its chunk's preparation or its decode), assignment, ready,
 * stopped. SIGTERM = clean stop.
 */
import { followEnv } from '../../src/app/env.ts';
import { PROCESSORS, wiredRuntime } from '../../src/app/processors.ts';
import { loadConfig } from '../../src/config.ts';
import { bootstrapFromOutcome } from '../../src/processors/follow/bootstrap.ts';
import type { ProcessorDef } from '../../src/runtime/processor.ts';
import { hexToBytes } from '../../src/tempo/hex.ts';
import { VerifierPool } from '../../src/tempo/verify-pool.ts';

const env = (k: string): string => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`follow worker: ${k} is not set`);
  return v;
};
const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, t: Date.now() })}\n`);
say({ event: 'started' });

const config = loadConfig({});
const fenv = followEnv(config, 'bench-follow');
const threads = Number(env('W_THREADS'));
const verifier = threads > 0 ? new VerifierPool(threads) : undefined;
const def = PROCESSORS.get('follow')!.def(
  fenv,
  { secretKeyFile: null },
  {
    follow: {
      epochLength: BigInt(env('W_EPOCH_LENGTH')),
      bootstrap: bootstrapFromOutcome(hexToBytes(env('W_GENESIS_OUTCOME'))),
      networkIdentity: { identity: hexToBytes(env('W_IDENTITY')), fromEpoch: 0n },
      ...(verifier ? { verifier } : {}),
    },
  },
) as ProcessorDef<unknown>;
let first = false;
const seen = () => {
  if (first) return;
  first = true;
  say({ event: 'first' });
};
// The same processor, with a probe at the first record it is handed.
const probed: ProcessorDef<unknown> = {
  ...def,
  decode(record) {
    seen();
    return def.decode!(record);
  },
  ...(def.prepare
    ? {
        prepare(records) {
          seen();
          return def.prepare!(records);
        },
      }
    : {}),
};
const rt = wiredRuntime(fenv, probed, { dataDir: env('W_DATA_DIR'), sessionTimeoutMs: 6000 });
rt.on('assignment', (a: number[]) => say({ event: 'assignment', partitions: a }));
// W_COMMIT_EVENTS=1: one line per committed transaction (the live latency's breakdown).
if (process.env.W_COMMIT_EVENTS === '1')
  rt.on('commit', (c: { offsets: Array<{ partition: number; offset: number }> }) => {
    for (const o of c.offsets) say({ event: 'commit', p: o.partition, o: o.offset });
  });
rt.on('error', (e: Error) => {
  say({ event: 'error', message: e.message });
  process.exit(1);
});
let ready = false;
const poll = setInterval(() => {
  if (!ready && rt.ready() && rt.assignedPartitions().length > 0) {
    ready = true;
    say({ event: 'ready' });
  }
}, 20);
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  clearInterval(poll);
  void rt
    .stop()
    .then(() => verifier?.close())
    .then(() => fenv.close())
    .finally(() => {
      say({ event: 'stopped' });
      process.exit(0);
    });
});
await rt.ensureTopics();
await rt.start();
