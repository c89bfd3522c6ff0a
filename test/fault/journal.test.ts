/**
 * Issue 7 item 4 with real crashes: a 4-node DKG + 2 reshares through the real broker, registry
 * and RocksDB, where node 0 (participant runtime + its own `dkg-journal` StreamRuntime +
 * KafkaJournalBackend) runs in a child process (test/support/journal-worker.ts) that is SIGKILLed
 * at seeded random moments — and once by itself right after a dealing's transaction committed and
 * was folded, before the ack is returned — and restarted from its journal alone. All messages go
 * through this process, which records every ack node 0 sends. Compared with an uninterrupted run
 * (same keys and seeds, node 0 in a child process that is never killed, its own topics):
 *   - node 0's stores (its RocksDB, read by the worker) have the same logical contents;
 *   - every ack node 0 sent for a dealer, before and after each restart, is the same ack (and the
 *     uninterrupted run's);
 *   - every node's final Output and Share are equal;
 *   - a fresh group replaying dkg.events/dkg.states from offset 0 into empty stores ends
 *     byte-identical to node 0's stores.
 * The seed is printed (DKG_STREAM_FAULT_SEED repeats a run).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { KafkaJournalBackend } from '../../src/edges/participant/kafka-backend.ts';
import { dkgJournalProcessor } from '../../src/processors/dkg-journal/processor.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import type { ProducedRange } from '../../src/runtime/kafka/port.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { AvroSerde, loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { loadTopology } from '../../src/runtime/topology.ts';
import { Keyring } from '../../src/state/seal.ts';
import { STORES } from '../../src/topics/names.ts';
import { readTopic } from '../support/count-check.ts';
import { killWorker, spawnWorker } from '../support/fault-harness.ts';
import { TestRng } from '../support/rng.ts';
import { newPort, tempDir, waitFor } from '../support/runtime.ts';
import { BROKERS, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';
import { CeremonyParticipant, Crashed, logicalDump, runWireCeremony, type StoreEntries, type WireCeremonyResult, type WireNode } from '../unit/journal/ceremony.ts';

const N = 4;
const EPOCHS = 3;
const MAX_READ = 4;
const KILLS = 5;
const SEED = Number(process.env.DKG_STREAM_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));

const port = newPort('dkg-test-fault-journal');
const dir = tempDir('fault-journal');
const children = new Set<ChildProcess>();
/** Every runtime this file started: stopped at the end also when a test failed before its own stop (stop is idempotent). */
const runtimes = new Set<StreamRuntime>();
after(async () => {
  for (const r of runtimes) await r.stop();
  for (const c of children) await killWorker(c);
  await port.close();
  if (!process.env.DKG_STREAM_FAULT_KEEP) rmSync(dir, { recursive: true, force: true });
});
const log = createWriteStream(join(dir, 'workers.log'), { flags: 'a' });
const say = (s: string) => log.write(`[test ${new Date().toISOString()}] ${s}\n`);

type Raw = Record<string, Array<Array<[string, string]>>>;

/** Kill plan of a run: SIGKILL node 0 shortly after its k-th call (global count), for each k. */
interface Faults {
  rng: TestRng;
  points: Set<number>;
  /** Life 1 kills itself after its 2nd committed dealing, before returning the ack. */
  selfKillFirstLife: boolean;
}
interface FaultLog {
  kills: number;
  selfKills: number;
  /** Calls in flight when node 0 died (e.g. "dealing" = a dealing was committed, its ack never returned). */
  interrupted: string[];
}

