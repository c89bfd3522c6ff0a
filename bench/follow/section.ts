/**
 * The follower end to end (issue 20), on the local broker and registry:
 *
 *   catch-up   the bench chain (chain.ts: real threshold signatures, committee changes every
 *              epoch, an outcome at every boundary) pre-produced to `consensus.finalizations`
 *              (heights 1 … C), then folded by the real follow processor with exactly-once into
 *              `finalizations.verified` and `epochs`, by follower child processes (worker.ts):
 *                1 core     one instance pinned to one core (taskset), 1 verifier thread;
 *                all cores  one instance, one verifier thread per core;
 *                2 inst.    two instances in one consumer group, cores/2 verifier threads each.
 *              finalizations/s = C / (first record handed to the processor → the group's
 *              committed offsets reach the end of the input: the last output is committed in the
 *              same transaction). Each run checks its outputs: C verified records, the epoch
 *              events of every boundary, nothing dead-lettered.
 *   anchors    on the same certificates, in this process: dkg-stream's verifier alone, batched
 *              (one thread, and the worker-thread pool on all cores; measured before and after
 *              the catch-up runs, the best of the two counts), and native commonware
 *              `verify_certificates` (bench/anchors/commonware-bench --chain: Sequential and
 *              Rayon on all cores).
 *   live       the all-cores instance stays up at the tip; finalizations are appended one by one
 *              at tempo's production block rate and at 100× that, each segment around a boundary;
 *              latency = append acknowledged → the verified record (and, at the boundary, the
 *              EpochAdvanced event) is delivered to a read_committed consumer in this process.
 *   memory     VmRSS of the follower: peak during catch-up, mean and peak at the production rate.
 *
 * Production block rate: presto mainnet blocks 32,723,999 → 32,724,390 (391 blocks) are
 * 218.306 s apart (timestamps of test/fixtures/tempo-chain/presto-1514-1515.hyperbridge.json:
 * 1785582192.531 → 1785582410.837), 0.558 s per block; block 1 → 32,723,999 average 0.519 s.
 * tempo's consensus default `minimum-time-before-propose` is 450 ms (tempoxyz/tempo
 * crates/commonware-node/src/args.rs, "to keep block times stable").
 *
 *   node --import tsx bench/follow/section.ts [--quick]   (also `npm run bench -- --only follow`)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FollowEnv, followEnv } from '../../src/app/env.ts';
import { LOCAL_KAFKA_PORT, LOCAL_REGISTRY_PORT, localBrokers, localRegistryUrl } from '../../src/config.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import type { AdminPort, InRecord } from '../../src/runtime/kafka/port.ts';
import { loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { decodeFinalization } from '../../src/tempo/finalization.ts';
import { hexToBytes } from '../../src/tempo/hex.ts';
import { prepareIdentity, verifyFinalizations } from '../../src/tempo/verify.ts';
import { VerifierPool } from '../../src/tempo/verify-pool.ts';
import { epochKey } from '../../src/topics/epoch-key.ts';
import { decodeEpochEventKey, EPOCH_EVENT_ADVANCE } from '../../src/topics/epochs.ts';
import { committedEnd, Proc, rssOf } from '../kafka/section.ts';
import { type ChainInfo, type ChainRecord, ensureChain, readChain } from './chain.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

/** Presto mainnet: 391 blocks in 218.306 s (see the header comment). */
export const PRODUCTION_BLOCKS_PER_SEC = 391 / 218.306;

export interface FollowBenchOptions {
  quick: boolean;
  log: (m: string) => void;
  /** Runs the native anchor (bench/harness.ts runNative); absent = no native rows. */
  native?: (args: string[]) => Promise<any>;
}

export interface CatchUp {
  name: string;
  instances: number;
  threadsPerInstance: number;
  pinned: boolean;
  finalizations: number;
  seconds: number;
  perSec: number;
  /** Peak RSS of each instance during the catch-up (MB). */
  peakRssMb: number[];
  /** Partitions each instance held. */
  partitions: number[][];
}

export interface Latency {
  rate: number;
  blocks: number;
  verified: { p50: number; p99: number; max: number; n: number };
  epochAdvanced: { ms: number[] };
  /** The breakdown: append → the follower's transaction committed, and committed → delivered here (p50 / p99, ms). */
  toCommitted?: { p50: number; p99: number };
  committedToVisible?: { p50: number; p99: number };
}

