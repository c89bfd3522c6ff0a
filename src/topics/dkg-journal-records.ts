/**
 * The DKG journal's records, in three forms:
 *
 * 1. **Topic values** (Avro, `schemas/dkg-event.avsc`, `schemas/epoch-state.avsc`): what the
 *    participant runtime produces to `dkg.events` / `dkg.states`, keyed by the epoch (8-byte BE).
 *    {@link eventToAvro}/{@link eventFromAvro} and {@link stateToAvro}/{@link stateFromAvro}
 *    convert between the avsc objects and {@link JournalEvent}/{@link EpochStateRecord}.
 * 2. **Store keys** (order-preserving tuples, `src/state/keys.ts`), owner first so one node's
 *    journal is one contiguous range and `prune` is a range delete:
 *      journal  (owner, epoch, 'dealing'|'ack'|'log', participant) → event payload
 *               (owner, epoch, 'digest')                            → the epoch's ack digest
 *               ('floor', owner)                                    → u64 prune floor
 *      states   (owner, epoch)                                      → epoch state
 *    Participant keys are raw 32-byte ed25519 keys, so a range over (owner, epoch, kind) walks
 *    them in byte order = upstream's `BTreeMap<PublicKey, _>` order.
 * 3. **Store values** (below): the upstream byte encodings as received, secrets still sealed
 *    exactly as they were in the topic (AES-256-GCM, associated data = purpose, logical topic,
 *    epoch, owner). Nothing is ever stored in plaintext.
 *
 * Sealing contexts use the *logical* topic names (`dkg.events`, `dkg.states`), not the prefixed
 * broker names, so a journal copied to another prefix or cluster still opens.
 */
import { isUtf8 } from 'node:buffer';
import { decode as decodeWith, Invalid, type Reader, range, Writer } from '../codec/index.ts';
import { decodeU64, tuple, tupleRange, u64 } from '../state/keys.ts';
import type { RangeOptions } from '../state/kv.ts';
import type { SealContext, Sealed } from '../state/seal.ts';

export const EVENTS_TOPIC = 'dkg.events';
export const STATES_TOPIC = 'dkg.states';
export const JOURNAL_STORE = 'journal';
export const STATES_STORE = 'states';

const NS = 'xyz.dkgstream.dkg';
export const AVRO_BRANCH = {
  dealing: `${NS}.Dealing`,
  ack: `${NS}.Ack`,
  log: `${NS}.Log`,
  prune: `${NS}.Prune`,
} as const;

/** A record whose structure is not a journal event/state (wrong branch, wrong field sizes…). */
export class MalformedEvent extends Error {
  override name = 'MalformedEvent';
}
/** The record key is not the 8-byte epoch of the value. */
export class EpochKeyMismatch extends Error {
  override name = 'EpochKeyMismatch';
}

export type EventKind = 'dealing' | 'ack' | 'log';

export type JournalEvent =
  | { kind: 'dealing'; epoch: bigint; owner: Buffer; dealer: Buffer; pubMsg: Buffer; privMsg: Sealed }
  | { kind: 'ack'; epoch: bigint; owner: Buffer; player: Buffer; ack: Buffer; digest: Buffer | null }
  | { kind: 'log'; epoch: bigint; owner: Buffer; dealer: Buffer; log: Buffer; source: string }
  | { kind: 'prune'; epoch: bigint; owner: Buffer };

/** Upstream `Epoch{round, rng_seed, output, share}` of one node, with its epoch number. */
export interface EpochStateRecord {
  epoch: bigint;
  owner: Buffer;
  round: bigint;
  rngSeed: Sealed;
  /** `Output` encoding, or null. */
  output: Buffer | null;
  /** Sealed `Share` encoding, or null. */
  share: Sealed | null;
}

// ---------------------------------------------------------------------------------------------
// Seal contexts

export const privMsgContext = (epoch: bigint, owner: Uint8Array): SealContext => ({ purpose: 'dealer-priv-msg', topic: EVENTS_TOPIC, epoch, owner });
export const rngSeedContext = (epoch: bigint, owner: Uint8Array): SealContext => ({ purpose: 'rng-seed', topic: STATES_TOPIC, epoch, owner });
export const shareContext = (epoch: bigint, owner: Uint8Array): SealContext => ({ purpose: 'share', topic: STATES_TOPIC, epoch, owner });

// ---------------------------------------------------------------------------------------------
// Avro conversion

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function buf(o: Record<string, unknown>, field: string, len?: number): Buffer {
  const v = o[field];
  if (!Buffer.isBuffer(v)) throw new MalformedEvent(`${field} must be bytes`);
  if (len !== undefined && v.length !== len) throw new MalformedEvent(`${field} must be ${len} bytes, got ${v.length}`);
  return v;
}

function epochOf(o: Record<string, unknown>): bigint {
  const e = o.epoch;
  if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 0) throw new MalformedEvent(`epoch must be a non-negative integer, got ${String(e)}`);
  return BigInt(e);
}

function sealedOf(v: unknown, field: string): Sealed {
  if (!isObj(v) || typeof v.keyId !== 'string' || !Buffer.isBuffer(v.nonce) || !Buffer.isBuffer(v.ciphertext)) throw new MalformedEvent(`${field} must be a Sealed record`);
  return { keyId: v.keyId, nonce: v.nonce, ciphertext: v.ciphertext };
}

