/**
 * Step 7 of processor.ts and the effects of a boundary: the `OnchainDkgOutcome` of a boundary
 * block, and the `epochs` events.
 *
 * Invariants: a boundary's outcome is read (and checked to be for epoch E + 1) before any effect
 * of the record, so a MalformedOutcome leaves nothing behind; a verified boundary emits exactly
 * SchemeRegistered{E + 1} then EpochAdvanced{E → E + 1} (they exist once because the boundary
 * height is verified once) and makes the scheme of E + 1 this task's own; the bootstrap's
 * SchemeRegistered is emitted at most once (the 'b' mark), and not at all when the table has it.
 */

import { equalBytes, toHex } from '../../codec/bytes.ts';
import { CodecError } from '../../codec/index.ts';
import { logger } from '../../runtime/log.ts';
import type { ProcessorContext } from '../../runtime/processor.ts';
import type { NetworkIdentity } from '../../tempo/network-identity.ts';
import { outcomeIdentity, readBoundaryOutcome } from '../../tempo/outcome.ts';
import type { TopicCodecs } from '../../topics/codecs.ts';
import { EPOCH_EVENT_ADVANCE, EPOCH_EVENT_SCHEME, epochEventKey, type Observation } from '../../topics/epochs.ts';
import { STORES } from '../../topics/names.ts';
import type { FollowBootstrap } from './bootstrap.ts';
import type { Checked } from './certificate.ts';
import { FOLLOW_METRICS } from './config.ts';
import { FollowRejection } from './rejection.ts';
import { BOOT_KEY, read } from './stores.ts';

const log = logger('follow');

export type BoundaryOutcome = ReturnType<typeof readBoundaryOutcome>;

/**
 * The outcome a boundary block carries, read from the start of extraData as tempo reads it
 * (`OnchainDkgOutcome::read`: bytes after a valid outcome are tolerated); it must be for E + 1.
 */
export function readOutcome(c: Checked): BoundaryOutcome {
  let outcome: BoundaryOutcome;
  try {
    outcome = readBoundaryOutcome(c.header.inner.extraData);
  } catch (err) {
    throw new FollowRejection('MalformedOutcome', `boundary block ${c.height} of epoch ${c.epoch}: ${err instanceof CodecError || err instanceof Error ? err.message : String(err)}`);
  }
  if (outcome.outcome.epoch !== c.epoch + 1n) {
    throw new FollowRejection('MalformedOutcome', `boundary block ${c.height} of epoch ${c.epoch} carries the outcome of epoch ${outcome.outcome.epoch}, expected ${c.epoch + 1n}`);
  }
  return outcome;
}

export interface EpochEventsOptions {
  epochsTopic: string;
  codec: TopicCodecs;
  bootstrap?: FollowBootstrap | undefined;
  networkIdentity?: NetworkIdentity | undefined;
}

export class EpochEvents {
  constructor(private readonly opts: EpochEventsOptions) {}

  /** The trust root's SchemeRegistered, once, by the task that verifies a block of its epoch. */
  async registerBootstrap(ctx: ProcessorContext, epoch: bigint): Promise<void> {
    const { bootstrap: boot, epochsTopic, codec } = this.opts;
    const state = ctx.store(STORES.followState);
    if (!boot || epoch !== boot.epoch || (await read(state, BOOT_KEY))) return;
    state.put(BOOT_KEY, Buffer.of(1));
    if (!(await ctx.global(epochsTopic).get(epochEventKey(boot.epoch, EPOCH_EVENT_SCHEME)))) {
      ctx.send({
        topic: epochsTopic,
        key: epochEventKey(boot.epoch, EPOCH_EVENT_SCHEME),
        value: await codec.encodeEpochEvent({
          type: 'SchemeRegistered',
          epoch: boot.epoch,
          identity: boot.identity,
          outcome: boot.outcome,
          source: boot.height === 0n ? 'bootstrap:genesis' : `bootstrap:${boot.height}`,
        }),
      });
    }
  }

  /** Bytes after the outcome in the boundary's extraData: tolerated as tempo does, counted and logged. */
  noteTrailingBytes(ctx: ProcessorContext, c: Checked, read: BoundaryOutcome): void {
    const { trailingBytes } = read;
    if (trailingBytes > 0) {
      ctx.count(
        FOLLOW_METRICS.trailing,
        'Bytes after the DKG outcome in verified boundary blocks (tolerated, as tempo reads outcomes with read; see EpochAdvanced.outcomeTrailingBytes)',
        {},
        trailingBytes,
      );
      log.warn({ epoch: c.epoch.toString(), boundary: c.height.toString(), trailingBytes }, 'boundary extraData has bytes after the DKG outcome: accepted as tempo does, recorded on EpochAdvanced');
    }
  }

  /** Warns when the outcome's identity is not the configured network identity (upstream's "Update the binary"). */
  checkNetworkIdentity(read: BoundaryOutcome): void {
    const netId = this.opts.networkIdentity;
    const next = read.outcome.epoch;
    const identity = outcomeIdentity(read.outcome);
    if (netId && next >= netId.fromEpoch && !equalBytes(netId.identity, identity)) {
      log.warn(
        { compiledFromEpoch: netId.fromEpoch.toString(), onchainEpoch: next.toString(), compiledNetworkIdentity: toHex(netId.identity), onchainNetworkIdentity: toHex(identity) },
        'Network identity differs from the onchain DKG outcome!!! Update the configured network identity',
      );
    }
  }

  /** SchemeRegistered{E + 1} and EpochAdvanced{E → E + 1} of a verified boundary. */
  async advance(ctx: ProcessorContext, c: Checked, read: BoundaryOutcome, observed: Observation | null): Promise<void> {
    const { epochsTopic, codec } = this.opts;
    const { outcome, outcomeBytes, trailingBytes } = read;
    const next = outcome.epoch;
    const identity = outcomeIdentity(outcome);
    ctx.send({
      topic: epochsTopic,
      key: epochEventKey(next, EPOCH_EVENT_SCHEME),
      value: await codec.encodeEpochEvent({ type: 'SchemeRegistered', epoch: next, identity, outcome: outcomeBytes, source: `boundary:${c.height}` }),
    });
    ctx.send({
      topic: epochsTopic,
      key: epochEventKey(next, EPOCH_EVENT_ADVANCE),
      value: await codec.encodeEpochEvent({
        type: 'EpochAdvanced',
        epoch: next,
        from: c.epoch,
        boundaryHeight: c.height,
        boundaryHash: c.hash,
        isFullDkg: outcome.isNextFullDkg,
        players: outcome.output.players,
        observation: observed,
        outcomeTrailingBytes: trailingBytes,
      }),
    });
    log.info({ from: c.epoch.toString(), to: next.toString(), boundary: c.height.toString(), identity: toHex(identity).slice(0, 16) }, 'epoch advanced');
  }
}