export interface FollowBenchResult {
  chain: ChainInfo;
  caughtUp: number;
  cores: number;
  loadavg: number[];
  catchUp: CatchUp[];
  /** Best of the measurements before and after the catch-up runs (`samples`). */
  crypto: { oneThread: number; pool: number; poolThreads: number; batch: number; samples?: { oneThread: number[]; pool: number[] } };
  native?: { oneThread: number; allThreads: number; threads: number; count: number };
  live: Latency[];
  steadyRssMb?: { mean: number; max: number };
  partitionOf: Record<string, number>;
  produceSeconds: number[];
  logs: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

export function connection(): { brokers: string[]; registryUrl: string } {
  const kafkaPort = process.env.DKG_STREAM_KAFKA_PORT ?? LOCAL_KAFKA_PORT;
  const registryPort = process.env.DKG_STREAM_REGISTRY_PORT ?? LOCAL_REGISTRY_PORT;
  return {
    brokers: (process.env.DKG_STREAM_BROKERS ?? localBrokers(kafkaPort)).split(','),
    registryUrl: process.env.DKG_STREAM_REGISTRY_URL ?? localRegistryUrl(registryPort),
  };
}

export async function runFollowBench(o: FollowBenchOptions): Promise<FollowBenchResult> {
  const { log, quick } = o;
  const cores = availableParallelism();
  // Catch-up = heights 1 … C (epochs 0 … C/L − 1); the live segments straddle the next two boundaries.
  const L = quick ? 500n : 5000n;
  const C = quick ? 5000 : 100_000;
  const liveSeconds = quick ? 15 : 60;
  const fastBlocks = quick ? 600 : 2000;
  const spec = { count: C + 2 * Number(L) + fastBlocks / 2, epochLength: L, committee: 4, seed: 1 };
  const { info, file } = await ensureChain(spec, log);
  const { brokers, registryUrl } = connection();
  const work = mkdtempSync(join(tmpdir(), 'dkg-stream-follow-bench-'));
  const logDir = join(work, 'logs');
  mkdirSync(logDir, { recursive: true });
  const run = Date.now().toString(36);
  const identity = info.identity;
  const result: FollowBenchResult = {
    chain: info,
    caughtUp: C,
    cores,
    loadavg: loadavg(),
    catchUp: [],
    crypto: { oneThread: 0, pool: 0, poolThreads: cores, batch: 0 },
    live: [],
    partitionOf: {},
    produceSeconds: [],
    logs: logDir,
  };

  // Every record of the chain, in memory (≈ 100 MB for 111k): produced several times, timed from memory.
  const records: ChainRecord[] = [];
  for await (const r of readChain(file, L)) records.push({ ...r, headerRlp: Buffer.from(r.headerRlp), certificate: Buffer.from(r.certificate) });
  const catchUpRecords = records.slice(0, C);

  // ---- anchors: crypto only, on the same certificates (BENCH_FOLLOW_ANCHORS=0 skips them) ----
  const anchors = process.env.BENCH_FOLLOW_ANCHORS !== '0';
  if (anchors) await cryptoAnchors(result, catchUpRecords, identity, quick, cores, log);

  const envs: FollowEnv[] = [];
  const procs: Proc[] = [];
  const dataDirs: string[] = [];
  const admins: AdminPort[] = [];
  /** A fresh topic prefix with the topology applied and the catch-up records produced. */
  const setUp = async (tag: string) => {
    const prefix = `bench-follow-${run}-${tag}.`;
    const applicationId = `bench-follow-${run}-${tag}`;
    const env = followEnv({ brokers, registryUrl, topology: join(ROOT, 'topology.yaml'), schemasDir: join(ROOT, 'schemas'), topicPrefix: prefix, applicationId }, 'bench-follow-harness');
    envs.push(env);
    const admin = await env.port.admin();
    admins.push(admin);
    await applyTopology(admin, env.topology, { client: registryClient(registryUrl), schemas: loadSchemas(join(ROOT, 'schemas')) });
    const topic = (logical: string) => env.topology.topics.get(logical)!.name;
    const t0 = performance.now();
    const producer = await env.port.producer();
    for (let i = 0; i < catchUpRecords.length; i += 1000) {
      const chunk = catchUpRecords.slice(i, i + 1000);
      await producer.send(
        await Promise.all(
          chunk.map(async (r) => ({
            topic: topic('consensus.finalizations'),
            key: epochKey(r.epoch),
            value: await env.codec.encodeFinalization({ height: r.height, certificate: r.certificate, header: { rlp: r.headerRlp }, source: 'bench', receivedAtMs: Date.now() }),
          })),
        ),
      );
    }
    await producer.close();
    const s = (performance.now() - t0) / 1000;
    result.produceSeconds.push(s);
    log(`${tag}: ${C} finalizations produced to ${topic('consensus.finalizations')} in ${s.toFixed(1)} s`);
    return { env, admin, prefix, applicationId, topic };
  };
  const spawnFollower = (name: string, prefix: string, applicationId: string, threads: number, pin: boolean, commitEvents = false): Proc => {
    const dataDir = join(work, `${applicationId}-${procs.length}`);
    dataDirs.push(dataDir);
    // BENCH_FOLLOW_CPU_PROF=DIR: a V8 CPU profile of every follower (written when it stops).
    const prof = process.env.BENCH_FOLLOW_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_FOLLOW_CPU_PROF] : [];
    const args = [...prof, '--import', 'tsx', join(HERE, 'worker.ts')];
    const child: ChildProcess = pin ? spawn('taskset', ['-c', '0', process.execPath, ...args], spawnOpts()) : spawn(process.execPath, args, spawnOpts());
    function spawnOpts() {
      return {
        stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
        cwd: ROOT,
        env: {
          ...process.env,
          DKG_STREAM_BROKERS: brokers.join(','),
          DKG_STREAM_REGISTRY_URL: registryUrl,
          DKG_STREAM_TOPIC_PREFIX: prefix,
          DKG_STREAM_APPLICATION_ID: applicationId,
          DKG_STREAM_LOG_LEVEL: process.env.DKG_STREAM_LOG_LEVEL ?? 'warn',
          W_EPOCH_LENGTH: L.toString(),
          W_GENESIS_OUTCOME: info.genesisOutcome,
          W_IDENTITY: identity,
          W_THREADS: String(threads),
          W_DATA_DIR: dataDir,
          W_COMMIT_EVENTS: commitEvents ? '1' : '0',
        },
      };
    }
    const p = new Proc(name, child, join(logDir, `${name}.log`));
    procs.push(p);
    return p;
  };

