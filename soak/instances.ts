/**
 * The processors of the soak: K `dkg-stream run` processes (dkg-journal + follow, one consumer
 * group per processor), each with its own data directory and ops port, started, SIGKILLed and
 * restarted by the fault schedule; and a monitor that asks every live instance's /readyz which
 * partitions have a running task, so the soak can tell how long any partition went without one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/paths.ts';

const CLI = join(REPO_ROOT, 'bin', 'dkg-stream.js');
export const PROCESSORS = ['dkg-journal', 'follow'] as const;

/** Every instance process alive, SIGKILLed if the soak process itself exits (never an orphan). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export interface InstanceSetup {
  workDir: string;
  /** Environment of every instance (configuration, prefix, application id, key file). */
  env: NodeJS.ProcessEnv;
  args: string[];
  httpPortBase: number;
}

export class Instance {
  child: ChildProcess | undefined;
  starts = 0;
  private log: WriteStream;
  constructor(
    readonly index: number,
    private readonly setup: InstanceSetup,
  ) {
    mkdirSync(setup.workDir, { recursive: true });
    this.log = createWriteStream(join(setup.workDir, `instance-${index}.log`), { flags: 'a' });
  }
  get dataDir(): string {
    return join(this.setup.workDir, `data-${this.index}`);
  }
  get url(): string {
    return `http://127.0.0.1:${this.setup.httpPortBase + this.index}`;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  start(): void {
    if (this.running) return;
    this.starts++;
    this.log.write(`--- start ${this.starts} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [CLI, 'run', ...this.setup.args, '--http-port', String(this.setup.httpPortBase + this.index)], {
      cwd: REPO_ROOT,
      env: { ...this.setup.env, DKG_STREAM_DATA_DIR: this.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
  }
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(t);
  }
  wipeData(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
  /** Which partitions have a running task here, per processor; undefined when it does not answer. */
  async tasks(): Promise<Map<string, number[]> | undefined> {
    if (!this.running) return undefined;
    try {
      const r = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
      const body = (await r.json()) as { runtimes: Array<{ processor: string; tasks: Record<string, string> }> };
      return new Map(
        body.runtimes.map((rt) => [
          rt.processor,
          Object.entries(rt.tasks)
            .filter(([, s]) => s === 'running')
            .map(([p]) => Number(p)),
        ]),
      );
    } catch {
      return undefined;
    }
  }
  /**
   * The start-up window a kill should hit: 'restoring' while a task restores its stores, 'not
   * ready' while it has joined with partitions not running yet; undefined before the ops server
   * answers or once every task runs.
   */
  async startPhase(): Promise<'restoring' | 'not ready' | undefined> {
    if (!this.running) return undefined;
    try {
      const r = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
      const body = (await r.json()) as { ready: boolean; runtimes: Array<{ tasks: Record<string, string>; restore: Array<{ done: boolean }> }> };
      if (body.runtimes.some((rt) => Object.values(rt.tasks).includes('restoring') || rt.restore.some((x) => !x.done))) return 'restoring';
      return body.ready ? undefined : 'not ready';
    } catch {
      return undefined;
    }
  }
  /** Committed transactions so far (the moment right after a commit). */
  async commits(): Promise<number | undefined> {
    if (!this.running) return undefined;
    try {
      const r = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(2000) });
      const text = await r.text();
      let n = 0;
      for (const m of text.matchAll(/^dkg_stream_commits_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
      return n;
    } catch {
      return undefined;
    }
  }
  close(): void {
    this.log.end();
  }
}

/**
 * Polls the instances' task coverage: a partition of a processor is covered while some live
 * instance runs its task. Records every uncovered stretch (start, end).
 */
export class CoverageMonitor {
  /** "<processor>/<partition>" → when it became uncovered (absent = covered). */
  private readonly since = new Map<string, number>();
  readonly gaps: Array<{ key: string; from: number; to: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  lastFullCoverage = 0;

  constructor(
    private readonly instances: Instance[],
    private readonly partitions: number,
  ) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.tick(), intervalMs);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = Date.now();
      const covered = new Set<string>();
      for (const t of await Promise.all(this.instances.map((i) => i.tasks()))) {
        if (!t) continue;
        for (const [proc, ps] of t) for (const p of ps) covered.add(`${proc}/${p}`);
      }
      let all = true;
      for (const proc of PROCESSORS)
        for (let p = 0; p < this.partitions; p++) {
          const k = `${proc}/${p}`;
          if (covered.has(k)) {
            const s = this.since.get(k);
            if (s !== undefined) {
              this.gaps.push({ key: k, from: s, to: now });
              this.since.delete(k);
            }
          } else {
            all = false;
            if (!this.since.has(k)) this.since.set(k, now);
          }
        }
      if (all) this.lastFullCoverage = now;
    } finally {
      this.busy = false;
    }
  }

  /** True once every partition is covered (asked now). */
  async fullyCovered(): Promise<boolean> {
    await this.tick();
    return this.since.size === 0;
  }

  /** Gaps still open at `now` are closed there (the end of the soak). */
  openGaps(now = Date.now()): Array<{ key: string; from: number; to: number }> {
    return [...this.since].map(([key, from]) => ({ key, from, to: now }));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
