/**
 * A TypeScript port of the behaviour upstream's DKG test harness checks (`test_plan` in
 * commonware-cryptography v0.0.64 `bls12381/dkg.rs`): a plan of rounds over participants
 * 0..n-1, each round with optional perturbations, run end to end. For every round it asserts
 * what upstream asserts: bad dealers are never selected, the round fails exactly when too few
 * good dealers exist, the selected dealers are the first good ones in key order, `revealed` is
 * exactly the players revealed by more than max_faults selected dealers, every player's output
 * equals the observer's, shares match the public polynomial, the group key never changes across
 * reshares, and a threshold signature from the new shares verifies under it.
 */
import assert from 'node:assert/strict';
import { compareBytes, equalBytes, maxFaults, OrderedMap, quorum, toHex } from '../../../src/codec/index.ts';
import {
  MinPk,
  Poly,
  partialSignMessage,
  partialVerifyMessage,
  randomScalar,
  ScalarSpace,
  type Share,
  sharePublic,
  thresholdSignatureRecover,
  type Variant,
  verifyMessage,
} from '../../../src/crypto/bls12381/index.ts';
import {
  type AckOrReveal,
  ackDigest,
  Dealer,
  DealerLog,
  DealerPrivMsg,
  DkgFailed,
  Info,
  logDigest,
  type Output,
  observe,
  Player,
  SignedDealerLog,
  select,
  verifyDigest,
} from '../../../src/crypto/dkg/index.ts';
import { type Ed25519PrivateKey, type Ed25519PublicKey, ed25519PublicKey, ed25519RandomPrivateKey } from '../../../src/crypto/ed25519.ts';
import type { RngCore } from '../../../src/crypto/rng.ts';
import { TestRng } from '../../support/rng.ts';

/** RNG for protocol randomness in tests (not cryptographic). */
export function testRngCore(seed: number | bigint): RngCore & { rng: TestRng } {
  const rng = new TestRng(seed);
  return {
    rng,
    fillBytes(dest: Uint8Array) {
      dest.set(rng.bytes(dest.length));
    },
  };
}

/** XORs `mask` into the start of `bytes` (a copy); reports whether anything changed. */
function applyMask(bytes: Uint8Array, mask: readonly number[] | undefined): [Uint8Array, boolean] {
  const out = bytes.slice();
  let modified = false;
  if (mask) {
    for (let i = 0; i < Math.min(out.length, mask.length); i++) {
      modified ||= mask[i] !== 0;
      out[i]! ^= mask[i]!;
    }
  }
  return [out, modified];
}

/** Byte masks applied to the inputs of the ack/log transcripts when re-checking a signature. */
export interface Masks {
  infoSummary?: number[];
  dealer?: number[];
  pubMsg?: number[];
  log?: number[];
}

type Pair = readonly [number, number];

export class Round {
  readonly noAcks: Pair[] = [];
  readonly badShares: Pair[] = [];
  readonly badPlayerSigs: Array<[Pair, Masks]> = [];
  readonly badReveals: Pair[] = [];
  readonly badDealerSigs: Array<[number, Masks]> = [];
  readonly replaceShares = new Set<number>();
  readonly shiftDegrees = new Map<number, number>();

  constructor(
    readonly dealers: number[],
    readonly players: number[],
  ) {}

  noAck(d: number, p: number): this {
    this.noAcks.push([d, p]);
    return this;
  }
  badShare(d: number, p: number): this {
    this.badShares.push([d, p]);
    return this;
  }
  badPlayerSig(d: number, p: number, masks: Masks): this {
    this.badPlayerSigs.push([[d, p], masks]);
    return this;
  }
  badReveal(d: number, p: number): this {
    this.badReveals.push([d, p]);
    return this;
  }
  badDealerSig(d: number, masks: Masks): this {
    this.badDealerSigs.push([d, masks]);
    return this;
  }
  replaceShare(d: number): this {
    this.replaceShares.add(d);
    return this;
  }
  shiftDegree(d: number, shift: number): this {
    assert.ok(shift !== 0);
    this.shiftDegrees.set(d, shift);
    return this;
  }

