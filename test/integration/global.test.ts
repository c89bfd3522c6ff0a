/**
 * Global tables on the real broker: bootstrap to the end offsets, then tailing (updates and
 * overwrites visible, listeners called), then a restart reads only the records appended since.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { GlobalTable } from '../../src/runtime/global.ts';
import type { InRecord } from '../../src/runtime/kafka/port.ts';
import { newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-global');
const dataDir = tempDir('global');
after(async () => {
  await port.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('global table: bootstrap, tailing, restart reads only the new records', { timeout: 120_000 }, async (t) => {
  const topic = unique('g');
  const admin = await port.admin();
  await admin.createTopics([{ topic, partitions: 2, configs: { 'cleanup.policy': 'compact' } }]);
  const prod = await port.producer();
  t.after(() => prod.close());
  const put = (entries: Array<[string, string]>) => prod.send(entries.map(([k, v]) => ({ topic, key: Buffer.from(k), value: Buffer.from(v) })));
  const value = async (t: GlobalTable, k: string) => (await t.get(Buffer.from(k)))?.toString();
  await put(Array.from({ length: 20 }, (_, i) => [`k${i}`, `v${i}`] as [string, string]));

  // Bootstrap: start() resolves once caught up with what was there.
  const a = new GlobalTable(port, topic, dataDir);
  t.after(() => a.close()); // close is idempotent: also when an assertion fails first
  let bootTotal = -1;
  await a.start((_restored, total) => (bootTotal = total));
  assert.equal(bootTotal, 20);
  for (let i = 0; i < 20; i++) assert.equal(await value(a, `k${i}`), `v${i}`);
  const all: string[] = [];
  for await (const [k] of a.range()) all.push(k.toString());
  assert.equal(all.length, 20);

  // Tailing: new keys and overwrites arrive, listeners see them.
  const seen: InRecord[] = [];
  a.onUpdate((rs) => seen.push(...rs));
  await put([
    ['k0', 'v0-new'],
    ['k20', 'v20'],
  ]);
  await waitFor('tailed updates', async () => ((await value(a, 'k0')) === 'v0-new' && (await value(a, 'k20')) === 'v20' ? true : undefined), 30_000);
  assert.ok(seen.some((r) => r.key?.toString() === 'k20'));
  await a.close();

  // Restart on the same directory: only what was appended while it was down is read.
  await put([
    ['k1', 'v1-new'],
    ['k21', 'v21'],
    ['k22', 'v22'],
  ]);
  const b = new GlobalTable(port, topic, dataDir);
  t.after(() => b.close());
  let restored = -1;
  await b.start((r) => (restored = r));
  assert.equal(restored, 3, 'only the 3 records appended since the stop');
  assert.equal(await value(b, 'k0'), 'v0-new');
  assert.equal(await value(b, 'k1'), 'v1-new');
  assert.equal(await value(b, 'k22'), 'v22');
  assert.equal(await value(b, 'k5'), 'v5');
  await b.close();
  await prod.close();
});
