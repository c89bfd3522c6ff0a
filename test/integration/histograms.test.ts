/**
 * Issue 18 item 5: the restore and end-to-end histograms, scraped from /metrics on the real
 * broker. Every task start observes `dkg_stream_restore_seconds` (a restart that rebuilds its
 * stores from the changelog too); every committed unit observes `dkg_stream_end_to_end_seconds`
 * from its oldest input record's timestamp, so records produced with a timestamp two minutes in
 * the past land above the 60 s bucket and none below.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import { startOpsServer } from '../../src/runtime/http.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { lifo, newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-histograms');
const dataDir = tempDir('histograms');
after(async () => {
  await port.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The value of one sample line of the exposition (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}

test('restore and end-to-end latency histograms are exported and measure what they say', { timeout: 120_000 }, async (t) => {
  const defer = lifo(t);
  const app = unique('hist');
  const input = unique('hist-in');
  const output = unique('hist-out');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: output, partitions: 2 },
  ]);
  const N = 40;
  const AGE_MS = 120_000;
  const producer = await port.producer();
  defer(() => producer.close());
  const old = Date.now() - AGE_MS;
  await producer.send(Array.from({ length: N }, (_, i) => ({ topic: input, key: Buffer.from(`k${i % 5}`), value: Buffer.from(`id-${i}`), timestamp: old })));

  const metrics = new Metrics();
  const runtime = () => new StreamRuntime({ port, processor: countProcessor({ input, output }), applicationId: app, dataDir, dlqTopic: unique('hist-dlq'), metrics, sessionTimeoutMs: 6000 });
  const rt = runtime();
  defer(() => rt.stop());
  await rt.ensureTopics();
  const ops = await startOpsServer({ port: 0, host: '127.0.0.1', kafka: port, runtimes: [rt], metrics: [metrics], queries: new Map() });
  defer(() => ops.close());
  await rt.start();
  const proc = { processor: rt.processorName };
  await waitFor('every record committed', () => (metrics.get('dkg_stream_consumed_records_total', proc) === N && rt.ready() ? true : undefined), 60_000);

  const text = await (await fetch(`${ops.url}/metrics`)).text();
  assert.match(text, /^# TYPE dkg_stream_restore_seconds histogram$/m);
  assert.match(text, /^# TYPE dkg_stream_end_to_end_seconds histogram$/m);
  assert.equal(sample(text, 'dkg_stream_restore_seconds_count', proc), 2, 'one restore per task (two partitions)');
  const units = sample(text, 'dkg_stream_end_to_end_seconds_count', proc)!;
  assert.ok(units >= 1 && units <= N, `one observation per committed unit (${units})`);
  assert.equal(sample(text, 'dkg_stream_end_to_end_seconds_bucket', { ...proc, le: '60' }), 0, 'every unit is at least two minutes behind its input');
  assert.equal(sample(text, 'dkg_stream_end_to_end_seconds_bucket', { ...proc, le: '+Inf' }), units);
  assert.ok(sample(text, 'dkg_stream_end_to_end_seconds_sum', proc)! >= (units * AGE_MS) / 1000);

  // A restart with the local state wiped restores the stores from the changelog: another observation each.
  await rt.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const again = runtime();
  defer(() => again.stop());
  await again.start();
  await waitFor('ready again', () => (again.ready() && again.assignedPartitions().length === 2 ? true : undefined), 60_000);
  assert.equal(metrics.get('dkg_stream_consumed_records_total', proc), N, 'nothing folded again');
  const after = await (await fetch(`${ops.url}/metrics`)).text();
  assert.equal(sample(after, 'dkg_stream_restore_seconds_count', proc), 4);
  assert.ok((metrics.get('dkg_stream_restored_records_total', { ...proc, store: 'counts' }) ?? 0) > 0, 'the second start restored records');
});