/** Node 0 in a child process, as a {@link WireNode}; a call rejects with Crashed when the process dies. */
class RemoteNode implements WireNode {
  private next = 1;
  private readonly pending = new Map<number, { cmd: string; resolve(v: unknown): void; reject(e: Error): void }>();
  private dead = false;
  readonly ready: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    private readonly onCall: (node: RemoteNode, cmd: string) => void,
    private readonly faultLog: FaultLog,
  ) {
    children.add(child);
    child.stdin!.on('error', () => {});
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => ((readyResolve = res), (readyReject = rej)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`[node0 ${child.pid}] ${line.length > 300 ? line.slice(0, 300) + '…' : line}\n`);
      let m: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string };
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.event === 'ready') readyResolve();
      if (m.event === 'dealing-committed') this.faultLog.selfKills++;
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(`node 0: ${m.error}`));
      else p?.resolve(m.result);
    });
    child.once('exit', (code, signal) => {
      this.dead = true;
      children.delete(child);
      say(`node 0 (pid ${child.pid}) exited ${code ?? signal}; in flight: ${[...this.pending.values()].map((p) => p.cmd).join(',') || '-'}`);
      for (const p of this.pending.values()) {
        this.faultLog.interrupted.push(p.cmd);
        p.reject(new Crashed(`node 0 died during ${p.cmd}`));
      }
      this.pending.clear();
      readyReject(new Error(`node 0 exited (${code ?? signal}) before it was ready`));
    });
    this.ready.catch(() => {});
  }

  call<T>(cmd: string, ...args: unknown[]): Promise<T> {
    if (this.dead) return Promise.reject(new Crashed(`node 0 is dead (${cmd})`));
    const id = this.next++;
    const p = new Promise<T>((resolve, reject) => this.pending.set(id, { cmd, resolve: resolve as (v: unknown) => void, reject }));
    this.child.stdin!.write(JSON.stringify({ id, cmd, args }) + '\n');
    this.onCall(this, cmd);
    return p;
  }

  genesis = () => this.call<void>('genesis');
  boot = () => this.call<string>('boot');
  shares = () => this.call<Array<{ player: string; pubMsg: string; privMsg: string }>>('shares');
  dealing = (e: string, d: string, pub: string, priv: string) => this.call<string | null>('dealing', e, d, pub, priv);
  ack = (e: string, p: string, a: string) => this.call<void>('ack', e, p, a);
  finalizeLog = () => this.call<string | null>('finalizeLog');
  log = (e: string, l: string) => this.call<void>('log', e, l);
  finish = (e: string) => this.call<void>('finish', e);
  heldAcks = () => this.call<Record<string, string>>('heldAcks');
  final = () => this.call<{ epoch: string; output: string | null; share: string | null }>('final');
}

const keyBytes = randomBytes(32);
const keyring = new Keyring([keyBytes]);
const schemas = loadSchemas(SCHEMAS_DIR);
const registry = registryClient(REGISTRY_URL);
const serde = new AvroSerde(registry, schemas);

function flat(raw: Raw): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [store, parts] of Object.entries(raw)) parts.forEach((es, p) => es.forEach(([k, v]) => (out[`${store}/${p}/${k}`] = v)));
  return out;
}
const entriesOf = (raw: Raw): StoreEntries => ({ partitions: raw[STORES.journal]!.length, entries: async (s, p) => raw[s]![p]!.map(([k, v]) => [Buffer.from(k, 'hex'), Buffer.from(v, 'hex')]) });

interface RunResult {
  result: WireCeremonyResult;
  raw: Raw;
  logical: Record<string, string>;
  faultLog: FaultLog;
  topology: ReturnType<typeof loadTopology>;
  prefix: string;
  ranges: ProducedRange[];
}

const runtimeFor = (topology: ReturnType<typeof loadTopology>, applicationId: string, dataDir: string) => {
  const events = topology.topics.get('dkg.events')!;
  const states = topology.topics.get('dkg.states')!;
  const def = dkgJournalProcessor({ serde, keyring, maxReadSize: MAX_READ, eventsTopic: events.name, statesTopic: states.name });
  const rt = new StreamRuntime({ port, processor: def, applicationId, dataDir, dlqTopic: topology.topics.get('dlq')!.name, sessionTimeoutMs: 6000 });
  runtimes.add(rt);
  return rt;
};
const allReady = (rt: StreamRuntime, partitions: number) => waitFor('runtime ready on every partition', () => (rt.ready() && rt.assignedPartitions().length === partitions ? true : undefined), 90_000);

/** Every committed record of both topics, as the ranges a runtime must have folded. */
async function committedRanges(topology: ReturnType<typeof loadTopology>): Promise<ProducedRange[]> {
  const out: ProducedRange[] = [];
  for (const t of ['dkg.events', 'dkg.states']) {
    const name = topology.topics.get(t)!.name;
    const last = new Map<number, number>();
    for (const r of await readTopic(port, name)) last.set(r.partition, Math.max(last.get(r.partition) ?? -1, r.offset));
    for (const [partition, lastOffset] of last) out.push({ topic: name, partition, baseOffset: lastOffset, lastOffset });
  }
  return out;
}

