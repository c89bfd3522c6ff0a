/**
 * The `follow` processor: tempo's follow driver (reference `crates/consensus/src/follow/driver.rs`
 * at 92f38ee506, with HEAD's `finalization_verifier` checks; tempo-follow.md §5, §8) as a fold
 * over `consensus.finalizations` (keyed and partitioned by epoch).
 *
 * Per record, in this order (the first failing check is the DLQ reason, `dlq.error.class`):
 *  1. certificate → `Finalization` (strict, no trailing bytes)        else MalformedCertificate
 *     header (RLP or RPC JSON) → `TempoHeader`                         else MalformedHeader
 *     record height = header number                                    else MalformedCertificate
 *  2. proposal.payload == keccak(rlp(header))                          else BlockDigestMismatch
 *  3. proposal.epoch == floor(number / L), and the record key is that epoch
 *                                                                      else EpochMismatch
 *  4. a height below the pruned horizon (see "Bounded state"): skipped as BelowPrunedHorizon;
 *     a height already verified with the same digest: skipped as Duplicate (re-proposed
 *     boundary, duplicate delivery); nothing is emitted twice.
 *  5. scheme of the epoch: this task's own registrations (`follow-state`), then the `epochs`
 *     global table, then the bootstrap outcome, then the network identity if epoch ≥ fromEpoch.
 *     None yet, and the epoch is after the trust root: the record is PARKED in `pending` and
 *     released when the scheme arrives (onGlobalUpdate, or this task's own boundary). Before the
 *     trust root, or with `maxPending` records already parked     → IdentityUnavailable
 *  6. both signatures verify under the identity                         else VerificationFailed
 *     except under the network-identity fallback: the identity may have rotated, so the record
 *     is parked until the epoch's registered scheme arrives and is verified (once) under it.
 *     (Upstream drops it and hints the boundary; parking keeps the result independent of the
 *     race between partitions, so a replay gives the same outputs.)
 *  7. a boundary block (number == last(E)): an `OnchainDkgOutcome` reads from the start of
 *     extraData, as tempo reads it (`OnchainDkgOutcome::read`: bytes after a valid outcome are
 *     tolerated, since validators compare decoded values and such a block is finalized), and its
 *     epoch is E + 1                                                    else MalformedOutcome
 *     (the whole record is rejected: nothing is emitted for it). Trailing bytes are recorded:
 *     `EpochAdvanced.outcomeTrailingBytes`, the `dkg_stream_follow_outcome_trailing_bytes_total` metric and
 *     a warning; the registered `outcome` is the outcome's own bytes, without them.
 *  8. a non-boundary block with non-empty extraData: a `SignedDealerLog` of the epoch's DKG round
 *     (observer.ts: round from the outcome registered for the epoch). It is checked (decodes, the
 *     dealer is a dealer of the round, the signature verifies for the round); the first log per
 *     (epoch, dealer) is kept in `follow-state` and emitted to `dkg.events` as a Log (owner
 *     CHAIN_OWNER, source `follower:<height>`); the same log again is skipped. A log that fails
 *     goes to the DLQ as MalformedDealerLog / UnknownDealer / InvalidDealerLog /
 *     ConflictingDealerLog *and the block is still verified* (the log is simply not used).
 *  9. at a boundary, `observe(round, kept logs)` (or the previous output if the ceremony fails)
 *     is compared with the outcome's output: EpochAdvanced.observation = {matches, logs, reason}
 *     (null when the epoch's round is unknown, e.g. under the network-identity fallback). This is
 *     the `dkg-observer` of the design, run inside the follower: all blocks of an epoch are in
 *     one partition, and the observation is part of the boundary's single EpochAdvanced event.
 *     Logs that arrive after their epoch's boundary are emitted but not observed.
 * Effects of an accepted record (one transaction): `finalizations.verified` gets the
 * VerifiedFinalization; the height is marked; for a boundary, `epochs` gets
 * SchemeRegistered{E+1, identity, outcome} and EpochAdvanced{E → E+1}, the scheme of E + 1 is
 * kept locally and records of E + 1 parked in this partition are released. When the outcome's
 * identity differs from the configured network identity (epoch ≥ fromEpoch), a warning says to
 * update it (upstream's "Update the binary").
 *
 * Idempotence: a height's effects happen at most once (the height mark is written in the same
 * transaction); the `epochs` events of a boundary exist once because the boundary height does.
 * A different digest at a verified height (two finalized blocks at one height) is rejected as
 * ConflictingFinalization.
 *
 * Bounded state (retention): the height marks, the locally learned schemes, the `wanted` marks
 * and the kept dealer logs are per height or per epoch, so they would grow for ever. When this
 * task verifies the boundary of epoch E (the chain enters E + 1), it keeps the last
 * `retainEpochs` epochs (default 2: E + 1 and E) and prunes everything of the epochs below
 * F = E + 2 − retainEpochs, except that F never passes the lowest epoch that still has records
 * parked in this partition (they are not handled yet). It raises the horizon (key 'p': "pruned
 * below height H", H = first(F), never lowered) and deletes the entries below it with store
 * deletes in the same fold, so the changelog gets tombstones and a replay gives the same store.
 * A record whose height is below H counts as already handled: it is skipped after the decode and
 * epoch checks (outcome `BelowPrunedHorizon`, nothing emitted, nothing verified). Consequences:
 * a conflicting digest, or a forged certificate, below H is not detected; a height that was never
 * delivered before its epoch fell below H is not verified later. Height marks are deleted at most
 * `pruneBatch` per boundary (older state without a horizon drains over several boundaries; marks
 * below H are never read, so the leftovers are only space).
 *
 * Where each part lives (each module's comment states its invariants): config.ts (configuration,
 * limits, metric names), rejection.ts (the reasons), bootstrap.ts (the trust root),
 * certificate.ts (checks 1–3), schemes.ts (step 5's lookup), parking.ts (parking and release),
 * verification.ts (step 6 and the pre-verification hints), boundary.ts (step 7 and the `epochs`
 * events), dealer-logs.ts (steps 8–9 on the store side; observer.ts: the DKG logic), horizon.ts
 * (bounded state), stores.ts (the store layout). This file is the fold that composes them, in
 * the order above.
 */
