/**
 * Steps 8 and 9 of processor.ts on the store side (observer.ts holds the pure DKG logic): the
 * dealer logs that verified non-boundary blocks carry, and the boundary's observation over them.
 *
 * Invariants: only a log that checks against the epoch's round is kept, the first one per
 * (epoch, dealer) (`follow-state` 'l' keys), and it is emitted to `dkg.events` exactly then (a
 * re-posted identical log is skipped, a different one dead-lettered as ConflictingDealerLog); a
 * log that is not usable never rejects its block, which stays verified; the observation reads
 * only the logs kept for the epoch, so it is the same on a replay.
 */
import { asBuffer, equalBytes, toHex } from '../../codec/bytes.ts';
import { logger } from '../../runtime/log.ts';
import type { InRecord, ProcessorContext } from '../../runtime/processor.ts';
import type { TopicCodecs } from '../../topics/codecs.ts';
import { epochKey } from '../../topics/epoch-key.ts';
import type { Observation } from '../../topics/epochs.ts';
import { STORES } from '../../topics/names.ts';
import type { Checked } from './certificate.ts';
import { CHAIN_OWNER, DealerLogRejection, observeBoundary, readDealerLog, roundOf } from './observer.ts';
import { FollowRejection } from './rejection.ts';
import type { Scheme } from './schemes.ts';
import { dealerOfLogKey, logEpochRange, logKey } from './stores.ts';

const log = logger('follow');

export class DealerLogs {
  constructor(
    private readonly dkgEventsTopic: string,
    private readonly codec: TopicCodecs,
  ) {}

  /**
   * A verified non-boundary block's extraData: a dealer log of the epoch's round. A checked log
   * is kept (first per dealer) and emitted to `dkg.events`; a log that is not usable goes to the
   * DLQ with its reason, and the block itself stays verified.
   */
  async keep(ctx: ProcessorContext, record: InRecord, c: Checked, scheme: Scheme): Promise<void> {
    if (!scheme.outcome || scheme.outcome.length === 0) {
      log.warn({ epoch: c.epoch.toString(), height: c.height.toString(), scheme: scheme.source }, "dealer log not checked: the outcome that defines this epoch's DKG round is unknown");
      return;
    }
    const round = roundOf(c.epoch, scheme.outcome);
    if (typeof round === 'string') {
      log.warn({ epoch: c.epoch.toString(), height: c.height.toString(), reason: round }, 'dealer log not checked: no DKG round for this epoch');
      return;
    }
    let checked: { dealer: Uint8Array; log: { bytes(): Uint8Array } };
    try {
      checked = readDealerLog(c.header.inner.extraData, round);
    } catch (err) {
      if (!(err instanceof DealerLogRejection)) throw err;
      ctx.deadLetter(record, new FollowRejection(err.reason, `block ${c.height} of epoch ${c.epoch}: ${err.message}`));
      return;
    }
    const state = ctx.store(STORES.followState);
    const key = logKey(c.epoch, checked.dealer);
    const logBytes = checked.log.bytes();
    const seen = await state.get(key);
    if (seen) {
      // A dealer re-posts its log in every block it proposes until it sees it finalized.
      if (equalBytes(seen, logBytes)) return;
      ctx.deadLetter(
        record,
        new FollowRejection('ConflictingDealerLog', `block ${c.height} of epoch ${c.epoch}: dealer ${toHex(checked.dealer)} already has a different log in this round (the first one is kept)`),
      );
      return;
    }
    state.put(key, asBuffer(logBytes));
    ctx.send({
      topic: this.dkgEventsTopic,
      key: epochKey(c.epoch),
      value: await this.codec.encodeDkgEvent({ kind: 'log', epoch: c.epoch, owner: asBuffer(CHAIN_OWNER), dealer: asBuffer(checked.dealer), log: asBuffer(logBytes), source: `follower:${c.height}` }),
    });
  }

  /** The boundary's observation: `observe` over the epoch's logs vs the on-chain output (null if the round is unknown). */
  async observe(ctx: ProcessorContext, c: Checked, scheme: Scheme): Promise<Observation | null> {
    const state = ctx.store(STORES.followState);
    const round = scheme.outcome && scheme.outcome.length > 0 ? roundOf(c.epoch, scheme.outcome) : "the outcome that defines this epoch's round is unknown";
    const logs: Array<readonly [Uint8Array, Uint8Array]> = [];
    for await (const [k, v] of state.range(logEpochRange(c.epoch))) logs.push([dealerOfLogKey(k), v] as const);
    // Logs of older epochs go with the other entries of pruned epochs (prune, after the boundary).
    if (typeof round === 'string') {
      log.warn({ epoch: c.epoch.toString(), reason: round }, 'boundary outcome not observed');
      return null;
    }
    const obs = observeBoundary(round, logs, c.header.inner.extraData);
    if (!obs.matches)
      log.warn({ epoch: c.epoch.toString(), boundary: c.height.toString(), logs: obs.logs, reason: obs.reason }, 'the on-chain DKG outcome differs from what the dealer logs on chain give');
    return obs;
  }
}
