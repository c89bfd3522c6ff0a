/** dkg-journal fold through the broker-less driver: upstream Storage semantics (item 2). */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { JOURNAL_METRICS } from '../../../src/processors/dkg-journal/processor.ts';
import { floorKey } from '../../../src/processors/dkg-journal/stores.ts';
import { dataKey } from '../../../src/state/store.ts';
import { type JournalEvent, privMsgContext } from '../../../src/topics/dkg-events.ts';
import { rngSeedContext, shareContext } from '../../../src/topics/dkg-states.ts';
import { TestRng } from '../../support/rng.ts';
import { fixture, type Harness, harness, hex, partitionOf, roundEvents } from './support.ts';

const fx = fixture('chain_n4');
const round0 = fx.scenario.rounds[0]!;
const round1 = fx.scenario.rounds[1]!;
// A node that is dealer and player in rounds 0 and 1.
const owner = round0.dealers.find((d) => round1.dealers.some((x) => x.dealer === d.dealer) && round1.players.some((p) => p.player === d.dealer))!.dealer;
const ownerBuf = hex(owner);

function shuffle<T>(xs: T[], seed: number): T[] {
  const rng = new TestRng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function pipeEvents(h: Harness, events: JournalEvent[]): Promise<void> {
  for (const e of events) await h.driver.pipe('dkg.events', await h.event(e));
}

function stateFor(h: Harness, epoch: bigint, round: number, output: string | null, share: string | null) {
  return {
    epoch,
    owner: ownerBuf,
    round: BigInt(round),
    rngSeed: h.keyring.seal(randomBytes(32), rngSeedContext(epoch, ownerBuf)),
    output: output ? hex(output) : null,
    share: share ? h.keyring.seal(hex(share), shareContext(epoch, ownerBuf)) : null,
  };
}

test('folds a ceremony epoch; queries return upstream order whatever the arrival order', async () => {
  const h = harness();
  const events = roundEvents(h.keyring, round0, 3n, owner);
  await pipeEvents(h, shuffle(events, 7));
  const node = h.queries.forOwner(ownerBuf);

  const dealings = await node.dealings(3n);
  const sortedDealers = round0.dealers.map((d) => d.dealer).sort();
  assert.deepEqual(
    dealings.map((d) => Buffer.from(d.dealer).toString('hex')),
    sortedDealers,
  );
  for (const d of dealings) {
    const fd = round0.dealers.find((x) => x.dealer === Buffer.from(d.dealer).toString('hex'))!;
    assert.equal(Buffer.from(d.pubMsg.bytes()).toString('hex'), fd.pub_msg);
    assert.equal(Buffer.from(d.privMsg.encode()).toString('hex'), fd.priv_msgs.find((p) => p.player === owner)!.hex);
  }
  const mine = round0.dealers.find((d) => d.dealer === owner)!;
  const acks = await node.acks(3n);
  assert.deepEqual(
    acks.map((a) => [Buffer.from(a.player).toString('hex'), Buffer.from(a.ack.sig).toString('hex')]),
    mine.acks_received.map((a) => [a.player, a.hex]).sort(),
  );
  const logs = await node.logs(3n);
  assert.deepEqual(
    [...logs].map(([d, l]) => [Buffer.from(d).toString('hex'), Buffer.from(l.bytes()).toString('hex')]),
    round0.logs.map((l) => [l.dealer, l.log]).sort(),
  );
  assert.equal(await node.hasLog(3n, hex(round0.logs[0]!.dealer)), true);
  assert.equal(await node.hasLog(4n, hex(round0.logs[0]!.dealer)), false, 'another epoch');
  assert.equal(await h.queries.forOwner(randomBytes(32)).hasLog(3n, hex(round0.logs[0]!.dealer)), false, 'another owner');
  assert.deepEqual(await node.dealings(4n), [], 'unknown epoch: empty, as upstream');
  assert.equal(h.metrics.get(JOURNAL_METRICS.events, { kind: 'dealing', outcome: 'applied' }), dealings.length);
  assert.equal(h.driver.deadLetters().length, 0);

  // No plaintext secret anywhere in the stores or the changelogs.
  const dump = Object.values(await h.dump()).join('');
  for (const d of round0.dealers) assert.equal(dump.includes(d.priv_msgs.find((p) => p.player === owner)!.hex), false);
  const changelog = h.driver
    .outputs('dkg-journal-journal-changelog')
    .map((r) => r.value?.toString('hex') ?? '')
    .join('');
  for (const d of round0.dealers) assert.equal(changelog.includes(d.priv_msgs.find((p) => p.player === owner)!.hex), false);

  // Same events in another order: same store contents (keys) and same query results.
  const h2 = harness({ keyring: h.keyring });
  await pipeEvents(h2, [...events].reverse());
  assert.deepEqual(Object.keys(await h2.dump()).sort(), Object.keys(await h.dump()).sort());
  assert.deepEqual((await h2.queries.forOwner(ownerBuf).logs(3n)).keys.items, logs.keys.items);
});

test('first writer wins per (owner, epoch, kind, participant); duplicates are counted, not applied', async () => {
  const h = harness();
  const [first] = roundEvents(h.keyring, round0, 1n, owner).filter((e) => e.kind === 'dealing');
  assert.ok(first && first.kind === 'dealing');
  // Another (valid) dealing from the same dealer: round 1's message of that dealer.
  const other = round1.dealers.find((d) => d.dealer === Buffer.from(first.dealer).toString('hex'));
  assert.ok(other, 'dealer deals in both rounds');
  const priv = other.priv_msgs.find((p) => p.player === owner)!;
  const second: JournalEvent = { ...first, pubMsg: hex(other.pub_msg), privMsg: h.keyring.seal(hex(priv.hex), privMsgContext(1n, ownerBuf)) };
  await pipeEvents(h, [first, second, first]);
  const d = await h.queries.forOwner(ownerBuf).dealings(1n);
  assert.equal(d.length, 1);
  assert.equal(Buffer.from(d[0]!.pubMsg.bytes()).toString('hex'), Buffer.from(first.pubMsg).toString('hex'), 'the first dealing stays');
  assert.equal(h.metrics.get(JOURNAL_METRICS.events, { kind: 'dealing', outcome: 'duplicate' }), 2);

  const mine = round0.dealers.find((x) => x.dealer === owner)!;
  const ack = (sig: string): JournalEvent => ({ kind: 'ack', epoch: 1n, owner: ownerBuf, player: hex(mine.acks_received[0]!.player), ack: hex(sig), digest: null });
  await pipeEvents(h, [ack(mine.acks_received[0]!.hex), ack(mine.acks_received[1]!.hex)]);
  const acks = await h.queries.forOwner(ownerBuf).acks(1n);
  assert.deepEqual(
    acks.map((a) => Buffer.from(a.ack.sig).toString('hex')),
    [mine.acks_received[0]!.hex],
  );
  assert.equal(h.metrics.get(JOURNAL_METRICS.events, { kind: 'ack', outcome: 'duplicate' }), 1);

  const s1 = stateFor(h, 1n, 0, null, null);
  await h.driver.pipe('dkg.states', await h.state(s1));
  await h.driver.pipe('dkg.states', await h.state(stateFor(h, 1n, 9, null, null)));
  assert.equal((await h.queries.forOwner(ownerBuf).epoch())!.round, 0n, 'first state of an epoch wins');
  assert.equal(h.metrics.get(JOURNAL_METRICS.events, { kind: 'state', outcome: 'duplicate' }), 1);
});

test('current epoch = the highest state; secrets open only through the keyring', async () => {
  const h = harness();
  const me = round0.players.find((p) => p.player === owner)!;
  assert.equal(await h.queries.forOwner(ownerBuf).epoch(), null);
  await h.driver.pipe('dkg.states', await h.state(stateFor(h, 0n, 0, null, null)));
  await h.driver.pipe('dkg.states', await h.state(stateFor(h, 2n, 1, me.output, me.share!.hex)));
  await h.driver.pipe('dkg.states', await h.state(stateFor(h, 1n, 1, null, null)));
  const cur = await h.queries.forOwner(ownerBuf).epoch();
  assert.ok(cur);
  assert.equal(cur.epoch, 2n);
  assert.equal(cur.round, 1n);
  assert.equal(Buffer.from(cur.output!.bytes()).toString('hex'), me.output);
  assert.equal(cur.share!.index, me.index);
  assert.equal(cur.rngSeed.length, 32);
  const dump = Object.values(await h.dump()).join('');
  assert.equal(dump.includes(me.share!.hex.slice(2)), false, 'the share is sealed at rest');
});

test('prune(min) removes older epochs from both stores and tombstones them in the changelogs', async () => {
  const h = harness();
  for (const epoch of [0n, 1n, 2n, 3n]) {
    await pipeEvents(h, roundEvents(h.keyring, round0, epoch, owner).slice(0, 3));
    await h.driver.pipe('dkg.states', await h.state(stateFor(h, epoch, Number(epoch), null, null)));
  }
  const other = hex(fx.scenario.keys.find((k) => k.public !== owner)!.public);
  const otherEvents = roundEvents(h.keyring, round0, 0n, owner)
    .slice(0, 2)
    .map((e) => ({ ...e, owner: other }));
  // another node's journal shares the topic; its privMsg was sealed for `owner`, so reseal it
  for (const e of otherEvents) if (e.kind === 'dealing') e.privMsg = h.keyring.seal(h.keyring.open(e.privMsg, privMsgContext(0n, ownerBuf)), privMsgContext(0n, other));
  await pipeEvents(h, otherEvents);
  const before = await h.dump();

  // upstream prune(2): sent to every partition
  for (let p = 0; p < 2; p++) await h.driver.pipe('dkg.events', await h.event({ kind: 'prune', epoch: 2n, owner: ownerBuf }, { partition: p }));
  const node = h.queries.forOwner(ownerBuf);
  for (const e of [0n, 1n]) {
    assert.deepEqual(await node.dealings(e), []);
    assert.deepEqual(await node.acks(e), []);
    assert.equal((await node.logs(e)).size, 0);
  }
  assert.equal((await node.dealings(2n)).length, 3);
  assert.equal((await node.epoch())!.epoch, 3n);
  assert.equal(await h.queries.floor(ownerBuf), 2n);
  assert.equal((await h.queries.forOwner(other).dealings(0n)).length, 2, "another owner's journal is untouched");

  const after = await h.dump();
  const removed = Object.keys(before).filter((k) => !(k in after));
  assert.equal(removed.length, 2 * 3 + 2, '3 events per epoch for epochs 0 and 1, and their states');
  const tombstones = [...h.driver.outputs('dkg-journal-journal-changelog'), ...h.driver.outputs('dkg-journal-states-changelog')].filter((r) => r.value === null);
  assert.equal(tombstones.length, removed.length, 'every deleted entry has a changelog tombstone');
  assert.ok(h.metrics.get(JOURNAL_METRICS.pruned) === removed.length);

  // Events and states of pruned epochs are ignored (upstream cannot append to a pruned section).
  await pipeEvents(h, roundEvents(h.keyring, round0, 1n, owner).slice(0, 1));
  await h.driver.pipe('dkg.states', await h.state(stateFor(h, 0n, 0, null, null)));
  assert.deepEqual(await h.dump(), after);
  assert.equal(h.metrics.get(JOURNAL_METRICS.ignored, { reason: 'pruned-epoch' }), 2);

  // A restore from the changelogs alone (local state wiped) gives the same stores.
  await h.driver.restart({ wipeLocalState: true });
  assert.deepEqual(await h.dump(), after);
  assert.ok((await h.driver.get('journal', floorKey(ownerBuf), 0)) !== undefined);
  assert.equal(dataKey(floorKey(ownerBuf))[0], 1);
});

test('prune and events commute: any interleaving of the two topics gives the same stores', async () => {
  const ring = harness().keyring;
  const events = roundEvents(ring, round0, 0n, owner).slice(0, 4);
  const prune: JournalEvent = { kind: 'prune', epoch: 1n, owner: ownerBuf };
  const dumps: string[] = [];
  for (const order of [
    [...events, prune],
    [prune, ...events],
    [events[0]!, prune, ...events.slice(1)],
  ]) {
    const h = harness({ keyring: ring });
    const st = await h.state(stateFor(h, 0n, 0, null, null));
    await h.driver.pipe('dkg.states', st);
    for (const e of order) await h.driver.pipe('dkg.events', await h.event(e, { partition: partitionOf(0n) }));
    dumps.push(JSON.stringify(await h.dump()));
  }
  assert.equal(new Set(dumps).size, 1);
});

test('replaying the input log from offset 0 into empty stores gives the same contents', async () => {
  const h = harness();
  await pipeEvents(h, roundEvents(h.keyring, round0, 0n, owner));
  await h.driver.pipe('dkg.states', await h.state(stateFor(h, 0n, 0, null, null)));
  await pipeEvents(h, roundEvents(h.keyring, round1, 1n, owner));
  await h.driver.pipe('dkg.events', await h.event({ kind: 'prune', epoch: 1n, owner: ownerBuf }, { partition: 0 }));
  await h.driver.pipe('dkg.events', await h.event({ kind: 'prune', epoch: 1n, owner: ownerBuf }, { partition: 1 }));
  const live = await h.dump();

  const replay = harness({ keyring: h.keyring });
  for (const topic of ['dkg.states', 'dkg.events'] as const)
    for (const r of h.driver.outputs(topic).length ? h.driver.outputs(topic) : h.driver.logs.topic(topic)) await replay.driver.pipe(topic, { key: r.key, value: r.value, partition: r.partition });
  assert.deepEqual(await replay.dump(), live);
});
