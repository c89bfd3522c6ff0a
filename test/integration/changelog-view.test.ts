/**
 * ChangelogView on the real broker: a writer sees the fold of its own record without a runtime
 * of its own (what the DKG participant needs when dkg-journal runs in other processes). The view
 * asks only Kafka: the wait ends when the group committed past the record and the view read the
 * changelogs up to that fold; with no instance running it times out, and it resolves once another
 * instance (a new runtime, fresh data directory) takes the partitions over.
 *
 * The second test pins the read-your-writes race the short soak found: the group's offset can be
 * visible before the changelog records of the same transaction are, and the view must not answer
 * from the state before the fold in that moment.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import { ChangelogView } from '../../src/runtime/changelog-view.ts';
import { FoldTimeout, StreamRuntime } from '../../src/runtime/runtime.ts';
import { decodeU64 } from '../../src/state/keys.ts';
import { dataKey, encodeInputOffsets, INPUT_OFFSETS_KEY, tpKey } from '../../src/state/store.ts';
import { lifo, newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

test('ChangelogView: read-your-writes through instances elsewhere, across an instance change', { timeout: 240_000 }, async (t) => {
  const cleanup = lifo(t);
  const port = newPort('dkg-test-changelog-view');
  cleanup(() => port.close());
  const dataDir = tempDir('changelog-view');
  cleanup(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = unique('app');
  const input = unique('in');
  const def = countProcessor({ input, output: unique('out') });
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 2 },
    { topic: def.outputs![0]!, partitions: 2 },
  ]);
  const runtime = (dir: string) => new StreamRuntime({ port, processor: def, applicationId: app, dataDir: join(dataDir, dir), dlqTopic: unique('dlq'), sessionTimeoutMs: 6000 });
  let rt = runtime('a');
  cleanup(() => rt.stop());
  await rt.ensureTopics();
  await rt.start();

  const view = new ChangelogView({ port, groupId: rt.groupId, changelogs: new Map([['counts', rt.changelogTopic('counts')]]) });
  cleanup(() => view.stop());
  await view.start();
  const producer = await port.producer();
  cleanup(() => producer.close());
  const count = async (key: string): Promise<bigint> => {
    for (const p of [0, 1]) {
      const v = await view.store('counts', p)!.get(Buffer.from(key));
      if (v) return decodeU64(v);
    }
    return 0n;
  };
  const write = (key: string, id: string) => producer.send([{ topic: input, key: Buffer.from(key), value: Buffer.from(id) }]);

  // Each append is visible in the view as soon as the wait resolves: no polling of any store.
  for (let i = 1; i <= 5; i++) {
    const produced = await write(i % 2 ? 'odd' : 'even', `id-${i}`);
    await view.waitForFold(produced, 60_000);
    assert.equal(await count(i % 2 ? 'odd' : 'even'), BigInt(Math.ceil(i / 2)), `after write ${i}`);
  }

  // No instance: the fold cannot be seen, the wait ends with a FoldTimeout.
  await rt.stop();
  const pending = await write('odd', 'id-6');
  await assert.rejects(view.waitForFold(pending, 3000), FoldTimeout);

  // Another instance with an empty data directory restores from the changelog and folds it.
  rt = runtime('b');
  await rt.start();
  await view.waitForFold(pending, 90_000);
  assert.equal(await count('odd'), 4n);
  assert.equal(await count('even'), 2n);
});

test("ChangelogView: a committed group offset alone does not end the wait; the unit's position record in the changelog does", { timeout: 120_000 }, async (t) => {
  const cleanup = lifo(t);
  const port = newPort('dkg-test-changelog-view-race');
  cleanup(() => port.close());
  const input = unique('in');
  const changelog = unique('changelog');
  const group = unique('group');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 1 },
    { topic: changelog, partitions: 1 },
  ]);
  const producer = await port.producer();
  cleanup(() => producer.close());
  const [written] = await producer.send([{ topic: input, key: Buffer.from('k'), value: Buffer.from('v') }]);
  const target = { topic: input, partition: 0, lastOffset: written!.lastOffset };

  const view = new ChangelogView({ port, groupId: group, changelogs: new Map([['s', changelog]]) });
  cleanup(() => view.stop());
  await view.start();

  // The moment the soak hit: the group's offset is past the record, the changelog shows nothing
  // of the unit yet (its end offset is 0). The view's state does not reflect the fold.
  await admin.setGroupOffsets(group, input, [{ partition: 0, offset: target.lastOffset + 1 }]);
  let resolved = false;
  const wait = view.waitForFold([target], 60_000).then(() => {
    resolved = true;
  });
  cleanup(() => wait.catch(() => {}));

  // The unit's change arrives, then a position record that does not pass the record yet, then
  // another change: the view applies all three and still has no proof that the unit is in.
  const key = Buffer.from('k');
  const later = Buffer.from('later');
  await producer.send([
    { topic: changelog, partition: 0, key: dataKey(key), value: Buffer.from('folded') },
    { topic: changelog, partition: 0, key: INPUT_OFFSETS_KEY, value: encodeInputOffsets({ [tpKey(input, 0)]: target.lastOffset }) },
    { topic: changelog, partition: 0, key: dataKey(later), value: Buffer.from('x') },
  ]);
  await waitFor('the changes in the view', async () => (await view.store('s', 0)!.get(later)) ?? undefined);
  assert.equal(resolved, false, 'the wait ended without a position record past the record');

  await producer.send([{ topic: changelog, partition: 0, key: INPUT_OFFSETS_KEY, value: encodeInputOffsets({ [tpKey(input, 0)]: target.lastOffset + 1 }) }]);
  await wait;
  assert.equal((await view.store('s', 0)!.get(key))?.toString(), 'folded');
});
