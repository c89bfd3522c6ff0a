/**
 * Prometheus metrics through prom-client: counters, gauges (set, or computed at scrape time) and
 * histograms, each in one registry per {@link Metrics} so that tests and several runtimes in one
 * process never share state by accident.
 *
 * Invariants:
 * - Every metric name starts with {@link METRIC_PREFIX}: one prefix for the whole service, so a
 *   dashboard can select everything dkg-stream exports with one matcher.
 * - A metric's label names are fixed by its first use (prom-client declares them up front); a
 *   later use with other label names is a programming error and throws.
 * - {@link Metrics.get} reads counters and set gauges synchronously (tests and the CLI summary
 *   use it); prom-client's own `get()` is asynchronous, so the values are mirrored here.
 */
import client from 'prom-client';
import { logger } from './log.ts';

const log = logger('runtime.metrics');

type Labels = Record<string, string | number>;

/** A counter increment held back until the unit of work that made it commits (see task.ts). */
export interface Count {
  name: string;
  help: string;
  labels: Labels;
  n: number;
}

/** The prefix of every metric dkg-stream exports. */
export const METRIC_PREFIX = 'dkg_stream_';

/** Histogram buckets (seconds) by metric; prom-client's defaults (5 ms … 10 s) otherwise. */
const BUCKETS: Record<string, number[]> = {
  // Kafka transactions: a few ms on loopback, seconds while a broker fails over.
  dkg_stream_commit_seconds: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  // Restores: nothing to restore (ms) up to a cold rebuild of a large store (minutes).
  dkg_stream_restore_seconds: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900],
  // Input record timestamp → output committed: ms when live, hours when catching up.
  dkg_stream_end_to_end_seconds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300, 3600],
};

const labelKey = (l: Labels): string => {
  const keys = Object.keys(l);
  if (keys.length === 0) return '';
  keys.sort();
  let s = '';
  for (const k of keys) s += `${k}=${l[k]}\u0000`;
  return s;
};

type Sample = { labels: Labels; value: number };
type Collect = () => Promise<Sample[]> | Sample[];

/**
 * A gauge whose samples are computed at scrape time, with label names that come from the samples
 * (a prom-client Gauge declares its label names up front). The registry asks it through `get()`,
 * the same interface prom-client's own metrics answer; a collector that fails reports nothing for
 * that scrape rather than failing the whole exposition.
 */
class ScrapeGauge {
  readonly type = 'gauge';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly collect: Collect,
    registry: client.Registry,
  ) {
    registry.registerMetric(this as unknown as client.Metric);
  }
  async get(): Promise<{ name: string; help: string; type: 'gauge'; aggregator: 'sum'; values: Sample[] }> {
    let values: Sample[] = [];
    try {
      values = await this.collect();
    } catch {
      /* skipped for this scrape */
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

type Kind = 'counter' | 'gauge' | 'histogram';
interface Entry {
  kind: Kind;
  labelNames: string[];
  metric: client.Counter | client.Gauge | client.Histogram | ScrapeGauge;
  /** Mirror of counter and set-gauge values by label key, for {@link Metrics.get}. */
  values: Map<string, number>;
}

export class Metrics {
  /** The prom-client registry holding this instance's metrics (render it, or merge it). */
  readonly registry = new client.Registry();
  private readonly entries = new Map<string, Entry>();
  /** Names of counts refused by {@link addCounts}, logged once each. */
  private readonly refused = new Set<string>();

  /** `process: true` adds prom-client's default process and Node.js runtime metrics. */
  constructor(opts: { process?: boolean } = {}) {
    if (opts.process) client.collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  private entry(name: string, help: string, kind: Kind, labels: Labels, collect?: Collect): Entry {
    let e = this.entries.get(name);
    if (e) {
      if (e.kind !== kind) throw new Error(`metric ${name} is a ${e.kind}, not a ${kind}`);
      return e;
    }
    if (!name.startsWith(METRIC_PREFIX)) throw new Error(`metric ${name} must start with ${METRIC_PREFIX}`);
    const labelNames = Object.keys(labels).sort();
    const common = { name, help, labelNames, registers: [this.registry] };
    let metric: Entry['metric'];
    if (kind === 'counter') metric = new client.Counter(common);
    else if (kind === 'histogram') metric = new client.Histogram(BUCKETS[name] ? { ...common, buckets: BUCKETS[name] } : common);
    else if (collect) metric = new ScrapeGauge(name, help, collect, this.registry);
    else metric = new client.Gauge(common);
    e = { kind, labelNames, metric, values: new Map() };
    this.entries.set(name, e);
    return e;
  }

  /** Adds `by` (default 1) to a counter. */
  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const e = this.entry(name, help, 'counter', labels);
    (e.metric as client.Counter).inc(labels, by);
    const k = labelKey(labels);
    e.values.set(k, (e.values.get(k) ?? 0) + by);
  }

  /**
   * Adds the counts of a committed unit of work. The unit is durable already, so a count the
   * metrics refuse (a name without the prefix, other label names than its first use: a processor
   * bug) must not fail it: it is counted in `dkg_stream_count_errors_total{name}` and logged once
   * per name, and the unit's other counts still count.
   */
  addCounts(counts: Iterable<Count>): void {
    for (const c of counts) {
      try {
        this.inc(c.name, c.help, c.labels, c.n);
      } catch (err) {
        this.inc('dkg_stream_count_errors_total', 'Processor counts the metrics refused after their unit committed (a processor bug; see the log)', { name: c.name });
        if (!this.refused.has(c.name)) {
          this.refused.add(c.name);
          log.error({ metric: c.name, labels: Object.keys(c.labels), err: (err as Error).message }, 'a processor count was refused by the metrics (its unit is committed; fix the count)');
        }
      }
    }
  }

  /** Sets a gauge. */
  set(name: string, help: string, labels: Labels, value: number): void {
    const e = this.entry(name, help, 'gauge', labels);
    (e.metric as client.Gauge).set(labels, value);
    e.values.set(labelKey(labels), value);
  }

  /** Records one observation (seconds) in a histogram. */
  observe(name: string, help: string, labels: Labels, seconds: number): void {
    (this.entry(name, help, 'histogram', labels).metric as client.Histogram).observe(labels, seconds);
  }

  /** A gauge computed at scrape time (lag, RocksDB size…). */
  gauge(name: string, help: string, collect: Collect): void {
    this.entry(name, help, 'gauge', {}, collect);
  }

  /** The current value of a counter or a set gauge, or undefined if it was never touched. */
  get(name: string, labels: Labels = {}): number | undefined {
    return this.entries.get(name)?.values.get(labelKey(labels));
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async render(): Promise<string> {
    // prom-client prints a NaN sample (the event-loop delay mean before its first sample) as `Nan`;
    // the format spells it `NaN`.
    return (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN');
  }

  /** The content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
