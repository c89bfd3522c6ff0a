/**
 * Issue 15 item 5: two instances, each with its ops server bound to every interface and
 * advertising a URL on the machine's non-loopback address; a store query for a key owned by the
 * other instance answers 404 with the owner's advertised URL of that key, and that URL answers
 * (from this host, over the non-loopback address, i.e. as another host would reach it).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { countProcessor } from '../../src/runtime/builtin.ts';
import { startOpsServer } from '../../src/runtime/http.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { countOf, referenceCounts } from '../support/count-check.ts';
import { newPort, tempDir, unique, waitFor } from '../support/runtime.ts';

const port = newPort('dkg-test-ops-reach');
const dir = tempDir('ops-reach');
after(async () => {
  await port.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A free TCP port (bound once to learn a number, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '0.0.0.0', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

test('a 404 for a key owned by the other instance names its advertised URL, and that URL answers', { timeout: 180_000 }, async (t) => {
  // The machine's first non-loopback IPv4 address; loopback only when there is none.
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  if (!lan) t.diagnostic('no non-loopback IPv4 interface: using 127.0.0.1');
  const host = lan ?? '127.0.0.1';
  const app = unique('or');
  const input = unique('or-in');
  const output = unique('or-out');
  const dlq = unique('or-dlq');
  const admin = await port.admin();
  await admin.createTopics([
    { topic: input, partitions: 4 },
    { topic: output, partitions: 4 },
  ]);
  const def = countProcessor({ input, output });
  const instance = async (name: string) => {
    const httpPort = await freePort();
    const url = `http://${host}:${httpPort}`;
    const rt = new StreamRuntime({ port, processor: def, applicationId: app, dataDir: join(dir, name), dlqTopic: dlq, endpoint: url, sessionTimeoutMs: 6000 });
    t.after(() => rt.stop());
    const ops = await startOpsServer({
      port: httpPort,
      host: '0.0.0.0',
      kafka: port,
      runtimes: [rt],
      metrics: [rt.metrics],
      queries: new Map([['counts', { runtime: rt, store: 'counts', partitions: 4 }]]),
    });
    t.after(() => ops.close());
    await rt.ensureTopics();
    await rt.start();
    return { rt, url };
  };
  const a = await instance('a');
  const b = await instance('b');
  await waitFor('partitions split', () => (a.rt.assignedPartitions().length === 2 && b.rt.assignedPartitions().length === 2 ? true : undefined), 90_000);

  const inputs = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 17}`, value: `id-${i}` }));
  const prod = await port.producer();
  await prod.send(inputs.map((r) => ({ topic: input, key: Buffer.from(r.key), value: Buffer.from(r.value) })));
  await prod.close();
  const ref = referenceCounts(inputs);
  const get = async (url: string) => {
    const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return { status: r.status, body: (await r.json()) as { partition: number; value?: string; owner?: { endpoint: string; url: string } } };
  };
  await waitFor(
    'every key folded on its owner',
    async () => {
      for (const [k, n] of ref) {
        const hex = Buffer.from(k).toString('hex');
        const r = await get(`${a.url}/stores/counts/${hex}`);
        const at = r.status === 200 ? r : await get(`${b.url}/stores/counts/${hex}`);
        if (at.status !== 200 || countOf(Buffer.from(at.body.value!, 'hex')) !== n) return undefined;
      }
      return true;
    },
    90_000,
  );

  let remote = 0;
  for (const [k, n] of ref) {
    const hex = Buffer.from(k).toString('hex');
    const r = await get(`${a.url}/stores/counts/${hex}`);
    if (a.rt.assignedPartitions().includes(r.body.partition)) continue;
    remote++;
    assert.equal(r.status, 404);
    assert.equal(r.body.owner?.endpoint, b.url, 'the 404 names the owner by its advertised URL');
    assert.equal(r.body.owner?.url, `${b.url}/stores/counts/${hex}`);
    const there = await get(r.body.owner!.url);
    assert.equal(there.status, 200, 'the advertised URL answers');
    assert.equal(countOf(Buffer.from(there.body.value!, 'hex')), n);
  }
  assert.ok(remote > 0, 'some keys live on the other instance');
});
