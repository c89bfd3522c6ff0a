/**
 * Runs one family's inputs in a worker thread. Before each input it writes the input (and its
 * index) into a shared buffer, so if a decoder hangs the main thread's watchdog can terminate
 * the worker and still report exactly which input hung. Progress and findings go back as
 * messages; the worker never stops at a finding (up to a cap), so one run reports them all.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildFamily, type FamilyName } from './families.ts';
import { mutate } from './mutate.ts';
import { FuzzRng } from './rng.ts';

export interface WorkerInput {
  family: FamilyName;
  inputs: number;
  seed: number;
  /** An input slower than this is a finding ("slow"). */
  slowMs: number;
  /** Shared: [0] = input index in progress (Int32), bytes from 8 = length (Int32 at 4) + input. */
  current: SharedArrayBuffer;
}

export interface Finding {
  family: string;
  index: number;
  kind: 'untyped' | 'slow' | 'non-canonical' | 'hang';
  detail: string;
  inputHex: string;
}

export interface FamilyReport {
  family: string;
  inputs: number;
  accepted: number;
  rejected: number;
  /** Rejections by error class name. */
  byError: Record<string, number>;
  findings: Finding[];
  ms: number;
  slowestMs: number;
}

const BUILTIN = new Set<unknown>([Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError]);
/** A project error class (anything but JavaScript's own error classes and non-errors). */
export const isTyped = (err: unknown): boolean => err instanceof Error && !BUILTIN.has(err.constructor);

const MAX_FINDINGS = 50;
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const shortHex = (b: Uint8Array) => (b.length > 2048 ? `${hex(b.subarray(0, 2048))}…(${b.length} bytes)` : hex(b));

async function main(): Promise<void> {
  const cfg = workerData as WorkerInput;
  const rng = new FuzzRng(cfg.seed);
  const family = buildFamily(cfg.family, new FuzzRng(cfg.seed ^ 0x5eed));
  // Plain Uint8Array copies, frozen in spirit: a decoder or mutation that wrote into a seed
  // (a Buffer seed's `.slice()` is a view) would silently change every later input.
  const seeds = family.seeds.length > 0 ? family.seeds.map((s) => new Uint8Array(s)) : [new Uint8Array(0)];
  const seedDigest = (): string => Buffer.concat(seeds).toString('base64');
  const seedsAtStart = seedDigest();
  const shared = new Int32Array(cfg.current, 0, 2);
  const sharedBytes = new Uint8Array(cfg.current, 8);
  const report: FamilyReport = { family: family.name, inputs: 0, accepted: 0, rejected: 0, byError: {}, findings: [], ms: 0, slowestMs: 0 };
  const find = (f: Omit<Finding, 'family'>) => {
    if (report.findings.length < MAX_FINDINGS) report.findings.push({ family: family.name, ...f });
  };
  const t0 = performance.now();
  let lastProgress = t0;
  for (let i = 0; i < cfg.inputs; i++) {
    // 10 % random bytes, 90 % mutated seeds (a seed itself now and then).
    const input = rng.chance(0.1) ? rng.bytes(rng.int(rng.chance(0.5) ? 16 : 600)) : rng.chance(0.03) ? rng.pick(seeds) : mutate(rng, rng.pick(seeds), rng.pick(seeds));
    Atomics.store(shared, 0, i);
    const n = Math.min(input.length, sharedBytes.length);
    sharedBytes.set(input.subarray(0, n));
    Atomics.store(shared, 1, n);
    const start = performance.now();
    try {
      const res = await family.run(input, rng);
      report.accepted++;
      if (res.reencoded && Buffer.compare(Buffer.from(res.reencoded), Buffer.from(input)) !== 0) {
        find({ index: i, kind: 'non-canonical', detail: `accepted input re-encodes as ${shortHex(res.reencoded)}`, inputHex: shortHex(input) });
      }
    } catch (err) {
      if (isTyped(err)) {
        report.rejected++;
        const name = (err as Error).name;
        report.byError[name] = (report.byError[name] ?? 0) + 1;
      } else {
        const e = err as Error;
        find({
          index: i,
          kind: 'untyped',
          detail: `${e?.constructor?.name ?? typeof err}: ${String(e?.message ?? err).slice(0, 300)}\n${(e?.stack ?? '').split('\n').slice(1, 6).join('\n')}`,
          inputHex: shortHex(input),
        });
      }
    }
    const took = performance.now() - start;
    if (took > report.slowestMs) report.slowestMs = took;
    if (took > cfg.slowMs) find({ index: i, kind: 'slow', detail: `took ${took.toFixed(0)} ms (bound ${cfg.slowMs} ms)`, inputHex: shortHex(input) });
    report.inputs++;
    const now = performance.now();
    if (now - lastProgress > 2000) {
      lastProgress = now;
      parentPort!.postMessage({ type: 'progress', family: family.name, done: i + 1, total: cfg.inputs, findings: report.findings.length });
    }
  }
  report.ms = performance.now() - t0;
  if (seedDigest() !== seedsAtStart) find({ index: cfg.inputs, kind: 'untyped', detail: 'a decoder wrote into its input (the seeds changed during the run)', inputHex: '' });
  parentPort!.postMessage({ type: 'done', report });
}

main().catch((err) => parentPort!.postMessage({ type: 'crash', message: String((err as Error)?.stack ?? err) }));
