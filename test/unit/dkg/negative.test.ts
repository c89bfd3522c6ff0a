/**
 * Typed errors, hostile input and crash-restart determinism of the DKG port.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError, compareBytes, equalBytes, fromHex, OrderedMap, toHex, Writer } from '../../../src/codec/index.ts';
import { type G1Point, MinPk, MinSig, Poly, randomScalar, ScalarSpace } from '../../../src/crypto/bls12381/index.ts';
import {
  Dealer,
  DealerLog,
  DealerPrivMsg,
  DealerPubMsg,
  DkgError,
  DkgFailed,
  dealerRng,
  decodeDkgMessage,
  encodeDkgMessage,
  Info,
  MissingDealerShare,
  NumDealers,
  NumPlayers,
  Output,
  observe,
  Player,
  PlayerAck,
  SignedDealerLog,
  select,
  UnknownDealer,
  UnknownPlayer,
} from '../../../src/crypto/dkg/index.ts';
import { type Ed25519PublicKey, ed25519FromSeed, ed25519PublicKey } from '../../../src/crypto/ed25519.ts';
import { TestRng } from '../../support/rng.ts';
import { testRngCore } from './plan.ts';

const sks = Array.from({ length: 8 }, (_, i) => ed25519FromSeed(i));
const pks = sks.map((k) => ed25519PublicKey(k));
const skOf = (pk: Ed25519PublicKey) => sks[pks.findIndex((p) => equalBytes(p, pk))]!;
const empty = new Uint8Array(0);
const seedOf = (i: number) => new Uint8Array(32).fill(i + 1);

function info4(round = 0, previous: Output<G1Point> | null = null, dealers = pks.slice(0, 4), players = pks.slice(0, 4)): Info<G1Point> {
  return Info.new({ variant: MinPk, namespace: empty, round, previous, dealers, players });
}

/** A complete honest round; returns logs, outputs and the players (already fed every dealing). */
function honestRound(info: Info<G1Point>, shares: Map<string, { index: number; private: bigint }> | null = null) {
  const players = info.players.items.map((pk) => Player.new(info, skOf(pk)));
  const logs: Array<[Ed25519PublicKey, DealerLog<G1Point>]> = [];
  const signed: SignedDealerLog<G1Point>[] = [];
  for (const [i, pk] of info.dealers.items.entries()) {
    const share = shares === null ? null : shares.get(toHex(pk))!;
    const { dealer, pubMsg, privMsgs } = Dealer.start(dealerRng(seedOf(i)), info, skOf(pk), share);
    for (const [j, [ppk, m]] of privMsgs.entries()) {
      const ack = players[j]!.dealerMessage(pk, pubMsg, m);
      assert.ok(ack !== null);
      assert.equal(dealer.receivePlayerAck(ppk, ack), true);
    }
    const s = dealer.finalize();
    signed.push(s);
    logs.push([pk, s.log]);
  }
  return { players, logs, signed };
}

describe('dkg: typed errors for local misconfiguration', () => {
  it('Info.new: empty sets, unknown reshare dealer, too few reshare dealers', () => {
    assert.throws(() => Info.new({ variant: MinPk, namespace: empty, round: 0, previous: null, dealers: [], players: pks.slice(0, 2) }), NumDealers);
    assert.throws(() => Info.new({ variant: MinPk, namespace: empty, round: 0, previous: null, dealers: pks.slice(0, 2), players: [] }), NumPlayers);
    const info = info4();
    const { logs } = honestRound(info);
    const out = observe(info, logs);
    const e = (() => {
      try {
        info4(1, out, [pks[0]!, pks[1]!, pks[2]!, pks[5]!]);
      } catch (err) {
        return err;
      }
      return null;
    })();
    assert.ok(e instanceof UnknownDealer && e.dealer === toHex(pks[5]!));
    assert.throws(
      () => info4(1, out, pks.slice(0, 2)),
      (err: unknown) => err instanceof NumDealers && err.count === 2,
    );
    assert.ok(info4(1, out, pks.slice(0, 3)) instanceof Info);
  });

  it('Dealer.start: not a dealer → UnknownDealer; reshare without share → MissingDealerShare', () => {
    const info = info4();
    assert.throws(() => Dealer.start(dealerRng(seedOf(0)), info, sks[6]!, null), UnknownDealer);
    const { logs } = honestRound(info);
    const next = info4(1, observe(info, logs));
    assert.throws(() => Dealer.start(dealerRng(seedOf(0)), next, sks[0]!, null), MissingDealerShare);
  });

  it('Player.new / receivePlayerAck: not a player → UnknownPlayer', () => {
    const info = info4();
    assert.throws(() => Player.new(info, sks[7]!), UnknownPlayer);
    const { dealer } = Dealer.start(dealerRng(seedOf(0)), info, sks[0]!, null);
    assert.throws(() => dealer.receivePlayerAck(pks[7]!, new PlayerAck(new Uint8Array(64))), UnknownPlayer);
    for (const C of [UnknownPlayer, MissingDealerShare, DkgFailed]) assert.ok(new C() instanceof DkgError);
  });
});