  private has(set: Pair[], d: number, p: number): boolean {
    return set.some(([a, b]) => a === d && b === p);
  }

  hasNoAck(d: number, p: number): boolean {
    return this.has(this.noAcks, d, p);
  }
  hasBadShare(d: number, p: number): boolean {
    return this.has(this.badShares, d, p);
  }
  hasBadReveal(d: number, p: number): boolean {
    return this.has(this.badReveals, d, p);
  }

  /** Whether dealer `d` must not be selected (upstream `Round::bad`). */
  bad(previousSuccessful: boolean, d: number): boolean {
    if (this.replaceShares.has(d) && previousSuccessful) return true;
    const shift = this.shiftDegrees.get(d);
    if (shift !== undefined) {
      const degree = quorum(this.players.length) - 1;
      if (Math.max(degree + shift, 0) !== degree) return true;
    }
    if (this.badReveals.some(([x]) => x === d)) return true;
    const revealed = new Set([...this.badShares, ...this.noAcks].filter(([x]) => x === d).map(([, p]) => p));
    return revealed.size > maxFaults(this.players.length);
  }

  /** Whether the round must fail (fewer good dealers than required). */
  expectFailure(previousPlayers: number | null): boolean {
    const good = this.dealers.filter((d) => !this.bad(previousPlayers !== null, d)).length;
    const required = Math.max(previousPlayers === null ? 0 : quorum(previousPlayers), quorum(this.dealers.length));
    return good < required;
  }

  validate(n: number, previousPlayers: number[] | null): void {
    assert.ok(this.dealers.length > 0 && this.players.length > 0, 'empty dealers/players');
    for (const x of [...this.dealers, ...this.players]) assert.ok(x < n, `participant ${x} out of range`);
    if (previousPlayers !== null) {
      for (const d of this.dealers) assert.ok(previousPlayers.includes(d), `dealer ${d} was not a previous player`);
      assert.ok(this.dealers.length >= quorum(previousPlayers.length), 'not enough dealers');
    }
  }
}

/** What happened in each round, for tests that want to assert more. */
export interface RoundReport {
  readonly failed: boolean;
  readonly output: Output<unknown> | null;
  readonly selectedDealers: number[];
  readonly revealedPlayers: number[];
}

export class Plan {
  private readonly rounds: Round[] = [];

  constructor(readonly n: number) {}

  with(round: Round): this {
    this.rounds.push(round);
    return this;
  }

  private validate(): void {
    let last: number[] | null = null;
    for (const r of this.rounds) {
      r.validate(this.n, last);
      if (!r.expectFailure(last === null ? null : last.length)) last = r.players;
    }
  }

