/**
 * Upstream's DKG behaviour list (commonware-cryptography v0.0.64 `bls12381/dkg.rs` tests), run
 * through the plan harness in ./plan.ts, which asserts upstream's per-round expectations
 * (selection, failure, revealed set, player/observer agreement, share consistency, constant
 * group key, threshold signature). Each test additionally pins the concrete outcome.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../../src/codec/index.ts';
import { encodeShare, MinPk, MinSig } from '../../../src/crypto/bls12381/index.ts';
import { Dealer, type DealerLog, deal, dealerRng, Info, observe, Player, SignedDealerLog } from '../../../src/crypto/dkg/index.ts';
import type { Ed25519PublicKey } from '../../../src/crypto/ed25519.ts';
import { ed25519FromSeed, ed25519PublicKey } from '../../../src/crypto/ed25519.ts';
import { fixedRng } from '../../../src/crypto/rng.ts';
import { Plan, Round } from './plan.ts';

const all4 = (): Round => new Round([0, 1, 2, 3], [0, 1, 2, 3]);

describe('dkg scenarios (upstream behaviour list)', () => {
  it('single round', () => {
    const [r] = new Plan(4).with(all4()).run(0);
    assert.equal(r!.failed, false);
    assert.deepEqual(r!.revealedPlayers, []);
    assert.equal(r!.selectedDealers.length, 3);
  });

  it('single round (MinSig)', () => {
    const [r] = new Plan(4).with(all4()).run(1, MinSig);
    assert.equal(r!.failed, false);
  });

  it('multiple rounds', () => {
    const reports = new Plan(4).with(all4()).with(all4()).with(all4()).with(all4()).run(0);
    assert.deepEqual(
      reports.map((r) => r.failed),
      [false, false, false, false],
    );
  });

  it('changing committee', () => {
    const reports = new Plan(5)
      .with(new Round([0, 1, 2], [1, 2, 3]))
      .with(new Round([1, 2, 3], [2, 3, 4]))
      .with(new Round([2, 3, 4], [3, 4, 0]))
      .with(new Round([3, 4, 0], [4, 0, 1]))
      .run(0);
    assert.ok(reports.every((r) => !r.failed));
  });

  it('missing ack', () => {
    // n = 4: max_faults = 1, so one missing ack per dealer is tolerated (the share is revealed).
    const reports = new Plan(4).with(all4().noAck(0, 0)).with(all4().noAck(0, 1)).with(all4().noAck(0, 2)).with(all4().noAck(0, 3)).run(0);
    assert.ok(reports.every((r) => !r.failed));
    // One reveal is not enough to land a player in `revealed`.
    assert.ok(reports.every((r) => r.revealedPlayers.length === 0));
  });

  it('increasing / decreasing committee', () => {
    const reports = new Plan(5)
      .with(new Round([0, 1], [0, 1, 2]))
      .with(new Round([0, 1, 2], [0, 1, 2, 3]))
      .with(new Round([0, 1, 2], [0, 1]))
      .with(new Round([0, 1], [0, 1, 2, 3, 4]))
      .with(new Round([0, 1, 2, 3], [0, 1]))
      .run(0);
    assert.ok(reports.every((r) => !r.failed));
    assert.deepEqual(
      reports.map((r) => r.output!.players.size),
      [3, 4, 2, 5, 2],
    );
  });

  it('bad reveal fails', () => {
    const [r] = new Plan(4).with(new Round([0], [0, 1, 2, 3]).badReveal(0, 1)).run(0);
    assert.equal(r!.failed, true);
  });

  it('bad share', () => {
    const reports = new Plan(4).with(all4().badShare(0, 1)).with(all4().badShare(0, 2)).run(0);
    assert.ok(reports.every((r) => !r.failed));
  });

  it('shifted degree fails', () => {
    const [r] = new Plan(4).with(new Round([0], [0, 1, 2, 3]).shiftDegree(0, 1)).run(0);
    assert.equal(r!.failed, true);
  });

  it('shifted degree (down) of one dealer among four is tolerated', () => {
    const [r] = new Plan(4).with(all4().shiftDegree(2, -1)).run(3);
    assert.equal(r!.failed, false);
    assert.ok(!r!.selectedDealers.includes(2));
  });

  it('replaced share fails (the dealer is excluded, the reshare still succeeds)', () => {
    const reports = new Plan(4).with(all4()).with(all4().replaceShare(0)).run(0);
    assert.ok(reports.every((r) => !r.failed));
    assert.ok(!reports[1]!.selectedDealers.includes(0));
  });

  it('replaced shares of two dealers make the reshare fail', () => {
    const reports = new Plan(4).with(all4()).with(all4().replaceShare(0).replaceShare(1)).run(0);
    assert.deepEqual(
      reports.map((r) => r.failed),
      [false, true],
    );
  });

  it('too many reveals (dealer side)', () => {
    const [r] = new Plan(4).with(all4().noAck(0, 0).noAck(0, 1)).run(0);
    assert.equal(r!.failed, false);
    assert.ok(!r!.selectedDealers.includes(0), 'a TooManyReveals dealer is never selected');
  });

  it('too many reveals (player side)', () => {
    const [r] = new Plan(4).with(all4().noAck(0, 0).noAck(1, 0).noAck(3, 0)).run(0);
    assert.equal(r!.failed, false);
    // Player 0 is revealed by ≥ 2 selected dealers (> max_faults = 1) whichever 3 are selected.
    assert.deepEqual(r!.revealedPlayers, [0]);
  });

  it('bad signatures (masked transcripts do not verify; honest round succeeds)', () => {
    const [r] = new Plan(4)
      .with(
        all4()
          .badDealerSig(0, { log: new Array(8).fill(0xff) })
          .badPlayerSig(0, 1, { pubMsg: new Array(8).fill(0xff) }),
      )
      .run(0);
    assert.equal(r!.failed, false);
  });

  it('masked info summary or dealer key breaks acks and logs', () => {
    const [r] = new Plan(4)
      .with(
        all4()
          .badDealerSig(1, { infoSummary: [1] })
          .badPlayerSig(2, 3, { dealer: [0, 0, 4] })
          .badPlayerSig(3, 0, { infoSummary: [0, 0x80] }),
      )
      .run(5);
    assert.equal(r!.failed, false);
  });

  it('signed log commitment binding: swapping logs between signatures fails the check', () => {
    const sk = ed25519FromSeed(0);
    const pk = ed25519PublicKey(sk);
    const info = Info.new({ variant: MinPk, namespace: new Uint8Array(0), round: 0, previous: null, dealers: [pk], players: [pk] });
    const seed = new Uint8Array(32).fill(7);
    const log0 = Dealer.start(dealerRng(seed), info, sk, null).dealer.finalize();
    const started = Dealer.start(dealerRng(seed), info, sk, null);
    const player = Player.new(info, sk);
    const ack = player.dealerMessage(pk, started.pubMsg, started.privMsgs[0]![1]);
    assert.ok(ack !== null);
    assert.equal(started.dealer.receivePlayerAck(pk, ack), true);
    const log1 = started.dealer.finalize();
    assert.ok(log0.check(info) !== null && log1.check(info) !== null);
    // Same dealer, same commitment, different results: the signatures do not transfer.
    const swapped0 = new SignedDealerLog(log0.dealer, log1.log, log0.sig);
    const swapped1 = new SignedDealerLog(log1.dealer, log0.log, log1.sig);
    assert.equal(swapped0.check(info), null);
    assert.equal(swapped1.check(info), null);
  });
});

describe('trusted dealer (upstream deal)', () => {
  const fx = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/primitives/sharing.json', import.meta.url)), 'utf8')) as {
    cases: Array<{ variant: string; n: string; rng: string; hex: string; shares: Array<{ index: number; private: string; hex: string }> }>;
  };

  it('reproduces upstream deal_anonymous sharings and shares from the recorded RNG bytes', () => {
    for (const c of fx.cases) {
      const n = Number(c.n);
      const variant = c.variant === 'MinSig' ? MinSig : MinPk;
      const pks = Array.from({ length: n }, (_, i) => ed25519PublicKey(ed25519FromSeed(i)));
      const rng = fixedRng(fromHex(c.rng));
      const { output, shares } = deal(rng, variant as typeof MinPk, pks);
      assert.equal(rng.consumed, fromHex(c.rng).length, 'consumes t·64 + 32 bytes');
      assert.equal(toHex(output.public.encode()), c.hex, `${c.variant} n=${n}`);
      assert.deepEqual(
        shares.map(([, s]) => toHex(encodeShare(s))),
        c.shares.map((s) => s.hex),
      );
    }
  });

  it('a reshare from a trusted dealing preserves its group key', () => {
    const sks = Array.from({ length: 5 }, (_, i) => ed25519FromSeed(i + 20));
    const pks = sks.map((k) => ed25519PublicKey(k));
    const { output, shares } = deal(fixedRng(new Uint8Array(64 * 3 + 32).fill(9)), MinPk, pks.slice(0, 4));
    const info = Info.new({ variant: MinPk, namespace: new Uint8Array(0), round: 1, previous: output, dealers: pks.slice(0, 3), players: pks.slice(1, 5) });
    const players = info.players.items.map((pk) => Player.new(info, sks[pks.findIndex((p) => toHex(p) === toHex(pk))]!));
    const logs: Array<readonly [Ed25519PublicKey, DealerLog<(typeof output.public.poly.coeffs)[number]>]> = [];
    for (const [i, pk] of info.dealers.items.entries()) {
      const share = shares.find(([p]) => toHex(p) === toHex(pk))![1];
      const d = Dealer.start(dealerRng(new Uint8Array(32).fill(i)), info, sks[pks.findIndex((p) => toHex(p) === toHex(pk))]!, share);
      d.privMsgs.forEach(([ppk, m], j) => {
        const ack = players[j]!.dealerMessage(pk, d.pubMsg, m);
        assert.ok(ack !== null && d.dealer.receivePlayerAck(ppk, ack));
      });
      logs.push([pk, d.dealer.finalize().log]);
    }
    const out = observe(info, logs);
    assert.ok(MinPk.Public.equals(out.groupKey(), output.groupKey()));
    for (const p of players) assert.ok(p.finalize(logs).output.equals(out));
  });
});
