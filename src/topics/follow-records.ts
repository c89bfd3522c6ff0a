/**
 * The follower's records, as Avro values (schemas/finalization.avsc, verified-finalization.avsc,
 * epoch-event.avsc, dkg-event.avsc) through the registry serde, plus the record keys.
 *
 * Keys:
 * - `consensus.finalizations`, `finalizations.verified`, `dkg.events`: the epoch, u64 BE (8 B).
 * - `epochs` (compacted, a global table): `epoch u64 BE ‖ kind u8` (9 B), kind 0 =
 *   SchemeRegistered, 1 = EpochAdvanced. Both events of a boundary concern epoch E + 1; with the
 *   bare epoch as key, compaction (and the global table, which keeps the last value per key)
 *   would drop the scheme registration behind the epoch advance. Byte order is still epoch order.
 */
import type { AvroSerde } from '../runtime/schemas.ts';
import type { TopicSpec, Topology } from '../runtime/topology.ts';
import { decodeU64, u64 } from '../state/keys.ts';

export const EPOCH_EVENT_SCHEME = 0;
export const EPOCH_EVENT_ADVANCE = 1;

export const epochKey = (epoch: bigint): Buffer => u64(epoch);

export function epochEventKey(epoch: bigint, kind: typeof EPOCH_EVENT_SCHEME | typeof EPOCH_EVENT_ADVANCE): Buffer {
  return Buffer.concat([u64(epoch), Buffer.of(kind)]);
}

export function decodeEpochEventKey(key: Buffer): { epoch: bigint; kind: number } {
  if (key.length !== 9) throw new RangeError(`epochs key must be 9 bytes, got ${key.length}`);
  return { epoch: decodeU64(key), kind: key[8]! };
}

/** `consensus.finalizations` value. */
export interface FinalizationRecord {
  height: bigint;
  certificate: Uint8Array;
  header: { rlp: Uint8Array } | { json: string };
  source: string;
  receivedAtMs: number;
}

/** `finalizations.verified` value. */
export interface VerifiedRecord {
  epoch: bigint;
  view: bigint;
  height: bigint;
  blockHash: Uint8Array;
  certificate: Uint8Array;
  headerRlp: Uint8Array;
  identity: Uint8Array;
  isBoundary: boolean;
}

export interface Observation {
  matches: boolean;
  logs: number;
  reason: string | null;
}

export type EpochEvent =
  | { type: 'SchemeRegistered'; epoch: bigint; identity: Uint8Array; outcome: Uint8Array | null; source: string }
  | {
      type: 'EpochAdvanced';
      epoch: bigint;
      from: bigint;
      boundaryHeight: bigint;
      boundaryHash: Uint8Array;
      isFullDkg: boolean;
      players: Uint8Array[];
      observation: Observation | null;
      /** Bytes after the outcome in the boundary's extraData (tolerated as tempo does; 0 normally). */
      outcomeTrailingBytes: number;
    };

/** `dkg.events` Log value written by the follower (a checked dealer log from a block). */
export interface DkgLogRecord {
  epoch: bigint;
  /** The node whose journal this is: empty for the chain follower. */
  owner: Uint8Array;
  dealer: Uint8Array;
  log: Uint8Array;
  source: string;
}

export interface FollowCodec {
  decodeFinalization(value: Buffer | null): Promise<FinalizationRecord>;
  encodeFinalization(r: FinalizationRecord): Promise<Buffer>;
  encodeVerified(r: VerifiedRecord): Promise<Buffer>;
  decodeVerified(value: Buffer | null): Promise<VerifiedRecord>;
  encodeEpochEvent(e: EpochEvent): Promise<Buffer>;
  decodeEpochEvent(value: Buffer | null): Promise<EpochEvent>;
  encodeDkgLog(r: DkgLogRecord): Promise<Buffer>;
}