  /** Runs the plan (MinPk like upstream's tests unless told otherwise); throws on any violated expectation. */
  run<P, S>(seed: number, variant: Variant<P, S> = MinPk as unknown as Variant<P, S>): RoundReport[] {
    this.validate();
    const rng = testRngCore(seed);
    const keys: Ed25519PrivateKey[] = [];
    for (let i = 0; i < this.n; i++) keys.push(ed25519RandomPrivateKey(rng));
    const pks = keys.map((k) => ed25519PublicKey(k));
    const keyIndex = (pk: Ed25519PublicKey): number => pks.findIndex((x) => equalBytes(x, pk));
    const maxShift = Math.max(0, ...this.rounds.flatMap((r) => [...r.shiftDegrees.values()]));
    const maxRead = this.n + maxShift;

    let previous: Output<P> | null = null;
    const shares = new Map<string, Share>();
    let groupKey: P | null = null;
    const reports: RoundReport[] = [];

    for (const [iRound, round] of this.rounds.entries()) {
      const previousPlayers: number | null = previous === null ? null : previous.players.size;
      const prevOk: boolean = previous !== null;
      const info: Info<P> = Info.new({
        variant,
        namespace: new Uint8Array(0),
        round: iRound,
        previous,
        dealers: round.dealers.map((i) => pks[i]!),
        players: round.players.map((i) => pks[i]!),
      });
      const players = new Map(round.players.map((i) => [toHex(pks[i]!), Player.new(info, keys[i]!)]));

      const logs: Array<readonly [Ed25519PublicKey, DealerLog<P>]> = [];
      for (const iDealer of round.dealers) {
        const sk = keys[iDealer]!;
        const pk = pks[iDealer]!;
        let share = shares.get(toHex(pk)) ?? null;
        if (share !== null && round.replaceShares.has(iDealer)) share = { index: iDealer, private: randomScalar(rng) };
        const shift = round.shiftDegrees.get(iDealer);
        let started;
        if (shift !== undefined) {
          const degree = Math.max(0, info.degree() + shift);
          const c0 = share !== null ? share.private : randomScalar(rng);
          const coeffs = [c0];
          for (let k = 1; k <= degree; k++) coeffs.push(randomScalar(rng));
          started = Dealer.fromPolynomial(info, sk, new Poly(ScalarSpace, coeffs));
        } else {
          started = Dealer.start(rng, info, sk, share);
        }
        const { dealer, pubMsg } = started;
        const privMsgs = started.privMsgs.map(([p, m]) => [p, round.hasBadShare(iDealer, keyIndex(p)) ? new DealerPrivMsg(randomScalar(rng)) : m] as const);
        assert.equal(privMsgs.length, players.size);

        let numReveals = players.size;
        for (const [playerPk, privMsg] of privMsgs) {
          assert.ok(DealerPrivMsg.decode(privMsg.encode()).equals(privMsg));
          const iPlayer = keyIndex(playerPk);
          const player = players.get(toHex(playerPk))!;
          const ack = player.dealerMessage(pk, pubMsg, privMsg);
          if (ack !== null) {
            const masks = round.badPlayerSigs.find(([[d, p]]) => d === iDealer && p === iPlayer)?.[1] ?? {};
            const [summary, m1] = applyMask(info.summary, masks.infoSummary);
            const [dealerBytes, m2] = applyMask(pk, masks.dealer);
            const [pubBytes, m3] = applyMask(pubMsg.encode(), masks.pubMsg);
            const modified = m1 || m2 || m3;
            assert.equal(verifyDigest(playerPk, ackDigest(summary, dealerBytes, pubBytes), ack.sig), !modified, 'ack binds summary, dealer and pub_msg');
            if (!round.hasNoAck(iDealer, iPlayer)) {
              assert.equal(dealer.receivePlayerAck(playerPk, ack), true);
              numReveals--;
            }
          } else {
            assert.ok(round.hasBadShare(iDealer, iPlayer) || round.bad(prevOk, iDealer), `unexpected complaint ${iPlayer} against ${iDealer}`);
          }
        }

        const signed = dealer.finalize();
        assert.ok(SignedDealerLog.decode(signed.encode(), variant, maxRead).equals(signed), 'signed log round-trips');
        const masks = round.badDealerSigs.find(([d]) => d === iDealer)?.[1] ?? {};
        const [summary, m1] = applyMask(info.summary, masks.infoSummary);
        const [logBytes, m2] = applyMask(signed.log.encode(), masks.log);
        assert.equal(verifyDigest(pk, logDigest(summary, logBytes), signed.sig), !(m1 || m2), 'log signature binds summary and log');
        const checked = signed.check(info);
        assert.ok(checked !== null, 'signed log should verify');
        assert.ok(equalBytes(checked.dealer, pk));
        let log = checked.log;
        if (log.results.kind === 'tooManyReveals') {
          assert.ok(numReveals > info.maxReveals());
        } else {
          assert.equal(log.results.entries.size, players.size);
          const entries: AckOrReveal[] = [...log.results.entries.values];
          let changed = false;
          for (const iPlayer of round.players) {
            if (!round.hasBadReveal(iDealer, iPlayer)) continue;
            const idx = log.results.entries.keys.indexOf(pks[iPlayer]!);
            entries[idx] = { kind: 'reveal', reveal: new DealerPrivMsg(randomScalar(rng)) };
            changed = true;
          }
          if (changed) {
            log = new DealerLog(log.pubMsg, {
              kind: 'ok',
              entries: OrderedMap.tryFrom(
                log.results.entries.keys.items.map((k, i) => [k, entries[i]!] as const),
                compareBytes,
              ),
            });
          }
        }
        logs.push([pk, log]);
      }

      // Bad dealers are never selected.
      let selection: ReturnType<typeof select<P>> | null = null;
      try {
        selection = select(info, logs);
      } catch (e) {
        assert.ok(e instanceof DkgFailed, `select may only fail with DkgFailed, got ${String(e)}`);
      }
      if (selection !== null) {
        for (const d of round.dealers) {
          if (round.bad(prevOk, d)) assert.ok(!selection.keys.has(pks[d]!), `bad dealer ${d} was selected`);
        }
      }

      if (round.expectFailure(previousPlayers)) {
        assert.throws(() => observe(info, logs), DkgFailed, `round ${iRound} should have failed`);
        for (const player of players.values()) assert.throws(() => player.finalize(logs), DkgFailed);
        reports.push({ failed: true, output: null, selectedDealers: [], revealedPlayers: [] });
        continue;
      }
      const output = observe(info, logs);
      assert.ok(selection !== null, 'select succeeds when observe does');

      // Selected = first `required` good dealers in key order.
      const expected: Ed25519PublicKey[] = info.dealers.items.filter((pk) => !round.bad(prevOk, keyIndex(pk))).slice(0, info.requiredCommitments());
      assert.deepEqual(output.dealers.items.map(toHex), expected.map(toHex), 'selected dealers');
      assert.deepEqual(selection.keys.items.map(toHex), expected.map(toHex));
      const selected = new Set(output.dealers.items.map(keyIndex));

      // Revealed = players revealed by more than max_faults selected dealers.
      const counts = new Map<number, number>();
      for (const [d, p] of [...round.noAcks, ...round.badShares]) {
        if (!selected.has(d) || !round.players.includes(p)) continue;
        counts.set(p, (counts.get(p) ?? 0) + 1);
      }
      const mf = maxFaults(round.players.length);
      for (const p of round.players) {
        assert.equal(output.revealed.has(pks[p]!), (counts.get(p) ?? 0) > mf, `revealed status of player ${p}`);
      }

      // Every player agrees with the observer; shares match the public polynomial.
      for (const [hex, player] of players) {
        const { output: mine, share } = player.finalize(logs);
        assert.ok(mine.equals(output), 'player output equals observer output');
        assert.ok(equalBytes(mine.encode(), output.encode()));
        assert.ok(variant.Public.equals(output.public.partialPublic(share.index), sharePublic(variant, share)), 'share matches the public polynomial');
        shares.set(hex, share);
      }

      // The group key survives every reshare.
      if (groupKey === null) groupKey = output.groupKey();
      else assert.ok(variant.Public.equals(groupKey, output.groupKey()), 'group key constant across reshares');

      // A threshold signature from the new shares verifies under the (unchanged) group key.
      const msg = new TextEncoder().encode(`test message round ${iRound}`);
      const ns = new TextEncoder().encode('test');
      const partials = round.players.map((i) => {
        const ps = partialSignMessage(variant, shares.get(toHex(pks[i]!))!, ns, msg);
        assert.ok(partialVerifyMessage(variant, output.public, ns, msg, ps), 'partial signature verifies');
        return ps;
      });
      const sig = thresholdSignatureRecover(variant, output.public, partials.slice(0, output.quorum()));
      assert.ok(verifyMessage(variant, groupKey, ns, msg, sig), 'threshold signature verifies under the group key');

      reports.push({
        failed: false,
        output: output as Output<unknown>,
        selectedDealers: [...selected].sort((a, b) => a - b),
        revealedPlayers: output.revealed.items.map(keyIndex).sort((a, b) => a - b),
      });
      previous = output;
    }
    return reports;
  }
}
