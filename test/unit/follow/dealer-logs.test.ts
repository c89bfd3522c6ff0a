/**
 * Dealer logs from the chain and the boundary observation (issue 8 item 2), through the
 * broker-less driver, over chains whose DKG is real (n = 4, L = 6: blocks first..first+3 carry the
 * four dealers' logs, last(e) the outcome).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../../src/codec/index.ts';
import { logDigest, SignedDealerLog, signDigest } from '../../../src/crypto/dkg/index.ts';
import { ed25519FromSeed, ed25519PublicKey } from '../../../src/crypto/ed25519.ts';
import { bootstrapFromOutcome } from '../../../src/processors/follow/bootstrap.ts';
import { CHAIN_OWNER } from '../../../src/processors/follow/observer.ts';
import { eventFromAvro } from '../../../src/topics/dkg-events.ts';
import { memorySerde } from '../../support/avro.ts';
import { buildDkgChain, type DkgChain } from './dkg-chain.ts';
import { type Harness, harness, TOPICS } from './harness.ts';

const L = 6n;

/** Feeds the whole chain with every epoch on partition 0, so boundaries register in order. */
async function run(chain: DkgChain): Promise<Harness> {
  const h = harness({ epochLength: chain.epochLength, bootstrap: bootstrapFromOutcome(chain.genesisOutcome) }, 1);
  await h.feed(chain.blocks);
  await h.sync();
  return h;
}

async function logEvents(h: Harness) {
  const { serde, topology } = memorySerde();
  const spec = topology.topics.get('dkg.events')!;
  return Promise.all(
    h.driver.outputs(TOPICS.dkgEvents).map(async (r) => {
      const e = eventFromAvro((await serde.decode(r.value, spec.value!)).value);
      assert.equal(e.kind, 'log');
      if (e.kind !== 'log') throw new Error('not a log');
      return { key: r.key!.toString('hex'), epoch: e.epoch, owner: toHex(e.owner), dealer: toHex(e.dealer), log: toHex(e.log), source: e.source };
    }),
  );
}

async function advances(h: Harness) {
  return (await h.epochEvents()).flatMap((e) => (e.type === 'EpochAdvanced' ? [e] : []));
}

const honest = buildDkgChain({ n: 4, epochLength: L, epochs: 2 });

test('honest chain: each dealer log emitted once per (epoch, dealer) as a chain-owned Log, observation matches at every boundary', async () => {
  // Every log block delivered twice, and each dealer re-posts its log in a later block (as a
  // dealer does until its log is finalized): still one Log per (epoch, dealer).
  const chain = buildDkgChain({ n: 4, epochLength: L, epochs: 2, extraData: (_h, e, i) => e.logs[i % 4]!.encode() });
  const h = harness({ epochLength: L, bootstrap: bootstrapFromOutcome(chain.genesisOutcome) }, 1);
  await h.feed(chain.blocks);
  await h.feed(chain.blocks.filter((b) => !b.isBoundary && b.extraData.length > 0));
  await h.sync();
  const logs = await logEvents(h);
  assert.equal(logs.length, 8, 'four dealers in each of two epochs');
  for (const [e, ep] of chain.epochs.entries()) {
    const mine = logs.filter((l) => l.epoch === BigInt(e));
    assert.deepEqual(mine.map((l) => l.dealer).sort(), ep.logs.map((l) => toHex(l.dealer)).sort());
    for (const l of mine) {
      const signed = ep.logs.find((s) => toHex(s.dealer) === l.dealer)!;
      assert.equal(l.log, toHex(signed.log.bytes()), 'the DealerLog bytes inside the SignedDealerLog');
      assert.equal(l.owner, toHex(CHAIN_OWNER));
      assert.equal(l.key, BigInt(e).toString(16).padStart(16, '0'));
      assert.match(l.source, /^follower:\d+$/);
    }
  }
  const adv = await advances(h);
  assert.deepEqual(
    adv.map((a) => [a.epoch, a.observation]),
    [
      [1n, { matches: true, logs: 4, reason: null }],
      [2n, { matches: true, logs: 4, reason: null }],
    ],
  );
  assert.deepEqual(h.rejects(), []);
  assert.equal((await h.verified()).length, chain.blocks.length, 'every block verified once');
});