const NS_CONSENSUS = 'xyz.dkgstream.consensus';
const NS_EPOCHS = 'xyz.dkgstream.epochs';
const NS_DKG = 'xyz.dkgstream.dkg';
const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const big = (n: number) => BigInt(n);
const num = (n: bigint, what: string) => {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} ${n} does not fit an Avro long in JavaScript`);
  return Number(n);
};

type AvroFinalization = {
  height: number;
  certificate: Buffer;
  header: Record<string, { rlp?: Buffer; json?: string }>;
  source: string;
  receivedAtMs: number;
};
type AvroEpochEvent = { epoch: number; event: Record<string, Record<string, unknown>> };

/** The codec over the registry serde; topic names come from the (prefixed) topology. */
export function avroFollowCodec(serde: AvroSerde, topology: Topology): FollowCodec {
  const topic = (logical: string): TopicSpec => {
    const t = topology.topics.get(logical);
    if (!t) throw new Error(`topology has no topic '${logical}'`);
    return t;
  };
  const fin = topic('consensus.finalizations');
  const verified = topic('finalizations.verified');
  const epochs = topic('epochs');
  const dkg = topic('dkg.events');
  return {
    async decodeFinalization(value) {
      const v = (await serde.decode(value, fin.value!)).value as AvroFinalization;
      const [branch, h] = Object.entries(v.header)[0]!;
      return {
        height: big(v.height),
        certificate: v.certificate,
        header: branch.endsWith('HeaderRlp') ? { rlp: h.rlp! } : { json: h.json! },
        source: v.source,
        receivedAtMs: v.receivedAtMs,
      };
    },
    encodeFinalization(r) {
      const header = 'rlp' in r.header ? { [`${NS_CONSENSUS}.HeaderRlp`]: { rlp: buf(r.header.rlp) } } : { [`${NS_CONSENSUS}.HeaderJson`]: { json: r.header.json } };
      return serde.encode(fin, { height: num(r.height, 'height'), certificate: buf(r.certificate), header, source: r.source, receivedAtMs: r.receivedAtMs });
    },
    encodeVerified(r) {
      return serde.encode(verified, {
        epoch: num(r.epoch, 'epoch'),
        view: num(r.view, 'view'),
        height: num(r.height, 'height'),
        blockHash: buf(r.blockHash),
        certificate: buf(r.certificate),
        headerRlp: buf(r.headerRlp),
        identity: buf(r.identity),
        isBoundary: r.isBoundary,
      });
    },
    async decodeVerified(value) {
      const v = (await serde.decode(value, verified.value!)).value as Record<string, unknown>;
      return {
        epoch: big(v.epoch as number),
        view: big(v.view as number),
        height: big(v.height as number),
        blockHash: v.blockHash as Buffer,
        certificate: v.certificate as Buffer,
        headerRlp: v.headerRlp as Buffer,
        identity: v.identity as Buffer,
        isBoundary: v.isBoundary as boolean,
      };
    },
    encodeEpochEvent(e) {
      const event =
        e.type === 'SchemeRegistered'
          ? { [`${NS_EPOCHS}.SchemeRegistered`]: { identity: buf(e.identity), outcome: e.outcome ? buf(e.outcome) : null, source: e.source } }
          : {
              [`${NS_EPOCHS}.EpochAdvanced`]: {
                from: num(e.from, 'from'),
                boundaryHeight: num(e.boundaryHeight, 'boundaryHeight'),
                boundaryHash: buf(e.boundaryHash),
                isFullDkg: e.isFullDkg,
                players: e.players.map(buf),
                // ["null", Observation] is not ambiguous, so avsc ('auto' unions) does not wrap it.
                observation: e.observation ? { matches: e.observation.matches, logs: e.observation.logs, reason: e.observation.reason } : null,
                outcomeTrailingBytes: e.outcomeTrailingBytes,
              },
            };
      return serde.encode(epochs, { epoch: num(e.epoch, 'epoch'), event });
    },
    async decodeEpochEvent(value) {
      const v = (await serde.decode(value, epochs.value!)).value as AvroEpochEvent;
      const [branch, b] = Object.entries(v.event)[0]!;
      if (branch.endsWith('SchemeRegistered')) {
        return { type: 'SchemeRegistered', epoch: big(v.epoch), identity: b.identity as Buffer, outcome: (b.outcome as Buffer | null) ?? null, source: b.source as string };
      }
      const obs = (b.observation as Observation | null | undefined) ?? null;
      return {
        type: 'EpochAdvanced',
        epoch: big(v.epoch),
        from: big(b.from as number),
        boundaryHeight: big(b.boundaryHeight as number),
        boundaryHash: b.boundaryHash as Buffer,
        isFullDkg: b.isFullDkg as boolean,
        players: b.players as Buffer[],
        observation: obs ? { matches: obs.matches, logs: obs.logs, reason: obs.reason ?? null } : null,
        // Written before the field existed: the schema default (0) applies.
        outcomeTrailingBytes: (b.outcomeTrailingBytes as number | undefined) ?? 0,
      };
    },
    encodeDkgLog(r) {
      return serde.encode(dkg, {
        epoch: num(r.epoch, 'epoch'),
        owner: buf(r.owner),
        event: { [`${NS_DKG}.Log`]: { dealer: buf(r.dealer), log: buf(r.log), source: r.source } },
      });
    },
  };
}
