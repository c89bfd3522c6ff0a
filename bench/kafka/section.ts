/**
 * Kafka benchmarks of `npm run bench` (issue 10): dkg-stream against Kafka Streams 4.1.1 (the
 * Java anchor in bench/anchors/kafka-streams) on the same local broker, each system a child
 * process of this one, one run at a time.
 *
 *   fold-eos / fold-alos  both fold the same N workload records (bench/kafka/workload.ts) into a
 *                         RocksDB store with a changelog; records/s from the first record folded to
 *                         the moment the group's committed offsets reach the end of the input
 *                         (polled every 50 ms from here, the same probe for both systems); for
 *                         at-least-once, to the moment the last record was folded.
 *   restart               kill -9 after everything is committed, start again on the same state
 *                         directory; time from spawn to every task running, and from assignment to
 *                         running (the part that can depend on history), for `small` and N records.
 *   cold restore vs replay a new instance (empty state directory) of the same application restores
 *                         from the changelog; a new application replays the input from offset 0.
 *   journal replay        upstream's journal (commonware-storage segmented::variable, Rust anchor in
 *                         bench/anchors/journal-replay) replaying N events, vs dkg-stream's restore.
 *
 *   node --import tsx bench/kafka/section.ts [--records N] [--small N] [--rounds R] [--quick] [--only fold,restart,journal]
 *
 * Progress on stderr, one JSON result on stdout. Timings are never asserted.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localBrokers } from '../../src/config.ts';
import { KafkajsPort } from '../../src/runtime/kafka/kafkajs.ts';
import type { AdminPort, KafkaPort } from '../../src/runtime/kafka/port.ts';
import { ensureInput } from './workload.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const KS_DIR = join(ROOT, 'bench', 'anchors', 'kafka-streams');
const JR_DIR = join(ROOT, 'bench', 'anchors', 'journal-replay');
const PARTITIONS = 2;

export interface KafkaBenchOptions {
  brokers?: string[];
  /** Records of the fold / large restart (default 1M). */
  records?: number;
  /** Records of the small restart (default 10k). */
  small?: number;
  only?: Array<'fold' | 'restart' | 'journal'>;
  /** Fold rounds per system and guarantee, alternating systems (default 3); the median counts. */
  rounds?: number;
  log?: (s: string) => void;
}

export interface FoldResult {
  system: 'kafka-streams' | 'dkg-stream';
  guarantee: 'eos' | 'alos';
  records: number;
  /** First record folded → committed offsets at the end (median round). */
  seconds: number;
  /** Median over the rounds (systems alternate round by round). */
  recordsPerSec: number;
  samples: number[];
  /** Process spawn → committed offsets at the end (includes JVM/Node start and group join). */
  wallSeconds: number;
  /** Peak resident set size of the folding process (MB; median round's). */
  maxRssMb: number;
}

export interface RestartResult {
  system: 'kafka-streams' | 'dkg-stream';
  kind: 'unclean-restart' | 'cold-restore';
  history: number;
  /** Spawn → every task running (includes process start and the group's session expiry after kill -9). */
  readySeconds: number;
  /** First assignment (or restore start) → every task running: the history-dependent part. */
  taskStartSeconds: number;
  restoredRecords: number;
}

export interface KafkaBenchResult {
  machine: { loadavg: number[]; cpus: number };
  records: number;
  small: number;
  fold: FoldResult[];
  restart: RestartResult[];
  journal?: { events: number; upstreamReplaySeconds: number; upstreamEventsPerSec: number; dkgRestoreSeconds?: number; dkgRestoredRecords?: number; payloadBytes: number };
  /** Per system: spawn → caught up of a new application replaying the input from offset 0. */
  replaySeconds?: Record<string, number>;
  ratios: Array<{ name: string; value: number; note: string }>;
  logs: string;
}

/** Resident set size of a process in bytes (VmRSS from /proc; 0 when unavailable). */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface Ev {
  event: string;
  t: number;
  [k: string]: unknown;
}