test('invalid logs go to the DLQ with a typed reason, are not emitted nor used, and their blocks are still verified', async () => {
  const other = buildDkgChain({ n: 4, epochLength: L, epochs: 2 });
  const forged = (s: SignedDealerLog<unknown>) => {
    const b = s.encode();
    b[b.length - 1]! ^= 0x01; // signature bit flip
    return b;
  };
  const chain = buildDkgChain({
    n: 4,
    epochLength: 8n, // 6 blocks with extraData in epoch 0
    epochs: 1,
    extraData: (_h, e, i) => {
      switch (i) {
        case 0:
          return forged(e.logs[0]!); // bad signature
        case 1:
          return Uint8Array.of(1, 2, 3, 4, 5); // garbage
        case 2:
          return e.logs[2]!.encode(); // honest
        case 3: {
          // dealer 3's log signed for round 1 (another round): the signature fails for round 0
          return other.epochs[1]!.logs[3]!.encode();
        }
        case 4: {
          // a key that is not a dealer, validly signing a copy of dealer 1's log for this round
          const sk = ed25519FromSeed(77);
          const log = e.logs[1]!.log;
          const signed = new SignedDealerLog(ed25519PublicKey(sk), log, signDigest(sk, logDigest(e.info.summary, log.bytes())));
          assert.ok(signed.check(e.info), 'its signature is valid for the round');
          return signed.encode();
        }
        default:
          return undefined;
      }
    },
  });
  const h = await run(chain);
  const rejects = h.rejects();
  assert.deepEqual(
    rejects.map((r) => r.errorClass),
    ['InvalidDealerLog', 'MalformedDealerLog', 'InvalidDealerLog', 'UnknownDealer'],
  );
  assert.match(rejects[0]!.errorMessage, /block 1 of epoch 0/);
  assert.match(rejects[2]!.errorMessage, /round 0/);
  const logs = await logEvents(h);
  assert.deepEqual(
    logs.map((l) => l.dealer),
    [toHex(chain.epochs[0]!.logs[2]!.dealer)],
    'only the honest log is emitted',
  );
  assert.equal((await h.verified()).length, 7, 'every block verified, the rejected logs notwithstanding');
  // One usable log: the ceremony fails (3 required), the chain's honest outcome (4 logs) is not
  // what the chain's logs give.
  const [adv] = await advances(h);
  assert.equal(adv!.observation!.matches, false);
  assert.equal(adv!.observation!.logs, 1);
  assert.match(adv!.observation!.reason!, /reshare failed .*only 1 of 3 required dealer logs.*previous output/);
});

test('a boundary whose outcome differs from what the logs give is reported as a mismatch with the differing fields', async () => {
  const chain = buildDkgChain({ n: 4, epochLength: L, epochs: 1, tamper: (_e, o) => ({ ...o, summary: new Uint8Array(32).fill(0xee), revealed: [] }) });
  const h = await run(chain);
  const [adv] = await advances(h);
  assert.equal(adv!.observation!.matches, false);
  assert.equal(adv!.observation!.logs, 4);
  assert.match(adv!.observation!.reason!, /^on-chain output differs from observe\(reshare, 4 logs\): summary eeeeeeee/);
  assert.doesNotMatch(adv!.observation!.reason!, /identity/, 'a reshare keeps the identity');
  assert.deepEqual(h.rejects(), []);
  // The honest chain's observation matches (same logs, untampered outcome).
  const [ok] = await advances(await run(honest));
  assert.deepEqual(ok!.observation, { matches: true, logs: 4, reason: null });
});

test('a full-DKG round uses no previous output: logs check and the new identity is observed', async () => {
  const chain = buildDkgChain({ n: 4, epochLength: L, epochs: 3, fullDkgAt: 1 });
  assert.equal(chain.epochs[1]!.info.previous, null);
  const h = await run(chain);
  const adv = await advances(h);
  assert.deepEqual(
    adv.map((a) => [a.epoch, a.observation?.matches, a.observation?.logs]),
    [
      [1n, true, 4],
      [2n, true, 4],
      [3n, true, 4],
    ],
  );
  assert.equal(adv[1]!.isFullDkg, false, 'EpochAdvanced.isFullDkg is about the next round');
  const regs = (await h.epochEvents()).flatMap((e) => (e.type === 'SchemeRegistered' ? [e] : []));
  assert.notEqual(toHex(regs.find((r) => r.epoch === 2n)!.identity), toHex(regs.find((r) => r.epoch === 1n)!.identity), 'the full DKG rotated the identity');
  assert.equal((await logEvents(h)).length, 12);
  assert.deepEqual(h.rejects(), []);
  // The logs of the full-DKG round do not check as a reshare (the previous output is in the round's summary).
  const mixed = buildDkgChain({ n: 4, epochLength: L, epochs: 2, extraData: (_h, e, i) => (e.epoch === 1n ? chain.epochs[1]!.logs[i]?.encode() : e.logs[i]?.encode()) });
  const hm = await run(mixed);
  assert.deepEqual(
    hm.rejects().map((r) => r.errorClass),
    ['InvalidDealerLog', 'InvalidDealerLog', 'InvalidDealerLog', 'InvalidDealerLog'],
  );
});

test('logs survive a restart with wiped local state (follow-state restored from its changelog)', async () => {
  const chain = honest;
  const h = harness({ epochLength: L, bootstrap: bootstrapFromOutcome(chain.genesisOutcome) }, 1);
  const before = chain.blocks.filter((b) => b.height < 5n);
  await h.feed(before);
  await h.driver.restart({ wipeLocalState: true });
  await h.feed(chain.blocks.filter((b) => b.height >= 5n));
  await h.sync();
  const [adv] = await advances(h);
  assert.deepEqual(adv!.observation, { matches: true, logs: 4, reason: null });
});
