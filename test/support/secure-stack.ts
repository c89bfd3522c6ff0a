/**
 * The secured, replicated cluster the security tests need (`stack up --brokers 3 --secure`), in
 * its own stack directory (`<stack dir>/secure-cluster`, sharing the downloads) on its own ports:
 * kafka port + 10 … + 15 and registry port + 10 (or DKG_STREAM_SECURE_KAFKA_PORT /
 * DKG_STREAM_SECURE_REGISTRY_PORT). Started by the test file that needs it and stopped by it
 * again, also when a test fails — unless it was already running or DKG_STREAM_KEEP_STACK=1.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { LOCAL_KAFKA_PORT, LOCAL_REGISTRY_PORT } from '../../src/config.ts';
import { REPO_ROOT } from '../../src/paths.ts';
import { CLI } from './stack.ts';

const env = process.env;
const mainDir = resolve(env.DKG_STREAM_STACK_DIR ?? join(REPO_ROOT, '.stack'));
const kafkaPort = Number(env.DKG_STREAM_SECURE_KAFKA_PORT || Number(env.DKG_STREAM_KAFKA_PORT || LOCAL_KAFKA_PORT) + 10);
const registryPort = Number(env.DKG_STREAM_SECURE_REGISTRY_PORT || Number(env.DKG_STREAM_REGISTRY_PORT || LOCAL_REGISTRY_PORT) + 10);

/** Environment of `dkg-stream stack …` for the secure cluster. */
export const SECURE_STACK_ENV: NodeJS.ProcessEnv = {
  ...env,
  DKG_STREAM_STACK_DIR: join(mainDir, 'secure-cluster'),
  DKG_STREAM_STACK_CACHE: resolve(env.DKG_STREAM_STACK_CACHE ?? mainDir),
  DKG_STREAM_KAFKA_PORT: String(kafkaPort),
  DKG_STREAM_CONTROLLER_PORT: String(kafkaPort + 1),
  DKG_STREAM_REGISTRY_PORT: String(registryPort),
};
export const SECURE_DIR = SECURE_STACK_ENV.DKG_STREAM_STACK_DIR!;
/** The client configuration `stack up` writes (application user). */
export const SECURE_CLIENT_YAML = join(SECURE_DIR, 'client.yaml');
export const SECURE_SECRETS = join(SECURE_DIR, 'secrets');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI to completion (bounded: SIGKILL after `timeoutMs`) and captures its output. */
export function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: opts.env ?? env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', rej);
    child.once('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/**
 * Starts the secure cluster unless it runs already; returns the function that stops it again
 * (a no-op when it was running before or DKG_STREAM_KEEP_STACK=1).
 */
export async function secureClusterUp(): Promise<() => Promise<void>> {
  const before = await cli(['stack', 'status'], { env: SECURE_STACK_ENV, timeoutMs: 60_000 });
  const wasRunning = before.code === 0;
  const down = async () => {
    if (wasRunning || env.DKG_STREAM_KEEP_STACK === '1') return;
    await cli(['stack', 'down'], { env: SECURE_STACK_ENV, timeoutMs: 120_000 });
  };
  const up = await cli(['stack', 'up', '--brokers', '3', '--secure'], { env: SECURE_STACK_ENV, timeoutMs: 300_000 });
  if (up.code !== 0) {
    await down();
    throw new Error(`secure cluster did not come up (exit ${up.code}):\n${up.stderr.slice(-3000)}`);
  }
  return down;
}
