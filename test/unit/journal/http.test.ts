/** The journal's queries over the ops HTTP server (route hook), without secrets. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { journalRoute } from '../../../src/processors/dkg-journal/http.ts';
import { startOpsServer } from '../../../src/runtime/http.ts';
import type { KafkaPort } from '../../../src/runtime/kafka/port.ts';
import { rngSeedContext, shareContext } from '../../../src/topics/dkg-states.ts';
import { fixture, harness, hex, roundEvents } from './support.ts';

test('GET /journal/<owner>/… serves dealings, acks, logs, hasLog and the epoch, never a secret', async () => {
  const round0 = fixture('chain_n4').scenario.rounds[0]!;
  const owner = round0.dealers[0]!.dealer;
  const o = hex(owner);
  const h = harness();
  for (const e of roundEvents(h.keyring, round0, 2n, owner)) await h.driver.pipe('dkg.events', await h.event(e));
  const me = round0.players.find((p) => p.player === owner)!;
  await h.driver.pipe(
    'dkg.states',
    await h.state({
      epoch: 3n,
      owner: o,
      round: 1n,
      rngSeed: h.keyring.seal(randomBytes(32), rngSeedContext(3n, o)),
      output: hex(me.output!),
      share: h.keyring.seal(hex(me.share!.hex), shareContext(3n, o)),
    }),
  );
  const srv = await startOpsServer({ port: 0, kafka: {} as KafkaPort, runtimes: [], metrics: [], queries: new Map(), routes: new Map([['journal', journalRoute(h.queries)]]) });
  try {
    const get = async (path: string) => {
      const r = await fetch(`${srv.url}${path}`);
      return { status: r.status, body: (await r.json()) as Record<string, unknown>, text: JSON.stringify(await (await fetch(`${srv.url}${path}`)).json()) };
    };
    const view = await get(`/journal/${owner}/2`);
    assert.equal(view.status, 200);
    const dealings = view.body.dealings as Array<{ dealer: string; pubMsg: string }>;
    assert.deepEqual(
      dealings.map((d) => d.dealer),
      round0.dealers.map((d) => d.dealer).sort(),
    );
    assert.equal((view.body.acks as unknown[]).length, 4);
    assert.equal((view.body.logs as unknown[]).length, 4);
    for (const d of round0.dealers) assert.equal(view.text.includes(d.priv_msgs.find((p) => p.player === owner)!.hex), false, 'no private message');
    const has = await get(`/journal/${owner}/2/has-log/${round0.logs[0]!.dealer}`);
    assert.equal(has.body.hasLog, true);
    assert.equal((await get(`/journal/${owner}/9/has-log/${round0.logs[0]!.dealer}`)).body.hasLog, false);
    const ep = await get(`/journal/${owner}/epoch`);
    assert.deepEqual(ep.body, { owner, epoch: '3', round: '1', output: me.output, hasShare: true });
    assert.equal(ep.text.includes(me.share!.hex.slice(2)), false, 'no share');
    assert.equal((await get(`/journal/${'00'.repeat(32)}/epoch`)).status, 404);
    assert.equal((await get('/journal/zz/1')).status, 400);
    assert.equal((await get(`/journal/${owner}/notanumber`)).status, 400);
  } finally {
    await srv.close();
  }
});
