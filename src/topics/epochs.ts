/**
 * `epochs` (compacted, read as a global table): scheme registrations and epoch advances.
 *
 * Key: `epoch u64 BE ‖ kind u8` (9 B), kind 0 = SchemeRegistered, 1 = EpochAdvanced. Both events
 * of a boundary concern epoch E + 1; with the bare epoch as key, compaction (and the global table,
 * which keeps the last value per key) would drop the scheme registration behind the epoch advance.
 * Byte order is still epoch order. Value: Avro `schemas/epoch-event.avsc`.
 */

import { asBuffer } from '../codec/bytes.ts';
import { decodeU64, u64 } from '../state/keys.ts';
import { avroLong } from './avro-fields.ts';

export const EPOCH_EVENT_SCHEME = 0;
export const EPOCH_EVENT_ADVANCE = 1;

export function epochEventKey(epoch: bigint, kind: typeof EPOCH_EVENT_SCHEME | typeof EPOCH_EVENT_ADVANCE): Buffer {
  return Buffer.concat([u64(epoch), Buffer.of(kind)]);
}

export function decodeEpochEventKey(key: Buffer): { epoch: bigint; kind: number } {
  if (key.length !== 9) throw new RangeError(`epochs key must be 9 bytes, got ${key.length}`);
  return { epoch: decodeU64(key), kind: key[8]! };
}

/** The follower's DKG observation at a boundary (see src/processors/follow/observer.ts). */
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

const NS = 'xyz.dkgstream.epochs';

type AvroEpochEvent = { epoch: number; event: Record<string, Record<string, unknown>> };

export function epochEventToAvro(e: EpochEvent): unknown {
  const event =
    e.type === 'SchemeRegistered'
      ? { [`${NS}.SchemeRegistered`]: { identity: asBuffer(e.identity), outcome: e.outcome ? asBuffer(e.outcome) : null, source: e.source } }
      : {
          [`${NS}.EpochAdvanced`]: {
            from: avroLong(e.from, 'from'),
            boundaryHeight: avroLong(e.boundaryHeight, 'boundaryHeight'),
            boundaryHash: asBuffer(e.boundaryHash),
            isFullDkg: e.isFullDkg,
            players: e.players.map(asBuffer),
            // ["null", Observation] is not ambiguous, so avsc ('auto' unions) does not wrap it.
            observation: e.observation ? { matches: e.observation.matches, logs: e.observation.logs, reason: e.observation.reason } : null,
            outcomeTrailingBytes: e.outcomeTrailingBytes,
          },
        };
  return { epoch: avroLong(e.epoch, 'epoch'), event };
}

/** The value as the registry serde decoded it (the schema already checked its shape). */
export function epochEventFromAvro(value: unknown): EpochEvent {
  const v = value as AvroEpochEvent;
  const [branch, b] = Object.entries(v.event)[0]!;
  if (branch.endsWith('SchemeRegistered')) {
    return { type: 'SchemeRegistered', epoch: BigInt(v.epoch), identity: b.identity as Buffer, outcome: (b.outcome as Buffer | null) ?? null, source: b.source as string };
  }
  const obs = (b.observation as Observation | null | undefined) ?? null;
  return {
    type: 'EpochAdvanced',
    epoch: BigInt(v.epoch),
    from: BigInt(b.from as number),
    boundaryHeight: BigInt(b.boundaryHeight as number),
    boundaryHash: b.boundaryHash as Buffer,
    isFullDkg: b.isFullDkg as boolean,
    players: b.players as Buffer[],
    observation: obs ? { matches: obs.matches, logs: obs.logs, reason: obs.reason ?? null } : null,
    // Written before the field existed: the schema default (0) applies.
    outcomeTrailingBytes: (b.outcomeTrailingBytes as number | undefined) ?? 0,
  };
}
