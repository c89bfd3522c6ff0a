/**
 * The decoder fuzzer: `npm run fuzz -- --inputs N [--seed S] [--families a,b] [--weights a=4,b=1]
 * [--slow-ms M] [--hang-ms H] [--jobs J] [--json FILE]`.
 *
 * Splits N inputs over the families (evenly, or by --weights) (families.ts), runs each family in a worker thread
 * (worker.ts) and prints, per family, inputs / accepted / rejected by a typed error. It FAILS
 * (exit 1) on any finding: an untyped exception (a JavaScript built-in error escaping a decoder),
 * an input slower than --slow-ms, a hang (no input finished for --hang-ms: the worker is
 * terminated and the input in progress reported), or an accepted input whose fresh re-encoding
 * differs from it where the format is canonical. Deterministic for a given seed and N.
 */
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { FAMILY_NAMES, type FamilyName } from './families.ts';
import type { FamilyReport, Finding, WorkerInput } from './worker.ts';

export interface FuzzOptions {
  inputs: number;
  seed: number;
  families?: readonly FamilyName[];
  /**
   * Relative share of the inputs per family (default 1 each). The crypto families cost ~100×
   * more per input than the parsers, so a large run weights the cheap ones up.
   */
  weights?: Partial<Record<FamilyName, number>>;
  slowMs?: number;
  hangMs?: number;
  jobs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface FuzzResult {
  reports: FamilyReport[];
  findings: Finding[];
  ms: number;
}

const SHARED_BYTES = 1 << 20;

function runFamily(family: FamilyName, inputs: number, seed: number, slowMs: number, hangMs: number, log: (l: string) => void): Promise<FamilyReport> {
  const current = new SharedArrayBuffer(8 + SHARED_BYTES);
  const shared = new Int32Array(current, 0, 2);
  Atomics.store(shared, 0, -1);
  const data: WorkerInput = { family, inputs, seed, slowMs, current };
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: data });
  return new Promise<FamilyReport>((resolve, reject) => {
    let lastIndex = -2;
    let lastChange = performance.now();
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      f();
    };
    const watchdog = setInterval(() => {
      const i = Atomics.load(shared, 0);
      const now = performance.now();
      if (i !== lastIndex) {
        lastIndex = i;
        lastChange = now;
        return;
      }
      // Index -1: still building seeds (allowed longer: it decodes every fixture once).
      if (now - lastChange > (i < 0 ? hangMs * 4 : hangMs)) {
        const n = Atomics.load(shared, 1);
        const input = Buffer.from(new Uint8Array(current, 8, n)).toString('hex');
        void worker.terminate();
        finish(() =>
          resolve({
            family,
            inputs: Math.max(i, 0),
            accepted: 0,
            rejected: 0,
            byError: {},
            ms: 0,
            slowestMs: now - lastChange,
            findings: [{ family, index: i, kind: 'hang', detail: `no progress for ${(now - lastChange).toFixed(0)} ms on this input (worker terminated)`, inputHex: input }],
          }),
        );
      }
    }, 250);
    worker.on('message', (m: { type: string; report?: FamilyReport; done?: number; total?: number; findings?: number; message?: string }) => {
      if (m.type === 'progress') log(`fuzz: ${family} ${m.done}/${m.total} (${m.findings} findings)`);
      else if (m.type === 'done') finish(() => resolve(m.report!));
      else if (m.type === 'crash') finish(() => reject(new Error(`fuzz worker for ${family} crashed: ${m.message}`)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`fuzz worker for ${family} exited with code ${code} before reporting`))));
  });
}