async function run(label: string, faults: Faults | null): Promise<RunResult> {
  const prefix = uniquePrefix(`fj-${label}`);
  const topology = loadTopology(TOPOLOGY_FILE, { prefix, schemasDir: SCHEMAS_DIR });
  const admin = await connectAdmin({ brokers: BROKERS });
  try {
    await applyTopology(admin, topology, { client: registry, schemas });
  } finally {
    await admin.close();
  }
  const events = topology.topics.get('dkg.events')!;
  const states = topology.topics.get('dkg.states')!;

  // Nodes 1..3 in this process, on their own folding runtime.
  const rt = runtimeFor(topology, `${prefix}others`, join(dir, `${label}-others`));
  await rt.ensureTopics();
  await rt.start();
  await allReady(rt, events.partitions);
  const backends = [1, 2, 3].map((i) => new KafkaJournalBackend({ port, serde, events, states, runtime: rt, transactionalId: `${prefix}node-${i}`, keyring, maxReadSize: MAX_READ }));

  const faultLog: FaultLog = { kills: 0, selfKills: 0, interrupted: [] };
  let calls = 0;
  let lives = 0;
  let owed = 0;
  let ceremonyDone = false;
  let armed: RemoteNode | null = null;
  const onCall = (node: RemoteNode, cmd: string) => {
    if (!faults || ceremonyDone) return;
    if (faults.points.has(++calls)) owed++;
    // The first life must live until its own kill between a dealing's commit and its ack; a
    // random kill due before that is owed to the next life instead.
    if (faults.selfKillFirstLife && lives === 1) return;
    if (owed === 0 || armed === node) return;
    owed--;
    armed = node;
    const delay = faults.rng.int(150);
    say(`${label}: SIGKILL node 0 ${delay} ms after call ${calls} (${cmd})`);
    setTimeout(() => {
      if (node.child.exitCode === null && node.child.signalCode === null) {
        faultLog.kills++;
        void killWorker(node.child);
      } else owed++; // it died by itself first: kill the next life instead
    }, delay);
  };
  const dataDir = join(dir, `${label}-node0`);
  const start = async (): Promise<RemoteNode> => {
    lives++;
    const workerEnv: Record<string, string> = {
      W_PREFIX: prefix,
      W_APP: `${prefix}node0`,
      W_DATA_DIR: dataDir,
      W_KEY: keyBytes.toString('hex'),
      W_NODE: '0',
      W_N: String(N),
      W_MAX_READ: String(MAX_READ),
      W_TXN_ID: `${prefix}node-0`,
      W_KILL_AFTER_DEALING: faults?.selfKillFirstLife && lives === 1 ? '2' : '0',
    };
    say(`${label}: starting node 0 (life ${lives})`);
    const node = new RemoteNode(spawnWorker('test/support/journal-worker.ts', workerEnv, log, { stdin: true }), onCall, faultLog);
    await Promise.race([node.ready, new Promise((_, rej) => setTimeout(() => rej(new Error('node 0 not ready in 90 s')), 90_000))]);
    return node;
  };

  let node0 = await start();
  const nodes: WireNode[] = [node0, ...backends.map((b, j) => new CeremonyParticipant(j + 1, N, b, keyring, MAX_READ))];
  const result = await runWireCeremony(nodes, {
    epochs: EPOCHS,
    restart: async () => {
      await killWorker(node0.child);
      node0 = await start();
      return node0;
    },
  });
  ceremonyDone = true;
  for (const b of backends) await b.close();
  await rt.stop();

  // Node 0's stores once it folded everything committed (its own records and the other nodes').
  const ranges = await committedRanges(topology);
  await node0.call('sync', ranges);
  const raw = await node0.call<Raw>('dump');
  const gone = new Promise((r) => node0.child.once('exit', r));
  node0.child.kill('SIGTERM');
  await Promise.race([gone, new Promise((r) => setTimeout(r, 30_000))]);
  await killWorker(node0.child);
  say(`${label}: done, ${faultLog.kills} kills, ${faultLog.selfKills} self-kills, ${result.restarts} restarts, ${calls} calls`);
  return { result, raw, logical: await logicalDump(entriesOf(raw), keyring), faultLog, topology, prefix, ranges };
}