describe('dkg: hostile messages are rejected without exceptions', () => {
  it('dealer ignores invalid acks (wrong signer, other dealing, garbage) and reveals instead', () => {
    const info = info4();
    const a = Dealer.start(dealerRng(seedOf(0)), info, sks[0]!, null);
    const b = Dealer.start(dealerRng(seedOf(1)), info, sks[1]!, null);
    const p1 = Player.new(info, sks[1]!);
    const ackForB = p1.dealerMessage(pks[1]!, b.pubMsg, b.privMsgs[info.playerIndex(pks[1]!)]![1])!;
    assert.equal(a.dealer.receivePlayerAck(pks[1]!, ackForB), false, 'an ack of another dealing');
    assert.equal(a.dealer.receivePlayerAck(pks[1]!, new PlayerAck(new Uint8Array(64).fill(0xff))), false, 'garbage');
    const ackForA = p1.dealerMessage(pks[0]!, a.pubMsg, a.privMsgs[info.playerIndex(pks[1]!)]![1])!;
    assert.equal(a.dealer.receivePlayerAck(pks[2]!, ackForA), false, "another player's ack");
    assert.equal(a.dealer.reveals(), 4);
    assert.equal(a.dealer.receivePlayerAck(pks[1]!, ackForA), true);
    assert.equal(a.dealer.receivePlayerAck(pks[1]!, ackForA), true, 'idempotent');
    assert.deepEqual(a.dealer.ackedPlayers().map(toHex), [toHex(pks[1]!)]);
    assert.equal(a.dealer.finalize().log.results.kind, 'tooManyReveals', '3 reveals > max_faults(4) = 1');
  });

  it("reshare: a dealing whose constant is not the dealer's previous share commitment is refused", () => {
    const info = info4();
    const { logs, players } = honestRound(info);
    const shares = new Map(players.map((p) => [toHex(p.publicKey), p.finalize(logs).share]));
    const next = info4(1, observe(info, logs));
    const me = Player.new(next, sks[1]!);
    const idx = next.playerIndex(pks[1]!);
    const forged = Dealer.start(dealerRng(seedOf(0)), next, sks[0]!, { index: 0, private: randomScalar(testRngCore(9)) });
    assert.equal(me.dealerMessage(pks[0]!, forged.pubMsg, forged.privMsgs[idx]![1]), null);
    const honest = Dealer.start(dealerRng(seedOf(0)), next, sks[0]!, shares.get(toHex(pks[0]!))!);
    assert.ok(me.dealerMessage(pks[0]!, honest.pubMsg, honest.privMsgs[idx]![1]) !== null);
  });

  it('player returns null for duplicates, non-dealers, wrong degree, bad shares', () => {
    const info = info4(0, null, pks.slice(0, 3), pks.slice(0, 4));
    const me = Player.new(info, sks[3]!);
    const idx = info.playerIndex(pks[3]!);
    const d0 = Dealer.start(dealerRng(seedOf(0)), info, sks[0]!, null);
    assert.equal(me.dealerMessage(pks[0]!, d0.pubMsg, new DealerPrivMsg(randomScalar(testRngCore(1)))), null, 'bad share');
    assert.ok(me.dealerMessage(pks[0]!, d0.pubMsg, d0.privMsgs[idx]![1]) !== null);
    assert.equal(me.dealerMessage(pks[0]!, d0.pubMsg, d0.privMsgs[idx]![1]), null, 'second message from the same dealer');
    assert.ok(me.hasDealing(pks[0]!));
    // pks[3] is a player but not a dealer.
    assert.equal(me.dealerMessage(pks[3]!, d0.pubMsg, d0.privMsgs[idx]![1]), null, 'not a dealer');
    const rng = testRngCore(2);
    for (const degree of [0, 1, 3, 4]) {
      const coeffs = Array.from({ length: degree + 1 }, () => randomScalar(rng));
      const bad = Dealer.fromPolynomial(info, sks[1]!, new Poly(ScalarSpace, coeffs));
      assert.equal(me.dealerMessage(pks[1]!, bad.pubMsg, bad.privMsgs[idx]![1]), null, `degree ${degree} ≠ 2`);
    }
    const good = Dealer.start(dealerRng(seedOf(1)), info, sks[1]!, null);
    assert.ok(me.dealerMessage(pks[1]!, good.pubMsg, good.privMsgs[idx]![1]) !== null, 'failed attempts do not poison the view');
  });

  it('select skips invalid logs (non-dealer, wrong keys, TooManyReveals, bad ack, bad reveal) and fails below quorum', () => {
    const info = info4();
    const { logs, players } = honestRound(info);
    const [pk0, log0] = logs[0]!;
    assert.ok(log0.results.kind === 'ok');
    const entries = log0.results.entries;
    const rebuild = (f: (k: Ed25519PublicKey, i: number) => [Ed25519PublicKey, (typeof entries.values)[number]] | null) =>
      new DealerLog(log0.pubMsg, {
        kind: 'ok',
        entries: OrderedMap.tryFrom(
          entries.keys.items.map(f).filter((x): x is [Ed25519PublicKey, (typeof entries.values)[number]] => x !== null),
          compareBytes,
        ),
      });
    const variants: Array<[string, DealerLog<G1Point>]> = [
      ['missing player', rebuild((k, i) => (i === 0 ? null : [k, entries.values[i]!]))],
      ['extra player', new DealerLog(log0.pubMsg, { kind: 'ok', entries: OrderedMap.tryFrom([...entries, [pks[7]!, entries.values[0]!] as const], compareBytes) })],
      ['too many reveals', new DealerLog(log0.pubMsg, { kind: 'tooManyReveals' })],
      ['forged ack', rebuild((k, i) => [k, i === 1 ? { kind: 'ack', ack: new PlayerAck(new Uint8Array(64).fill(1)) } : entries.values[i]!])],
      ['bad reveal', rebuild((k, i) => [k, i === 2 ? { kind: 'reveal', reveal: new DealerPrivMsg(5n) } : entries.values[i]!])],
    ];
    for (const [why, bad] of variants) {
      const mixed = logs.map(([d, l]) => [d, equalBytes(d, pk0) ? bad : l] as const);
      const sel = select(info, mixed);
      assert.ok(!sel.keys.has(pk0), `${why}: must not be selected`);
      assert.equal(sel.size, 3);
      // Only 3 logs left with a bad one among them → DkgFailed, never another exception.
      const three = mixed.filter(([d]) => !equalBytes(d, logs[3]![0]));
      assert.throws(() => observe(info, three), DkgFailed, why);
      assert.throws(() => players[0]!.finalize(three), DkgFailed, why);
    }
    // A log under a non-dealer's key is ignored.
    const strangers = logs.slice(0, 2).concat([[pks[6]!, logs[2]![1]]]);
    assert.throws(() => observe(info, strangers), DkgFailed);
    assert.throws(() => observe(info, []), DkgFailed);
  });

  it('a player that lost an acked dealing gets DkgFailed, not a crash', () => {
    const info = info4();
    const { logs } = honestRound(info);
    const amnesiac = Player.new(info, sks[0]!);
    assert.throws(() => amnesiac.finalize(logs), DkgFailed);
  });

  it('signed logs bind round and dealer', () => {
    const info = info4();
    const { signed } = honestRound(info);
    const other = info4(1);
    assert.equal(signed[0]!.check(other), null, 'other round');
    const dealer = signed[0]!.dealer;
    const stranger = pks.find((p) => !equalBytes(p, dealer))!;
    assert.equal(new SignedDealerLog(stranger, signed[0]!.log, signed[0]!.sig).check(info), null, 'other dealer');
    const sig = signed[0]!.sig.slice();
    sig[0]! ^= 1;
    assert.equal(new SignedDealerLog(dealer, signed[0]!.log, sig).check(info), null, 'tampered signature');
    assert.equal(new SignedDealerLog(dealer, signed[1]!.log, signed[0]!.sig).check(info), null, "another dealer's log");
    assert.ok(signed[0]!.check(info) !== null);
  });
});

