/**
 * The soak's own replicated, secured stack (`stack up --brokers 3 --secure` in
 * `<stack dir>/soak`, on its own ports) and the faults it suffers: SIGKILL of a broker node
 * (found as the leader of an input partition or as the active KRaft controller), a rolling
 * restart, a registry restart. Nodes come back through `stack up`, which starts only what is
 * not running and waits until the whole cluster answers.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import '../src/runtime/kafka/kafkajs-patches.ts'; // before kafkajs: its producer gets the patches and the fixes
import kafkajs from 'kafkajs';
import { alive, readPid } from '../src/cli/stack.ts';
import { LOCAL_KAFKA_PORT, LOCAL_REGISTRY_PORT, loadConfig } from '../src/config.ts';
import { REPO_ROOT } from '../src/paths.ts';
import { kafkaSecurity } from '../src/runtime/kafka/security.ts';

const CLI = join(REPO_ROOT, 'bin', 'dkg-stream.js');

export interface SoakCluster {
  env: NodeJS.ProcessEnv;
  dir: string;
  clientYaml: string;
}

export function soakCluster(env: NodeJS.ProcessEnv = process.env): SoakCluster {
  const mainDir = resolve(env.DKG_STREAM_STACK_DIR ?? join(REPO_ROOT, '.stack'));
  const kafkaPort = Number(env.DKG_STREAM_SOAK_KAFKA_PORT || Number(env.DKG_STREAM_KAFKA_PORT || LOCAL_KAFKA_PORT) + 20);
  const registryPort = Number(env.DKG_STREAM_SOAK_REGISTRY_PORT || Number(env.DKG_STREAM_REGISTRY_PORT || LOCAL_REGISTRY_PORT) + 20);
  const dir = join(mainDir, 'soak');
  return {
    dir,
    clientYaml: join(dir, 'client.yaml'),
    env: {
      ...env,
      DKG_STREAM_STACK_DIR: dir,
      DKG_STREAM_STACK_CACHE: resolve(env.DKG_STREAM_STACK_CACHE ?? mainDir),
      DKG_STREAM_KAFKA_PORT: String(kafkaPort),
      DKG_STREAM_CONTROLLER_PORT: String(kafkaPort + 1),
      DKG_STREAM_REGISTRY_PORT: String(registryPort),
    },
  };
}

/** Runs the CLI against the soak stack (bounded). */
export function stackCli(c: SoakCluster, args: string[], timeoutMs = 300_000): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, 'stack', ...args], { cwd: REPO_ROOT, env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      res({ code, out });
    });
  });
}

export async function clusterUp(c: SoakCluster): Promise<void> {
  const r = await stackCli(c, ['up', '--brokers', '3', '--secure']);
  if (r.code !== 0) {
    // The CLI's last line is its one-line error; the summary keeps only a problem's first line.
    const last = r.out.trim().split('\n').at(-1) || '(no output)';
    throw new Error(`the soak stack did not come up (${r.code === null ? 'killed after 300 s' : `exit ${r.code}`}): ${last}\n${r.out.slice(-3000)}`);
  }
}

const pidFile = (c: SoakCluster, node: number) => join(c.dir, 'run', node === 1 ? 'broker.pid' : `broker-${node}.pid`);
const registryPidFile = (c: SoakCluster) => join(c.dir, 'run', 'registry.pid');

async function killAndWait(pid: number | undefined, signal: NodeJS.Signals, timeoutMs = 60_000): Promise<void> {
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 500));
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGKILLs one node and brings it back (`stack up` waits for the whole cluster). */
export async function killBroker(c: SoakCluster, node: number, downMs: number): Promise<void> {
  await killAndWait(readPid(pidFile(c, node)), 'SIGKILL');
  await new Promise((r) => setTimeout(r, downMs));
  await clusterUp(c);
}

/** Controlled shutdown (SIGTERM) and restart of each node in turn. */
export async function rollingRestart(c: SoakCluster): Promise<void> {
  for (const node of [1, 2, 3]) {
    await killAndWait(readPid(pidFile(c, node)), 'SIGTERM');
    await clusterUp(c);
  }
}

export async function restartRegistry(c: SoakCluster): Promise<void> {
  await killAndWait(readPid(registryPidFile(c)), 'SIGKILL');
  await clusterUp(c);
}

/** The node that is the active KRaft controller: the latest "Completed transition to Leader" in the node logs. */
export function activeController(c: SoakCluster): number | undefined {
  let best: { at: string; node: number } | undefined;
  for (const node of [1, 2, 3]) {
    let text = '';
    try {
      text = readFileSync(join(c.dir, 'logs', node === 1 ? 'broker.log' : `broker-${node}.log`), 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/^\[([0-9-]+ [0-9:,]+)\] INFO \[RaftManager id=(\d+)\] Completed transition to Leader/gm)) {
      if (!best || m[1]! > best.at) best = { at: m[1]!, node: Number(m[2]) };
    }
  }
  return best?.node;
}

/** The leader node of each partition of `topic` (as the application user sees the metadata). */
export async function partitionLeaders(c: SoakCluster, topic: string): Promise<Map<number, number>> {
  const config = loadConfig({ file: c.clientYaml, env: c.env });
  const admin = new kafkajs.Kafka({ clientId: 'dkg-stream-soak', brokers: config.brokers, logLevel: kafkajs.logLevel.NOTHING, ...kafkaSecurity(config) }).admin();
  await admin.connect();
  try {
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    return new Map(md.topics[0]!.partitions.map((p) => [p.partitionId, p.leader]));
  } finally {
    await admin.disconnect();
  }
}

export async function clusterDown(c: SoakCluster): Promise<void> {
  await stackCli(c, ['down'], 180_000);
}

export async function clusterRunning(c: SoakCluster): Promise<boolean> {
  return (await stackCli(c, ['status'], 60_000)).code === 0;
}
