/**
 * The metrics exposition is valid Prometheus text (format 0.0.4), checked by a strict parser of
 * that format: every sample belongs to a family declared once with HELP and TYPE, sample names fit
 * the family's type (histograms: _bucket with ascending `le` ending in +Inf, _sum, _count equal to
 * the +Inf bucket), label sets are well formed and values are numbers; and every family carries
 * the one `dkg_stream_` prefix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { METRIC_PREFIX, Metrics } from '../../../src/runtime/metrics.ts';

interface Family {
  help?: string;
  type?: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\["\\n])*)"\s*(,|$)/y;

/** Parses exposition text strictly; throws on the first line that is not valid. */
function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith('\n'), 'exposition ends with a newline');
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  const owner = (sample: string): string => {
    if (families.has(sample)) return sample;
    for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created']) {
      if (sample.endsWith(suffix) && families.has(sample.slice(0, -suffix.length))) return sample.slice(0, -suffix.length);
    }
    throw new Error(`sample ${sample} belongs to no declared family`);
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      assert.match(name, NAME, `metric name ${name}`);
      const f = family(name);
      if (kind === 'HELP') {
        assert.equal(f.help, undefined, `HELP of ${name} given twice`);
        f.help = rest;
      } else {
        assert.equal(f.type, undefined, `TYPE of ${name} given twice`);
        assert.equal(f.samples.length, 0, `TYPE of ${name} after its samples`);
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest), `TYPE ${rest} of ${name}`);
        f.type = rest;
      }
      continue;
    }
    assert.ok(!line.startsWith('#'), `comment line ${line}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < m[3].length) {
        const l = LABEL.exec(m[3]);
        assert.ok(l, `labels of ${line}`);
        assert.equal(labels[l[1]!], undefined, `label ${l[1]} twice in ${line}`);
        labels[l[1]!] = l[2]!;
        if (l[3] === '') break;
      }
    }
    const raw = m[4]!;
    const value = raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw);
    assert.ok(raw === 'NaN' || !Number.isNaN(value), `value ${raw} in ${line}`);
    family(owner(m[1]!)).samples.push({ name: m[1]!, labels, value });
  }
  for (const [name, f] of families) {
    assert.ok(f.type, `${name} has a TYPE`);
    assert.ok(f.help !== undefined, `${name} has a HELP`);
    if (f.type === 'histogram') checkHistogram(name, f);
    else if (f.type !== 'summary') for (const s of f.samples) assert.equal(s.name, name, `${f.type} ${name} has a sample named ${s.name}`);
  }
  return families;
}

function checkHistogram(name: string, f: Family): void {
  const series = new Map<string, { le: number[]; counts: number[]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let ser = series.get(key);
    if (!ser) series.set(key, (ser = { le: [], counts: [] }));
    if (s.name === `${name}_bucket`) {
      assert.ok(le !== undefined, `${name}_bucket has le`);
      ser.le.push(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le));
      ser.counts.push(s.value);
    } else if (s.name === `${name}_sum`) ser.sum = s.value;
    else if (s.name === `${name}_count`) ser.count = s.value;
    else assert.fail(`histogram ${name} has a sample named ${s.name}`);
  }
  for (const ser of series.values()) {
    assert.ok(ser.le.length > 0 && ser.le.at(-1) === Number.POSITIVE_INFINITY, `${name} ends with le="+Inf"`);
    for (let i = 1; i < ser.le.length; i++) {
      assert.ok(ser.le[i]! > ser.le[i - 1]!, `${name} buckets ascend`);
      assert.ok(ser.counts[i]! >= ser.counts[i - 1]!, `${name} bucket counts are cumulative`);
    }
    assert.equal(ser.count, ser.counts.at(-1), `${name}_count equals the +Inf bucket`);
    assert.ok(ser.sum !== undefined, `${name}_sum present`);
  }
}

test('the exposition is valid Prometheus text: counters, gauges, scrape-time gauges, histograms, process metrics', async () => {
  const m = new Metrics({ process: true });
  m.inc('dkg_stream_consumed_records_total', 'Records consumed', { processor: 'follow', partition: 0 }, 5);
  m.inc('dkg_stream_consumed_records_total', 'Records consumed', { processor: 'follow', partition: 1 });
  m.inc('dkg_stream_dlq_records_total', 'Dead letters', { processor: 'x', reason: 'quote " back\\slash\nnewline' });
  m.set('dkg_stream_follow_pruned_below_height', 'Horizon', { partition: 2 }, 12);
  m.gauge('dkg_stream_consumer_lag', 'Lag', () => [
    { labels: { processor: 'follow', partition: 0 }, value: 3 },
    { labels: { processor: 'follow', partition: 1 }, value: 0 },
  ]);
  m.gauge('dkg_stream_broken_gauge', 'A collector that throws reports nothing', () => {
    throw new Error('unavailable');
  });
  for (const s of [0.001, 0.004, 0.2, 7]) m.observe('dkg_stream_commit_seconds', 'Commit latency', { processor: 'follow' }, s);
  m.observe('dkg_stream_restore_seconds', 'Restore time', { processor: 'follow', store: 's' }, 0.3);

  const families = parseExposition(await m.render());
  for (const name of families.keys()) assert.ok(name.startsWith(METRIC_PREFIX), `${name} has the ${METRIC_PREFIX} prefix`);

  const consumed = families.get('dkg_stream_consumed_records_total')!;
  assert.equal(consumed.type, 'counter');
  assert.deepEqual(
    consumed.samples.map((s) => [s.labels.partition, s.value]),
    [
      ['0', 5],
      ['1', 1],
    ],
  );
  assert.equal(families.get('dkg_stream_dlq_records_total')!.samples[0]!.labels.reason, 'quote \\" back\\\\slash\\nnewline');
  assert.deepEqual(
    families.get('dkg_stream_consumer_lag')!.samples.map((s) => s.value),
    [3, 0],
  );
  assert.equal(families.get('dkg_stream_broken_gauge')!.samples.length, 0);

  const commit = families.get('dkg_stream_commit_seconds')!;
  assert.equal(commit.type, 'histogram');
  const bucket = (le: string) => commit.samples.find((s) => s.name === 'dkg_stream_commit_seconds_bucket' && s.labels.le === le)!.value;
  assert.equal(bucket('0.002'), 1);
  assert.equal(bucket('0.005'), 2);
  assert.equal(bucket('0.25'), 3);
  assert.equal(bucket('+Inf'), 4);
  assert.ok(Math.abs(commit.samples.find((s) => s.name === 'dkg_stream_commit_seconds_sum')!.value - 7.205) < 1e-9);

  // Default process and Node.js runtime metrics, under the same prefix.
  assert.ok(families.has('dkg_stream_process_cpu_seconds_total'), 'process CPU');
  assert.ok(families.has('dkg_stream_process_resident_memory_bytes'), 'process RSS');
  assert.ok(families.has('dkg_stream_nodejs_eventloop_lag_seconds'), 'event loop lag');
});

test('the strict parser rejects what is not valid exposition text', () => {
  assert.throws(() => parseExposition('# HELP a x\n# TYPE a summary\na_max 1\n'), /summary|belongs|sample/);
  assert.throws(() => parseExposition('a 1\n'), /belongs to no declared family/);
  assert.throws(() => parseExposition('# HELP a x\n# TYPE a counter\na{x="1} 1\n'), /labels|sample line/);
  assert.throws(() => parseExposition('# HELP a x\n# TYPE a histogram\na_bucket{le="1"} 2\na_bucket{le="+Inf"} 1\na_sum 1\na_count 1\n'), /cumulative/);
  assert.throws(() => parseExposition('# HELP a x\n# TYPE a gauge\n# TYPE a gauge\n'), /twice/);
});

test('metrics refuse a name without the dkg_stream_ prefix and a changed kind; get() mirrors counters and gauges', () => {
  const m = new Metrics();
  assert.throws(() => m.inc('follow_records_total', 'x'), /must start with dkg_stream_/);
  m.inc('dkg_stream_x_total', 'x', { a: 1 }, 2);
  m.inc('dkg_stream_x_total', 'x', { a: 1 });
  assert.equal(m.get('dkg_stream_x_total', { a: 1 }), 3);
  assert.equal(m.get('dkg_stream_x_total', { a: 2 }), undefined);
  assert.throws(() => m.set('dkg_stream_x_total', 'x', { a: 1 }, 1), /is a counter, not a gauge/);
  m.set('dkg_stream_g', 'g', { p: 0 }, 7);
  m.set('dkg_stream_g', 'g', { p: 0 }, 4);
  assert.equal(m.get('dkg_stream_g', { p: 0 }), 4);
  // Two instances never share state (one registry each).
  assert.equal(new Metrics().get('dkg_stream_x_total', { a: 1 }), undefined);
});
