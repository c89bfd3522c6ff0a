/**
 * The participant runtime (item 3): upstream `Storage` + its `Dealer`/`Player` wrappers
 * (commonware `examples/reshare/src/dkg/state.rs`, v0.0.64) for one node, with the journal in
 * Kafka instead of local append-only files.
 *
 * Durability: every `append*` goes through a {@link JournalBackend}, whose `append` resolves only
 * once the records are committed (a Kafka transaction) **and** folded by `dkg-journal`, so a
 * later query sees them (read-your-writes). In particular `Player.handle` commits the Dealing
 * before it returns the ack, exactly as upstream syncs the journal before acking.
 *
 * As upstream, the node keeps an in-memory cache per epoch (what it has appended or read back)
 * and does not append a slot it already has (`append*` returns false); the processor enforces
 * first-writer-wins independently, so a duplicate that still reaches the topic is not applied.
 *
 * Restart = build a new {@link Storage} on the same backend: `createDealer` starts from
 * `Transcript::resume(rng_seed).noise("dealer-rng")` (identical polynomial, so acks collected
 * before the crash stay valid) and replays the stored acks; `createPlayer` replays the stored
 * dealings, regenerating identical acks (ed25519 is deterministic).
 *
 * Deliberate difference from upstream: upstream's `receive_player_ack` returns Ok for an ack
 * whose signature does not verify, so upstream's `Dealer::handle` persists it and stops sending
 * the dealing to that player (and `create_dealer` does the same on replay). Here only acks that
 * verify are persisted or replayed; an invalid one leaves the player in `unsent`, so the genuine
 * ack can still arrive. The resulting log differs from upstream's only in that case (Ack instead of
 * Reveal for that player).
 */
import { compareBytes, type OrderedMap, toHex } from '../../codec/index.ts';
import { encodeShare, type Share } from '../../crypto/bls12381/index.ts';
import {
  Dealer as CryptoDealer,
  Player as CryptoPlayer,
  type DealerLog,
  type DealerPrivMsg,
  type DealerPubMsg,
  dealerRng,
  type Info,
  type Output,
  type PlayerAck,
  type SignedDealerLog,
} from '../../crypto/dkg/index.ts';
import { type Ed25519PrivateKey, type Ed25519PublicKey, ed25519PublicKey } from '../../crypto/ed25519.ts';
import type { Summary } from '../../crypto/transcript.ts';
import type { EpochState, JournalQueries } from '../../processors/dkg-journal/queries.ts';
import { logger } from '../../runtime/log.ts';
import type { Metrics } from '../../runtime/metrics.ts';
import { decodeTuple } from '../../state/keys.ts';
import type { Keyring } from '../../state/seal.ts';
import { type JournalEvent, privMsgContext } from '../../topics/dkg-events.ts';
import { type EpochStateRecord, rngSeedContext, shareContext } from '../../topics/dkg-states.ts';

const log = logger('dkg-participant');

export type JournalRecord = { kind: 'event'; event: JournalEvent } | { kind: 'state'; state: EpochStateRecord };

/** Where a node's journal lives: a committed, folded append, and the journal's queries. */
export interface JournalBackend {
  /**
   * Commits the records (one transaction) and resolves once `dkg-journal` has folded them.
   * A `prune` event is delivered to every partition.
   */
  append(records: JournalRecord[]): Promise<void>;
  readonly queries: JournalQueries;
}

export interface StorageOptions {
  backend: JournalBackend;
  keyring: Keyring;
  /** This node's identity (the journal owner). */
  owner: Ed25519PublicKey;
  metrics?: Metrics;
}

interface EpochCache {
  dealings: Set<string>;
  acks: Set<string>;
  logs: Set<string>;
}

/** Upstream `Epoch{round, rng_seed, output, share}`. */
export interface EpochInput<P = unknown> {
  round: bigint;
  rngSeed: Summary;
  output: Output<P> | null;
  share: Share | null;
}

export class Storage<P = unknown> {
  private readonly caches = new Map<bigint, Promise<EpochCache>>();
  readonly owner: Buffer;

  constructor(private readonly opts: StorageOptions) {
    this.owner = Buffer.from(opts.owner);
  }

  private get q(): JournalQueries<P> {
    return this.opts.backend.queries as JournalQueries<P>;
  }

  /** The epoch's cache, loaded from the journal on first use (upstream replays it at init). */
  private cache(epoch: bigint): Promise<EpochCache> {
    let c = this.caches.get(epoch);
    if (!c) {
      c = (async () => {
        const [d, a, l] = await Promise.all(['dealing', 'ack', 'log'].map((k) => this.q.raw(this.owner, epoch, k as 'dealing')));
        // The participant is the last element of the store key.
        const ids = (xs: Array<[Buffer, Buffer]>) => new Set(xs.map(([k]) => toHex(decodeTuple(k).at(-1) as Buffer)));
        return { dealings: ids(d!), acks: ids(a!), logs: ids(l!) };
      })();
      c.catch(() => this.caches.delete(epoch));
      this.caches.set(epoch, c);
    }
    return c;
  }