test(`journal: node 0 SIGKILLed ≥ ${KILLS + 1} times over a DKG + 2 reshares (n = ${N}) ≡ uninterrupted run`, { timeout: 8 * 60_000 }, async () => {
  process.stderr.write(`journal fault test: seed ${SEED} (DKG_STREAM_FAULT_SEED), log ${join(dir, 'workers.log')}\n`);
  say(`seed ${SEED}`);
  const reference = await run('ref', null);
  const rng = new TestRng(SEED);
  const points = new Set<number>();
  // ≈ 17 calls to node 0 per epoch; the first life dies by itself in epoch 0.
  for (let p = 4; points.size < KILLS; ) points.add((p += rng.between(4, 8)));
  say(`kill points ${[...points].sort((a, b) => a - b).join(',')}`);
  const faulty = await run('faulty', { rng, points, selfKillFirstLife: true });

  // The crashes happened, including the one between a dealing's commit and its ack.
  assert.equal(reference.result.restarts, 0);
  assert.equal(faulty.faultLog.selfKills, 1);
  assert.ok(faulty.faultLog.interrupted.includes('dealing'), `a dealing was in flight when node 0 died: ${faulty.faultLog.interrupted.join(',')}`);
  assert.ok(faulty.faultLog.kills + faulty.faultLog.selfKills >= KILLS + 1, `kills: ${JSON.stringify(faulty.faultLog)}`);
  assert.equal(faulty.result.restarts, faulty.faultLog.kills + faulty.faultLog.selfKills);

  // Same Outputs and Shares, a real reshare chain.
  assert.deepEqual(faulty.result.finals, reference.result.finals);
  assert.equal(new Set(Object.values(faulty.result.finals).map((f) => f.output)).size, 1);
  for (const f of Object.values(faulty.result.finals)) {
    assert.equal(f.epoch, String(EPOCHS));
    assert.ok(f.output && f.share);
  }
  // Every ack node 0 sent for a dealer, before and after restarts, is one ack — the uninterrupted run's.
  assert.equal(faulty.result.acksSent.size, EPOCHS * N);
  assert.ok(
    [...faulty.result.acksSent.values()].some((a) => a.length >= 2),
    'some ack was sent again after a restart',
  );
  for (const [k, acks] of faulty.result.acksSent) {
    assert.equal(new Set(acks).size, 1, `acks for ${k} differ across restarts`);
    assert.equal(acks[0], reference.result.acksSent.get(k)?.[0], `ack for ${k} differs from the uninterrupted run`);
  }
  // Node 0's stores equal the uninterrupted run's (sealed secrets compared opened).
  assert.ok(Object.keys(faulty.logical).length > 20);
  assert.deepEqual(faulty.logical, reference.logical);

  // A fresh group replays both topics from offset 0 into empty stores: byte-identical to node 0's.
  const events = faulty.topology.topics.get('dkg.events')!;
  const rt = runtimeFor(faulty.topology, `${faulty.prefix}replay`, join(dir, 'replay'));
  await rt.ensureTopics();
  await rt.start();
  try {
    await allReady(rt, events.partitions);
    const b = new KafkaJournalBackend({
      port,
      serde,
      events,
      states: faulty.topology.topics.get('dkg.states')!,
      runtime: rt,
      transactionalId: `${faulty.prefix}unused`,
      keyring,
      maxReadSize: MAX_READ,
    });
    await b.waitFolded(faulty.ranges);
    const replayed: Raw = {};
    for (const store of [STORES.journal, STORES.states]) {
      replayed[store] = [];
      for (let p = 0; p < events.partitions; p++) {
        const es: Array<[string, string]> = [];
        for await (const [k, v] of rt.localStore(store, p)!.range()) es.push([k.toString('hex'), v.toString('hex')]);
        replayed[store].push(es);
      }
    }
    assert.deepEqual(flat(replayed), flat(faulty.raw));
  } finally {
    await rt.stop();
  }
});