describe('dkg: crash-restart determinism', () => {
  it('a restarted dealer regenerates the same dealing; acks collected before the crash stay valid', () => {
    const info = Info.new({ variant: MinSig, namespace: new TextEncoder().encode('ns'), round: 3, previous: null, dealers: pks.slice(0, 4), players: pks.slice(0, 4) });
    const seed = fromHex('85ef8223eac804f4d14ac958429365440f71c0e8406123dd07556c25e74c6bdc');
    const before = Dealer.start(dealerRng(seed), info, sks[2]!, null);
    const acks = info.players.items.map((pk, i) => Player.new(info, skOf(pk)).dealerMessage(pks[2]!, before.pubMsg, before.privMsgs[i]![1])!);
    for (const [i, a] of acks.entries()) before.dealer.receivePlayerAck(info.players.items[i]!, a);
    const after = Dealer.start(dealerRng(seed), info, sks[2]!, null);
    assert.ok(equalBytes(after.pubMsg.encode(), before.pubMsg.encode()));
    assert.deepEqual(
      after.privMsgs.map(([, m]) => toHex(m.encode())),
      before.privMsgs.map(([, m]) => toHex(m.encode())),
    );
    for (const [i, a] of acks.entries()) assert.equal(after.dealer.receivePlayerAck(info.players.items[i]!, a), true);
    assert.ok(equalBytes(after.dealer.finalize().encode(), before.dealer.finalize().encode()));
    // A different seed gives a different dealing, and the old acks do not verify for it.
    const other = Dealer.start(dealerRng(new Uint8Array(32)), info, sks[2]!, null);
    assert.ok(!equalBytes(other.pubMsg.encode(), before.pubMsg.encode()));
    assert.equal(other.dealer.receivePlayerAck(info.players.items[0]!, acks[0]!), false);
  });

  it('a restarted player replaying stored dealings produces identical acks', () => {
    const info = info4();
    const d = Dealer.start(dealerRng(seedOf(0)), info, sks[0]!, null);
    const i = info.playerIndex(pks[1]!);
    const a1 = Player.new(info, sks[1]!).dealerMessage(pks[0]!, d.pubMsg, d.privMsgs[i]![1])!;
    const stored = { pub: d.pubMsg.encode(), priv: d.privMsgs[i]![1].encode() };
    const a2 = Player.new(info, sks[1]!).dealerMessage(pks[0]!, DealerPubMsg.decode(stored.pub, MinPk, 4), DealerPrivMsg.decode(stored.priv))!;
    assert.ok(a1.equals(a2));
  });
});

