/**
 * The scheme (group identity) that verifies an epoch's certificates, step 5 of processor.ts.
 *
 * Lookup order: this task's own registrations (`follow-state`, learned at its boundaries or
 * memoised), then the `epochs` global table (registrations of other tasks), then the bootstrap
 * outcome, then, for epochs ≥ fromEpoch, the configured network identity. Only the first three
 * are *registered* schemes; the network identity is a fallback that may have rotated, so parked
 * records are released only by a registered scheme (`of(…, false)`). Lookups only read; the
 * writes ({@link Schemes.remember}, {@link Schemes.learn}) happen once a record is accepted.
 */
import { toHex } from '../../codec/bytes.ts';
import type { ProcessorContext } from '../../runtime/processor.ts';
import type { NetworkIdentity } from '../../tempo/network-identity.ts';
import { type PreparedIdentity, prepareIdentity } from '../../tempo/verify.ts';
import type { TopicCodecs } from '../../topics/codecs.ts';
import { EPOCH_EVENT_SCHEME, epochEventKey } from '../../topics/epochs.ts';
import { STORES } from '../../topics/names.ts';
import type { FollowBootstrap } from './bootstrap.ts';
import { decodeScheme, encodeScheme, read, schemeKey } from './stores.ts';

export interface Scheme {
  identity: PreparedIdentity;
  source: 'local' | 'table' | 'bootstrap' | 'network-identity';
  outcome: Uint8Array | null;
}

/** Prepared identities (G2 point decoded and checked once), the 64 most recently added. */
const prepared = new Map<string, PreparedIdentity>();
function prepare(identity: Uint8Array): PreparedIdentity {
  const k = toHex(identity);
  let p = prepared.get(k);
  if (!p) {
    p = prepareIdentity(identity);
    if (prepared.size >= 64) prepared.delete(prepared.keys().next().value!);
    prepared.set(k, p);
  }
  return p;
}

export interface SchemesOptions {
  epochsTopic: string;
  codec: TopicCodecs;
  bootstrap?: FollowBootstrap | undefined;
  networkIdentity?: NetworkIdentity | undefined;
}

export class Schemes {
  private readonly netPrepared: PreparedIdentity | undefined;

  constructor(private readonly opts: SchemesOptions) {
    this.netPrepared = opts.networkIdentity ? prepare(opts.networkIdentity.identity) : undefined;
  }

  /** The scheme of an epoch; with `fallback: false` only a registered one (not the network identity). */
  async of(ctx: ProcessorContext, epoch: bigint, fallback = true): Promise<Scheme | undefined> {
    const { bootstrap: boot, networkIdentity: netId } = this.opts;
    const local = await read(ctx.store(STORES.followState), schemeKey(epoch));
    if (local) {
      const s = decodeScheme(local);
      return { identity: prepare(s.identity), source: 'local', outcome: s.outcome };
    }
    const row = await ctx.global(this.opts.epochsTopic).get(epochEventKey(epoch, EPOCH_EVENT_SCHEME));
    if (row) {
      const ev = await this.opts.codec.decodeEpochEvent(row);
      if (ev.type === 'SchemeRegistered') return { identity: prepare(ev.identity), source: 'table', outcome: ev.outcome };
    }
    if (boot && boot.epoch === epoch) return { identity: prepare(boot.identity), source: 'bootstrap', outcome: boot.outcome };
    if (fallback && netId && this.netPrepared && epoch >= netId.fromEpoch) return { identity: this.netPrepared, source: 'network-identity', outcome: null };
    return undefined;
  }

  /**
   * After a record of `epoch` verified: a network-identity or bootstrap scheme becomes this
   * task's own (HEAD memoises a fallback that verified under the epoch; the bootstrap likewise).
   */
  async remember(ctx: ProcessorContext, epoch: bigint, scheme: Scheme): Promise<void> {
    if (scheme.source !== 'network-identity' && scheme.source !== 'bootstrap') return;
    const state = ctx.store(STORES.followState);
    if (!(await read(state, schemeKey(epoch)))) state.put(schemeKey(epoch), encodeScheme(scheme.identity.bytes, scheme.outcome));
  }

  /** A scheme this task learned at a boundary (the outcome for `epoch`). */
  learn(ctx: ProcessorContext, epoch: bigint, identity: Uint8Array, outcome: Uint8Array): void {
    ctx.store(STORES.followState).put(schemeKey(epoch), encodeScheme(identity, outcome));
  }
}
