/**
 * Issue 16 item 4 on the real broker: a processor's counters count records once. The first
 * commits fail after their units were folded (exactly-once: the transaction's commit throws and
 * is aborted; at-least-once: the produce throws), so the task restarts and folds the same records
 * again; the counter still ends at the number of records, and the retries show in their own
 * counters.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import type { KafkaPort } from '../../src/runtime/kafka/port.ts';
import type { ProcessorDef } from '../../src/runtime/processor.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-counts');
const dataDir = tempDir('counts');
after(async () => {
  await port.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const FOLDED = 'dkg_stream_test_folded_total';

/**
 * The real port, whose first `fault.left` commits fail after the unit was folded: a transaction's
 * commit throws after its records were sent (it is aborted), a plain produce throws before it sends.
 */
function failingCommits(real: KafkaPort, fault: { left: number; hits: number }): KafkaPort {
  const fail = () => {
    if (fault.left <= 0) return;
    fault.left--;
    fault.hits++;
    throw new Error('injected: the commit failed');
  };
  return {
    ...real,
    admin: () => real.admin(),
    groupConsumer: (o) => real.groupConsumer(o),
    read: (o) => real.read(o),
    partitionFor: (k, n) => real.partitionFor(k, n),
    async transactionalProducer(id) {
      const p = await real.transactionalProducer(id);
      return {
        transactionalId: p.transactionalId,
        close: () => p.close(),
        async begin() {
          const txn = await p.begin();
          return {
            send: (r) => txn.send(r),
            sendOffsets: (g, o) => txn.sendOffsets(g, o),
            abort: () => txn.abort(),
            async commit() {
              fail();
              await txn.commit();
            },
          };
        },
      };
    },
    async producer() {
      const p = await real.producer();
      return {
        close: () => p.close(),
        async send(r) {
          fail();
          return p.send(r);
        },
      };
    },
  };
}

function counting(input: string, output: string): ProcessorDef<string> {
  const inner = countProcessor({ input, output });
  return {
    ...inner,
    async process(ctx, id, record) {
      ctx.count(FOLDED, 'Records folded (test)', {});
      await inner.process(ctx, id, record);
    },
  };
}

for (const guarantee of ['exactly_once', 'at_least_once'] as const) {
  test(`${guarantee}: a unit folded again after its commit failed is counted once`, { timeout: 120_000 }, async (t) => {
    const app = unique('counts');
    const input = unique('counts-in');
    const output = unique('counts-out');
    const admin = await port.admin();
    await admin.createTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
    ]);
    const N = 300;
    const producer = await port.producer();
    await producer.send(Array.from({ length: N }, (_, i) => ({ topic: input, key: Buffer.from(`k${i % 7}`), value: Buffer.from(`id-${i}`) })));
    await producer.close();

    const fault = { left: 2, hits: 0 };
    const rt = new StreamRuntime({
      port: failingCommits(port, fault),
      processor: counting(input, output),
      applicationId: app,
      dataDir,
      dlqTopic: unique('counts-dlq'),
      guarantee,
      commitIntervalMs: 100,
      sessionTimeoutMs: 6000,
    });
    t.after(() => rt.stop());
    await rt.ensureTopics();
    await rt.start();
    const name = rt.processorName;
    await waitFor('every record consumed and committed', () => (rt.metrics.get('dkg_stream_consumed_records_total', { processor: name }) === N && rt.ready() ? true : undefined), 90_000);
    assert.equal(fault.hits, 2, 'two commits failed after their units were folded');
    assert.equal(rt.metrics.get(FOLDED), N, 'each record counted once, although some were folded twice');
    assert.ok((rt.metrics.get('dkg_stream_task_failures_total', { processor: name }) ?? 0) >= 2, 'the failures are counted, separately');
    assert.ok((rt.metrics.get('dkg_stream_retries_total', { processor: name, reason: 'transaction' }) ?? 0) >= 2, 'the retries are counted, separately');
  });
}

test('a count the metrics refuse does not fail the committed unit it came with (no task restarts)', { timeout: 120_000 }, async (t) => {
  const app = unique('counts-bad');
  const input = unique('counts-bad-in');
  const output = unique('counts-bad-out');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: output, partitions: 2 },
  ]);
  const N = 100;
  const producer = await port.producer();
  await producer.send(Array.from({ length: N }, (_, i) => ({ topic: input, key: Buffer.from(`k${i % 7}`), value: Buffer.from(`id-${i}`) })));
  await producer.close();
  const inner = countProcessor({ input, output });
  const rt = new StreamRuntime({
    port,
    processor: {
      ...inner,
      async process(ctx, id, record) {
        ctx.count(FOLDED, 'Records folded (test)', {});
        ctx.count('test_unprefixed_total', 'Not a dkg_stream_ name (a processor bug)');
        await inner.process(ctx, id, record);
      },
    },
    applicationId: app,
    dataDir,
    dlqTopic: unique('counts-bad-dlq'),
    sessionTimeoutMs: 6000,
  });
  t.after(() => rt.stop());
  await rt.ensureTopics();
  await rt.start();
  const name = rt.processorName;
  await waitFor('every record consumed and committed', () => (rt.metrics.get('dkg_stream_consumed_records_total', { processor: name }) === N && rt.ready() ? true : undefined), 90_000);
  assert.equal(rt.metrics.get('dkg_stream_task_failures_total', { processor: name }), undefined, 'no task failed on a refused count');
  assert.equal(rt.metrics.get(FOLDED), N);
  assert.equal(rt.metrics.get('dkg_stream_count_errors_total', { name: 'test_unprefixed_total' }), N, 'each refused count is reported');
});
