/**
 * Fault harness (bounded, loopback only), reusable by processor tests: feeds an input topic in
 * chunks while a processor process is SIGKILLed at random moments and restarted, restarts the
 * broker once, then stops the processor cleanly and hands the topics to a verifier.
 *
 * Random moments come from a seeded generator; the seed is printed (and taken from
 * DKG_STREAM_FAULT_SEED) so a failing run can be repeated.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackConfig, up } from '../../src/cli/stack.ts';
import { REPO_ROOT } from '../../src/paths.ts';
import type { KafkaPort } from '../../src/runtime/kafka/port.ts';
import { xorshift } from '../../src/sim/random.ts';
import { BROKERS } from './stack.ts';

export interface FaultOptions {
  port: KafkaPort;
  /** Worker script (run with `node --import tsx`) and its environment. */
  worker: string;
  workerEnv: Record<string, string>;
  input: string;
  /** Consumer group of the processor (to know when it caught up). */
  groupId: string;
  records: number;
  makeRecord(i: number): { key: Buffer; value: Buffer };
  chunks?: number;
  chunkIntervalMs?: number;
  kills?: number;
  restartBroker?: boolean;
  logFile: string;
  seed?: number;
  /** Give up after this long (default 8 min). */
  deadlineMs?: number;
}

export interface FaultReport {
  seed: number;
  kills: number;
  brokerRestarts: number;
  produced: number;
  workerStarts: number;
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The pid of the broker this checkout's stack started (`.stack/run/broker.pid`). A broker started
 * by another checkout's stack has no pid file here: that fails with the cause and the fix.
 */
export function stackBrokerPid(): number {
  const c = stackConfig();
  const pidFile = join(c.dir, 'run', 'broker.pid');
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch (err) {
    throw new Error(
      `cannot restart the broker: ${pidFile} is missing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}), so the broker at ` +
        `${BROKERS.join(',')} was not started by this checkout's stack (another checkout's stack?). ` +
        `Run with DKG_STREAM_FAULT_BROKER_RESTART=0 to skip the broker restart, or stop the other stack and let this checkout start its own.`,
    );
  }
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`cannot restart the broker: ${pidFile} does not hold a pid`);
  return pid;
}

/** Stops the stack's broker (SIGTERM, as an operator restart) and starts it again. */
export async function restartBroker(say: (s: string) => void): Promise<void> {
  const c = stackConfig();
  const pid = stackBrokerPid();
  say(`broker restart: stopping pid ${pid}`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
      await sleep(200);
    } catch {
      break;
    }
  }
  await up(c, (l) => say(`broker restart: ${l}`));
}

/**
 * Starts a processor worker script (`node --import tsx <worker>`) with its environment; output goes
 * to `log`. `stdin: true` gives the worker a pipe on stdin (workers driven by requests).
 */
export function spawnWorker(worker: string, workerEnv: Record<string, string>, log?: NodeJS.WritableStream, opts: { stdin?: boolean } = {}): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', worker], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...workerEnv, DKG_STREAM_LOG_LEVEL: process.env.DKG_STREAM_LOG_LEVEL ?? 'warn' },
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (log) {
    c.stdout!.pipe(log, { end: false });
    c.stderr!.pipe(log, { end: false });
  }
  return c;
}

/** SIGKILLs a worker (a crash: no leave-group, no cleanup) and waits until it is gone. */
export async function killWorker(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await gone;
}