  try {
    const runs = [
      { name: '1 core', tag: 'one', instances: 1, threads: 1, pin: true },
      { name: `all cores (${cores})`, tag: 'all', instances: 1, threads: cores, pin: false },
      { name: '2 instances', tag: 'two', instances: 2, threads: Math.max(1, Math.floor(cores / 2)), pin: false },
    ];
    // BENCH_FOLLOW_RUNS=one,all,two: some of the catch-up runs (the live part runs with 'all').
    const only = process.env.BENCH_FOLLOW_RUNS?.split(',');
    for (const r of runs.filter((x) => !only || only.includes(x.tag))) {
      const s = await setUp(r.tag);
      const input = s.topic('consensus.finalizations');
      if (Object.keys(result.partitionOf).length === 0) {
        const parts = await s.admin.offsets(input);
        for (let e = 0n; e * L < BigInt(C); e++) result.partitionOf[e.toString()] = s.env.port.partitionFor(epochKey(e), parts.length);
        log(`epochs per partition: ${JSON.stringify(countBy(Object.values(result.partitionOf)))}`);
      }
      const ps = Array.from({ length: r.instances }, (_, i) => spawnFollower(`${r.tag}-${i}`, s.prefix, s.applicationId, r.threads, r.pin, r.tag === 'all'));
      log(`${r.name}: ${r.instances} follower instance(s), ${r.threads} verifier thread(s) each${r.pin ? ', pinned to core 0' : ''}`);
      const end = await committedEnd(s.admin, `${s.applicationId}-follow`, input, ps[0]!, Math.max(600_000, C * 30), log);
      const firsts = ps.map((p) => p.find('first')?.t).filter((t): t is number => t !== undefined);
      const first = Math.min(...firsts);
      const seconds = (end - first) / 1000;
      const cu: CatchUp = {
        name: r.name,
        instances: r.instances,
        threadsPerInstance: r.threads,
        pinned: r.pin,
        finalizations: C,
        seconds,
        perSec: C / seconds,
        peakRssMb: ps.map((p) => mb(p.maxRss)),
        partitions: ps.map((p) => ((p.events.filter((e) => e.event === 'assignment').at(-1)?.partitions as number[] | undefined) ?? []).slice().sort()),
      };
      result.catchUp.push(cu);
      log(`${r.name}: ${C} finalizations in ${seconds.toFixed(2)} s = ${cu.perSec.toFixed(0)}/s; peak RSS ${cu.peakRssMb.join(', ')} MB; partitions ${JSON.stringify(cu.partitions)}`);
      await checkOutputs(s.env, s.admin, s.topic, C, Number(BigInt(C) / L), log);
      if (r.tag === 'all') await live(result, s.env, s.topic, ps[0]!, records, L, liveSeconds, fastBlocks, log);
      for (const p of ps) await p.kill('SIGTERM');
    }
  } finally {
    for (const p of procs) await p.kill('SIGTERM');
    for (const [i, env] of envs.entries()) {
      const admin = admins[i]!;
      const prefix = env.topology.topics.get('dlq')!.name.replace(/dlq$/, '');
      await admin.deleteGroups([`${env.topology.applicationId}-follow`]).catch(() => {});
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix) || t.startsWith(`${env.topology.applicationId}-`));
      await admin.deleteTopics(topics).catch(() => {});
      await admin.close().catch(() => {});
      await env.close().catch(() => {});
    }
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  }
  // The crypto-only anchors again after the runs: the best of the two is the ceiling (on a shared
  // machine either measurement can be disturbed; both are kept in `crypto.samples`).
  if (anchors) {
    const before = { ...result.crypto };
    await cryptoAnchors(result, catchUpRecords, identity, quick, cores, log);
    result.crypto.samples = { oneThread: [before.oneThread, result.crypto.oneThread], pool: [before.pool, result.crypto.pool] };
    result.crypto.oneThread = Math.max(before.oneThread, result.crypto.oneThread);
    result.crypto.pool = Math.max(before.pool, result.crypto.pool);
  }
  // The native anchor last: its first build (cargo, minutes) may still be running meanwhile.
  if (o.native && anchors) {
    log(`native anchor: verify_certificates over the ${C} catch-up certificates, 1 thread and ${cores} threads`);
    const n = (await o.native(['--chain', file, '--identity', identity, '--threads', String(cores), '--limit', String(C), '--min-ms', quick ? '500' : '2000'])).chain;
    result.native = { oneThread: n.one_thread.certs_per_sec, allThreads: n.all_threads.certs_per_sec, threads: cores, count: n.count };
  }
  return result;
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
const countBy = (xs: number[]) => xs.reduce<Record<number, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});

