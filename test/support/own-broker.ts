/**
 * A Kafka broker of a test's own (the project's stack manager, broker only, in a temporary
 * directory on ports of its own), for tests that kill and restart the broker without disturbing
 * the shared stack other test files use. Ports: DKG_STREAM_OWN_KAFKA_PORT, default the shared
 * stack's Kafka port + 100 (the controller uses the next port). The broker jars are the shared
 * stack's downloads (its cache directory), not fetched again.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerAddress, brokerAddresses, down, type StackConfig, stackConfig, up } from '../../src/cli/stack.ts';

export interface OwnBroker {
  brokers: string[];
  /** SIGKILLs the broker (a crash) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts the broker again on the same data and waits until it answers. */
  start(): Promise<void>;
  /** Stops the broker and deletes its directory. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidOf(c: StackConfig, node = 1): number | undefined {
  const f = join(c.dir, 'run', node === 1 ? 'broker.pid' : `broker-${node}.pid`);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startOwnBroker(say: (line: string) => void = () => {}): Promise<OwnBroker> {
  const shared = stackConfig();
  const kafkaPort = Number(process.env.DKG_STREAM_OWN_KAFKA_PORT || shared.kafkaPort + 100);
  const dir = mkdtempSync(join(tmpdir(), 'dkg-own-broker-'));
  mkdirSync(join(dir, 'run'), { recursive: true });
  const c: StackConfig = { ...shared, dir, brokers: 1, secure: false, kafkaPort, controllerPort: kafkaPort + 1, registryPort: kafkaPort + 2, brokerHeapMb: 384 };
  const start = async () => void (await up(c, say, { registry: false }));
  try {
    await start();
  } catch (err) {
    await down(c, say).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    brokers: [brokerAddress(c)],
    async kill() {
      const pid = pidOf(c);
      if (pid === undefined) return;
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await sleep(50);
    },
    start,
    async close() {
      await down(c, say).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface OwnCluster {
  /** Client addresses of nodes 1..n. */
  brokers: string[];
  /** SIGKILLs node `node` (1-based) and waits until it is gone. */
  kill(node: number): Promise<void>;
  /** Stops every node and deletes the cluster's directory. */
  close(): Promise<void>;
}

/**
 * A replicated KRaft cluster of a test's own (`nodes` combined broker/controller nodes, plaintext,
 * no registry) for tests that kill nodes. Ports: DKG_STREAM_OWN_CLUSTER_PORT, default the shared
 * stack's Kafka port + 110 (node i uses that + 2(i−1) and the next port), clear of the single
 * own broker's (+100..+102), so both kinds of test file can run at once.
 */
export async function startOwnCluster(nodes: 3, say: (line: string) => void = () => {}): Promise<OwnCluster> {
  const shared = stackConfig();
  const kafkaPort = Number(process.env.DKG_STREAM_OWN_CLUSTER_PORT || shared.kafkaPort + 110);
  const dir = mkdtempSync(join(tmpdir(), 'dkg-own-cluster-'));
  mkdirSync(join(dir, 'run'), { recursive: true });
  const c: StackConfig = { ...shared, dir, brokers: nodes, secure: false, kafkaPort, controllerPort: kafkaPort + 1, registryPort: kafkaPort + 2 * nodes, brokerHeapMb: 384 };
  try {
    await up(c, say, { registry: false });
  } catch (err) {
    await down(c, say).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    brokers: brokerAddresses(c),
    async kill(node) {
      const pid = pidOf(c, node);
      if (pid === undefined) return;
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await sleep(50);
    },
    async close() {
      await down(c, say).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