  dealings(epoch: bigint) {
    return this.q.dealings(this.owner, epoch);
  }

  acks(epoch: bigint) {
    return this.q.acks(this.owner, epoch);
  }

  logs(epoch: bigint): Promise<OrderedMap<Ed25519PublicKey, DealerLog<P>>> {
    return this.q.logs(this.owner, epoch);
  }

  async hasLog(epoch: bigint, dealer: Ed25519PublicKey): Promise<boolean> {
    return (await this.cache(epoch)).logs.has(toHex(dealer)) || this.q.hasLog(this.owner, epoch, dealer);
  }

  epoch(): Promise<EpochState<P> | null> {
    return this.q.epoch(this.owner);
  }

  private async appendOnce(epoch: bigint, set: keyof EpochCache, participant: Ed25519PublicKey, event: JournalEvent): Promise<boolean> {
    const cache = await this.cache(epoch);
    const id = toHex(participant);
    if (cache[set].has(id)) return false;
    await this.opts.backend.append([{ kind: 'event', event }]);
    cache[set].add(id);
    return true;
  }

  /** Upstream `append_dealing`: persists (committed and folded) a dealing we are about to ack. */
  appendDealing(epoch: bigint, dealer: Ed25519PublicKey, pubMsg: DealerPubMsg<P>, privMsg: DealerPrivMsg): Promise<boolean> {
    const plain = Buffer.from(privMsg.encode());
    const sealed = this.opts.keyring.seal(plain, privMsgContext(epoch, this.owner));
    plain.fill(0);
    return this.appendOnce(epoch, 'dealings', dealer, { kind: 'dealing', epoch, owner: this.owner, dealer: Buffer.from(dealer), pubMsg: Buffer.from(pubMsg.bytes()), privMsg: sealed });
  }

  /** Upstream `append_ack`, with the digest the signature was checked over. */
  appendAck(epoch: bigint, player: Ed25519PublicKey, ack: PlayerAck, digest: Uint8Array | null = null): Promise<boolean> {
    return this.appendOnce(epoch, 'acks', player, { kind: 'ack', epoch, owner: this.owner, player: Buffer.from(player), ack: Buffer.from(ack.encode()), digest: digest ? Buffer.from(digest) : null });
  }

  /** Upstream `append_log`: a checked dealer log (from a finalized block, or our own). */
  appendLog(epoch: bigint, dealer: Ed25519PublicKey, dealerLog: DealerLog<P>, source = 'participant'): Promise<boolean> {
    return this.appendOnce(epoch, 'logs', dealer, { kind: 'log', epoch, owner: this.owner, dealer: Buffer.from(dealer), log: Buffer.from(dealerLog.bytes()), source });
  }

  /** Upstream `append_epoch`: the new epoch's state (rng seed and share sealed). */
  async appendEpoch(epoch: bigint, state: EpochInput<P>): Promise<void> {
    let share = null;
    if (state.share) {
      const plain = Buffer.from(encodeShare(state.share));
      share = this.opts.keyring.seal(plain, shareContext(epoch, this.owner));
      plain.fill(0);
    }
    await this.opts.backend.append([
      {
        kind: 'state',
        state: {
          epoch,
          owner: this.owner,
          round: state.round,
          rngSeed: this.opts.keyring.seal(state.rngSeed, rngSeedContext(epoch, this.owner)),
          output: state.output ? Buffer.from(state.output.bytes()) : null,
          share,
        },
      },
    ]);
  }

  /** Upstream `prune(min)`: drops every epoch older than `min` from the stores and changelogs. */
  async prune(min: bigint): Promise<void> {
    await this.opts.backend.append([{ kind: 'event', event: { kind: 'prune', epoch: min, owner: this.owner } }]);
    for (const e of [...this.caches.keys()]) if (e < min) this.caches.delete(e);
  }

  /**
   * Upstream `create_dealer`: null if our log for `epoch` is already stored; else a dealer
   * started from the epoch's rng seed, with stored acks replayed (those players are not sent the
   * dealing again).
   */
  async createDealer(epoch: bigint, signer: Ed25519PrivateKey, info: Info<P>, share: Share | null, rngSeed: Summary): Promise<Dealer<P> | null> {
    const me = ed25519PublicKey(signer);
    if (await this.hasLog(epoch, me)) return null;
    const { dealer, pubMsg, privMsgs } = CryptoDealer.start(dealerRng(rngSeed), info, signer, share);
    const unsent = new Map(privMsgs.map(([p, m]) => [toHex(p), { player: p, privMsg: m }]));
    for (const { player, ack } of await this.acks(epoch)) {
      const k = toHex(player);
      if (!unsent.has(k)) continue;
      if (dealer.receivePlayerAck(player, ack)) {
        unsent.delete(k);
        log.debug({ epoch: String(epoch), player: k }, 'replayed player ack');
      } else {
        this.opts.metrics?.inc('dkg_stream_participant_replayed_acks_rejected_total', 'Stored acks whose signature does not verify for the regenerated dealing', {});
      }
    }
    return new Dealer(dealer, pubMsg, unsent);
  }

