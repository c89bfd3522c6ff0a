import { compareBytes, OrderedSet, toHex, U32_MAX, Writer } from '../../codec/index.ts';
import { Mode, modeScalar, type Scalar } from '../bls12381/index.ts';
import type { Ed25519PublicKey } from '../ed25519.ts';
import { type Summary, Transcript } from '../transcript.ts';
import { NumDealers, NumPlayers, UnknownDealer, UnknownPlayer } from './errors.ts';
import { DKG_NAMESPACE, roundSummary } from './transcripts.ts';
import { type DealerPrivMsg, type DealerPubMsg, type DkgVariant, encodeKeySet, encodeOptionalOutput, type KeySet, type Output } from './types.ts';

export interface InfoParams<P> {
  /** BLS variant of commitments and the group key (the reshare example and Tempo use MinSig). */
  readonly variant: DkgVariant<P>;
  /** Application namespace isolating unrelated DKGs (e.g. `_COMMONWARE_EXAMPLES_RESHARE`). */
  readonly namespace: Uint8Array;
  /** Round counter; should increase on every attempt, including failed ones. */
  readonly round: bigint | number;
  /** Output of the previous *successful* round (reshare), or null for a fresh DKG. */
  readonly previous: Output<P> | null;
  /** Evaluation-point mode (v0.0.64 only has `NonZeroCounter`; not hashed into the summary). */
  readonly mode?: Mode;
  /** Dealer keys (sorted here; duplicates throw `DuplicateKeyError`). */
  readonly dealers: KeySet | Iterable<Ed25519PublicKey>;
  /** Player keys (sorted here; duplicates throw `DuplicateKeyError`). */
  readonly players: KeySet | Iterable<Ed25519PublicKey>;
}

function toKeySet(keys: KeySet | Iterable<Ed25519PublicKey>): KeySet {
  if (keys instanceof OrderedSet) return keys as KeySet;
  return OrderedSet.tryFrom(keys, compareBytes);
}

/**
 * Everything that defines a round (upstream `Info`, v0.0.64), and its parameters:
 *
 * - n = |players|, t = quorum(n), polynomial degree t − 1;
 * - max reveals per dealer = max_faults(n);
 * - required_commitments = max(quorum(|dealers|), quorum(|previous.players|) if resharing);
 * - player i evaluates at x = (its position in the sorted player set) + 1.
 *
 * `summary` = `Transcript::new(DKG_NAMESPACE).commit(namespace).commit(u64be(round))
 * .commit(Option<Output> previous).commit(dealers).commit(players).summarize()`; every ack and log
 * signature is bound to it, so two Infos are the same round iff their summaries are equal
 * (`mode` and the variant are not hashed). Not serialized: rebuild it from its parameters.
 */
export class Info<P> {
  private constructor(
    readonly variant: DkgVariant<P>,
    readonly summary: Summary,
    readonly round: bigint,
    readonly previous: Output<P> | null,
    readonly mode: Mode,
    readonly dealers: KeySet,
    readonly players: KeySet,
  ) {}

  /**
   * Upstream `Info::new`. Throws `NumDealers`/`NumPlayers` for empty (or ≥ u32::MAX) sets and,
   * when resharing, `UnknownDealer` if a dealer was not a previous player and `NumDealers` if
   * there are fewer dealers than quorum(previous players).
   */
  static new<P>(params: InfoParams<P>): Info<P> {
    const dealers = toKeySet(params.dealers);
    const players = toKeySet(params.players);
    const round = BigInt(params.round);
    if (round < 0n || round > 0xffff_ffff_ffff_ffffn) throw new RangeError(`Info: round must be a u64, got ${params.round}`);
    if (dealers.size < 1 || dealers.size >= U32_MAX) throw new NumDealers(dealers.size);
    if (players.size < 1 || players.size >= U32_MAX) throw new NumPlayers(players.size);
    const previous = params.previous;
    if (previous !== null) {
      for (const d of dealers) if (!previous.players.has(d)) throw new UnknownDealer(toHex(d));
      if (dealers.size < previous.quorum()) throw new NumDealers(dealers.size);
    }
    const roundBytes = new Writer(8).u64(round).finish();
    const summary = Transcript.new(DKG_NAMESPACE)
      .commit(params.namespace)
      .commit(roundBytes)
      .commit(encodeOptionalOutput(previous))
      .commit(encodeKeySet(dealers))
      .commit(encodeKeySet(players))
      .summarize();
    return new Info(params.variant, summary, round, previous, params.mode ?? Mode.NonZeroCounter, dealers, players);
  }