export function eventToAvro(e: JournalEvent): unknown {
  const base = { epoch: Number(e.epoch), owner: e.owner };
  switch (e.kind) {
    case 'dealing':
      return { ...base, event: { [AVRO_BRANCH.dealing]: { dealer: e.dealer, pubMsg: e.pubMsg, privMsg: e.privMsg } } };
    case 'ack':
      return { ...base, event: { [AVRO_BRANCH.ack]: { player: e.player, ack: e.ack, digest: e.digest } } };
    case 'log':
      return { ...base, event: { [AVRO_BRANCH.log]: { dealer: e.dealer, log: e.log, source: e.source } } };
    case 'prune':
      return { ...base, event: { [AVRO_BRANCH.prune]: {} } };
  }
}

/** Structural checks only (sizes of keys and signatures); payload codecs run in the processor. */
export function eventFromAvro(v: unknown): JournalEvent {
  if (!isObj(v) || !isObj(v.event)) throw new MalformedEvent('not a DkgEvent');
  const epoch = epochOf(v);
  const owner = buf(v, 'owner', 32);
  const branches = Object.keys(v.event);
  if (branches.length !== 1) throw new MalformedEvent('event must hold exactly one branch');
  const branch = branches[0]!;
  const b = v.event[branch];
  if (!isObj(b)) throw new MalformedEvent(`${branch} is not a record`);
  switch (branch) {
    case AVRO_BRANCH.dealing:
      return { kind: 'dealing', epoch, owner, dealer: buf(b, 'dealer', 32), pubMsg: buf(b, 'pubMsg'), privMsg: sealedOf(b.privMsg, 'privMsg') };
    case AVRO_BRANCH.ack: {
      const digest = b.digest === null || b.digest === undefined ? null : buf(b, 'digest', 32);
      return { kind: 'ack', epoch, owner, player: buf(b, 'player', 32), ack: buf(b, 'ack'), digest };
    }
    case AVRO_BRANCH.log:
      return { kind: 'log', epoch, owner, dealer: buf(b, 'dealer', 32), log: buf(b, 'log'), source: typeof b.source === 'string' ? b.source : 'participant' };
    case AVRO_BRANCH.prune:
      return { kind: 'prune', epoch, owner };
    default:
      throw new MalformedEvent(`unknown event branch ${branch}`);
  }
}

export function stateToAvro(s: EpochStateRecord): unknown {
  return { epoch: Number(s.epoch), owner: s.owner, round: Number(s.round), rngSeed: s.rngSeed, output: s.output, share: s.share };
}

export function stateFromAvro(v: unknown): EpochStateRecord {
  if (!isObj(v)) throw new MalformedEvent('not an EpochState');
  const epoch = epochOf(v);
  const owner = buf(v, 'owner', 32);
  const round = v.round;
  if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 0) throw new MalformedEvent('round must be a non-negative integer');
  const output = v.output === null || v.output === undefined ? null : buf(v, 'output');
  const share = v.share === null || v.share === undefined ? null : sealedOf(v.share, 'share');
  return { epoch, owner, round: BigInt(round), rngSeed: sealedOf(v.rngSeed, 'rngSeed'), output, share };
}

// ---------------------------------------------------------------------------------------------
// Store keys

export const journalKey = (owner: Uint8Array, epoch: bigint, kind: EventKind, participant: Uint8Array): Buffer => tuple(owner, epoch, kind, participant);
export const digestKey = (owner: Uint8Array, epoch: bigint): Buffer => tuple(owner, epoch, 'digest');
export const floorKey = (owner: Uint8Array): Buffer => tuple('floor', owner);
export const stateKey = (owner: Uint8Array, epoch: bigint): Buffer => tuple(owner, epoch);

/** Entries of one kind of one epoch, in participant byte order. */
export const kindRange = (owner: Uint8Array, epoch: bigint, kind: EventKind): RangeOptions => tupleRange([owner, epoch, kind]);
/** Every entry of one epoch (all kinds and the digest). */
export const epochRange = (owner: Uint8Array, epoch: bigint): RangeOptions => tupleRange([owner, epoch]);
/** Every epoch of `owner` strictly below `min` (journal and states share the (owner, epoch, …) prefix). */
export const belowRange = (owner: Uint8Array, min: bigint): RangeOptions => ({ gte: tuple(owner), lt: tuple(owner, min) });
/** Every state of `owner`. */
export const ownerRange = (owner: Uint8Array, extra: Pick<RangeOptions, 'reverse' | 'limit'> = {}): RangeOptions => tupleRange([owner], extra);

export const encodeFloor = (min: bigint): Buffer => u64(min);
export const decodeFloor = (b: Buffer): bigint => decodeU64(b);

/**
 * The partition key (record key = 8-byte epoch) of a journal or states store key, for routing
 * `/stores/<name>/<key>` queries to the instance that owns the epoch. Floor keys live on every
 * partition; they route by their own bytes.
 */
export function epochPartitionKey(storeKey: Buffer): Buffer {
  // tuple: 0x20 bytes(owner, escaped) 0x00, then 0x10 + u64. Owner keys are 32 bytes, possibly with 0x00 escapes.
  if (storeKey[0] !== 0x20) return storeKey;
  let i = 1;
  while (i < storeKey.length) {
    if (storeKey[i] === 0x00) {
      if (storeKey[i + 1] === 0xff) {
        i += 2;
        continue;
      }
      break;
    }
    i++;
  }
  if (storeKey[i + 1] !== 0x10 || storeKey.length < i + 10) return storeKey;
  return Buffer.from(storeKey.subarray(i + 2, i + 10));
}

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
