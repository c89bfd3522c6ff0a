/**
 * Field readers and writers shared by the topic contracts: structural checks of decoded Avro
 * objects (a failure is a {@link MalformedEvent}, the DLQ reason) and u64 → Avro long.
 */
import type { Sealed } from '../state/seal.ts';

/** A record whose structure is not a journal event/state (wrong branch, wrong field sizes…). */
export class MalformedEvent extends Error {
  override name = 'MalformedEvent';
}
/** The record key is not the 8-byte epoch of the value. */
export class EpochKeyMismatch extends Error {
  override name = 'EpochKeyMismatch';
}

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function bytesField(o: Record<string, unknown>, field: string, len?: number): Buffer {
  const v = o[field];
  if (!Buffer.isBuffer(v)) throw new MalformedEvent(`${field} must be bytes`);
  if (len !== undefined && v.length !== len) throw new MalformedEvent(`${field} must be ${len} bytes, got ${v.length}`);
  return v;
}

export function epochField(o: Record<string, unknown>): bigint {
  const e = o.epoch;
  if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 0) throw new MalformedEvent(`epoch must be a non-negative integer, got ${String(e)}`);
  return BigInt(e);
}

export function sealedField(v: unknown, field: string): Sealed {
  if (!isObj(v) || typeof v.keyId !== 'string' || !Buffer.isBuffer(v.nonce) || !Buffer.isBuffer(v.ciphertext)) throw new MalformedEvent(`${field} must be a Sealed record`);
  return { keyId: v.keyId, nonce: v.nonce, ciphertext: v.ciphertext };
}

/** A u64 as an Avro long: JavaScript numbers hold it exactly only up to 2^53 − 1. */
export function avroLong(n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} ${n} does not fit an Avro long in JavaScript`);
  return Number(n);
}