/** dkg-stream's verifier alone on the catch-up certificates: batched on this thread, and on the pool. */
async function cryptoAnchors(result: FollowBenchResult, records: ChainRecord[], identityHex: string, quick: boolean, cores: number, log: (m: string) => void): Promise<void> {
  const identity = hexToBytes(identityHex);
  const id = prepareIdentity(identity);
  const batch = 1000;
  const minMs = quick ? 3000 : 15_000;
  result.crypto.batch = batch;
  let n = 0;
  let at = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || n < batch) {
    const chunk = records.slice(at, at + batch);
    at = (at + batch) % Math.max(batch, records.length - batch);
    const fins = chunk.map((r) => decodeFinalization(r.certificate));
    if (!verifyFinalizations(fins, id)) throw new Error('crypto anchor: a batch of chain certificates does not verify');
    n += fins.length;
  }
  result.crypto.oneThread = n / ((performance.now() - t0) / 1000);
  log(`crypto only, 1 thread: decode + verifyFinalizations in batches of ${batch}: ${result.crypto.oneThread.toFixed(0)} certs/s (${n} certificates)`);
  const pool = new VerifierPool(cores);
  try {
    await pool.verifyEach(
      records.slice(0, 64).map((r) => r.certificate),
      identity,
    ); // threads started
    let m = 0;
    let pos = 0;
    const t1 = performance.now();
    while (performance.now() - t1 < minMs || m < batch) {
      const chunk = records.slice(pos, pos + batch).map((r) => r.certificate);
      pos = (pos + batch) % Math.max(batch, records.length - batch);
      const answers = await pool.verifyEach(chunk, identity);
      if (answers.some((a) => !a)) throw new Error('crypto anchor: the pool rejected a chain certificate');
      m += chunk.length;
    }
    result.crypto.pool = m / ((performance.now() - t1) / 1000);
    log(`crypto only, pool of ${cores} threads: verifyEach in requests of ${batch}: ${result.crypto.pool.toFixed(0)} certs/s (${m} certificates)`);
  } finally {
    await pool.close();
  }
}

