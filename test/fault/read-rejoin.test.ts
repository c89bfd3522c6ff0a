/**
 * Found by the chaos soak (issue 19): a tailing `KafkaPort.read` whose consumer lost its group
 * (broker down longer than the session) rejoined at the latest offset — its throwaway group
 * commits nothing — and skipped every record it had not read yet; a ChangelogView (and a global
 * table) then waited for ever or missed records. The read must go on from its own position.
 * Runs on a broker of its own (test/support/own-broker.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KafkajsPort } from '../../src/runtime/kafka/kafkajs.ts';
import { startOwnBroker } from '../support/own-broker.ts';
import { lifo, unique, waitFor } from '../support/runtime.ts';

test('a tailing read that rejoins after a broker outage reads on from its position, skipping nothing', { timeout: 300_000 }, async (t) => {
  const cleanup = lifo(t);
  const broker = await startOwnBroker((l) => t.diagnostic(l));
  cleanup(() => broker.close());
  const port = new KafkajsPort({ brokers: broker.brokers, clientId: 'dkg-test-read-rejoin' });
  cleanup(() => port.close());
  const topic = unique('rr');
  await (await port.admin()).createTopics([{ topic, partitions: 1 }]);
  const send = async (from: number, n: number) => {
    const p = await port.producer();
    await p.send(Array.from({ length: n }, (_, i) => ({ topic, key: null, value: Buffer.from(String(from + i)) })));
    await p.close();
  };
  await send(0, 50);

  const seen: number[] = [];
  let gate: Promise<void> | undefined;
  let open!: () => void;
  const h = await port.read({
    topic,
    from: new Map([[0, 0]]),
    onRecords: async (_p, records) => {
      for (const r of records) seen.push(Number(r.value!.toString()));
      // The first batch holds the consumer (no heartbeat) while the broker goes down and up and
      // more records arrive: the group forgets the member, which must rejoin.
      if (!gate) {
        gate = new Promise<void>((r) => (open = r));
        await gate;
      }
    },
  });
  cleanup(() => h.stop());
  await waitFor('the first batch', () => (gate ? true : undefined), 60_000);
  await broker.kill();
  await broker.start();
  await send(50, 50);
  // The held consumer sends no heartbeat: once its session runs out the group forgets it.
  const admin = await port.admin();
  await waitFor(
    'the reader to lose its group membership',
    async () => {
      const g = await admin.describeGroup(h.groupId!).catch(() => undefined); // the coordinator may still be loading
      return g?.state === 'Empty' && g.members.length === 0 ? true : undefined;
    },
    120_000,
  );
  open();
  await waitFor('every record read', () => (seen.length >= 100 ? true : undefined), 120_000);
  assert.deepEqual(
    seen,
    Array.from({ length: 100 }, (_, i) => i),
    'every record once, in order, none skipped',
  );
});
