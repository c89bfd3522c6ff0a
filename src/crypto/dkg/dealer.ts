import { compareBytes, OrderedMap } from '../../codec/index.ts';
import { commit, type Poly, randomPolyWithConstant, randomScalar, type Scalar, type Share } from '../bls12381/index.ts';
import { type Ed25519PrivateKey, type Ed25519PublicKey, ed25519PublicKey } from '../ed25519.ts';
import type { RngCore } from '../rng.ts';
import { MissingDealerShare, UnknownPlayer } from './errors.ts';
import type { Info } from './info.ts';
import { ackDigest, logDigest, signDigest, verifyDigest } from './transcripts.ts';
import { type AckOrReveal, DealerLog, DealerPrivMsg, DealerPubMsg, type DealerResult, type PlayerAck, SignedDealerLog } from './types.ts';

/** What `Dealer.start` returns: the dealer state, the public message for everyone, one private message per player. */
export interface DealerStart<P> {
  readonly dealer: Dealer<P>;
  readonly pubMsg: DealerPubMsg<P>;
  /** `[player, message]` in ascending player order; each must go privately to its player. */
  readonly privMsgs: ReadonlyArray<readonly [Ed25519PublicKey, DealerPrivMsg]>;
}

/**
 * A dealer of one round (upstream `Dealer`, v0.0.64).
 *
 * Randomness: `start` draws, in order, c₀ (fresh DKG only) and c₁…c_{t−1}, each as 64 RNG bytes
 * through BLS KeyGen — 64·t bytes for a DKG, 64·(t−1) for a reshare (c₀ = the previous share).
 * Passing `dealerRng(rng_seed)` (= `Transcript::resume(seed).noise("dealer-rng")`) reproduces
 * upstream's reshare example byte for byte, and makes a restarted dealer regenerate the identical
 * dealing, so acks collected before a crash (which sign the commitment bytes) stay valid.
 *
 * Every player starts as a Reveal of its share; a valid ack turns it into an Ack. `finalize` signs
 * the log; with more than max_faults(n) reveals the log is `TooManyReveals` (no shares published)
 * and will never be selected.
 */
export class Dealer<P> {
  /** Per player (index = position in `info.players`): its share, and its ack once received. */
  private readonly entries: AckOrReveal[];
  private readonly digest: Uint8Array;

  private constructor(
    readonly info: Info<P>,
    private readonly me: Ed25519PrivateKey,
    readonly publicKey: Ed25519PublicKey,
    readonly pubMsg: DealerPubMsg<P>,
    privMsgs: readonly DealerPrivMsg[],
  ) {
    this.entries = privMsgs.map((reveal) => ({ kind: 'reveal', reveal }));
    this.digest = ackDigest(info.summary, publicKey, pubMsg.bytes());
  }

  /**
   * Upstream `Dealer::start(rng, info, me, share)`. Throws `UnknownDealer` if `me` is not a dealer
   * of the round, `MissingDealerShare` when resharing without the previous share. When `share` is
   * given its `private` value is the constant term (its index is ignored, as upstream).
   */
  static start<P>(rng: RngCore, info: Info<P>, me: Ed25519PrivateKey, share: Share | null): DealerStart<P> {
    const pk = ed25519PublicKey(me);
    info.dealerIndex(pk);
    let c0: Scalar;
    if (share !== null) c0 = share.private;
    else if (info.previous === null) c0 = randomScalar(rng);
    else throw new MissingDealerShare();
    return Dealer.fromPolynomial(info, me, randomPolyWithConstant(rng, info.degree(), c0));
  }

  /**
   * A dealer for an arbitrary secret polynomial, without `start`'s checks of the degree or of
   * the constant term (it still requires `me` to be a dealer). For tests and fault injection
   * only (e.g. a dealer with a shifted degree); honest code uses {@link start}.
   */
  static fromPolynomial<P>(info: Info<P>, me: Ed25519PrivateKey, poly: Poly<Scalar>): DealerStart<P> {
    const pk = ed25519PublicKey(me);
    info.dealerIndex(pk);
    const players = info.players.items;
    const shares = players.map((_, i) => new DealerPrivMsg(poly.eval(BigInt(i) + 1n)));
    const pubMsg = new DealerPubMsg(commit(info.variant.Public, poly));
    const dealer = new Dealer(info, me, pk, pubMsg, shares);
    return { dealer, pubMsg, privMsgs: players.map((p, i) => [p, shares[i]!] as const) };
  }

  /** The digest players sign to ack this dealing (`0x00 ‖ digest` under ed25519). */
  ackDigest(): Uint8Array {
    return this.digest.slice();
  }

  /**
   * Upstream `receive_player_ack`: records the ack if its signature verifies for this dealing
   * under `player`'s key; an invalid signature is ignored. Idempotent. Throws `UnknownPlayer` if
   * `player` is not a player of the round. Returns whether the ack was accepted (an extension:
   * upstream returns `Ok(())` either way).
   */
  receivePlayerAck(player: Ed25519PublicKey, ack: PlayerAck): boolean {
    const i = this.info.players.indexOf(player);
    if (i < 0) throw new UnknownPlayer();
    if (!verifyDigest(player, this.digest, ack.sig)) return false;
    this.entries[i] = { kind: 'ack', ack };
    return true;
  }

  /** Players whose ack has been accepted, ascending. */
  ackedPlayers(): Ed25519PublicKey[] {
    return this.info.players.items.filter((_, i) => this.entries[i]!.kind === 'ack');
  }

  /** Number of players that would be revealed if the dealer finalized now. */
  reveals(): number {
    return this.entries.filter((e) => e.kind === 'reveal').length;
  }

  /**
   * Upstream `finalize`: the signed log. Results are `TooManyReveals` when more than
   * max_faults(n) players have not acked, else every player's Ack or revealed share. The
   * signature covers `logDigest(info, log)`. Deterministic (ed25519 is), so calling it again
   * gives the same bytes.
   */
  finalize(): SignedDealerLog<P> {
    const results: DealerResult =
      this.reveals() > this.info.maxReveals()
        ? { kind: 'tooManyReveals' }
        : {
            kind: 'ok',
            entries: OrderedMap.tryFrom(
              this.info.players.items.map((p, i) => [p, this.entries[i]!] as const),
              compareBytes,
            ),
          };
    const log = new DealerLog(this.pubMsg, results);
    const sig = signDigest(this.me, logDigest(this.info.summary, log.bytes()));
    return new SignedDealerLog(this.publicKey, log, sig);
  }
}