/** Reads a topic to its end with read_committed; returns its records. */
async function readAll(env: FollowEnv, admin: AdminPort, topic: string): Promise<InRecord[]> {
  const marks = await admin.offsets(topic);
  const out: InRecord[] = [];
  const h = await env.port.read({
    topic,
    from: new Map(marks.map((m) => [m.partition, m.low])),
    until: new Map(marks.map((m) => [m.partition, m.high])),
    onRecords: async (_p, rs) => {
      out.push(...rs);
    },
  });
  await h.done;
  return out;
}

/** The catch-up's outputs: every height verified once, both epoch events of every boundary, no dead letter. */
async function checkOutputs(env: FollowEnv, admin: AdminPort, topic: (l: string) => string, count: number, boundaries: number, log: (m: string) => void): Promise<void> {
  const verified = await readAll(env, admin, topic('finalizations.verified'));
  const heights = new Set<bigint>();
  for (const r of verified) heights.add((await env.codec.decodeVerified(r.value!)).height);
  const epochs = await readAll(env, admin, topic('epochs'));
  const advances = epochs.filter((r) => decodeEpochEventKey(r.key!).kind === EPOCH_EVENT_ADVANCE).length;
  const dlq = await readAll(env, admin, topic('dlq'));
  const ok = verified.length === count && heights.size === count && advances === boundaries && dlq.length === 0;
  log(
    `  outputs: ${verified.length} verified (${heights.size} heights), ${epochs.length} epoch events (${advances} EpochAdvanced, ${boundaries} boundaries), ${dlq.length} dead letters${ok ? '' : ' — NOT as expected'}`,
  );
  if (!ok) throw new Error(`follow bench: outputs differ from the chain (verified ${verified.length}/${count}, advances ${advances}/${boundaries}, dlq ${dlq.length})`);
}

/**
 * Live latency on a caught-up instance: segments of the chain after the catch-up, one record at a
 * time at `rate`, each segment straddling a boundary; latency = append acknowledged → delivered to
 * a read_committed reader here. RSS of the follower is sampled meanwhile (steady state).
 */
