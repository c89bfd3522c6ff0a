/**
 * The back-off between task restarts cannot be bypassed by records arriving. An outage fails
 * every transaction's commit while records keep flowing into both partitions: after the n-th
 * failure in a row (n ≥ 2) the partition's next task starts no earlier than restartBackoffMs(n)
 * later (before the fix, the next batch re-created the task at once, as fast as it could fence
 * and restore), and its inputs stay paused meanwhile (no stream of batches fetched and refused).
 * Real broker; the fault is injected into the runtime's producers, batches are traced at the consumer.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import type { KafkaPort } from '../../src/runtime/kafka/port.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { restartBackoffMs } from '../../src/runtime/task-manager.ts';
import { lifo, newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-backoff');
const dataDir = tempDir('backoff');
after(async () => {
  await port.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Per partition: when each task started (its transactional producer was created), when each commit failed, when each batch was delivered. */
interface Trace {
  starts: number[];
  failures: number[];
  batches: number[];
}

/** The real port; while `fault.on`, every transaction's commit fails (an outage), and starts and failures are traced. */
function outagePort(real: KafkaPort, fault: { on: boolean }, trace: Map<number, Trace>): KafkaPort {
  const of = (id: string) => {
    const p = Number(id.slice(id.lastIndexOf('-') + 1));
    return trace.get(p) ?? trace.set(p, { starts: [], failures: [], batches: [] }).get(p)!;
  };
  return {
    admin: () => real.admin(),
    producer: () => real.producer(),
    groupConsumer: (o) =>
      new Proxy(real.groupConsumer(o), {
        get(target, prop) {
          if (prop === 'start')
            return (handler: Parameters<typeof target.start>[0]) =>
              target.start((batch, ctl) => {
                of(`-${batch.partition}`).batches.push(Date.now());
                return handler(batch, ctl);
              });
          const v = Reflect.get(target, prop);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      }),
    read: (o) => real.read(o),
    partitionFor: (k, n) => real.partitionFor(k, n),
    async transactionalProducer(id) {
      const t = of(id);
      t.starts.push(Date.now());
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
              if (fault.on) {
                t.failures.push(Date.now());
                throw Object.assign(new Error('injected outage: the broker is unreachable'), { name: 'KafkaJSConnectionError' });
              }
              await txn.commit();
            },
          };
        },
      };
    },
  };
}

test('records flowing during an outage do not bypass the task restart back-off', { timeout: 180_000 }, async (t) => {
  const defer = lifo(t);
  const app = unique('backoff');
  const input = unique('backoff-in');
  const output = unique('backoff-out');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: output, partitions: 2 },
  ]);
  const fault = { on: false };
  const trace = new Map<number, Trace>();
  const rt = new StreamRuntime({
    port: outagePort(port, fault, trace),
    processor: countProcessor({ input, output }),
    applicationId: app,
    dataDir,
    dlqTopic: unique('backoff-dlq'),
    sessionTimeoutMs: 6000,
  });
  defer(() => rt.stop());
  await rt.ensureTopics();
  await rt.start();
  await waitFor('ready', () => (rt.ready() && rt.assignedPartitions().length === 2 ? true : undefined), 60_000);

  // Records keep arriving on both partitions for the whole outage.
  const producer = await port.producer();
  defer(() => producer.close());
  let sent = 0;
  let flowing = true;
  const flow = (async () => {
    while (flowing) {
      await producer.send([0, 1].map((partition) => ({ topic: input, partition, key: Buffer.from(`k${partition}`), value: Buffer.from(`id-${sent++}`) })));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  defer(async () => {
    flowing = false;
    await flow;
  });

  fault.on = true;
  const FAILURES = 7;
  await waitFor(`${FAILURES} failed commits in a row on both partitions`, () => ([0, 1].every((p) => (trace.get(p)?.failures.length ?? 0) >= FAILURES) ? true : undefined), 120_000);
  fault.on = false;
  flowing = false;
  await flow;

  for (const p of [0, 1]) {
    const { starts, failures, batches } = trace.get(p)!;
    // Failure n (1-based) is followed by start n + 1 of the task (the first start was before the outage).
    for (let n = 2; n < FAILURES; n++) {
      const next = starts.find((s) => s >= failures[n - 1]!);
      assert.ok(next !== undefined, `partition ${p}: a task started after failure ${n}`);
      const waited = next - failures[n - 1]!;
      assert.ok(waited >= restartBackoffMs(n), `partition ${p}: after failure ${n} in a row the task restarted after ${waited} ms, before its back-off of ${restartBackoffMs(n)} ms`);
      // The partition is paused meanwhile: at most a batch or two fetched before the pause reach
      // the runtime (refused, fetched again later), not a stream of refetches.
      const during = batches.filter((b) => b > failures[n - 1]! && b < next).length;
      assert.ok(during <= 3, `partition ${p}: ${during} batches delivered during the ${waited} ms back-off after failure ${n}`);
    }
  }
  // The outage is over: everything sent is folded and committed.
  await waitFor('every record committed', () => (rt.metrics.get('dkg_stream_consumed_records_total', { processor: rt.processorName }) === sent && rt.ready() ? true : undefined), 60_000);
});
