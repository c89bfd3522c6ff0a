/**
 * `npm run bench`: every comparison of dkg-stream against its anchors, in one process tree on
 * this machine, one section at a time (2 shared cores: nothing runs concurrently).
 *
 *   npm run bench                          # all sections
 *   npm run bench -- --quick               # smaller inputs, shorter timings (smoke run)
 *   npm run bench -- --only certificates   # named sections (comma-separated)
 *   npm run bench -- --only follow --quick # the follower end to end on 5,000 finalizations
 *   npm run bench -- --list                # section names
 *
 * Prints a table of values and ratios (dkg-stream speed relative to the anchor: >1 = faster),
 * writes bench/results/latest.json (a full run also appends a line to bench/results/history.jsonl) and draws
 * bench/results/ratios.png. Progress goes to stderr. No result is pass/fail.
 *
 * Sections live in bench/sections/; add yours to SECTIONS below (see bench/harness.ts).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { blsBackend } from '../src/crypto/bls12381/backend.ts';
import { type ChartRow, ratioChart } from './chart.ts';
import { BENCH_DIR, type BenchContext, type BenchSection, type RatedMetric, RESULTS_DIR, rate, runNative } from './harness.ts';
import { backends } from './sections/backends.ts';
import { certificates } from './sections/certificates.ts';
import { dkg } from './sections/dkg.ts';
import { follow } from './sections/follow.ts';
import { kafka } from './sections/kafka.ts';

// follow after kafka: it shows the Kafka Streams instance's memory measured there next to the follower's.
const SECTIONS: BenchSection[] = [certificates, dkg, backends, kafka, follow];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.indexOf('--only');
const only = onlyArg >= 0 ? (argv[onlyArg + 1] ?? '').split(',').filter(Boolean) : null;
if (argv.includes('--list')) {
  for (const s of SECTIONS) process.stdout.write(`${s.name.padEnd(14)} ${s.title}\n`);
  process.exit(0);
}
const unknown = only?.filter((n) => !SECTIONS.some((s) => s.name === n)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const selected = SECTIONS.filter((s) => only === null || only.includes(s.name));

const gitCommit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: BENCH_DIR, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const started = new Date();
const loadBefore = loadavg();
process.stderr.write(
  `bench: ${selected.map((s) => s.name).join(', ')}${quick ? ' (quick)' : ''}; ${cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; BLS backend ${blsBackend().name}\n`,
);

interface SectionReport {
  name: string;
  title: string;
  seconds: number;
  metrics: RatedMetric[];
  notes: string[];
  data?: unknown;
  error?: string;
}

const reports: SectionReport[] = [];
for (const s of selected) {
  const log = (m: string) => process.stderr.write(`[${s.name}] ${m}\n`);
  const ctx: BenchContext = { quick, log, native: (args) => runNative(args, log) };
  const t0 = performance.now();
  log(`${s.title}…`);
  try {
    const r = await s.run(ctx);
    reports.push({ name: s.name, title: s.title, seconds: (performance.now() - t0) / 1000, metrics: r.metrics.map(rate), notes: r.notes ?? [], data: r.data });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`FAILED: ${message}`);
    reports.push({ name: s.name, title: s.title, seconds: (performance.now() - t0) / 1000, metrics: [], notes: [], error: message });
  }
}
const loadAfter = loadavg();

// ---- table ----
const fmt = (v: number | null, unit: string): string => {
  if (v === null) return '—';
  if (unit === 's') return v < 1 ? `${(v * 1000).toFixed(1)} ms` : `${v.toFixed(2)} s`;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${unit}`;
};
const lines: string[][] = [['section', 'metric', 'dkg-stream', 'anchor', 'ratio', 'target']];
for (const r of reports) {
  if (r.error) lines.push([r.name, `FAILED: ${r.error}`, '', '', '', '']);
  for (const m of r.metrics) {
    lines.push([
      r.name,
      m.name,
      fmt(m.ours, m.unit),
      fmt(m.anchor, m.unit),
      m.ratio === null ? '—' : `${m.ratio.toPrecision(3)}×`,
      m.target === undefined ? '' : `≥ ${m.target.toPrecision(2)}×${m.ratio !== null ? (m.ratio >= m.target ? ' (met)' : ' (not met)') : ''}`,
    ]);
  }
}
const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
for (const [i, l] of lines.entries()) {
  process.stdout.write(`${l.map((c, j) => (j >= 2 && j <= 4 ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  ')}\n`);
  if (i === 0) process.stdout.write(`${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
}
for (const r of reports) for (const n of r.notes) process.stdout.write(`note [${r.name}]: ${n}\n`);
process.stdout.write(
  `ratio = dkg-stream speed / anchor speed (>1 = faster than the anchor). ${cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} → ${loadAfter.map((l) => l.toFixed(2)).join(' ')} (timings are noisy on a shared machine)\n`,
);

// ---- files ----
mkdirSync(RESULTS_DIR, { recursive: true });
/**
 * A full-size run of some sections (`--only`) keeps the other sections of the previous full-size
 * latest.json, each marked with the run that measured it (`measuredIn`), so latest.json and the
 * chart always show every section's newest full-size figures.
 */