describe('dkg: codecs reject malformed input with CodecErrors', () => {
  const info = info4();
  const { signed } = honestRound(info);
  const good = signed[0]!.encode();

  const kindOf = (f: () => unknown): string => {
    try {
      f();
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof CodecError, `expected a CodecError, got ${String(e)}`);
      return e.kind === 'Invalid' ? `Invalid(${(e as unknown as { ctx: string }).ctx})` : e.kind;
    }
  };

  it('DealerPubMsg bounds and points', () => {
    const pub = signed[0]!.log.pubMsg.encode();
    assert.equal(
      kindOf(() => DealerPubMsg.decode(pub, MinPk, 3)),
      'ok',
    );
    assert.equal(
      kindOf(() => DealerPubMsg.decode(pub, MinPk, 2)),
      'InvalidLength',
      'more coefficients than max_read_size',
    );
    assert.equal(
      kindOf(() => DealerPubMsg.decode(Uint8Array.of(0), MinPk, 4)),
      'InvalidLength',
      'no coefficients',
    );
    assert.equal(
      kindOf(() => DealerPubMsg.decode(pub.subarray(0, pub.length - 1), MinPk, 4)),
      'EndOfBuffer',
    );
    assert.equal(
      kindOf(() => DealerPubMsg.decode(Uint8Array.from([...pub, 0]), MinPk, 4)),
      'ExtraData',
    );
    const inf = pub.slice();
    inf.set([0xc0, ...new Array(47).fill(0)], 1);
    assert.equal(
      kindOf(() => DealerPubMsg.decode(inf, MinPk, 4)),
      'Invalid(G1)',
      'identity coefficient',
    );
    assert.notEqual(
      kindOf(() => DealerPubMsg.decode(pub, MinSig as never, 4)),
      'ok',
      'G1 bytes read as G2',
    );
    assert.throws(() => DealerPubMsg.decode(pub, MinPk, 0), RangeError, 'max_read_size must be ≥ 1');
  });

  it('DealerPrivMsg / PlayerAck', () => {
    assert.equal(
      kindOf(() => DealerPrivMsg.decode(new Uint8Array(32))),
      'Invalid(Scalar)',
      'zero share',
    );
    assert.equal(
      kindOf(() => DealerPrivMsg.decode(new Uint8Array(32).fill(0xff))),
      'Invalid(Scalar)',
      'share ≥ r',
    );
    assert.equal(
      kindOf(() => PlayerAck.decode(new Uint8Array(63))),
      'EndOfBuffer',
    );
    assert.equal(
      kindOf(() => PlayerAck.decode(new Uint8Array(64))),
      'ok',
    );
    assert.equal(String(new DealerPrivMsg(5n)), 'DealerPrivMsg(REDACTED)');
    assert.equal(JSON.stringify({ m: new DealerPrivMsg(5n) }), '{"m":"DealerPrivMsg(REDACTED)"}');
  });

  it('SignedDealerLog tags, map bounds, key order and key validity', () => {
    assert.equal(
      kindOf(() => SignedDealerLog.decode(good, MinPk, 4)),
      'ok',
    );
    const pubLen = signed[0]!.log.pubMsg.encode().length;
    const tagAt = 32 + pubLen;
    assert.equal(good[tagAt], 0);
    const badTag = good.slice();
    badTag[tagAt] = 2;
    assert.equal(
      kindOf(() => SignedDealerLog.decode(badTag, MinPk, 4)),
      'InvalidEnum',
    );
    // TooManyReveals: tag 01 then nothing but the signature.
    const tmr = Uint8Array.from([...good.subarray(0, tagAt), 1, ...good.subarray(good.length - 64)]);
    const decoded = SignedDealerLog.decode(tmr, MinPk, 4);
    assert.equal(decoded.log.results.kind, 'tooManyReveals');
    assert.ok(equalBytes(decoded.encode(), tmr));
    assert.equal(
      kindOf(() => SignedDealerLog.decode(good, MinPk, 3)),
      'InvalidLength',
      '4 entries > max 3',
    );
    // Swap the first two player keys → not ascending.
    const keysAt = tagAt + 2;
    const swapped = good.slice();
    swapped.set(good.subarray(keysAt + 32, keysAt + 64), keysAt);
    swapped.set(good.subarray(keysAt, keysAt + 32), keysAt + 32);
    assert.equal(
      kindOf(() => SignedDealerLog.decode(swapped, MinPk, 4)),
      'Invalid(Set)',
    );
    // An AckOrReveal tag of 2.
    const valuesAt = keysAt + 4 * 32 + 1;
    const badEntry = good.slice();
    badEntry[valuesAt] = 2;
    assert.equal(
      kindOf(() => SignedDealerLog.decode(badEntry, MinPk, 4)),
      'InvalidEnum',
    );
    // A dealer key that does not decompress (y = 2 is not on the curve).
    const badKey = good.slice();
    badKey.set(fromHex('0200000000000000000000000000000000000000000000000000000000000000'), 0);
    assert.equal(
      kindOf(() => SignedDealerLog.decode(badKey, MinPk, 4)),
      'Wrapped',
    );
  });

  it('DKG channel message (reshare example): dealing / ack round trip, bad tag', () => {
    const d = Dealer.start(dealerRng(seedOf(0)), info, skOf(info.dealers.items[0]!), null);
    const dealing = encodeDkgMessage({ kind: 'dealer', pubMsg: d.pubMsg, privMsg: d.privMsgs[0]![1] });
    assert.equal(dealing[0], 0);
    assert.ok(equalBytes(dealing.subarray(1), Uint8Array.from([...d.pubMsg.encode(), ...d.privMsgs[0]![1].encode()])));
    const back = decodeDkgMessage(dealing, MinPk, 4);
    assert.ok(back.kind === 'dealer' && back.pubMsg.equals(d.pubMsg) && back.privMsg.equals(d.privMsgs[0]![1]));
    const ack = encodeDkgMessage<G1Point>({ kind: 'ack', ack: new PlayerAck(new Uint8Array(64).fill(3)) });
    assert.equal(ack.length, 65);
    assert.equal(decodeDkgMessage(ack, MinPk, 4).kind, 'ack');
    const bad = ack.slice();
    bad[0] = 2;
    assert.equal(
      kindOf(() => decodeDkgMessage(bad, MinPk, 4)),
      'Invalid(dkg::Message)',
    );
    assert.equal(
      kindOf(() => decodeDkgMessage(dealing, MinPk, 2)),
      'InvalidLength',
    );
    assert.throws(() => new DealerPrivMsg(-1n), RangeError);
  });

  it('Output bounds', () => {
    const { logs } = honestRound(info);
    const out = observe(info, logs).encode();
    assert.equal(
      kindOf(() => Output.decode(out, MinPk, 4)),
      'ok',
    );
    assert.equal(
      kindOf(() => Output.decode(out, MinPk, 3)),
      'Invalid(Sharing)',
      'total 4 > max 3',
    );
    assert.equal(
      kindOf(() => Output.decode(out.subarray(0, 40), MinPk, 4)),
      'EndOfBuffer',
    );
    const w = new Writer();
    w.bytes(out.subarray(0, 32 + 1 + 4 + 1 + 3 * 48));
    w.usize(0); // dealers: 0 not allowed
    assert.equal(
      kindOf(() => Output.decode(w.finish(), MinPk, 4)),
      'InvalidLength',
    );
  });

  it('random mutations of a signed log never escape as anything but CodecError / null / DkgFailed', () => {
    const { logs } = honestRound(info);
    const rng = new TestRng(42);
    let decoded = 0;
    for (let i = 0; i < 150; i++) {
      const bytes = good.slice();
      const flips = 1 + rng.int(3);
      for (let k = 0; k < flips; k++) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
      let s: SignedDealerLog<G1Point>;
      try {
        s = SignedDealerLog.decode(bytes, MinPk, 4);
      } catch (e) {
        assert.ok(e instanceof CodecError, `case ${i}: ${String(e)}`);
        continue;
      }
      decoded++;
      const checked = s.check(info);
      const mixed = logs.map(([d, l]) => [d, equalBytes(d, s.dealer) ? s.log : l] as const);
      try {
        const o = observe(info, mixed);
        assert.equal(o.dealers.size, 3);
      } catch (e) {
        assert.ok(e instanceof DkgFailed, `case ${i}: ${String(e)}`);
      }
      if (!equalBytes(bytes, good)) assert.equal(checked, null, `case ${i}: a mutated log must not verify`);
    }
    assert.ok(decoded > 0, 'some mutations decode (signature/ack bytes are opaque)');
  });
});
