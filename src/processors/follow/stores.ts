/**
 * The follower's store layout. Only this processor writes these stores; a value that does not
 * decode means a corrupt store or changelog ({@link MalformedStoreValue}).
 *
 * `follow-state` (one family byte, then big-endian numbers, so a family's keys sort by epoch or
 * height and "everything below X" is one range):
 *   'h' ‖ height u64              → block hash (the height is verified)
 *   's' ‖ epoch u64               → identity (96 B) ‖ outcome bytes (a scheme learned by this task)
 *   'w' ‖ epoch u64               → u64 boundary height whose outcome would unlock the epoch
 *   'b'                           → 1: the bootstrap's SchemeRegistered was emitted
 *   'l' ‖ epoch u64 ‖ dealer (32) → the checked DealerLog bytes (from a block of the epoch)
 *   'p'                           → u64 H: heights below H count as handled (pruned horizon)
 *
 * `pending` (records parked until their epoch's scheme is known):
 *   epoch u64 ‖ height u64 ‖ source offset u64 → the source record ({@link encodeParked})
 * The epoch comes first, so the first key is the lowest parked epoch and an epoch's records are
 * one range, in height order; the offset lets a height be parked more than once.
 *
 * Read-ahead: the keys a record's fold reads every time (the horizon, its height mark, its
 * epoch's scheme, the bootstrap flag) are declared by {@link readAheadKeys} and read with
 * {@link read}, so a chunk costs one multi-get instead of a RocksDB call per key and record.
 */
import { asBuffer } from '../../codec/bytes.ts';
import type { InRecord, KeyValueStore } from '../../runtime/processor.ts';
import { u64 } from '../../state/keys.ts';
import type { Bytes } from '../../state/kv.ts';

const K_HEIGHT = 0x68;
const K_SCHEME = 0x73;
const K_WANTED = 0x77;
const K_BOOT = 0x62;
const K_LOG = 0x6c;
const K_PRUNED = 0x70;
const U64_MAX = (1n << 64n) - 1n;
const IDENTITY_BYTES = 96;

export const heightKey = (h: bigint): Buffer => Buffer.concat([Buffer.of(K_HEIGHT), u64(h)]);
export const schemeKey = (e: bigint): Buffer => Buffer.concat([Buffer.of(K_SCHEME), u64(e)]);
export const wantedKey = (e: bigint): Buffer => Buffer.concat([Buffer.of(K_WANTED), u64(e)]);
export const BOOT_KEY = Buffer.of(K_BOOT);
export const logKey = (e: bigint, dealer: Uint8Array): Buffer => Buffer.concat([Buffer.of(K_LOG), u64(e), asBuffer(dealer)]);
/** The dealer of a {@link logKey}. */
export const dealerOfLogKey = (k: Buffer): Buffer => k.subarray(9);
/** Every kept log of one epoch, in dealer byte order. */
export const logEpochRange = (e: bigint) => ({ gte: Buffer.concat([Buffer.of(K_LOG), u64(e)]), lt: e === U64_MAX ? Buffer.of(K_LOG + 1) : Buffer.concat([Buffer.of(K_LOG), u64(e + 1n)]) });
export const PRUNED_KEY = Buffer.of(K_PRUNED);

/** The families pruned below the horizon: by height ('h') or by epoch (the others). */
export const FAMILY = { height: K_HEIGHT, scheme: K_SCHEME, wanted: K_WANTED, log: K_LOG } as const;
/** Keys of a family whose next 8 bytes are a height or an epoch below `below`. */
export const familyBelow = (family: number, below: bigint) => ({ gte: Buffer.of(family), lt: Buffer.concat([Buffer.of(family), u64(below)]) });

/** A scheme learned by this task: the identity, then the outcome that carried it (none: empty). */
export const encodeScheme = (identity: Uint8Array, outcome: Uint8Array | null): Buffer => Buffer.concat([asBuffer(identity), asBuffer(outcome ?? new Uint8Array(0))]);
export const decodeScheme = (v: Buffer): { identity: Buffer; outcome: Buffer | null } => ({
  identity: v.subarray(0, IDENTITY_BYTES),
  outcome: v.length > IDENTITY_BYTES ? v.subarray(IDENTITY_BYTES) : null,
});

export const pendingKey = (r: InRecord, e: bigint, h: bigint): Buffer => Buffer.concat([u64(e), u64(h), u64(r.offset)]);
/** Every parked record of one epoch. */
export const pendingEpochRange = (e: bigint) => (e === U64_MAX ? { gte: u64(e) } : { gte: u64(e), lt: u64(e + 1n) });

/**
 * `get` served from memory when the task holds the key (the chunk's read-ahead, or a write of this
 * unit): the same answer as `store.get`, without a RocksDB call or a promise when it is there.
 */
export function read(store: KeyValueStore, key: Bytes): Bytes | undefined | Promise<Bytes | undefined> {
  const v = store.peek(key);
  return v === undefined ? store.get(key) : (v ?? undefined);
}

/**
 * The `follow-state` keys the fold of a record of `epoch` (at `height`, when known before the
 * fold) reads: the horizon, the height mark, the epoch's scheme and, for the trust root's epoch,
 * the bootstrap flag. A guess only (ProcessorDef.prefetch): a key missing here is read on use.
 */
export function readAheadKeys(epoch: bigint, height: bigint | undefined, bootstrapEpoch: bigint | undefined): Buffer[] {
  const keys = [PRUNED_KEY, schemeKey(epoch)];
  if (height !== undefined) keys.push(heightKey(height));
  if (bootstrapEpoch === epoch) keys.push(BOOT_KEY);
  return keys;
}

/** A `follow-state` value that does not decode (only this processor writes them: a corrupt store or changelog). */
export class MalformedStoreValue extends Error {
  override name = 'MalformedStoreValue';
}

export function encodeParked(r: InRecord): Buffer {
  return Buffer.from(JSON.stringify({ t: r.topic, p: r.partition, o: r.offset, k: r.key?.toString('base64') ?? null, v: r.value?.toString('base64') ?? null, ts: r.timestamp }), 'utf8');
}

export function decodeParked(b: Buffer): InRecord {
  let o: { t: string; p: number; o: number; k: string | null; v: string | null; ts: number };
  try {
    o = JSON.parse(b.toString('utf8'));
  } catch (err) {
    throw new MalformedStoreValue(`parked record is not JSON (${b.length} bytes): ${(err as Error).message.slice(0, 100)}`);
  }
  const str = (v: unknown) => v === null || typeof v === 'string';
  if (!o || typeof o !== 'object' || typeof o.t !== 'string' || !Number.isSafeInteger(o.p) || !Number.isSafeInteger(o.o) || !str(o.k) || !str(o.v) || typeof o.ts !== 'number') {
    throw new MalformedStoreValue(`parked record has the wrong shape (${b.length} bytes)`);
  }
  return { topic: o.t, partition: o.p, offset: o.o, key: o.k === null ? null : Buffer.from(o.k, 'base64'), value: o.v === null ? null : Buffer.from(o.v, 'base64'), timestamp: o.ts, headers: {} };
}
