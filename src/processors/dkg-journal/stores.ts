/**
 * The `dkg-journal` processor's store layout: keys and values of the `journal` and `states` stores.
 *
 * **Keys** (order-preserving tuples, `src/state/keys.ts`), owner first so one node's journal is one
 * contiguous range and `prune` is a range delete:
 *   journal  (owner, epoch, 'dealing'|'ack'|'log', participant) → event payload
 *            (owner, epoch, 'digest')                            → the epoch's ack digest
 *            ('floor', owner)                                    → u64 prune floor
 *   states   (owner, epoch)                                      → epoch state
 * Participant keys are raw 32-byte ed25519 keys, so a range over (owner, epoch, kind) walks them
 * in byte order = upstream's `BTreeMap<PublicKey, _>` order.
 *
 * **Values** (version byte 1): the upstream byte encodings as received, secrets still sealed
 * exactly as they were in the topic (AES-256-GCM, associated data = purpose, logical topic, epoch,
 * owner; src/topics/dkg-events.ts, dkg-states.ts). Nothing is ever stored in plaintext.
 */
import { isUtf8 } from 'node:buffer';
import { decode as decodeWith, Invalid, type Reader, range, Writer } from '../../codec/index.ts';
import { decodeTuple, decodeU64, tuple, tupleRange, u64 } from '../../state/keys.ts';
import type { RangeOptions } from '../../state/kv.ts';
import type { Sealed } from '../../state/seal.ts';
import { type EventKind, MalformedEvent } from '../../topics/dkg-events.ts';
import type { EpochStateRecord } from '../../topics/dkg-states.ts';
import { epochKey } from '../../topics/epoch-key.ts';

// ---------------------------------------------------------------------------------------------
// Store keys

export const journalKey = (owner: Uint8Array, epoch: bigint, kind: EventKind, participant: Uint8Array): Buffer => tuple(owner, epoch, kind, participant);
export const digestKey = (owner: Uint8Array, epoch: bigint): Buffer => tuple(owner, epoch, 'digest');
export const floorKey = (owner: Uint8Array): Buffer => tuple('floor', owner);
export const stateKey = (owner: Uint8Array, epoch: bigint): Buffer => tuple(owner, epoch);

/** Entries of one kind of one epoch, in participant byte order. */
export const kindRange = (owner: Uint8Array, epoch: bigint, kind: EventKind): RangeOptions => tupleRange([owner, epoch, kind]);
/** Every epoch of `owner` strictly below `min` (journal and states share the (owner, epoch, …) prefix). */
export const belowRange = (owner: Uint8Array, min: bigint): RangeOptions => ({ gte: tuple(owner), lt: tuple(owner, min) });
/** Every state of `owner`. */
export const ownerRange = (owner: Uint8Array, extra: Pick<RangeOptions, 'reverse' | 'limit'> = {}): RangeOptions => tupleRange([owner], extra);

/**
 * The record key (the 8-byte epoch) a journal or states entry was partitioned by, so that a point
 * lookup (`/stores/journal/<key>`) asks the partition that holds it. A key without an epoch (a
 * floor key) or that is no tuple routes by its own bytes.
 */
export function journalPartitionKey(storeKey: Buffer): Buffer {
  let parts: ReturnType<typeof decodeTuple>;
  try {
    parts = decodeTuple(storeKey);
  } catch {
    return storeKey;
  }
  const [owner, epoch] = parts;
  return Buffer.isBuffer(owner) && typeof epoch === 'bigint' ? epochKey(epoch) : storeKey;
}

export const encodeFloor = (min: bigint): Buffer => u64(min);
export const decodeFloor = (b: Buffer): bigint => decodeU64(b);

// ---------------------------------------------------------------------------------------------
// Store values (version byte 1)

const V1 = 1;
const ANY_LEN = range(0, 1 << 30);

function writeSealed(w: Writer, s: Sealed): void {
  w.varBytes(Buffer.from(s.keyId, 'utf8'));
  w.bytes(s.nonce);
  w.varBytes(s.ciphertext);
}

/** UTF-8 text of a stored string field; anything else would decode lossily and re-encode differently. */
function readUtf8(r: Reader, max: number, what: string): string {
  const b = Buffer.from(r.varBytes(range(0, max)));
  if (!isUtf8(b)) throw new Invalid(what, 'not valid UTF-8');
  return b.toString('utf8');
}

function readSealed(r: Reader): Sealed {
  const keyId = readUtf8(r, 256, 'Sealed.keyId');
  const nonce = Buffer.from(r.bytes(12));
  const ciphertext = Buffer.from(r.varBytes(ANY_LEN));
  return { keyId, nonce, ciphertext };
}

export interface StoredDealing {
  pubMsg: Buffer;
  privMsg: Sealed;
}

export function encodeDealing(d: StoredDealing): Buffer {
  const w = new Writer(d.pubMsg.length + d.privMsg.ciphertext.length + 64);
  w.u8(V1);
  w.varBytes(d.pubMsg);
  writeSealed(w, d.privMsg);
  return Buffer.from(w.finish());
}

export function decodeDealing(b: Uint8Array): StoredDealing {
  return decodeWith(b, (r) => {
    if (r.u8() !== V1) throw new MalformedEvent('unknown stored dealing version');
    return { pubMsg: Buffer.from(r.varBytes(ANY_LEN)), privMsg: readSealed(r) };
  });
}

export interface StoredLog {
  log: Buffer;
  source: string;
}

export function encodeLog(l: StoredLog): Buffer {
  const w = new Writer(l.log.length + 32);
  w.u8(V1);
  w.varBytes(l.log);
  w.varBytes(Buffer.from(l.source, 'utf8'));
  return Buffer.from(w.finish());
}

export function decodeLog(b: Uint8Array): StoredLog {
  return decodeWith(b, (r) => {
    if (r.u8() !== V1) throw new MalformedEvent('unknown stored log version');
    return { log: Buffer.from(r.varBytes(ANY_LEN)), source: readUtf8(r, 1024, 'StoredLog.source') };
  });
}

/** Acks are stored as the raw `PlayerAck` bytes (64). */
export const encodeAck = (ack: Uint8Array): Buffer => Buffer.from(ack);

export type StoredState = Omit<EpochStateRecord, 'epoch' | 'owner'>;

export function encodeState(s: StoredState): Buffer {
  const w = new Writer(256 + (s.output?.length ?? 0));
  w.u8(V1);
  w.u64(s.round);
  writeSealed(w, s.rngSeed);
  w.u8(s.output ? 1 : 0);
  if (s.output) w.varBytes(s.output);
  w.u8(s.share ? 1 : 0);
  if (s.share) writeSealed(w, s.share);
  return Buffer.from(w.finish());
}

export function decodeState(b: Uint8Array): StoredState {
  return decodeWith(b, (r) => {
    if (r.u8() !== V1) throw new MalformedEvent('unknown stored state version');
    const round = r.u64();
    const rngSeed = readSealed(r);
    // Option tags are 0 or 1 (InvalidBool otherwise), as the encoder writes them: another byte
    // used to read as "absent", silently dropping the output or share.
    const output = r.option((r) => Buffer.from(r.varBytes(ANY_LEN)));
    const share = r.option(readSealed);
    return { round, rngSeed, output, share };
  });
}