import { asBuffer, equalBytes, toHex } from '../../codec/bytes.ts';
import { logger } from '../../runtime/log.ts';
import type { InRecord, ProcessorContext, ProcessorDef } from '../../runtime/processor.ts';
import { FixedEpocher } from '../../tempo/epocher.ts';
import { outcomeIdentity } from '../../tempo/outcome.ts';
import type { FinalizationRecord } from '../../topics/consensus-finalizations.ts';
import { epochKey, epochOfKey } from '../../topics/epoch-key.ts';
import { PROCESSOR_NAMES, STORES } from '../../topics/names.ts';
import { type BoundaryOutcome, EpochEvents, readOutcome } from './boundary.ts';
import { type Checked, checkFinalization } from './certificate.ts';
import { FOLLOW_METRICS, type FollowConfig, followLimits, type HandleOutcome } from './config.ts';
import { DealerLogs } from './dealer-logs.ts';
import { Horizon } from './horizon.ts';
import { Parking } from './parking.ts';
import { FollowRejection } from './rejection.ts';
import { type Scheme, Schemes } from './schemes.ts';
import { heightKey, read, readAheadKeys, wantedKey } from './stores.ts';
import { Verification } from './verification.ts';

const log = logger('follow');

export function followProcessor(cfg: FollowConfig): ProcessorDef<FinalizationRecord> {
  const epocher = new FixedEpocher(cfg.epochLength);
  const { topics, codec, verifier, metrics } = cfg;
  const { maxPending, retain, pruneBatch } = followLimits(cfg);
  const netId = cfg.networkIdentity;
  const boot = cfg.bootstrap;
  const schemes = new Schemes({ epochsTopic: topics.epochs, codec, bootstrap: boot, networkIdentity: netId });
  const verification = new Verification(codec, verifier, boot, netId);
  const parking = new Parking(epocher, maxPending);
  const horizon = new Horizon(epocher, retain, pruneBatch, metrics);
  const events = new EpochEvents({ epochsTopic: topics.epochs, codec, bootstrap: boot, networkIdentity: netId });
  const dealerLogs = new DealerLogs(topics.dkgEvents, codec);

  // Counters go through the context (counted once, when the record's transaction commits); the
  // horizon is a gauge, set directly (setting it again on a re-fold changes nothing).
  const count = (ctx: ProcessorContext, outcome: HandleOutcome) => {
    ctx.count(FOLLOW_METRICS.records, 'Finalizations handled by the follower, by outcome (verified, parked, Duplicate, BelowPrunedHorizon); rejections are dkg_stream_dlq_records_total', {
      outcome,
    });
    if (outcome === 'Duplicate' || outcome === 'BelowPrunedHorizon') {
      ctx.count(FOLLOW_METRICS.ignored, 'Finalizations skipped as already handled: a verified height with the same digest (Duplicate) or a height below the pruned horizon (BelowPrunedHorizon)', {
        reason: outcome,
      });
    }
  };

  /**
   * Handles one finalization whose scheme may be unknown. Validation and verification come
   * before any write, so a rejection leaves no effect even outside the per-record rollback
   * (released records). Returns what happened.
   */
  async function handle(ctx: ProcessorContext, record: InRecord, r: FinalizationRecord, mayPark: boolean): Promise<HandleOutcome> {
    const outcome = await handleChecked(ctx, record, checkFinalization(r, record, epocher, cfg.epochLength), r, mayPark);
    count(ctx, outcome);
    return outcome;
  }

  /** Releases parked records of epochs that now have a registered scheme (all epochs, or one). */
  function release(ctx: ProcessorContext, only?: bigint): Promise<void> {
    return parking.release(
      ctx,
      only,
      async (epoch) => (await schemes.of(ctx, epoch, false)) !== undefined,
      async (record) => handle(ctx, record, await codec.decodeFinalization(record.value), false),
    );
  }

  async function handleChecked(ctx: ProcessorContext, record: InRecord, c: Checked, r: FinalizationRecord, mayPark: boolean): Promise<HandleOutcome> {
    const below = await horizon.of(ctx);
    if (c.height < below) {
      // Its epoch was pruned: handled before (or never delivered in time), nothing to emit again.
      log.debug({ height: c.height.toString(), epoch: c.epoch.toString(), horizon: below.toString() }, 'finalization below the pruned horizon skipped');
      return 'BelowPrunedHorizon';
    }
    const state = ctx.store(STORES.followState);
    const done = await read(state, heightKey(c.height));
    if (done && equalBytes(done, c.hash)) return 'Duplicate';
    // Records of this epoch parked earlier go first (their scheme may have arrived before this
    // record, ahead of the reaction to the table update): outputs stay in height order per epoch.
    if (mayPark && (await parking.hasParked(ctx, c.epoch))) await release(ctx, c.epoch);
    const scheme = await schemes.of(ctx, c.epoch);
    if (!scheme) {
      if (!mayPark) throw new FollowRejection('IdentityUnavailable', `no scheme for epoch ${c.epoch}`);
      if (boot && c.epoch < boot.epoch) {
        throw new FollowRejection('IdentityUnavailable', `epoch ${c.epoch} is before the trust root (epoch ${boot.epoch}) and before the network identity's epoch ${netId?.fromEpoch ?? 'none'}`);
      }
      await parking.park(ctx, record, c);
      return 'parked';
    }
    const res = verification.verify(ctx, record, c, scheme);
    if (!res.valid && scheme.source === 'network-identity' && mayPark) {
      // The identity may have rotated (full DKG): wait for the epoch's registered scheme rather
      // than lose a certificate to a race with the boundary's registration on another partition.
      await parking.park(ctx, record, c);
      return 'parked';
    }
    if (!res.valid) {
      const rotated = scheme.source === 'network-identity' ? ' (network-identity fallback: the identity may have rotated; update it or provide the boundary)' : '';
      throw new FollowRejection('VerificationFailed', `height ${c.height} epoch ${c.epoch}: ${res.reason}${rotated}`);
    }
    if (done) {
      throw new FollowRejection('ConflictingFinalization', `height ${c.height} was finalized as ${toHex(done)}, now as ${toHex(c.hash)}`);
    }
    const outcome = c.isBoundary ? readOutcome(c) : undefined;

    // ---- accepted: effects ----
    state.put(heightKey(c.height), asBuffer(c.hash));
    await schemes.remember(ctx, c.epoch, scheme);
    await events.registerBootstrap(ctx, c.epoch);
    ctx.send({
      topic: topics.verified,
      key: epochKey(c.epoch),
      value: await codec.encodeVerified({
        epoch: c.epoch,
        view: c.fin.proposal.view,
        height: c.height,
        blockHash: c.hash,
        certificate: r.certificate,
        headerRlp: c.headerRlp,
        identity: scheme.identity.bytes,
        isBoundary: c.isBoundary,
      }),
    });
    if (outcome) await boundary(ctx, c, outcome, scheme);
    else if (c.header.inner.extraData.length > 0) await dealerLogs.keep(ctx, record, c, scheme);
    return 'verified';
  }

  /** A verified boundary of E: the scheme of E + 1 becomes known, parked records of E + 1 go, old state is pruned. */
  async function boundary(ctx: ProcessorContext, c: Checked, read: BoundaryOutcome, scheme: Scheme): Promise<void> {
    const next = read.outcome.epoch;
    const identity = outcomeIdentity(read.outcome);
    events.noteTrailingBytes(ctx, c, read);
    const observed = await dealerLogs.observe(ctx, c, scheme);
    events.checkNetworkIdentity(read);
    verification.hint(next, identity);
    schemes.learn(ctx, next, identity, read.outcomeBytes);
    ctx.store(STORES.followState).delete(wantedKey(next));
    await events.advance(ctx, c, read, observed);
    await release(ctx, next);
    await horizon.prune(ctx, c.epoch, await parking.lowestParkedEpoch(ctx));
  }

  return {
    name: cfg.name ?? PROCESSOR_NAMES.follow,
    inputs: [topics.input],
    outputs: [topics.verified, topics.epochs, topics.dkgEvents],
    stores: [STORES.pending, STORES.followState],
    globals: [topics.epochs],
    decode: (record) => verification.decode(record),
    ...(verifier ? { prepare: (records: InRecord[]) => verification.prepare(verifier, records) } : {}),
    // The store keys a record's fold reads (stores.ts, "Read-ahead"); the height is known ahead
    // only when `prepare` decoded the record.
    prefetch(record) {
      const epoch = epochOfKey(record.key);
      if (epoch === undefined) return [];
      return readAheadKeys(epoch, verification.decoded(record)?.height, boot?.epoch).map((key) => ({ store: STORES.followState, key }));
    },
    async process(ctx, r, record) {
      await handle(ctx, record, r, true);
    },
    async onGlobalUpdate(ctx, topic, records) {
      if (topic !== topics.epochs) return;
      // Schemes registered by other tasks: hints for pre-verifying their epochs' chunks here.
      await verification.hintFromTable(records);
      await release(ctx);
    },
  };
}