  /** Upstream `create_player`: a player with every stored dealing replayed (identical acks). */
  async createPlayer(epoch: bigint, signer: Ed25519PrivateKey, info: Info<P>): Promise<Player<P>> {
    const player = new Player<P>(CryptoPlayer.new(info, signer));
    for (const d of await this.dealings(epoch)) player.replay(d.dealer, d.pubMsg, d.privMsg);
    return player;
  }
}

/** Upstream `Dealer` wrapper: the crypto dealer, its public message and the players still to serve. */
export class Dealer<P = unknown> {
  private dealer: CryptoDealer<P> | null;
  private finalizedLog: SignedDealerLog<P> | null = null;

  constructor(
    dealer: CryptoDealer<P>,
    readonly pubMsg: DealerPubMsg<P>,
    private readonly unsent: Map<string, { player: Ed25519PublicKey; privMsg: DealerPrivMsg }>,
  ) {
    this.dealer = dealer;
  }

  /** Upstream `handle`: a new valid ack from a still-unsent player is accepted and persisted. */
  async handle(storage: Storage<P>, epoch: bigint, player: Ed25519PublicKey, ack: PlayerAck): Promise<void> {
    if (!this.unsent.has(toHex(player)) || !this.dealer) return;
    if (!this.dealer.receivePlayerAck(player, ack)) return;
    this.unsent.delete(toHex(player));
    await storage.appendAck(epoch, player, ack, this.dealer.ackDigest());
  }

  /** Upstream `finalize`: signs the log once (later calls do nothing). */
  finalize(): void {
    if (this.finalizedLog || !this.dealer) return;
    this.finalizedLog = this.dealer.finalize();
    this.dealer = null;
  }

  finalized(): SignedDealerLog<P> | null {
    return this.finalizedLog;
  }

  takeFinalized(): SignedDealerLog<P> | null {
    const l = this.finalizedLog;
    this.finalizedLog = null;
    return l;
  }

  /** Upstream `shares_to_distribute`: (player, pub, priv) for every player that has not acked. */
  sharesToDistribute(): Array<{ player: Ed25519PublicKey; pubMsg: DealerPubMsg<P>; privMsg: DealerPrivMsg }> {
    return [...this.unsent.values()].sort((a, b) => compareBytes(a.player, b.player)).map((u) => ({ player: u.player, pubMsg: this.pubMsg, privMsg: u.privMsg }));
  }
}

/** Upstream `Player` wrapper: acks are generated once per dealer and cached. */
export class Player<P = unknown> {
  private readonly acks = new Map<string, PlayerAck>();

  constructor(private readonly player: CryptoPlayer<P>) {}

  /**
   * Upstream `handle`: the cached ack for a dealer already acked; otherwise, if the dealing is
   * valid, it is durably stored (committed and folded) **before** the ack is returned.
   */
  async handle(storage: Storage<P>, epoch: bigint, dealer: Ed25519PublicKey, pubMsg: DealerPubMsg<P>, privMsg: DealerPrivMsg): Promise<PlayerAck | null> {
    const k = toHex(dealer);
    const cached = this.acks.get(k);
    if (cached) return cached;
    const ack = this.player.dealerMessage(dealer, pubMsg, privMsg);
    if (!ack) return null;
    await storage.appendDealing(epoch, dealer, pubMsg, privMsg);
    this.acks.set(k, ack);
    return ack;
  }

  /** The ack this player generated (or regenerated on replay) for `dealer`, if any. */
  ackFor(dealer: Ed25519PublicKey): PlayerAck | null {
    return this.acks.get(toHex(dealer)) ?? null;
  }

  /** Upstream `replay`: in-memory only (the dealing is already stored). */
  replay(dealer: Ed25519PublicKey, pubMsg: DealerPubMsg<P>, privMsg: DealerPrivMsg): void {
    const k = toHex(dealer);
    if (this.acks.has(k)) return;
    const ack = this.player.dealerMessage(dealer, pubMsg, privMsg);
    if (ack) this.acks.set(k, ack);
  }

  /** Upstream `finalize(logs)`: the round's Output and our Share (throws DkgFailed). */
  finalize(logs: Iterable<readonly [Ed25519PublicKey, DealerLog<P>]>): { output: Output<P>; share: Share } {
    return this.player.finalize(logs);
  }
}
