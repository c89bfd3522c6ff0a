/**
 * The record key of the epoch-keyed topics (`dkg.events`, `dkg.states`, `consensus.finalizations`,
 * `finalizations.verified`): the epoch as u64 big-endian, 8 bytes, so byte order is epoch order
 * and all records of an epoch go to one partition. (`epochs` has its own key: epochs.ts.)
 */
import { decodeU64, u64 } from '../state/keys.ts';

const EPOCH_KEY_BYTES = 8;

export const epochKey = (epoch: bigint): Buffer => u64(epoch);

/** The epoch of a record key, or undefined when the key is not 8 bytes (null keys included). */
export function epochOfKey(key: Buffer | null | undefined): bigint | undefined {
  return key?.length === EPOCH_KEY_BYTES ? decodeU64(key) : undefined;
}
