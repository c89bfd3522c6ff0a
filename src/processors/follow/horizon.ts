/**
 * Bounded state: the pruned horizon and the pruning that raises it (processor.ts, "Bounded
 * state"). The height marks, the schemes learned, the "wanted" marks and the kept dealer logs are
 * per height or per epoch; at each boundary this task verifies, the entries of epochs older than
 * the retained ones are deleted, and records below the horizon count as handled.
 *
 * Invariants: the horizon (key 'p') is only raised, never lowered; it never passes the first
 * height of the lowest epoch with records still parked in this partition; the deletes are store
 * deletes in the same fold (changelog tombstones), at most `pruneBatch` height marks per
 * boundary; everything depends only on the store, so a replay prunes the same keys.
 */
import { logger } from '../../runtime/log.ts';
import type { Metrics } from '../../runtime/metrics.ts';
import type { ProcessorContext } from '../../runtime/processor.ts';
import { decodeU64, u64 } from '../../state/keys.ts';
import type { FixedEpocher } from '../../tempo/epocher.ts';
import { STORES } from '../../topics/names.ts';
import { FOLLOW_METRICS } from './config.ts';
import { FAMILY, familyBelow, PRUNED_KEY, read } from './stores.ts';

const log = logger('follow');

export class Horizon {
  /** Last horizon reported per partition (the gauge only; the store holds the truth). */
  private readonly reported = new Map<number, bigint>();

  constructor(
    private readonly epocher: FixedEpocher,
    private readonly retain: bigint,
    private readonly pruneBatch: number,
    /** Where the horizon gauge is set (a gauge is not an effect of a record: set directly, not through ctx.count). */
    private readonly metrics: Metrics | undefined,
  ) {}

  /** The pruned horizon of this task: heights below it count as handled. */
  async of(ctx: ProcessorContext): Promise<bigint> {
    const v = await read(ctx.store(STORES.followState), PRUNED_KEY);
    const h = v ? decodeU64(v) : 0n;
    if (this.metrics && this.reported.get(ctx.partition) !== h) {
      this.reported.set(ctx.partition, h);
      this.metrics.set(FOLLOW_METRICS.horizon, 'Pruned horizon of each follow task: records below this height are skipped as BelowPrunedHorizon', { partition: ctx.partition }, Number(h));
    }
    return h;
  }

  /**
   * After the boundary of `epoch`: raises the horizon to the first height of epoch
   * `epoch + 2 − retainEpochs` (not past `lowestParked`, the lowest epoch with parked records,
   * never lowered) and deletes the per-height and per-epoch entries below it (height marks at most
   * `pruneBatch` per call).
   */
  async prune(ctx: ProcessorContext, epoch: bigint, lowestParked: bigint | undefined): Promise<void> {
    const { epocher, retain } = this;
    const state = ctx.store(STORES.followState);
    let floor = epoch + 2n - retain;
    if (lowestParked !== undefined && lowestParked < floor) {
      log.info({ epoch: epoch.toString(), floor: floor.toString(), parkedEpoch: lowestParked.toString() }, 'pruning held back: records of an older epoch are still parked in this partition');
      floor = lowestParked;
    }
    const current = await this.of(ctx);
    const target = floor > 0n ? (epocher.first(floor) ?? current) : 0n;
    const horizon = target > current ? target : current;
    if (horizon === 0n) return;
    if (horizon > current) {
      state.put(PRUNED_KEY, u64(horizon));
      await this.of(ctx); // reports the new horizon
      log.info({ boundaryEpoch: epoch.toString(), prunedBelowHeight: horizon.toString(), retainEpochs: Number(retain) }, 'follow state pruned below the horizon');
    }
    const floorEpoch = epocher.containing(horizon)!.epoch;
    const sweep = async (family: string, range: { gte: Buffer; lt: Buffer }, limit?: number) => {
      const keys: Buffer[] = [];
      for await (const [k] of state.range(limit === undefined ? range : { ...range, limit })) keys.push(k);
      for (const k of keys) state.delete(k);
      if (keys.length > 0) ctx.count(FOLLOW_METRICS.pruned, 'follow-state entries deleted below the pruned horizon (tombstoned in the changelog), by key family', { family }, keys.length);
    };
    await sweep('height', familyBelow(FAMILY.height, horizon), this.pruneBatch);
    await sweep('scheme', familyBelow(FAMILY.scheme, floorEpoch));
    await sweep('wanted', familyBelow(FAMILY.wanted, floorEpoch));
    await sweep('log', familyBelow(FAMILY.log, floorEpoch));
  }
}