  /** Same round (upstream `PartialEq` compares only the summary). */
  equals(other: Info<P>): boolean {
    return compareBytes(this.summary, other.summary) === 0;
  }

  /** Summary of `Transcript::resume(summary)`, from which ack and log transcripts fork. */
  roundSummary(): Summary {
    return roundSummary(this.summary);
  }

  /** Number of players n. */
  numPlayers(): number {
    return this.players.size;
  }

  /** Degree every dealer polynomial must have exactly: quorum(n) − 1. */
  degree(): number {
    return Math.max(0, this.players.quorum() - 1);
  }

  /** Number of accepted dealer logs `select` needs (and uses): max(quorum(dealers), quorum(previous players)). */
  requiredCommitments(): number {
    const prev = this.previous === null ? 0 : this.previous.quorum();
    return Math.max(this.dealers.quorum(), prev);
  }

  /** Most players a dealer may reveal (not acked) and still have its log counted: max_faults(n). */
  maxReveals(): number {
    return this.players.maxFaults();
  }

  /** A player's 0-based index; throws `UnknownPlayer`. */
  playerIndex(player: Ed25519PublicKey): number {
    const i = this.players.indexOf(player);
    if (i < 0) throw new UnknownPlayer();
    return i;
  }

  /** A dealer's 0-based index; throws `UnknownDealer`. */
  dealerIndex(dealer: Ed25519PublicKey): number {
    const i = this.dealers.indexOf(dealer);
    if (i < 0) throw new UnknownDealer(toHex(dealer));
    return i;
  }

  /** A player's evaluation point (index + 1), or null if it is not a player. */
  playerScalar(player: Ed25519PublicKey): Scalar | null {
    const i = this.players.indexOf(player);
    if (i < 0) return null;
    return modeScalar(this.mode, this.players.size, i);
  }

  /**
   * Upstream `check_dealer_pub_msg`: the commitment has degree exactly t − 1 (ignoring trailing
   * identity coefficients, which decoded commitments never have) and, when resharing, its
   * constant term is the dealer's previous share commitment (so the dealer reshares the share it
   * actually holds). Pure; never throws.
   */
  checkDealerPubMsg(dealer: Ed25519PublicKey, pubMsg: DealerPubMsg<P>): boolean {
    if (pubMsg.commitment.degreeExact() !== this.degree()) return false;
    if (this.previous !== null) {
      const expected = this.previous.shareCommitment(dealer);
      if (expected === null) return false;
      if (!this.variant.Public.equals(pubMsg.commitment.constant(), expected)) return false;
    }
    return true;
  }

  /**
   * Upstream `check_dealer_priv_msg` (Feldman check): commitment(x_player) == G · share. Only
   * meaningful after {@link checkDealerPubMsg} accepted the commitment (which bounds its size).
   * Pure; never throws.
   */
  checkDealerPrivMsg(player: Ed25519PublicKey, pubMsg: DealerPubMsg<P>, privMsg: DealerPrivMsg): boolean {
    const x = this.playerScalar(player);
    if (x === null) return false;
    return this.variant.Public.evalEqualsGeneratorMul(pubMsg.commitment.coeffs, x, privMsg.share);
  }
}
