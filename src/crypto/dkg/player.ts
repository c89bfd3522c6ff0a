import { compareBytes, OrderedMap, toHex } from '../../codec/index.ts';
import type { Scalar, Share } from '../bls12381/index.ts';
import { type Ed25519PrivateKey, type Ed25519PublicKey, ed25519PublicKey } from '../ed25519.ts';
import { DkgFailed } from './errors.ts';
import type { Info } from './info.ts';
import { combineShares, type DealerLogs, reckon, select } from './observe.ts';
import { ackDigest, signDigest } from './transcripts.ts';
import { type DealerPrivMsg, type DealerPubMsg, type Output, PlayerAck } from './types.ts';

/**
 * A player of one round (upstream `Player`, v0.0.64): verifies dealings, acks the good ones, and
 * at the end combines the selected dealers' shares into its own.
 *
 * Crash safety is the caller's job, as upstream: persist each accepted dealing *before* sending
 * the ack, and replay the stored dealings through {@link dealerMessage} after a restart (acks are
 * deterministic, so the same acks come out). A player whose ack appears in a selected log but who
 * lost the dealing cannot finalize.
 */
export class Player<P> {
  /** dealer (hex) → the accepted dealing. */
  private readonly view = new Map<string, { pubMsg: DealerPubMsg<P>; privMsg: DealerPrivMsg }>();

  private constructor(
    readonly info: Info<P>,
    private readonly me: Ed25519PrivateKey,
    readonly publicKey: Ed25519PublicKey,
    /** 0-based index in the player set = the index of the resulting share. */
    readonly index: number,
  ) {}

  /** Upstream `Player::new`; throws `UnknownPlayer` if `me` is not a player of the round. */
  static new<P>(info: Info<P>, me: Ed25519PrivateKey): Player<P> {
    const pk = ed25519PublicKey(me);
    return new Player(info, me, pk, info.playerIndex(pk));
  }

  /**
   * Upstream `dealer_message`: returns the ack, or null (an implicit complaint) if this dealer was
   * already processed (even with identical messages — cache and resend the first ack instead), is
   * not a dealer of the round, or its dealing fails `checkDealerPubMsg` / the Feldman check of
   * our share. The ack signs `0x00 ‖ ackDigest(info, dealer, pub_msg)`. Never throws on bad
   * input.
   */
  dealerMessage(dealer: Ed25519PublicKey, pubMsg: DealerPubMsg<P>, privMsg: DealerPrivMsg): PlayerAck | null {
    const key = toHex(dealer);
    if (this.view.has(key)) return null;
    if (!this.info.dealers.has(dealer)) return null;
    if (!this.info.checkDealerPubMsg(dealer, pubMsg)) return null;
    if (!this.info.checkDealerPrivMsg(this.publicKey, pubMsg, privMsg)) return null;
    const sig = signDigest(this.me, ackDigest(this.info.summary, dealer, pubMsg.bytes()));
    this.view.set(key, { pubMsg, privMsg });
    return new PlayerAck(sig);
  }

  /** Whether a dealing from `dealer` has been accepted. */
  hasDealing(dealer: Ed25519PublicKey): boolean {
    return this.view.has(toHex(dealer));
  }

  /**
   * Upstream `finalize(logs)`: `select` the logs (same rule as observers), take our share from
   * each selected dealer — the one we received, else the one the log reveals — and combine them
   * (sum for a fresh DKG, Lagrange-weighted sum for a reshare). The output equals `observe`'s for
   * the same logs. Throws `DkgFailed` (not enough valid logs, reshare key mismatch, or — where
   * upstream would panic — a selected log records our ack for a dealing we no longer have).
   */
  finalize(logs: DealerLogs<P>): { output: Output<P>; share: Share } {
    const selected = select(this.info, logs);
    const shares: Array<readonly [Ed25519PublicKey, Scalar]> = [];
    for (const [dealer, log] of selected) {
      const seen = this.view.get(toHex(dealer));
      const s = seen?.privMsg.share ?? log.getReveal(this.publicKey)?.share;
      if (s === undefined) throw new DkgFailed(`no share from selected dealer ${toHex(dealer)} (acked dealing lost?)`);
      shares.push([dealer, s]);
    }
    const { output, weights } = reckon(this.info, selected);
    const priv = combineShares(weights, OrderedMap.tryFrom(shares, compareBytes));
    return { output, share: { index: this.index, private: priv } };
  }
}