type KeptReport = SectionReport & { measuredIn?: { started: string; commit: string; loadavg: number } };
const kept: KeptReport[] = [];
if (only !== null && !quick && existsSync(`${RESULTS_DIR}latest.json`)) {
  try {
    const previous = JSON.parse(readFileSync(`${RESULTS_DIR}latest.json`, 'utf8')) as {
      started: string;
      commit: string;
      quick: boolean;
      machine: { loadavg_before: number[] };
      sections: KeptReport[];
    };
    if (!previous.quick)
      for (const r of previous.sections)
        if (!selected.some((s) => s.name === r.name))
          kept.push({ ...r, measuredIn: r.measuredIn ?? { started: previous.started, commit: previous.commit, loadavg: previous.machine.loadavg_before[0] ?? 0 } });
  } catch {
    // an unreadable previous file is replaced
  }
}
/** The sections kept from earlier runs, grouped by the run that measured them (chart subtitle). */
function keptRuns(ks: KeptReport[]): Array<{ run: string; names: string[] }> {
  const by = new Map<string, string[]>();
  for (const k of ks) {
    const m = k.measuredIn!;
    const run = `${m.commit} (${m.started.slice(0, 10)}, load ${m.loadavg.toFixed(1)})`;
    by.set(run, [...(by.get(run) ?? []), k.name]);
  }
  return [...by].map(([run, names]) => ({ run, names }));
}
const result = {
  started: started.toISOString(),
  commit: gitCommit,
  quick,
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: process.platform, loadavg_before: loadBefore, loadavg_after: loadAfter },
  bls_backend: blsBackend().name,
  sections: [...kept, ...reports].sort((a, b) => SECTIONS.findIndex((s) => s.name === a.name) - SECTIONS.findIndex((s) => s.name === b.name)),
};
writeFileSync(`${RESULTS_DIR}latest.json`, `${JSON.stringify(result, null, 2)}\n`);
// the trend: one line per full run (quick runs are smoke tests and are not recorded)
if (!quick)
  appendFileSync(
    `${RESULTS_DIR}history.jsonl`,
    `${JSON.stringify({
      started: result.started,
      commit: gitCommit,
      quick,
      loadavg: loadBefore[0],
      ratios: Object.fromEntries(reports.flatMap((r) => r.metrics.filter((m) => m.ratio !== null).map((m) => [`${r.name}/${m.name}`, m.ratio]))),
    })}\n`,
  );
const rows: ChartRow[] = result.sections.flatMap((r) =>
  r.metrics
    .filter((m) => m.ratio !== null && m.chart !== false)
    .map((m) => ({ group: r.title.split(' vs ')[0]!, label: m.name, ratio: m.ratio!, ...(m.target !== undefined ? { target: m.target } : {}) })),
);
if (rows.length > 0) {
  const png = ratioChart(
    'dkg-stream vs its anchors',
    [
      `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${gitCommit}${quick ? ', quick run' : ''}, BLS backend ${blsBackend().name}`,
      `${cpus().length} cores, load average ${loadBefore[0]!.toFixed(2)}; blue tick = target`,
      ...keptRuns(kept).map((k) => `kept from ${k.run}: ${k.names.join(', ')}`),
    ],
    rows,
  );
  writeFileSync(`${RESULTS_DIR}ratios.png`, png);
}
process.stderr.write(`bench: wrote bench/results/latest.json${quick ? '' : ', history.jsonl'}${rows.length > 0 ? ', ratios.png' : ''}\n`);
