/**
 * Parking (step 5 of processor.ts): a record of an epoch whose scheme is not known yet waits in
 * `pending` until a *registered* scheme for it arrives (this task's boundary, or another task's
 * registration seen through the `epochs` table), instead of being dropped: the outcome then does
 * not depend on the race between partitions, so a replay gives the same outputs.
 *
 * Invariants: at most `maxPending` records are parked per partition (the next one is rejected as
 * IdentityUnavailable); an epoch with parked records has a "wanted" mark (the boundary height
 * that would unlock it), dropped once it is released; a released record goes through the fold
 * again without the right to park (no scheme → IdentityUnavailable), and a rejection is
 * dead-lettered as the original record; records of one epoch are released in height order.
 *
 * Nothing parked (the usual case): a record's "anything parked for my epoch?" would be a RocksDB
 * range per record. Instead each unit of work (one context: a chunk, or a hook call) learns once
 * whether `pending` is empty and then answers from memory, which holds because
 *  - it is learned by a real scan, at the start of a record (before that record writes anything:
 *    a record's rollback only undoes its own writes, so the answer stays true for the records
 *    after it), and only `park` and `release` write `pending`: `park` ends it (known non-empty),
 *    a `release` that deleted something makes the unit scan again at its next record;
 *  - it lives with the context, never longer: a new unit (a new chunk, a restarted, restored or
 *    rebalanced task) starts unknown and scans the store again. Nothing is carried across tasks.
 */
import { logger } from '../../runtime/log.ts';
import type { InRecord, ProcessorContext } from '../../runtime/processor.ts';
import { decodeU64, u64 } from '../../state/keys.ts';
import type { FixedEpocher } from '../../tempo/epocher.ts';
import { STORES } from '../../topics/names.ts';
import type { Checked } from './certificate.ts';
import { FollowRejection } from './rejection.ts';
import { decodeParked, encodeParked, pendingEpochRange, pendingKey, wantedKey } from './stores.ts';

const log = logger('follow');

export class Parking {
  /** Per unit of work: `pending` known empty (true) or not (false); absent = not known. */
  private readonly emptyIn = new WeakMap<ProcessorContext, boolean>();

  constructor(
    private readonly epocher: FixedEpocher,
    private readonly maxPending: number,
  ) {}

  async park(ctx: ProcessorContext, record: InRecord, c: Checked): Promise<void> {
    const pending = ctx.store(STORES.pending);
    let n = 0;
    for await (const _ of pending.range({ limit: this.maxPending })) n++;
    if (n >= this.maxPending) throw new FollowRejection('IdentityUnavailable', `no scheme for epoch ${c.epoch} yet and ${n} records are already parked`);
    pending.put(pendingKey(record, c.epoch, c.height), encodeParked(record));
    this.emptyIn.set(ctx, false);
    const state = ctx.store(STORES.followState);
    if (!(await state.get(wantedKey(c.epoch)))) {
      const want = c.epoch === 0n ? 0n : this.epocher.last(c.epoch - 1n)!;
      state.put(wantedKey(c.epoch), u64(want));
      log.warn({ epoch: c.epoch.toString(), boundary: want.toString() }, 'no scheme for this epoch yet: parking its certificates until the boundary block is verified');
    }
  }

  /** Whether records of `epoch` are parked. Called before the record being folded writes anything. */
  async hasParked(ctx: ProcessorContext, epoch: bigint): Promise<boolean> {
    if (!this.emptyIn.has(ctx)) {
      let empty = true;
      for await (const _ of ctx.store(STORES.pending).range({ limit: 1 })) empty = false;
      this.emptyIn.set(ctx, empty);
    }
    if (this.emptyIn.get(ctx)) return false;
    for await (const _ of ctx.store(STORES.pending).range({ ...pendingEpochRange(epoch), limit: 1 })) return true;
    return false;
  }

  /** The lowest epoch with records parked in this partition (pruning must not pass it). */
  async lowestParkedEpoch(ctx: ProcessorContext): Promise<bigint | undefined> {
    if (this.emptyIn.get(ctx)) return undefined;
    for await (const [k] of ctx.store(STORES.pending).range({ limit: 1 })) return decodeU64(k);
    return undefined;
  }

  /**
   * Releases parked records whose epoch now has a registered scheme (all epochs, or one): each is
   * removed from `pending` and handed to `handle`; a {@link FollowRejection} dead-letters it.
   */
  async release(ctx: ProcessorContext, only: bigint | undefined, registered: (epoch: bigint) => Promise<boolean>, handle: (record: InRecord) => Promise<unknown>): Promise<void> {
    if (this.emptyIn.get(ctx)) return;
    const pending = ctx.store(STORES.pending);
    const range = only === undefined ? {} : pendingEpochRange(only);
    const known = new Map<bigint, boolean>();
    const entries: Array<[Buffer, Buffer]> = [];
    for await (const e of pending.range(range)) entries.push(e);
    for (const [k, v] of entries) {
      const epoch = decodeU64(k);
      let ok = known.get(epoch);
      // Only a registered scheme releases: the network identity was already tried (or did not apply).
      if (ok === undefined) known.set(epoch, (ok = await registered(epoch)));
      if (!ok) continue;
      pending.delete(k);
      this.emptyIn.delete(ctx); // maybe empty now: the next record scans again
      const record = decodeParked(v);
      try {
        await handle(record);
      } catch (err) {
        if (err instanceof FollowRejection) ctx.deadLetter(record, err);
        else throw err;
      }
    }
    if (entries.length > 0) {
      // Drop "wanted" marks of epochs that have nothing parked any more.
      for (const [epoch, ok] of known) if (ok) ctx.store(STORES.followState).delete(wantedKey(epoch));
    }
  }
}
