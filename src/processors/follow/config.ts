/**
 * The follower's configuration, its checked limits and its metric names. Invalid values are a
 * {@link FollowConfigError} at construction, never a surprise during the fold.
 */
import type { Metrics } from '../../runtime/metrics.ts';
import type { NetworkIdentity } from '../../tempo/network-identity.ts';
import type { CertificateVerifier } from '../../tempo/verify-pool.ts';
import type { TopicCodecs } from '../../topics/codecs.ts';
import type { FollowBootstrap } from './bootstrap.ts';

/** Broker names (prefixed) of the follower's topics. */
export interface FollowTopics {
  input: string;
  verified: string;
  epochs: string;
  dkgEvents: string;
}

export interface FollowConfig {
  epochLength: bigint;
  /** Compiled/configured identity, valid for epochs ≥ fromEpoch until the next full DKG. */
  networkIdentity?: NetworkIdentity | undefined;
  bootstrap?: FollowBootstrap | undefined;
  topics: FollowTopics;
  codec: TopicCodecs;
  /** Records parked per partition before further ones are rejected (default 10 000). */
  maxPending?: number;
  /**
   * Epochs whose verified heights stay deduplicated (default {@link DEFAULT_RETAIN_EPOCHS}): at
   * the boundary of E the entries of epochs below E + 2 − retainEpochs are pruned (records below
   * the pruned horizon are skipped as `BelowPrunedHorizon`). An integer ≥ 1.
   */
  retainEpochs?: number;
  /** Most height marks deleted per boundary (default max(2·L, 10 000)); an integer ≥ 1. */
  pruneBatch?: number;
  /** Where the horizon gauge is set; counters go through ProcessorContext.count (the runtime's metrics). */
  metrics?: Metrics;
  name?: string;
  /**
   * Verifies the certificates of a chunk ahead of the fold, on other threads (preverify.ts);
   * absent = every certificate is verified inline, one by one.
   */
  verifier?: CertificateVerifier;
}

/** Default {@link FollowConfig.retainEpochs}: the current epoch and the previous one. */
export const DEFAULT_RETAIN_EPOCHS = 2;

/** A follow configuration value that cannot be used. */
export class FollowConfigError extends Error {
  override name = 'FollowConfigError';
}

/** Checks `retainEpochs` (the CLI's `--retain-epochs` and the processor share the message). */
export function checkRetainEpochs(v: unknown, what = 'retainEpochs'): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new FollowConfigError(
      `${what} must be an integer ≥ 1 (epochs whose verified heights stay deduplicated: 1 = only the current epoch, ${DEFAULT_RETAIN_EPOCHS} = the current and the previous one), got ${typeof v === 'number' ? v : JSON.stringify(v)}`,
    );
  }
  return v;
}

/** The limits of a configuration, defaults applied and checked. */
export interface FollowLimits {
  maxPending: number;
  retain: bigint;
  pruneBatch: number;
}

export function followLimits(cfg: FollowConfig): FollowLimits {
  const maxPending = cfg.maxPending ?? 10_000;
  const retain = BigInt(checkRetainEpochs(cfg.retainEpochs ?? DEFAULT_RETAIN_EPOCHS));
  const pruneBatch = cfg.pruneBatch === undefined ? Math.max(2 * Number(cfg.epochLength), 10_000) : cfg.pruneBatch;
  if (!Number.isSafeInteger(pruneBatch) || pruneBatch < 1) throw new FollowConfigError(`pruneBatch must be an integer ≥ 1 (height marks deleted per boundary), got ${pruneBatch}`);
  return { maxPending, retain, pruneBatch };
}

export const FOLLOW_METRICS = {
  records: 'dkg_stream_follow_records_total',
  ignored: 'dkg_stream_follow_ignored_total',
  pruned: 'dkg_stream_follow_pruned_entries_total',
  trailing: 'dkg_stream_follow_outcome_trailing_bytes_total',
  horizon: 'dkg_stream_follow_pruned_below_height',
  preverified: 'dkg_stream_follow_preverified_total',
} as const;

/** What happened to a finalization that was not rejected. */
export type HandleOutcome = 'verified' | 'parked' | 'Duplicate' | 'BelowPrunedHorizon';
