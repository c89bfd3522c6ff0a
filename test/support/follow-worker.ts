/**
 * A follow-processor process for the fault harness: runs the follow processor on the runtime
 * until SIGTERM (clean stop) or SIGKILL. Configured by environment: DKG_STREAM_BROKERS,
 * DKG_STREAM_REGISTRY_URL, W_PREFIX, W_APP, W_DATA_DIR, W_EPOCH_LENGTH, W_GENESIS_OUTCOME (hex).
 * Prints one JSON line per event on stdout ({"event":"task","state":"running"} etc.).
 */
import { join } from 'node:path';
import { followEnv, followRuntime } from '../../src/app/env.ts';
import { REPO_ROOT } from '../../src/paths.ts';
import { bootstrapFromOutcome } from '../../src/processors/follow/bootstrap.ts';
import { hexToBytes } from '../../src/tempo/hex.ts';
import { BROKERS, CLIENT_CONFIG, REGISTRY_URL } from './stack.ts';
import { runWorker, workerEnv } from './worker.ts';

const env = workerEnv('follow-worker');

const fe = followEnv(
  {
    ...CLIENT_CONFIG,
    brokers: BROKERS,
    registryUrl: REGISTRY_URL,
    topology: join(REPO_ROOT, 'topology.yaml'),
    schemasDir: join(REPO_ROOT, 'schemas'),
    topicPrefix: env('W_PREFIX'),
    applicationId: env('W_APP'),
  },
  'follow-worker',
);
const rt = followRuntime(fe, { epochLength: BigInt(env('W_EPOCH_LENGTH')), bootstrap: bootstrapFromOutcome(hexToBytes(env('W_GENESIS_OUTCOME'))) }, { dataDir: env('W_DATA_DIR') });
await runWorker(rt, () => fe.close());
