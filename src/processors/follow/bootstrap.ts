/**
 * The follower's trust root: the DKG outcome of a trusted boundary header or of the genesis,
 * which gives the scheme (group identity) of its epoch. Records of epochs before it are never
 * verified (IdentityUnavailable); its epoch's SchemeRegistered is emitted at most once, by the first
 * task that verifies a block of that epoch, unless the `epochs` table has it already (boundary.ts).
 */
import { FixedEpocher } from '../../tempo/epocher.ts';
import { decodeTempoHeader } from '../../tempo/header.ts';
import { outcomeIdentity, readBoundaryOutcome } from '../../tempo/outcome.ts';

/** The trust root: the outcome of a trusted boundary header (or the genesis). */
export interface FollowBootstrap {
  /** The epoch whose scheme the outcome gives. */
  epoch: bigint;
  identity: Uint8Array;
  outcome: Uint8Array;
  /** Height of the header it came from (0 = genesis). */
  height: bigint;
}

/**
 * Reads the trust root from a trusted header (RLP): the genesis (height 0, outcome of epoch 0)
 * or a boundary block last(E) (outcome of epoch E + 1). Throws if it is neither.
 */
export function bootstrapFromHeader(headerRlp: Uint8Array, epochLength: bigint): FollowBootstrap {
  const header = decodeTempoHeader(headerRlp);
  const n = header.inner.number;
  const info = new FixedEpocher(epochLength).containing(n)!;
  const expected = n === 0n ? 0n : info.last === n ? info.epoch + 1n : undefined;
  if (expected === undefined) throw new Error(`bootstrap header ${n} is neither the genesis nor a boundary block (L = ${epochLength})`);
  // Read as tempo's start-up reads it (trailing bytes tolerated); the outcome's own bytes are kept.
  const { outcome, outcomeBytes } = readBoundaryOutcome(header.inner.extraData);
  if (outcome.epoch !== expected) throw new Error(`bootstrap header ${n} carries the outcome of epoch ${outcome.epoch}, expected ${expected}`);
  return { epoch: outcome.epoch, identity: outcomeIdentity(outcome), outcome: outcomeBytes, height: n };
}

/** The trust root from outcome bytes alone (e.g. a chainspec's genesis extraData, read leniently as tempo does). */
export function bootstrapFromOutcome(extraData: Uint8Array, height = 0n): FollowBootstrap {
  const { outcome, outcomeBytes } = readBoundaryOutcome(extraData);
  return { epoch: outcome.epoch, identity: outcomeIdentity(outcome), outcome: outcomeBytes, height };
}