export async function runFaultHarness(o: FaultOptions): Promise<FaultReport> {
  const seed = o.seed ?? Number(process.env.DKG_STREAM_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rand = xorshift(seed);
  if (o.restartBroker !== false) stackBrokerPid(); // fail before any work when the broker is not ours to restart
  const logStream = createWriteStream(o.logFile, { flags: 'a' });
  const say = (s: string) => logStream.write(`[harness ${new Date().toISOString()}] ${s}\n`);
  say(`seed ${seed}`);
  const t0 = Date.now();
  const deadline = t0 + (o.deadlineMs ?? 8 * 60_000);
  const report: FaultReport = { seed, kills: 0, brokerRestarts: 0, produced: 0, workerStarts: 0, ms: 0 };

  let child: ChildProcess | undefined;
  void sleep;
  const startWorker = () => {
    report.workerStarts++;
    const c = spawnWorker(o.worker, o.workerEnv, logStream);
    child = c;
    return c;
  };
  const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
  const kill = killWorker;

  // The input arrives in chunks, one per worker life, while that worker is processing.
  const kills = o.kills ?? 10;
  const chunks = kills + 1;
  const per = Math.ceil(o.records / chunks);
  const prod = await o.port.producer();
  const produceChunk = async () => {
    const n = Math.min(per, o.records - report.produced);
    const batch = Array.from({ length: n }, (_, i) => o.makeRecord(report.produced + i));
    for (let i = 0; i < batch.length; i += 5000) {
      for (;;) {
        try {
          await prod.send(batch.slice(i, i + 5000).map((r) => ({ topic: o.input, ...r })));
          break;
        } catch (err) {
          // kafkajs' idempotent producer dedups a retried batch within its session.
          say(`produce retry: ${(err as Error).message}`);
          if (Date.now() > deadline) throw err;
          await sleep(1000);
        }
      }
    }
    report.produced += n;
  };
  /** Resolves when the worker reports a running task (it is processing, not just starting). */
  const running = (c: ChildProcess) =>
    new Promise<boolean>((resolve) => {
      const onData = (d: Buffer) => {
        if (d.toString().includes('"state":"running"')) done(true);
      };
      const done = (v: boolean) => {
        c.stdout!.off('data', onData);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => done(false), 60_000);
      c.stdout!.on('data', onData);
      c.once('exit', () => done(false));
    });

  // Killer: SIGKILL each worker at a random moment after it started processing; restart the
  // broker once halfway.
  const brokerAt = o.restartBroker === false ? -1 : Math.floor(kills / 2);
  for (let k = 0; k < kills; k++) {
    if (Date.now() > deadline) throw new Error('fault harness deadline');
    const c = startWorker();
    const isRunning = running(c);
    await produceChunk();
    await isRunning;
    await sleep(rand() * 2000);
    await kill(c);
    report.kills++;
    say(`kill ${report.kills} (produced ${report.produced})`);
    if (k === brokerAt) {
      await restartBroker(say);
      report.brokerRestarts++;
    }
  }
  startWorker();
  while (report.produced < o.records) await produceChunk();
  await prod.close().catch(() => {});
  say(`all ${report.produced} records produced; waiting for the processor to catch up`);

  // Caught up = the group's committed offsets reached the end of the input, on every partition
  // that has records (an empty partition, high = low, never gets a committed offset).
  const admin = await o.port.admin();
  for (;;) {
    if (Date.now() > deadline) throw new Error(`fault harness deadline while catching up (see ${o.logFile})`);
    if (exited(child!)) startWorker();
    const ends = await admin.offsets(o.input).catch(() => []);
    const committed = await admin.groupOffsets(o.groupId, o.input).catch(() => []);
    const done = ends.length > 0 && ends.every((e) => e.high <= e.low || (committed.find((c) => c.partition === e.partition)?.offset ?? -1) >= e.high);
    if (done) break;
    await sleep(500);
  }
  // The verifier reads the stores on disk, so the last worker must stop cleanly. One that killed
  // itself right after its final commit (W_CRASH_AFTER_COMMIT) left that unit in the changelog
  // but not in its stores: start it again (its restore applies the gap; with the input consumed
  // it commits nothing more, so it cannot kill itself again) and stop that one.
  for (let attempt = 0; ; attempt++) {
    if (Date.now() > deadline || attempt > 3) throw new Error(`fault harness: no clean final stop (see ${o.logFile})`);
    let c = child!;
    if (exited(c)) {
      say(`final worker exited (${c.signalCode ?? c.exitCode}) before the clean stop: starting it again`);
      c = startWorker();
      if (!(await running(c))) continue;
    }
    const gone = new Promise((r) => (exited(c) ? r(null) : c.once('exit', r)));
    c.kill('SIGTERM');
    await Promise.race([gone, sleep(30_000)]);
    if (!exited(c)) await kill(c);
    else if (c.signalCode === null && c.exitCode === 0) break;
  }
  report.ms = Date.now() - t0;
  say(`done: ${JSON.stringify(report)}`);
  await new Promise((r) => logStream.end(r));
  return report;
}
