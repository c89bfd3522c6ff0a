/**
 * Item 5: bad input never corrupts the journal. Each case is folded after a good epoch; the
 * stores must be byte-for-byte what they were, the record must be in the DLQ with the expected
 * class (or ignored, as upstream would), and a metric must count it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { JOURNAL_METRICS } from '../../../src/processors/dkg-journal/processor.ts';
import { Keyring } from '../../../src/state/seal.ts';
import { type JournalEvent, privMsgContext } from '../../../src/topics/dkg-events.ts';
import { rngSeedContext, shareContext } from '../../../src/topics/dkg-states.ts';
import { epochKey } from '../../../src/topics/epoch-key.ts';
import { fixture, type Harness, harness, hex, roundEvents } from './support.ts';

const fx = fixture('chain_n4');
const round0 = fx.scenario.rounds[0]!;
const owner = round0.dealers[0]!.dealer;
const ownerBuf = hex(owner);
const mine = round0.dealers[0]!;

async function seeded(): Promise<{ h: Harness; events: JournalEvent[]; before: Record<string, string> }> {
  const h = harness();
  const events = roundEvents(h.keyring, round0, 5n, owner);
  // Leave one ack out so a bad one for that player has a free slot.
  const kept = events.filter((e) => !(e.kind === 'ack' && Buffer.from(e.player).toString('hex') === mine.acks_received[3]!.player));
  for (const e of kept) await h.driver.pipe('dkg.events', await h.event(e));
  await h.driver.pipe('dkg.states', await h.state({ epoch: 5n, owner: ownerBuf, round: 0n, rngSeed: h.keyring.seal(randomBytes(32), rngSeedContext(5n, ownerBuf)), output: null, share: null }));
  assert.equal(h.driver.deadLetters().length, 0);
  return { h, events, before: await h.dump() };
}

const dealing = (events: JournalEvent[]) => events.find((e) => e.kind === 'dealing') as Extract<JournalEvent, { kind: 'dealing' }>;
const flip = (b: Buffer, i: number): Buffer => {
  const c = Buffer.from(b);
  c[i] = c[i]! ^ 1;
  return c;
};

interface Case {
  name: string;
  errorClass: string;
  topic?: 'dkg.events' | 'dkg.states';
  record(h: Harness, events: JournalEvent[]): Promise<{ key: Buffer | null; value: Buffer | null; partition?: number }>;
}

const cases: Case[] = [
  { name: 'record key is another epoch', errorClass: 'EpochKeyMismatch', record: async (h, ev) => h.event(dealing(ev), { key: epochKey(6n), partition: 1 }) },
  { name: 'record key is not 8 bytes', errorClass: 'EpochKeyMismatch', record: async (h, ev) => h.event(dealing(ev), { key: Buffer.from('5') }) },
  { name: 'value is not Avro wire format', errorClass: 'WireFormatError', record: async () => ({ key: epochKey(5n), value: Buffer.from('garbage'), partition: 1 }) },
  { name: 'unknown schema id', errorClass: 'UnknownSchemaId', record: async () => ({ key: epochKey(5n), value: Buffer.from([0, 0, 0, 0, 99, 1, 2]), partition: 1 }) },
  {
    name: 'Avro body truncated',
    errorClass: 'AvroDecodeError',
    record: async (h, ev) => {
      const r = await h.event(dealing(ev));
      return { ...r, value: r.value.subarray(0, r.value.length - 5) };
    },
  },
  { name: 'owner is not 32 bytes', errorClass: 'MalformedEvent', record: async (h, ev) => h.event({ ...dealing(ev), owner: Buffer.alloc(31, 1) }) },
  { name: 'dealer is not an ed25519 point', errorClass: 'MalformedPayload', record: async (h, ev) => h.event({ ...dealing(ev), dealer: Buffer.concat([Buffer.of(2), Buffer.alloc(31)]) }) },
  {
    name: 'DealerPubMsg truncated',
    errorClass: 'MalformedPayload',
    record: async (h, ev) => {
      const d = dealing(ev);
      return h.event({ ...d, dealer: hex(fx.scenario.keys[6]!.public), pubMsg: d.pubMsg.subarray(0, 100) });
    },
  },
  {
    name: 'DealerPubMsg point not on the curve',
    errorClass: 'MalformedPayload',
    record: async (h, ev) => {
      const d = dealing(ev);
      return h.event({ ...d, dealer: hex(fx.scenario.keys[6]!.public), pubMsg: flip(d.pubMsg, 40) });
    },
  },
  {
    name: 'DealerPubMsg beyond max_read_size (5 coefficients, max 4)',
    errorClass: 'OversizeMessage',
    record: async (h, ev) => {
      const d = dealing(ev);
      const pt = d.pubMsg.subarray(1, 97);
      return h.event({ ...d, dealer: hex(fx.scenario.keys[6]!.public), pubMsg: Buffer.concat([Buffer.of(5), pt, pt, pt, pt, pt]) });
    },
  },
  {
    // quorum(4) = 3: no round of ≤ 4 players has a 4-coefficient commitment. Rejected on the
    // count, before any of the 96-byte points is decompressed.
    name: 'DealerPubMsg beyond quorum(max_read_size) (4 coefficients, max 4)',
    errorClass: 'OversizeMessage',
    record: async (h, ev) => {
      const d = dealing(ev);
      const pt = d.pubMsg.subarray(1, 97);
      return h.event({ ...d, dealer: hex(fx.scenario.keys[6]!.public), pubMsg: Buffer.concat([Buffer.of(4), pt, pt, pt, pt]) });
    },
  },
  {
    name: 'DealerLog beyond max_read_size (map of 5 players, max 4)',
    errorClass: 'OversizeMessage',
    record: async (h) => {
      const log = hex(round0.logs[0]!.log);
      const pub = log.subarray(0, 1 + 3 * 96);
      return h.event({ kind: 'log', epoch: 5n, owner: ownerBuf, dealer: hex(fx.scenario.keys[6]!.public), log: Buffer.concat([pub, Buffer.of(0, 5)]), source: 'participant' });
    },
  },
  {
    name: 'PlayerAck of 63 bytes',
    errorClass: 'MalformedPayload',
    record: async (h) => h.event({ kind: 'ack', epoch: 5n, owner: ownerBuf, player: hex(mine.acks_received[3]!.player), ack: Buffer.alloc(63), digest: null }),
  },
  {
    name: 'tampered privMsg ciphertext',
    errorClass: 'AuthenticationFailed',
    record: async (h, ev) => {
      const d = dealing(ev);
      return h.event({ ...d, dealer: hex(fx.scenario.keys[6]!.public), privMsg: { ...d.privMsg, ciphertext: flip(d.privMsg.ciphertext, 3) } });
    },
  },
  {
    name: 'privMsg sealed for another epoch (moved ciphertext)',
    errorClass: 'AuthenticationFailed',
    record: async (h, ev) => {
      const d = dealing(ev);
      return h.event({ ...d, epoch: 6n });
    },
  },
  {
    name: 'privMsg sealed with a key not in the keyring',
    errorClass: 'UnknownKeyId',
    record: async (h, ev) => {
      const d = dealing(ev);
      return h.event({ ...d, dealer: hex(fx.scenario.keys[6]!.public), privMsg: new Keyring([randomBytes(32)]).seal(Buffer.alloc(32, 1), privMsgContext(5n, ownerBuf)) });
    },
  },
  {
    name: 'privMsg authenticates but is not a scalar',
    errorClass: 'MalformedPayload',
    record: async (h, ev) => h.event({ ...dealing(ev), dealer: hex(fx.scenario.keys[6]!.public), privMsg: h.keyring.seal(Buffer.alloc(32, 0xff), privMsgContext(5n, ownerBuf)) }),
  },
  {
    name: 'epoch state with a tampered share',
    errorClass: 'AuthenticationFailed',
    topic: 'dkg.states',
    record: async (h) => {
      const share = h.keyring.seal(hex(round0.players[0]!.share!.hex), shareContext(6n, ownerBuf));
      return h.state({
        epoch: 6n,
        owner: ownerBuf,
        round: 1n,
        rngSeed: h.keyring.seal(randomBytes(32), rngSeedContext(6n, ownerBuf)),
        output: null,
        share: { ...share, ciphertext: flip(share.ciphertext, 0) },
      });
    },
  },
  {
    name: 'epoch state whose rng seed was sealed for another owner',
    errorClass: 'AuthenticationFailed',
    topic: 'dkg.states',
    record: async (h) => h.state({ epoch: 6n, owner: ownerBuf, round: 1n, rngSeed: h.keyring.seal(randomBytes(32), rngSeedContext(6n, Buffer.alloc(32, 3))), output: null, share: null }),
  },
  {
    name: 'epoch state with a malformed Output',
    errorClass: 'MalformedPayload',
    topic: 'dkg.states',
    record: async (h) =>
      h.state({ epoch: 6n, owner: ownerBuf, round: 1n, rngSeed: h.keyring.seal(randomBytes(32), rngSeedContext(6n, ownerBuf)), output: hex(round0.players[0]!.output!).subarray(0, 50), share: null }),
  },
];

for (const c of cases) {
  test(`DLQ: ${c.name} → ${c.errorClass}, stores untouched`, async () => {
    const { h, events, before } = await seeded();
    const r = await c.record(h, events);
    const stats = await h.driver.pipe(c.topic ?? 'dkg.events', { key: r.key, value: r.value, partition: r.partition ?? 1 });
    assert.equal(stats.dlq, 1);
    const dl = h.driver.deadLetters();
    assert.equal(dl.length, 1);
    assert.equal(dl[0]!.errorClass, c.errorClass, dl[0]!.errorMessage);
    assert.deepEqual(dl[0]!.value, r.value, 'the DLQ keeps the original bytes');
    assert.equal(h.metrics.get(JOURNAL_METRICS.rejected, { reason: c.errorClass }), 1);
    assert.deepEqual(await h.dump(), before);
    // The pipeline continues: a good record after it is applied.
    const ack = events.find((e) => e.kind === 'ack' && Buffer.from(e.player).toString('hex') === mine.acks_received[3]!.player)!;
    await h.driver.pipe('dkg.events', await h.event(ack));
    assert.equal((await h.queries.forOwner(ownerBuf).acks(5n)).length, 4);
  });
}

test('ignored as upstream would: a bad ack signature, an ack for another dealing, an event of a pruned epoch', async () => {
  const { h, events, before } = await seeded();
  const ack = events.find((e) => e.kind === 'ack' && Buffer.from(e.player).toString('hex') === mine.acks_received[3]!.player) as Extract<JournalEvent, { kind: 'ack' }>;
  await h.driver.pipe('dkg.events', await h.event({ ...ack, ack: flip(ack.ack, 10) }));
  assert.equal(h.metrics.get(JOURNAL_METRICS.ignored, { reason: 'bad-ack-signature' }), 1);
  // A validly signed ack, but of another dealer's dealing (its digest is not this epoch's).
  const otherDealer = round0.dealers[1]!;
  const foreign = otherDealer.acks_received.find((a) => a.player === mine.acks_received[3]!.player)!;
  await h.driver.pipe('dkg.events', await h.event({ ...ack, ack: hex(foreign.hex), digest: hex(otherDealer.ack_digest) }));
  assert.equal(h.metrics.get(JOURNAL_METRICS.ignored, { reason: 'ack-digest-mismatch' }), 1);
  assert.deepEqual(await h.dump(), before, 'neither took the free slot');
  assert.equal(h.driver.deadLetters().length, 0, 'ignored, not dead-lettered (upstream ignores invalid acks)');
  // The genuine ack still gets in.
  await h.driver.pipe('dkg.events', await h.event(ack));
  assert.equal((await h.queries.forOwner(ownerBuf).acks(5n)).length, 4);

  for (let p = 0; p < 2; p++) await h.driver.pipe('dkg.events', await h.event({ kind: 'prune', epoch: 6n, owner: ownerBuf }, { partition: p }));
  const pruned = await h.dump();
  await h.driver.pipe('dkg.events', await h.event(dealing(events)));
  assert.deepEqual(await h.dump(), pruned);
  assert.equal(h.metrics.get(JOURNAL_METRICS.ignored, { reason: 'pruned-epoch' }), 1);
});
