/**
 * Fixed-length epochs (commonware `FixedEpocher`), with heights counted from 0: epoch `e` spans
 * heights `[e*L, e*L + L - 1]`, so the genesis block (height 0) is in epoch 0 and the boundary
 * block of epoch `e` (the one whose `extraData` carries the outcome for `e + 1`) is
 * `e*L + L - 1`.
 *
 * Heights and epochs are u64 (`bigint`); anything whose result would leave u64 returns
 * `undefined`, as upstream returns `None`.
 */

import { showValue } from '../show.ts';

const U64_MAX = (1n << 64n) - 1n;

/** Where a height falls in the epoch schedule. */
export type EpochPhase = 'early' | 'midpoint' | 'late';

/** `FixedEpocher::containing(h)`. Invariant: `first <= height <= last`, `last - first = L - 1`. */
export interface EpochInfo {
  epoch: bigint;
  height: bigint;
  first: bigint;
  last: bigint;
}

/** An epoch length that is not a positive u64. */
export class InvalidEpochLength extends Error {
  override name = 'InvalidEpochLength';
}

function isU64(v: bigint): boolean {
  return v >= 0n && v <= U64_MAX;
}

/** Fixed-length epoch arithmetic. */
export class FixedEpocher {
  readonly length: bigint;

  constructor(length: bigint | number) {
    const l = BigInt(length);
    if (l <= 0n || !isU64(l)) throw new InvalidEpochLength(`epoch length must be a positive u64, got ${showValue(length)}`);
    this.length = l;
  }

  /** The epoch containing `height`, with its first and last heights. */
  containing(height: bigint): EpochInfo | undefined {
    if (!isU64(height)) return undefined;
    const epoch = height / this.length;
    const first = epoch * this.length;
    const last = first + this.length - 1n;
    if (!isU64(last)) return undefined;
    return { epoch, height, first, last };
  }

  /** First height of `epoch`. */
  first(epoch: bigint): bigint | undefined {
    if (!isU64(epoch)) return undefined;
    const h = epoch * this.length;
    return isU64(h) ? h : undefined;
  }

  /** Last height of `epoch` (its boundary block). */
  last(epoch: bigint): bigint | undefined {
    if (!isU64(epoch)) return undefined;
    const h = epoch * this.length + this.length - 1n;
    return isU64(h) ? h : undefined;
  }

  /** Whether `height` is the last block of its epoch (carries the next epoch's DKG outcome). */
  isBoundary(height: bigint): boolean {
    const info = this.containing(height);
    return info !== undefined && info.last === height;
  }

  /** `height - first` of the containing epoch. */
  relative(height: bigint): bigint | undefined {
    const info = this.containing(height);
    return info === undefined ? undefined : height - info.first;
  }

  /** `EpochInfo::phase`: early below L/2, midpoint at L/2 (integer division), late after. */
  phase(height: bigint): EpochPhase | undefined {
    const rel = this.relative(height);
    if (rel === undefined) return undefined;
    const mid = this.length / 2n;
    return rel < mid ? 'early' : rel === mid ? 'midpoint' : 'late';
  }

  /**
   * The follower's start-up rule: the last boundary at or before `height` (`height` itself if it
   * is a boundary, else the boundary of the previous epoch, else 0 in epoch 0, i.e. genesis).
   */
  lastBoundaryAtOrBefore(height: bigint): bigint | undefined {
    const info = this.containing(height);
    if (info === undefined) return undefined;
    if (info.last === height) return height;
    if (info.epoch === 0n) return 0n;
    return this.last(info.epoch - 1n);
  }
}

/** Epoch length of Presto mainnet and Moderato testnet (chainspec `config.epochLength`). */
export const TEMPO_EPOCH_LENGTH = 21600n;
