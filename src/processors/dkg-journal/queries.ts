/**
 * The journal's queries, with upstream `Storage`'s names and ordering, over the processor's
 * stores (any {@link ReadOnlyStore}: the runtime's local RocksDB instances, the test driver's, or
 * a remote reader). Each (owner, epoch) lives on exactly one partition (records are keyed by
 * epoch), the per-owner prune floor and states on the partitions of their epochs; the queries
 * read every partition they are given and merge, so callers need not know the partitioning.
 *
 *   const q = new JournalQueries({ journal: [...stores], states: [...stores] }, { keyring, maxReadSize });
 *   const node = q.forOwner(pk);
 *   await node.dealings(5n)   // [{dealer, pubMsg, privMsg}] in dealer byte order (privMsg opened)
 *   await node.acks(5n)       // [{player, ack}]
 *   await node.logs(5n)       // OrderedMap dealer → DealerLog (what finalize/observe take)
 *   await node.hasLog(5n, dealer)
 *   await node.epoch()        // {epoch, round, rngSeed, output, share} of the highest epoch, or null
 *
 * Secrets are opened only by the decrypting queries above; {@link JournalQueries.publicView}
 * (what the HTTP API serves) never opens them.
 */
import { compareBytes, OrderedMap, toHex } from '../../codec/index.ts';
import { decodeShare, MinSig, type Share } from '../../crypto/bls12381/index.ts';
import { checkMax, DealerLog, DealerPrivMsg, DealerPubMsg, type DkgVariant, Output, PlayerAck } from '../../crypto/dkg/index.ts';
import type { Ed25519PublicKey } from '../../crypto/ed25519.ts';
import type { ReadOnlyStore } from '../../runtime/processor.ts';
import { decodeTuple } from '../../state/keys.ts';
import { compareBytes as compareBuf, type RangeOptions } from '../../state/kv.ts';
import type { Keyring } from '../../state/seal.ts';
import { type EventKind, privMsgContext } from '../../topics/dkg-events.ts';
import { rngSeedContext, shareContext } from '../../topics/dkg-states.ts';
import { decodeDealing, decodeFloor, decodeLog, decodeState, floorKey, journalKey, kindRange, ownerRange, type StoredState } from './stores.ts';

export interface JournalStores {
  journal: ReadOnlyStore[];
  states: ReadOnlyStore[];
}

export interface QueryOptions {
  keyring: Keyring;
  maxReadSize: number;
  variant?: DkgVariant<unknown>;
}

export interface Dealing<P = unknown> {
  dealer: Ed25519PublicKey;
  pubMsg: DealerPubMsg<P>;
  privMsg: DealerPrivMsg;
}

export interface EpochState<P = unknown> {
  epoch: bigint;
  round: bigint;
  rngSeed: Uint8Array;
  output: Output<P> | null;
  share: Share | null;
}

async function merged(stores: ReadOnlyStore[], range: RangeOptions): Promise<Array<[Buffer, Buffer]>> {
  const out: Array<[Buffer, Buffer]> = [];
  for (const s of stores) for await (const e of s.range(range)) out.push(e);
  out.sort((a, b) => (range.reverse ? -1 : 1) * compareBuf(a[0], b[0]));
  return range.limit !== undefined ? out.slice(0, range.limit) : out;
}

/** The participant key of a journal key (its last tuple element). */
const participantOf = (k: Buffer): Ed25519PublicKey => new Uint8Array(decodeTuple(k).at(-1) as Buffer);

export class JournalQueries<P = unknown> {
  readonly variant: DkgVariant<P>;
  readonly maxReadSize: number;

  constructor(
    private readonly stores: JournalStores | (() => JournalStores),
    private readonly opts: QueryOptions,
  ) {
    this.variant = (opts.variant ?? MinSig) as DkgVariant<P>;
    this.maxReadSize = checkMax(opts.maxReadSize);
  }

  private get s(): JournalStores {
    return typeof this.stores === 'function' ? this.stores() : this.stores;
  }

  forOwner(owner: Uint8Array): OwnerJournal<P> {
    return new OwnerJournal(this, Buffer.from(owner));
  }

  /** Raw entries of one kind (store values), in participant order. */
  async raw(owner: Uint8Array, epoch: bigint, kind: EventKind): Promise<Array<[Buffer, Buffer]>> {
    return merged(this.s.journal, kindRange(owner, epoch, kind));
  }

  async dealings(owner: Uint8Array, epoch: bigint): Promise<Array<Dealing<P>>> {
    const out: Array<Dealing<P>> = [];
    for (const [k, v] of await this.raw(owner, epoch, 'dealing')) {
      const d = decodeDealing(v);
      const plain = this.opts.keyring.open(d.privMsg, privMsgContext(epoch, owner));
      try {
        out.push({ dealer: participantOf(k), pubMsg: DealerPubMsg.decode(d.pubMsg, this.variant, this.maxReadSize), privMsg: DealerPrivMsg.decode(plain) });
      } finally {
        plain.fill(0);
      }
    }
    return out;
  }