/** A child process of the harness: its JSON event lines on stdout, its log, and its peak resident set size. */
export class Proc {
  readonly events: Ev[] = [];
  readonly spawnedAt = Date.now();
  /** Highest VmRSS seen (bytes), sampled every 200 ms from /proc while it runs (0 where /proc is absent). */
  maxRss = 0;
  private readonly sampler: NodeJS.Timeout;
  readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    logFile: string,
  ) {
    const out = createWriteStream(logFile, { flags: 'a' });
    child.stderr?.pipe(out);
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        out.write(`[stdout] ${line}\n`);
        try {
          const e = JSON.parse(line) as Ev;
          if (typeof e.event === 'string') {
            this.events.push(e);
            for (const w of this.waiters.splice(0)) w();
          }
        } catch {
          /* not an event line */
        }
      }
    });
    this.sampler = setInterval(() => {
      const rss = rssOf(child.pid);
      if (rss > this.maxRss) this.maxRss = rss;
    }, 200);
    this.sampler.unref();
    this.exited = new Promise((r) =>
      child.on('exit', (code) => {
        clearInterval(this.sampler);
        for (const w of this.waiters.splice(0)) w();
        r(code);
      }),
    );
  }
  find(event: string): Ev | undefined {
    return this.events.find((e) => e.event === event);
  }
  async waitFor(event: string, timeoutMs: number): Promise<Ev> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const e = this.find(event);
      if (e) return e;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`${this.name} exited before '${event}' (see log)`);
      if (Date.now() > end) throw new Error(`${this.name}: no '${event}' within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await this.exited;
    clearTimeout(t);
  }
}

interface Sys {
  system: 'kafka-streams' | 'dkg-stream';
  group(appId: string): string;
  spawn(appId: string, topic: string, dataDir: string, guarantee: 'eos' | 'alos', n: number): Proc;
  /** Time the instance is processing again (every task restored and running). */
  readyAt(p: Proc, timeoutMs: number): Promise<number>;
  /** Start of the history-dependent part of a start. */
  taskStartAt(p: Proc): number;
  restored(p: Proc): number;
}

function buildKafkaStreams(log: (s: string) => void): string {
  const libs = join(KS_DIR, 'target', 'libs');
  const classes = join(KS_DIR, 'target', 'classes');
  if (!existsSync(join(libs, 'kafka-streams-4.1.1.jar'))) {
    log('kafka-streams anchor: resolving kafka-streams 4.1.1 from Maven Central');
    execFileSync('mvn', ['-q', '-f', join(KS_DIR, 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (!existsSync(join(classes, 'dkgstream', 'bench', 'FoldBench.class'))) {
    mkdirSync(classes, { recursive: true });
    execFileSync('javac', ['-d', classes, '-cp', `${libs}/*`, join(KS_DIR, 'src', 'main', 'java', 'dkgstream', 'bench', 'FoldBench.java')], { stdio: 'inherit' });
  }
  return `${classes}:${libs}/*`;
}

function kafkaStreams(brokers: string[], logDir: string, log: (s: string) => void): Sys {
  const cp = buildKafkaStreams(log);
  let k = 0;
  return {
    system: 'kafka-streams',
    group: (appId) => appId,
    spawn(appId, topic, dataDir, guarantee, n) {
      const child = spawn('java', ['-Xmx768m', '-XX:+UseParallelGC', '-cp', cp, 'dkgstream.bench.FoldBench', brokers.join(','), appId, topic, dataDir, guarantee, String(n)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return new Proc(`kafka-streams ${appId}`, child, join(logDir, `ks-${appId}-${k++}.log`));
    },
    async readyAt(p, timeoutMs) {
      const running = await p.waitFor('running', timeoutMs);
      const starts = p.events.filter((e) => e.event === 'restore-start').length;
      // With the state updater, RUNNING may precede the end of restoration: wait for every restore.
      const end = Date.now() + timeoutMs;
      while (p.events.filter((e) => e.event === 'restore').length < starts && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      return Math.max(running.t, ...p.events.filter((e) => e.event === 'restore').map((e) => e.t));
    },
    taskStartAt: (p) => p.events.find((e) => e.event === 'restore-start')?.t ?? p.find('running')?.t ?? p.spawnedAt,
    restored: (p) => p.events.filter((e) => e.event === 'restore').reduce((s, e) => s + Number(e.restored ?? 0), 0),
  };
}

function dkgStream(brokers: string[], logDir: string): Sys {
  let k = 0;
  return {
    system: 'dkg-stream',
    group: (appId) => `${appId}-fold`,
    spawn(appId, topic, dataDir, guarantee, n) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'worker.ts')], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          W_BROKERS: brokers.join(','),
          W_APP: appId,
          W_INPUT: topic,
          W_DATA_DIR: dataDir,
          W_SESSION_MS: '6000',
          W_GUARANTEE: guarantee,
          W_EXPECT: String(n),
          DKG_STREAM_LOG_LEVEL: process.env.DKG_STREAM_LOG_LEVEL ?? 'info',
        },
        cwd: ROOT,
      });
      return new Proc(`dkg-stream ${appId}`, child, join(logDir, `dkg-${appId}-${k++}.log`));
    },
    async readyAt(p, timeoutMs) {
      return (await p.waitFor('ready', timeoutMs)).t;
    },
    taskStartAt: (p) => p.find('assignment')?.t ?? p.spawnedAt,
    restored: (p) => p.events.filter((e) => e.event === 'restore').reduce((s, e) => s + Number(e.restored ?? 0), 0),
  };
}

/** Polls the group's committed offsets until they reach the input's end; returns that time. */
export async function committedEnd(admin: AdminPort, group: string, topic: string, p: Proc, timeoutMs: number, log: (s: string) => void): Promise<number> {
  const ends = new Map((await admin.offsets(topic)).map((m) => [m.partition, m.high]));
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  const deadline = Date.now() + timeoutMs;
  let lastLog = Date.now();
  for (;;) {
    const committed = await admin.groupOffsets(group, topic);
    let done = 0;
    for (const c of committed) done += Math.max(0, Math.min(c.offset, ends.get(c.partition) ?? 0));
    if (done >= total) return Date.now();
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${p.name} exited while folding (see log)`);
    if (Date.now() > deadline) throw new Error(`${p.name}: committed ${done}/${total} after ${timeoutMs} ms`);
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`  ${p.name}: committed ${done}/${total}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const secs = (ms: number) => Math.round(ms) / 1000;

export async function runKafkaBench(o: KafkaBenchOptions = {}): Promise<KafkaBenchResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const brokers = o.brokers ?? (process.env.DKG_STREAM_BROKERS ?? localBrokers()).split(',');
  const n = o.records ?? 1_000_000;
  const small = o.small ?? 10_000;
  const only = new Set(o.only ?? ['fold', 'restart', 'journal']);
  const work = mkdtempSync(join(tmpdir(), 'dkg-stream-kafka-bench-'));
  const logDir = join(work, 'logs');
  mkdirSync(logDir, { recursive: true });
  log(`kafka bench: ${n} records (small ${small}), work dir ${work}`);
  const port: KafkaPort = new KafkajsPort({ brokers, clientId: 'bench-harness' });
  const admin = await port.admin();
  const run = Date.now().toString(36);
  const apps: string[] = [];
  const result: KafkaBenchResult = { machine: { loadavg: loadavg(), cpus: 0 }, records: n, small, fold: [], restart: [], ratios: [], logs: logDir };
  result.machine.cpus = (await import('node:os')).cpus().length;
  const ks = kafkaStreams(brokers, logDir, log);
  const dkg = dkgStream(brokers, logDir);
  const timeout = Math.max(300_000, n * 2);
  /** Spawn → caught up of a new application folding the input from offset 0 (the replay). */
  const replayWall = new Map<string, number>();

  /** Folds `records` from offset 0 with a new application; leaves the process running. */
  async function fold(sys: Sys, g: 'eos' | 'alos', records: number, tag: string): Promise<{ proc: Proc; appId: string; dataDir: string; res: FoldResult }> {
    const topic = await ensureInput(port, records, PARTITIONS, log);
    const appId = `bench-${sys.system === 'dkg-stream' ? 'dkg' : 'ks'}-${g}-${tag}-${run}`;
    apps.push(appId);
    const dataDir = join(work, appId);
    log(`${sys.system} ${g}: folding ${records} records (${appId})`);
    const proc = sys.spawn(appId, topic, dataDir, g, records);
    // EOS: the end is when the group's committed offsets reach the input's end (the same probe for
    // both). ALOS: when the last record was folded (offsets are committed every commit.interval.ms,
    // 30 s by default, so the committed offsets say nothing about throughput).
    const end = g === 'eos' ? await committedEnd(admin, sys.group(appId), topic, proc, timeout, log) : (await proc.waitFor('processed', timeout)).t;
    const first = proc.find('first')?.t ?? proc.spawnedAt;
    const rps = Math.round(records / ((end - first) / 1000));
    const res: FoldResult = {
      system: sys.system,
      guarantee: g,
      records,
      seconds: secs(end - first),
      recordsPerSec: rps,
      samples: [rps],
      wallSeconds: secs(end - proc.spawnedAt),
      maxRssMb: Math.round(proc.maxRss / 1e5) / 10,
    };
    log(`  ${sys.system} ${g}: ${res.recordsPerSec} records/s (${res.seconds} s folding, ${res.wallSeconds} s wall, peak RSS ${res.maxRssMb} MB)`);
    return { proc, appId, dataDir, res };
  }

  async function startTimed(sys: Sys, kind: RestartResult['kind'], history: number, appId: string, topic: string, dataDir: string): Promise<RestartResult> {
    const proc = sys.spawn(appId, topic, dataDir, 'eos', history);
    try {
      const ready = await sys.readyAt(proc, timeout);
      const r: RestartResult = {
        system: sys.system,
        kind,
        history,
        readySeconds: secs(ready - proc.spawnedAt),
        taskStartSeconds: secs(ready - sys.taskStartAt(proc)),
        restoredRecords: sys.restored(proc),
      };
      log(`  ${sys.system} ${kind} after ${history}: ready in ${r.readySeconds} s (task start ${r.taskStartSeconds} s, ${r.restoredRecords} changelog records restored)`);
      return r;
    } finally {
      await proc.kill('SIGTERM');
    }
  }

  let coldRestoreDkg: RestartResult | undefined;
  const rounds = o.rounds ?? 3;
  try {
    if (only.has('fold')) {
      for (const g of ['eos', 'alos'] as const) {
        const all = new Map<Sys, FoldResult[]>([
          [ks, []],
          [dkg, []],
        ]);
        for (let round = 0; round < rounds; round++)
          for (const sys of round % 2 === 0 ? [ks, dkg] : [dkg, ks]) {
            const f = await fold(sys, g, n, `${g}${round}`);
            await f.proc.kill('SIGTERM');
            rmSync(f.dataDir, { recursive: true, force: true });
            all.get(sys)!.push(f.res);
          }
        for (const runs of all.values()) {
          const sorted = [...runs].sort((x, y) => x.recordsPerSec - y.recordsPerSec);
          const med = sorted[Math.floor(sorted.length / 2)]!;
          result.fold.push({ ...med, samples: runs.map((x) => x.recordsPerSec) });
          log(`  ${med.system} ${g}: median ${med.recordsPerSec} records/s of ${runs.map((x) => x.recordsPerSec).join(', ')}`);
        }
      }
    }
    if (only.has('restart')) {
      for (const sys of [ks, dkg]) {
        const big = await fold(sys, 'eos', n, 'n');
        replayWall.set(sys.system, big.res.wallSeconds);
        await big.proc.kill('SIGKILL');
        const topic = await ensureInput(port, n, PARTITIONS, log);
        result.restart.push(await startTimed(sys, 'unclean-restart', n, big.appId, topic, big.dataDir));
        const cold = await startTimed(sys, 'cold-restore', n, big.appId, topic, join(work, `${big.appId}-cold`));
        result.restart.push(cold);
        if (sys === dkg) coldRestoreDkg = cold;
        const s = await fold(sys, 'eos', small, 's');
        await s.proc.kill('SIGKILL');
        result.restart.push(await startTimed(sys, 'unclean-restart', small, s.appId, await ensureInput(port, small, PARTITIONS, log), s.dataDir));
        rmSync(big.dataDir, { recursive: true, force: true });
      }
    }
    if (only.has('journal')) {
      const j = journalReplay(n, log);
      result.journal = { events: n, upstreamReplaySeconds: j.replaySeconds, upstreamEventsPerSec: Math.round(n / j.replaySeconds), payloadBytes: j.payloadBytes };
      if (coldRestoreDkg) Object.assign(result.journal, { dkgRestoreSeconds: coldRestoreDkg.taskStartSeconds, dkgRestoredRecords: coldRestoreDkg.restoredRecords });
    }
  } finally {
    for (const a of apps) {
      await admin.deleteGroups([a, `${a}-fold`]).catch(() => {});
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${a}-`));
      await admin.deleteTopics(topics).catch(() => {});
    }
    await admin.close().catch(() => {});
  }
  result.replaySeconds = Object.fromEntries(replayWall);
  result.ratios = ratios(result);
  return result;
}

function ratios(r: KafkaBenchResult): KafkaBenchResult['ratios'] {
  const out: KafkaBenchResult['ratios'] = [];
  const f = (s: string, g: string) => r.fold.find((x) => x.system === s && x.guarantee === g);
  const dE = f('dkg-stream', 'eos');
  const kE = f('kafka-streams', 'eos');
  const kA = f('kafka-streams', 'alos');
  if (dE && kE) out.push({ name: 'fold EOS: dkg-stream / Kafka Streams', value: dE.recordsPerSec / kE.recordsPerSec, note: 'records/s, ≥ 1 = dkg-stream faster' });
  const dA = f('dkg-stream', 'alos');
  if (dA && kA) out.push({ name: 'fold ALOS: dkg-stream / Kafka Streams', value: dA.recordsPerSec / kA.recordsPerSec, note: 'records/s, ≥ 1 = dkg-stream faster' });
  const rs = (s: string, kind: string, h: number) => r.restart.find((x) => x.system === s && x.kind === kind && x.history === h);
  for (const s of ['dkg-stream', 'kafka-streams']) {
    const a = rs(s, 'unclean-restart', r.small);
    const b = rs(s, 'unclean-restart', r.records);
    if (a && b)
      out.push({
        name: `${s} restart after kill -9: ${r.records} / ${r.small} history`,
        value: b.taskStartSeconds / Math.max(a.taskStartSeconds, 0.001),
        note: 'task start time, 1 = independent of history',
      });
  }
  const dkgCold = rs('dkg-stream', 'cold-restore', r.records);
  const dkgReplay = r.replaySeconds?.['dkg-stream'];
  if (dkgCold && dkgReplay) out.push({ name: 'dkg-stream cold restore from changelog / replay of the input', value: dkgCold.readySeconds / dkgReplay, note: 'wall time, < 1 = restore faster' });
  const ksCold = rs('kafka-streams', 'cold-restore', r.records);
  if (dkgCold && ksCold)
    out.push({ name: 'cold restore: dkg-stream / Kafka Streams', value: dkgCold.taskStartSeconds / Math.max(ksCold.taskStartSeconds, 0.001), note: 'restore time, < 1 = dkg-stream faster' });
  if (r.journal?.dkgRestoreSeconds !== undefined)
    out.push({ name: 'dkg-stream restore / upstream journal replay (same N events)', value: r.journal.dkgRestoreSeconds / r.journal.upstreamReplaySeconds, note: 'time, < 1 = dkg-stream faster' });
  return out;
}

/** Runs the Rust journal anchor (bench/anchors/journal-replay) for n events. */
export function journalReplay(n: number, log: (s: string) => void): { replaySeconds: number; writeSeconds: number; payloadBytes: number } {
  log(`journal-replay anchor: building (cargo build --release) and replaying ${n} events`);
  execFileSync('cargo', ['build', '--release', '--quiet', '--manifest-path', join(JR_DIR, 'Cargo.toml')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bin = join(JR_DIR, 'target', 'release', 'journal-replay');
  const dir = mkdtempSync(join(tmpdir(), 'journal-replay-'));
  try {
    const out = execFileSync(bin, [String(n), dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const j = JSON.parse(out.trim().split('\n').pop()!) as { replay_seconds: number; write_seconds: number; payload_bytes: number; replayed: number };
    if (j.replayed !== n) throw new Error(`journal-replay replayed ${j.replayed} of ${n}`);
    log(`  upstream journal: replay ${n} events in ${j.replay_seconds.toFixed(3)} s`);
    return { replaySeconds: j.replay_seconds, writeSeconds: j.write_seconds, payloadBytes: j.payload_bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatKafkaTable(r: KafkaBenchResult): string {
  const lines = [`load average ${r.machine.loadavg.map((x) => x.toFixed(2)).join(' ')} on ${r.machine.cpus} cpus`];
  for (const f of r.fold)
    lines.push(`fold ${f.guarantee.padEnd(4)} ${f.system.padEnd(14)} ${String(f.recordsPerSec).padStart(8)} records/s  (${f.records} records, ${f.seconds} s, wall ${f.wallSeconds} s)`);
  for (const x of r.restart)
    lines.push(`${x.kind.padEnd(15)} ${x.system.padEnd(14)} history ${String(x.history).padStart(8)}: ready ${x.readySeconds} s, task start ${x.taskStartSeconds} s, restored ${x.restoredRecords}`);
  if (r.journal) lines.push(`upstream journal replay: ${r.journal.events} events in ${r.journal.upstreamReplaySeconds} s (${r.journal.upstreamEventsPerSec}/s)`);
  for (const q of r.ratios) lines.push(`ratio ${q.name.padEnd(62)} ${q.value.toFixed(3).padStart(8)}  ${q.note}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const arg = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const quick = args.includes('--quick');
  const r = await runKafkaBench({
    records: Number(arg('--records') ?? (quick ? 100_000 : 1_000_000)),
    small: Number(arg('--small') ?? 10_000),
    rounds: Number(arg('--rounds') ?? (quick ? 1 : 3)),
    ...(arg('--only') ? { only: arg('--only')!.split(',') as KafkaBenchOptions['only'] } : {}),
  });
  process.stderr.write(`${formatKafkaTable(r)}\n`);
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  process.exit(0);
}
