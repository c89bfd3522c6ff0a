/**
 * ops/grafana/dkg-stream.json shows only metrics that exist: every metric a panel queries is named
 * by the code (a `'dkg_stream_…'` literal in src/) or is one of the default process metrics that
 * `new Metrics({ process: true })` exports; histogram panels query a histogram's `_bucket`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../../src/paths.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') ? [p] : [];
  });
}

test('every metric on the Grafana dashboard is exported by dkg-stream', async () => {
  const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'ops', 'grafana', 'dkg-stream.json'), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };
  const coded = new Set<string>();
  for (const f of sources(join(REPO_ROOT, 'src'))) for (const m of readFileSync(f, 'utf8').matchAll(/'(dkg_stream_[a-z0-9_]+)'/g)) coded.add(m[1]!);
  const defaults = new Set([...(await new Metrics({ process: true }).render()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  const histograms = new Set(['dkg_stream_commit_seconds']);
  assert.ok(coded.has('dkg_stream_commit_seconds') && defaults.has('dkg_stream_process_cpu_seconds_total'), 'the name sets were found');

  let queried = 0;
  for (const panel of dashboard.panels) {
    assert.ok(panel.targets.length > 0, `${panel.title} has a query`);
    for (const { expr } of panel.targets) {
      for (const [name] of expr.matchAll(/\bdkg_stream_[a-z0-9_]+/g)) {
        queried++;
        const base = name.replace(/_(bucket|sum|count)$/, '');
        if (name.endsWith('_bucket')) assert.ok(histograms.has(base) || coded.has(base), `${panel.title}: ${name} is a histogram's buckets`);
        assert.ok(coded.has(name) || coded.has(base) || defaults.has(name), `${panel.title}: ${name} is not exported by dkg-stream`);
      }
    }
  }
  assert.ok(queried >= dashboard.panels.length);
});