  async acks(owner: Uint8Array, epoch: bigint): Promise<Array<{ player: Ed25519PublicKey; ack: PlayerAck }>> {
    return (await this.raw(owner, epoch, 'ack')).map(([k, v]) => ({ player: participantOf(k), ack: PlayerAck.decode(v) }));
  }

  async logs(owner: Uint8Array, epoch: bigint): Promise<OrderedMap<Ed25519PublicKey, DealerLog<P>>> {
    const entries = (await this.raw(owner, epoch, 'log')).map(([k, v]) => [participantOf(k) as Ed25519PublicKey, DealerLog.decode(decodeLog(v).log, this.variant, this.maxReadSize)] as const);
    return OrderedMap.tryFrom(entries, compareBytes);
  }

  async hasLog(owner: Uint8Array, epoch: bigint, dealer: Uint8Array): Promise<boolean> {
    for (const s of this.s.journal) if ((await s.get(journalKey(owner, epoch, 'log', dealer))) !== undefined) return true;
    return false;
  }

  /** The owner's prune floor (0 when never pruned): the highest `min` of any partition. */
  async floor(owner: Uint8Array): Promise<bigint> {
    let f = 0n;
    for (const s of this.s.journal) {
      const v = await s.get(floorKey(owner));
      if (v && decodeFloor(v) > f) f = decodeFloor(v);
    }
    return f;
  }

  /** The highest stored epoch state of `owner` (sealed fields left sealed). */
  async rawEpoch(owner: Uint8Array): Promise<{ epoch: bigint; state: StoredState } | null> {
    const last = await merged(this.s.states, ownerRange(owner, { reverse: true, limit: 1 }));
    if (last.length === 0) return null;
    const [k, v] = last[0]!;
    return { epoch: decodeTuple(k)[1] as bigint, state: decodeState(v) };
  }

  /** Upstream `epoch()`: the current (highest) epoch and its state, secrets opened. */
  async epoch(owner: Uint8Array): Promise<EpochState<P> | null> {
    const r = await this.rawEpoch(owner);
    if (!r) return null;
    const { epoch, state } = r;
    const rngSeed = this.opts.keyring.open(state.rngSeed, rngSeedContext(epoch, owner));
    let share: Share | null = null;
    if (state.share) {
      const plain = this.opts.keyring.open(state.share, shareContext(epoch, owner));
      try {
        share = decodeShare(plain);
      } finally {
        plain.fill(0);
      }
    }
    const output = state.output ? Output.decode(state.output, this.variant, this.maxReadSize) : null;
    return { epoch, round: state.round, rngSeed: new Uint8Array(rngSeed), output, share };
  }

  /**
   * Everything public about an owner's epoch, as JSON-ready hex (never a secret: dealings show
   * the public message and the key id that sealed the private one). Served by the HTTP API.
   */
  async publicView(owner: Uint8Array, epoch: bigint): Promise<PublicEpochView> {
    const dealings = (await this.raw(owner, epoch, 'dealing')).map(([k, v]) => {
      const d = decodeDealing(v);
      return { dealer: toHex(participantOf(k)), pubMsg: toHex(d.pubMsg), privMsg: { sealed: true as const, keyId: d.privMsg.keyId } };
    });
    const acks = (await this.raw(owner, epoch, 'ack')).map(([k, v]) => ({ player: toHex(participantOf(k)), ack: toHex(v) }));
    const logs = (await this.raw(owner, epoch, 'log')).map(([k, v]) => {
      const l = decodeLog(v);
      return { dealer: toHex(participantOf(k)), log: toHex(l.log), source: l.source };
    });
    return { owner: toHex(owner), epoch: String(epoch), dealings, acks, logs };
  }
}

export interface PublicEpochView {
  owner: string;
  epoch: string;
  dealings: Array<{ dealer: string; pubMsg: string; privMsg: { sealed: true; keyId: string } }>;
  acks: Array<{ player: string; ack: string }>;
  logs: Array<{ dealer: string; log: string; source: string }>;
}

/** Upstream `Storage`'s read API for one node (the owner). */
export class OwnerJournal<P = unknown> {
  constructor(
    readonly queries: JournalQueries<P>,
    readonly owner: Buffer,
  ) {}

  dealings(epoch: bigint): Promise<Array<Dealing<P>>> {
    return this.queries.dealings(this.owner, epoch);
  }

  acks(epoch: bigint): Promise<Array<{ player: Ed25519PublicKey; ack: PlayerAck }>> {
    return this.queries.acks(this.owner, epoch);
  }

  logs(epoch: bigint): Promise<OrderedMap<Ed25519PublicKey, DealerLog<P>>> {
    return this.queries.logs(this.owner, epoch);
  }

  hasLog(epoch: bigint, dealer: Uint8Array): Promise<boolean> {
    return this.queries.hasLog(this.owner, epoch, dealer);
  }

  epoch(): Promise<EpochState<P> | null> {
    return this.queries.epoch(this.owner);
  }
}

export { compareBuf as compareKeys };
