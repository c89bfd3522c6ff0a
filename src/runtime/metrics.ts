/**
 * Minimal Prometheus metrics (text exposition format 0.0.4) without a dependency: counters,
 * gauges (set or computed at scrape time) and latency summaries (count/sum/max).
 */
type Labels = Record<string, string | number>;

const fmtLabels = (l: Labels): string => {
  const e = Object.entries(l);
  return e.length === 0 ? '' : `{${e.map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
};

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'summary';
  values: Map<string, { labels: Labels; value: number; sum?: number; max?: number }>;
  collect?: () => Promise<Array<{ labels: Labels; value: number }>> | Array<{ labels: Labels; value: number }>;
}

export class Metrics {
  private readonly families = new Map<string, Family>();

  private family(name: string, help: string, type: Family['type']): Family {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { name, help, type, values: new Map() }));
    return f;
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.family(name, help, 'counter');
    const k = fmtLabels(labels);
    const v = f.values.get(k);
    if (v) v.value += by;
    else f.values.set(k, { labels, value: by });
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    this.family(name, help, 'gauge').values.set(fmtLabels(labels), { labels, value });
  }

  observe(name: string, help: string, labels: Labels, seconds: number): void {
    const f = this.family(name, help, 'summary');
    const k = fmtLabels(labels);
    const v = f.values.get(k);
    if (v) {
      v.value++;
      v.sum! += seconds;
      v.max = Math.max(v.max!, seconds);
    } else f.values.set(k, { labels, value: 1, sum: seconds, max: seconds });
  }

  /** A gauge computed at scrape time (lag, RocksDB size…). */
  gauge(name: string, help: string, collect: NonNullable<Family['collect']>): void {
    this.family(name, help, 'gauge').collect = collect;
  }

  get(name: string, labels: Labels = {}): number | undefined {
    return this.families.get(name)?.values.get(fmtLabels(labels))?.value;
  }

  async render(): Promise<string> {
    const lines: string[] = [];
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      if (f.type === 'summary') {
        for (const v of f.values.values()) {
          lines.push(`${f.name}_count${fmtLabels(v.labels)} ${v.value}`, `${f.name}_sum${fmtLabels(v.labels)} ${v.sum}`);
          lines.push(`${f.name}_max${fmtLabels(v.labels)} ${v.max}`);
        }
        continue;
      }
      for (const v of f.values.values()) lines.push(`${f.name}${fmtLabels(v.labels)} ${v.value}`);
      if (f.collect) {
        try {
          for (const v of await f.collect()) lines.push(`${f.name}${fmtLabels(v.labels)} ${v.value}`);
        } catch {
          /* a collector that fails is skipped for this scrape */
        }
      }
    }
    return lines.join('\n') + '\n';
  }
}
