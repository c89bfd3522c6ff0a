/**
 * The Tempo ingest against a local WebSocket JSON-RPC server that speaks the node's exact shapes
 * (consensus_subscribe → consensus_event notifications; consensus_getFinalization({"height"})).
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type WebSocket, WebSocketServer } from 'ws';
import { type IngestedFinalization, TempoWsIngest } from '../../../src/edges/tempo-ingest/tempo-ws.ts';
import { REPO_ROOT } from '../../../src/paths.ts';
import { FixedEpocher } from '../../../src/tempo/epocher.ts';
import { decodeTempoHeader } from '../../../src/tempo/header.ts';

const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/tempo-chain/presto-block-1.json'), 'utf8'));
const headerAt = (n: number) => ({ ...fixture.header, number: `0x${n.toString(16)}` });
const certFor = (n: number) => Buffer.alloc(8, n).toString('hex');
const finalized = (n: number, L: number) => ({
  type: 'finalized',
  epoch: Math.floor(n / L),
  view: n + 100,
  digest: `0x${'ab'.repeat(32)}`,
  certificate: certFor(n),
  block: { header: headerAt(n), body: { transactions: [], ommers: [], withdrawals: null } },
  seen: 1760000000000 + n,
});

/** A scripted node: each connection plays the next script; getFinalization answers by height. */
async function fakeNode(L: number, scripts: Array<Array<number | 'drop' | object>>) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const requests: unknown[] = [];
  let connection = 0;
  wss.on('connection', (ws: WebSocket) => {
    const script = scripts[connection++] ?? [];
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      requests.push(msg);
      if (msg.method === 'consensus_subscribe') {
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: '0xfeed' }));
        for (const step of script) {
          if (step === 'drop') {
            ws.terminate();
            return;
          }
          const result = typeof step === 'number' ? finalized(step, L) : step;
          ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'consensus_event', params: { subscription: '0xfeed', result } }));
        }
      } else if (msg.method === 'consensus_getFinalization') {
        const h = msg.params[0].height as number;
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: finalized(h, L) }));
      }
    });
  });
  const port = () => (wss.address() as { port: number }).port;
  return {
    wss,
    requests,
    url: () => `ws://127.0.0.1:${port()}`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

function collectingSink() {
  const records: IngestedFinalization[] = [];
  const rejects: Array<{ reason: string; errorClass: string }> = [];
  return {
    records,
    rejects,
    sink: {
      append: async (r: IngestedFinalization) => void records.push(r),
      reject: async (_raw: string, reason: string, errorClass: string) => void rejects.push({ reason, errorClass }),
    },
  };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('finalized events become ordered records keyed by epoch, with the header re-encoded as RLP', { timeout: 20_000 }, async (t) => {
  const node = await fakeNode(4, [[1, 2, 3, { type: 'nullified', epoch: 1, view: 9, seen: 1 }, 4, 5]]);
  const { records, sink } = collectingSink();
  t.after(() => node.close());
  const ingest = new TempoWsIngest({ url: node.url(), epocher: new FixedEpocher(4), sink });
  t.after(() => ingest.stop());
  ingest.start();
  await until(() => records.length === 5, '5 records');
  await ingest.stop();
  await node.close();
  assert.deepEqual(
    records.map((r) => r.height),
    [1n, 2n, 3n, 4n, 5n],
  );
  assert.deepEqual(
    records.map((r) => r.epoch),
    [0n, 0n, 0n, 1n, 1n],
  );
  assert.equal(Buffer.from(records[2]!.certificate).toString('hex'), certFor(3));
  assert.equal(decodeTempoHeader(records[4]!.headerRlp).inner.number, 5n);
  assert.equal(ingest.stats.skipped, 1, 'the nullified event is skipped');
});

test('after a dropped connection it resumes without duplicates and backfills a missed boundary', { timeout: 30_000 }, async (t) => {
  const L = 4; // boundaries at 3, 7, 11, …
  const node = await fakeNode(L, [
    [1, 2, 3, 4, 5, 6, 'drop'],
    [4, 5, 6, 8, 9, 12], // replays 4-6, skips boundary 7, and jumps over 10 and boundary 11
  ]);
  const { records, sink } = collectingSink();
  t.after(() => node.close());
  const ingest = new TempoWsIngest({ url: node.url(), epocher: new FixedEpocher(L), sink, initialBackoffMs: 20 });
  t.after(() => ingest.stop());
  ingest.start();
  await until(() => records.at(-1)?.height === 12n, 'height 12');
  await ingest.stop();
  await node.close();
  assert.deepEqual(
    records.map((r) => Number(r.height)),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12],
  );
  assert.deepEqual(
    records.filter((r) => r.via === 'backfill').map((r) => Number(r.height)),
    [7, 11],
  );
  assert.equal(ingest.stats.duplicates, 3);
  assert.ok(ingest.stats.connects >= 2);
  const asked = node.requests.filter((m: any) => m.method === 'consensus_getFinalization').map((m: any) => m.params[0]);
  assert.deepEqual(asked, [{ height: 7 }, { height: 11 }], 'exactly the missing boundaries are requested, in the node JSON shape');
});

test('a restart resumes after the last ingested height and backfills the boundary it missed', { timeout: 20_000 }, async (t) => {
  const node = await fakeNode(4, [[5, 6, 9, 10]]);
  const { records, sink } = collectingSink();
  t.after(() => node.close());
  const ingest = new TempoWsIngest({ url: node.url(), epocher: new FixedEpocher(4), sink, resumeAfterHeight: 6n });
  t.after(() => ingest.stop());
  ingest.start();
  await until(() => records.at(-1)?.height === 10n, 'height 10');
  await ingest.stop();
  await node.close();
  assert.deepEqual(
    records.map((r) => Number(r.height)),
    [7, 9, 10],
  );
});

test('malformed events are rejected with a reason and do not stop the stream', { timeout: 20_000 }, async (t) => {
  const bad = { ...finalized(2, 4), certificate: 'zz-not-hex' };
  const noHeader = { ...finalized(3, 4), block: { body: {} } };
  const node = await fakeNode(4, [[1, bad, noHeader, { type: 'weird' }, 4]]);
  const { records, rejects, sink } = collectingSink();
  t.after(() => node.close());
  const ingest = new TempoWsIngest({ url: node.url(), epocher: new FixedEpocher(4), sink });
  t.after(() => ingest.stop());
  ingest.start();
  await until(() => records.length === 3 && rejects.length === 3, 'records and rejects');
  await ingest.stop();
  await node.close();
  // Boundary 3 arrived malformed, so moving into epoch 1 fetches it again with getFinalization.
  assert.deepEqual(
    records.map((r) => [Number(r.height), r.via]),
    [
      [1, 'subscribe'],
      [3, 'backfill'],
      [4, 'subscribe'],
    ],
  );
  assert.ok(
    rejects.every((r) => r.errorClass === 'MalformedEvent'),
    JSON.stringify(rejects),
  );
  assert.match(rejects[0]!.reason, /certificate/);
  assert.match(rejects[1]!.reason, /header/);
  assert.match(rejects[2]!.reason, /type/);
});

test('an unreachable node is retried with backoff until stopped, without crashing', { timeout: 20_000 }, async () => {
  const { sink } = collectingSink();
  const ingest = new TempoWsIngest({ url: 'ws://127.0.0.1:1', epocher: new FixedEpocher(4), sink, initialBackoffMs: 10, maxBackoffMs: 50 });
  ingest.start();
  await new Promise((r) => setTimeout(r, 300));
  await ingest.stop();
  assert.equal(ingest.stats.connects, 0);
  assert.equal(ingest.height, undefined);
});