/** Runs the fuzzer; resolves with every family's report (findings included, never thrown). */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const families = opts.families ?? FAMILY_NAMES;
  const log = opts.log ?? (() => {});
  const weights = families.map((f) => opts.weights?.[f] ?? 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((opts.inputs * w) / sum));
  counts[0]! += opts.inputs - counts.reduce((a, b) => a + b, 0);
  const jobs = Math.max(1, opts.jobs ?? 1);
  const t0 = performance.now();
  const reports: FamilyReport[] = new Array(families.length);
  let next = 0;
  const lane = async () => {
    while (next < families.length) {
      const k = next++;
      const f = families[k]!;
      const r = await runFamily(f, counts[k]!, (opts.seed + k * 0x9e3779b1) >>> 0, opts.slowMs ?? 2000, opts.hangMs ?? 20_000, log);
      log(`fuzz: ${f} done: ${r.inputs} inputs, ${r.accepted} accepted, ${r.rejected} rejected, ${r.findings.length} findings, ${(r.ms / 1000).toFixed(1)} s`);
      reports[k] = r;
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, families.length) }, lane));
  return { reports, findings: reports.flatMap((r) => r.findings), ms: performance.now() - t0 };
}

export function formatReport(res: FuzzResult): string {
  const rows = [['family', 'inputs', 'accepted', 'rejected (typed)', 'findings', 'slowest ms', 'top rejections']];
  for (const r of res.reports) {
    const top = Object.entries(r.byError)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    rows.push([r.family, String(r.inputs), String(r.accepted), String(r.rejected), String(r.findings.length), r.slowestMs.toFixed(1), top]);
  }
  const total = res.reports.reduce((a, r) => [a[0]! + r.inputs, a[1]! + r.accepted, a[2]! + r.rejected], [0, 0, 0]);
  rows.push(['total', String(total[0]), String(total[1]), String(total[2]), String(res.findings.length), '', `${(res.ms / 1000).toFixed(1)} s`]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function parseArgs(argv: string[]): FuzzOptions & { json?: string } {
  const opts: FuzzOptions & { json?: string } = { inputs: 10_000, seed: 1 };
  const usage = (msg: string): never => {
    process.stderr.write(
      `fuzz: ${msg}\nusage: npm run fuzz -- --inputs N [--seed S] [--families ${FAMILY_NAMES.join(',')}] [--weights family=w,…] [--slow-ms M] [--hang-ms H] [--jobs J] [--json FILE]\n`,
    );
    process.exit(2);
  };
  const int = (v: string | undefined, what: string) => {
    if (v === undefined || !/^\d+$/.test(v)) return usage(`${what} needs a non-negative integer`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    if (a === '--inputs') opts.inputs = int(v, a);
    else if (a === '--seed') opts.seed = int(v, a);
    else if (a === '--slow-ms') opts.slowMs = int(v, a);
    else if (a === '--hang-ms') opts.hangMs = int(v, a);
    else if (a === '--jobs') opts.jobs = int(v, a);
    else if (a === '--json') opts.json = v ?? usage('--json needs a file');
    else if (a === '--weights') {
      opts.weights = {};
      for (const kv of (v ?? '').split(',').filter(Boolean)) {
        const [f, w] = kv.split('=');
        if (!(FAMILY_NAMES as readonly string[]).includes(f!)) usage(`unknown family '${f}' in --weights`);
        opts.weights[f as FamilyName] = int(w, `--weights ${f}`);
      }
    } else if (a === '--families') {
      const fs = (v ?? '').split(',').filter(Boolean);
      for (const f of fs) if (!(FAMILY_NAMES as readonly string[]).includes(f)) usage(`unknown family '${f}'`);
      opts.families = fs as FamilyName[];
    } else if (a === '--help' || a === '-h') usage('drives every decoder with mutated fixtures and random bytes');
    else usage(`unknown argument '${a}'`);
    if (a !== '--help' && a !== '-h') i++;
  }
  return opts;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = parseArgs(process.argv.slice(2));
  process.stderr.write(`fuzz: ${opts.inputs} inputs, seed ${opts.seed}, families ${(opts.families ?? FAMILY_NAMES).join(',')}\n`);
  const res = await runFuzz({ ...opts, log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(formatReport(res) + '\n');
  for (const f of res.findings) process.stdout.write(`\nFINDING ${f.kind} in ${f.family} (input #${f.index}): ${f.detail}\n  input: ${f.inputHex}\n`);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(res, null, 2));
  process.exit(res.findings.length > 0 ? 1 : 0);
}
