/**
 * A Kafka broker of a test's own (the project's stack manager, broker only, in a temporary
 * directory on ports of its own), for tests that kill and restart the broker without disturbing
 * the shared stack other test files use. Ports: one of {@link OWN_BROKER_SLOTS} slots from
 * DKG_STREAM_OWN_KAFKA_PORT, default the shared stack's Kafka port + 100: slot i uses that + 3i
 * (the controller the next port), claimed by a lock file so that test files running at once
 * never share a broker. The broker jars are the shared stack's downloads (its cache
 * directory), not fetched again.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, brokerAddress, brokerAddresses, down, readPid, type StackConfig, stackConfig, up } from '../../src/cli/stack.ts';

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
  return readPid(join(c.dir, 'run', node === 1 ? 'broker.pid' : `broker-${node}.pid`));
}

/** How many own brokers may run at once (the test runner's concurrency beyond this waits). */
const OWN_BROKER_SLOTS = 3;

/**
 * Claims a free slot (a directory made atomically, holding the claimer's pid; a dead claimer's
 * slot is taken over) and returns its Kafka port and release; waits while every slot is taken.
 */
async function claimSlot(base: number, say: (line: string) => void): Promise<{ kafkaPort: number; release: () => void }> {
  const deadline = Date.now() + 15 * 60_000;
  for (let waited = false; ; waited = true) {
    for (let i = 0; i < OWN_BROKER_SLOTS; i++) {
      const kafkaPort = base + 3 * i;
      const lock = join(tmpdir(), `dkg-own-broker-${kafkaPort}.lock`);
      try {
        mkdirSync(lock);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A claimer that died (killed on timeout) left its slot: take it over. One that is only
        // between mkdir and writing its pid has no pid file yet and keeps its slot.
        const holder = readPid(join(lock, 'pid'));
        if (holder !== undefined && !alive(holder)) rmSync(lock, { recursive: true, force: true });
        continue;
      }
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return { kafkaPort, release: () => rmSync(lock, { recursive: true, force: true }) };
    }
    if (!waited) say(`every own-broker slot (${OWN_BROKER_SLOTS}) is taken by another test file; waiting`);
    if (Date.now() > deadline) throw new Error(`no own-broker slot came free within 15 min (locks: ${tmpdir()}/dkg-own-broker-*.lock)`);
    await sleep(500);
  }
}

export async function startOwnBroker(say: (line: string) => void = () => {}): Promise<OwnBroker> {
  const shared = stackConfig();
  const { kafkaPort, release } = await claimSlot(Number(process.env.DKG_STREAM_OWN_KAFKA_PORT || shared.kafkaPort + 100), say);
  const dir = mkdtempSync(join(tmpdir(), 'dkg-own-broker-'));
  mkdirSync(join(dir, 'run'), { recursive: true });
  const c: StackConfig = { ...shared, dir, brokers: 1, secure: false, kafkaPort, controllerPort: kafkaPort + 1, registryPort: kafkaPort + 2, brokerHeapMb: 384 };
  const start = async () => void (await up(c, say, { registry: false }));
  try {
    await start();
  } catch (err) {
    await down(c, say).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    release();
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
      release();
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