async function live(
  result: FollowBenchResult,
  env: FollowEnv,
  topic: (l: string) => string,
  follower: Proc,
  records: ChainRecord[],
  L: bigint,
  liveSeconds: number,
  fastBlocks: number,
  log: (m: string) => void,
): Promise<void> {
  const C = result.caughtUp;
  const appended = new Map<bigint, number>();
  const placed = new Map<bigint, { partition: number; offset: number; wall: number }>();
  const visibleWall = new Map<bigint, number>();
  const verifiedAt = new Map<bigint, number>();
  const advancedAt = new Map<bigint, number>();
  const admin = await env.port.admin();
  const tail = async (t: string, on: (r: InRecord, now: number) => Promise<void>) => {
    const marks = await admin.offsets(t);
    return env.port.read({
      topic: t,
      from: new Map(marks.map((m) => [m.partition, m.high])),
      onRecords: async (_p, rs) => {
        const now = performance.now();
        for (const r of rs) await on(r, now);
      },
    });
  };
  const readers = [
    await tail(topic('finalizations.verified'), async (r, now) => {
      const h = (await env.codec.decodeVerified(r.value!)).height;
      verifiedAt.set(h, now);
      visibleWall.set(h, Date.now());
    }),
    await tail(topic('epochs'), async (r, now) => {
      const k = decodeEpochEventKey(r.key!);
      if (k.kind !== EPOCH_EVENT_ADVANCE) return;
      const ev = await env.codec.decodeEpochEvent(r.value!);
      if (ev.type === 'EpochAdvanced') advancedAt.set(ev.boundaryHeight, now);
    }),
  ];
  await sleep(1000); // readers joined and positioned
  const producer = await env.port.producer();
  const rss: number[] = [];
  try {
    const segments = [
      { rate: PRODUCTION_BLOCKS_PER_SEC, blocks: Math.round(PRODUCTION_BLOCKS_PER_SEC * liveSeconds), boundary: BigInt(C) + L - 1n },
      { rate: PRODUCTION_BLOCKS_PER_SEC * 100, blocks: fastBlocks, boundary: BigInt(C) + 2n * L - 1n },
    ];
    for (const [i, seg] of segments.entries()) {
      const from = Number(seg.boundary) - Math.floor(seg.blocks / 2);
      const heights = records.slice(from - 1, from - 1 + seg.blocks);
      log(`live: ${seg.blocks} finalizations (heights ${heights[0]!.height} … ${heights.at(-1)!.height}, boundary ${seg.boundary}) at ${seg.rate.toFixed(2)}/s`);
      const sampler = i === 0 ? setInterval(() => rss.push(rssOf(follower.child.pid)), 500) : undefined;
      const t0 = performance.now();
      for (const [k, r] of heights.entries()) {
        const due = t0 + (k * 1000) / seg.rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const value = await env.codec.encodeFinalization({ height: r.height, certificate: r.certificate, header: { rlp: r.headerRlp }, source: 'bench-live', receivedAtMs: Date.now() });
        const [at] = await producer.send([{ topic: topic('consensus.finalizations'), key: epochKey(r.epoch), value }]);
        appended.set(r.height, performance.now());
        if (at) placed.set(r.height, { partition: at.partition, offset: at.lastOffset, wall: Date.now() });
      }
      const deadline = Date.now() + 120_000;
      while (heights.some((r) => !verifiedAt.has(r.height)) || !advancedAt.has(seg.boundary)) {
        if (Date.now() > deadline) throw new Error(`live: not every height of the segment was verified within 120 s (${heights.filter((r) => verifiedAt.has(r.height)).length}/${heights.length})`);
        if (follower.child.exitCode !== null) throw new Error('live: the follower exited (see its log)');
        await sleep(50);
      }
      if (sampler) clearInterval(sampler);
      const lat = heights.map((r) => verifiedAt.get(r.height)! - appended.get(r.height)!);
      const adv = advancedAt.get(seg.boundary)! - appended.get(seg.boundary)!;
      const l: Latency = { rate: seg.rate, blocks: seg.blocks, verified: { p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat), n: lat.length }, epochAdvanced: { ms: [adv] } };
      // Breakdown from the follower's commit lines (same clock: Date.now in both processes).
      const commits = follower.events.filter((e) => e.event === 'commit') as unknown as Array<{ p: number; o: number; t: number }>;
      const toCommitted: number[] = [];
      const toVisible: number[] = [];
      for (const r of heights) {
        const at = placed.get(r.height);
        const c = at && commits.find((e) => e.p === at.partition && e.o > at.offset);
        const seen = visibleWall.get(r.height);
        if (!at || !c || seen === undefined) continue;
        toCommitted.push(c.t - at.wall);
        toVisible.push(seen - c.t);
      }
      if (toCommitted.length > 0) {
        l.toCommitted = { p50: pct(toCommitted, 50), p99: pct(toCommitted, 99) };
        l.committedToVisible = { p50: pct(toVisible, 50), p99: pct(toVisible, 99) };
        log(
          `  breakdown (p50 / p99): append → follower committed ${l.toCommitted.p50} / ${l.toCommitted.p99} ms, committed → delivered here ${l.committedToVisible.p50} / ${l.committedToVisible.p99} ms`,
        );
      }
      result.live.push(l);
      log(`  verified: p50 ${l.verified.p50.toFixed(1)} ms, p99 ${l.verified.p99.toFixed(1)} ms, max ${l.verified.max.toFixed(1)} ms; EpochAdvanced of boundary ${seg.boundary}: ${adv.toFixed(1)} ms`);
    }
  } finally {
    await producer.close();
    for (const r of readers) await r.stop();
    await admin.close();
  }
  const live = rss.filter((x) => x > 0);
  if (live.length > 0) result.steadyRssMb = { mean: mb(live.reduce((a, b) => a + b, 0) / live.length), max: mb(Math.max(...live)) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await runFollowBench({ quick: process.argv.includes('--quick'), log: (m) => process.stderr.write(`[follow] ${m}\n`) });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  process.exit(0);
}
