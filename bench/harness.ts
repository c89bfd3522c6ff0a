/**
 * The `npm run bench` harness: named sections, each comparing dkg-stream with an anchor (native
 * commonware, Kafka Streams, …) on this machine in the same run, reporting metrics with ratios.
 *
 * To add a comparison, write `bench/sections/<name>.ts` exporting a {@link BenchSection} and list
 * it in `bench/run.ts`. A section measures; the harness prints, writes `bench/results/latest.json`
 * and draws the ratio chart. Nothing here is pass/fail: targets are shown, never enforced.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** One measured quantity. `ours` and `anchor` are in `unit`; the ratio is computed by the harness. */
export interface Metric {
  /** Short label, unique within its section (also the chart label). */
  name: string;
  unit: string;
  /** Throughputs (certs/s, ops/s) are higher-is-better; durations (s, ms) are not. */
  higherIsBetter: boolean;
  ours: number;
  /** The anchor's value in the same unit, or null when there is none. */
  anchor: number | null;
  /** What the anchor is, e.g. "native commonware Finalization::verify (1 thread)". */
  anchorName?: string;
  /** Speed relative to the anchor the issue asks for (e.g. 1/3 of native), shown, not enforced. */
  target?: number;
  /** Plot this ratio in the chart (default true when there is an anchor). */
  chart?: boolean;
  note?: string;
}

/** Metric plus its ratio: how fast dkg-stream is relative to the anchor (>1 = faster). */
export interface RatedMetric extends Metric {
  ratio: number | null;
}

export interface SectionResult {
  metrics: Metric[];
  /** Free-form details kept in latest.json (raw anchor output, settings…). */
  data?: unknown;
  notes?: string[];
}

export interface BenchContext {
  quick: boolean;
  /** Progress on stderr, prefixed with the section name. */
  log(message: string): void;
  /** Runs the native commonware anchor (built if needed) with these arguments; parsed stdout. */
  native(args: string[]): Promise<any>;
}

export interface BenchSection {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<SectionResult>;
}

export function rate(m: Metric): RatedMetric {
  if (m.anchor === null || m.anchor <= 0 || m.ours <= 0) return { ...m, ratio: null };
  return { ...m, ratio: m.higherIsBetter ? m.ours / m.anchor : m.anchor / m.ours };
}

/** Runs a command, streaming its stderr to ours with a prefix; resolves with stdout. */
export function run(cmd: string, args: string[], opts: { cwd: string; prefix: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    let pending = '';
    child.stderr.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) process.stderr.write(`${opts.prefix}${l}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending.trim()) process.stderr.write(`${opts.prefix}${pending}\n`);
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`));
    });
  });
}

const ANCHOR_DIR = fileURLToPath(new URL('./anchors/commonware-bench/', import.meta.url));
const ANCHOR_BIN = `${ANCHOR_DIR}target/release/commonware-bench`;
let built: Promise<void> | null = null;

/** `cargo build --release -j 2` of the native anchor (once per run; seconds when up to date). */
export function buildNative(log: (m: string) => void): Promise<void> {
  built ??= (async () => {
    log(existsSync(ANCHOR_BIN) ? 'checking the native anchor build (cargo build --release)…' : 'building the native anchor (first build: several minutes on 2 cores)…');
    await run('cargo', ['build', '--release', '-j', '2'], { cwd: ANCHOR_DIR, prefix: '  cargo: ' });
  })();
  return built;
}

export async function runNative(args: string[], log: (m: string) => void): Promise<any> {
  await buildNative(log);
  const stdout = await run(ANCHOR_BIN, args, { cwd: ANCHOR_DIR, prefix: '  native: ' });
  return JSON.parse(stdout);
}

/** Calls `fn` until both `minIters` calls and `minMs` have passed (after one warm-up call). */
export function timeLoop(minMs: number, minIters: number, fn: (i: number) => unknown, warmup = true): { msPerOp: number; iterations: number } {
  if (warmup) fn(-1);
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (iterations < minIters || elapsed < minMs) {
    fn(iterations++);
    elapsed = performance.now() - start;
  }
  return { msPerOp: elapsed / iterations, iterations };
}
