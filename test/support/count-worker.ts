/**
 * A processor process for the fault harness and the benchmark: runs the builtin `count`
 * processor until SIGTERM (clean stop) or SIGKILL (crash). Configured by environment:
 * DKG_STREAM_BROKERS, W_APP, W_INPUT, W_OUTPUT, W_DLQ, W_DATA_DIR, W_SESSION_MS.
 * Prints one JSON line per event on stdout ({"event":"running"|"restore"|"stopped",…}).
 */
import { countProcessor } from '../../src/runtime/builtin.ts';
import { KafkajsPort } from '../../src/runtime/kafka/kafkajs.ts';
import type { RestoreProgress } from '../../src/runtime/restore.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { KAFKA_CLIENT } from './stack.ts';
import { runWorker, say, workerEnv } from './worker.ts';

const env = workerEnv('count-worker');

const port = new KafkajsPort({ ...KAFKA_CLIENT, clientId: 'count-worker' });
const rt = new StreamRuntime({
  port,
  processor: countProcessor({ input: env('W_INPUT'), output: env('W_OUTPUT') }),
  applicationId: env('W_APP'),
  dataDir: env('W_DATA_DIR'),
  dlqTopic: env('W_DLQ'),
  sessionTimeoutMs: Number(process.env.W_SESSION_MS ?? 6000),
  // W_CRASH_AFTER_COMMIT=p: die (SIGKILL) with probability p right after a commit, before the
  // stores are written — the window a random external kill almost never hits.
  afterCommitHook: () => {
    if (Math.random() < Number(process.env.W_CRASH_AFTER_COMMIT ?? 0)) {
      say({ event: 'self-kill-after-commit' });
      process.kill(process.pid, 'SIGKILL');
    }
  },
});
rt.on('restore', (p: RestoreProgress) => p.done && say({ event: 'restore', store: p.store, partition: p.partition, restored: p.restored }));
await runWorker(rt, () => port.close());
