/**
 * The consensus JSON-RPC shapes of a Tempo node (`crates/node/src/rpc/consensus/types.rs`):
 *
 * - `consensus_getFinalization(query)` → {@link CertifiedBlock}; the query is `"latest"` or
 *   `{"height": n}`;
 * - `consensus_getLatest()` → {@link ConsensusState};
 * - `consensus_subscribe` (WebSocket) → notifications `consensus_event` carrying a
 *   {@link ConsensusEvent} (`type` = `notarized` | `finalized` | `nullified`, the certified block
 *   flattened into it).
 *
 * Parsing is strict about what the follower relies on and tolerant of extra fields (as serde is).
 * `epoch`, `view`, `digest` and `seen` are **not authenticated**: the certificate and the
 * recomputed header hash are what count. The certificate is kept as raw bytes (hex with or
 * without `0x` accepted) and decoded by `decodeFinalization`.
 */

import { showValue } from '../show.ts';
import { HeaderJsonError, type TempoHeader, tempoHeaderFromJson, tempoHeaderToJson } from './header.ts';
import { bytesTo0x, bytesToHex, hexToBytes, InvalidHex } from './hex.ts';

export const RPC_GET_FINALIZATION = 'consensus_getFinalization';
export const RPC_GET_LATEST = 'consensus_getLatest';
export const RPC_SUBSCRIBE = 'consensus_subscribe';
export const RPC_UNSUBSCRIBE = 'consensus_unsubscribe';
export const RPC_EVENT_NOTIFICATION = 'consensus_event';

/** A JSON value that does not have the expected consensus RPC shape; `path` locates it. */
export class RpcShapeError extends Error {
  override name = 'RpcShapeError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** A block as carried by the RPC: the parsed header plus the body, kept as opaque JSON. */
export interface RpcBlock {
  header: TempoHeader;
  /** `block.body` as received (`transactions`, `ommers`, `withdrawals`); never hashed here. */
  body: unknown;
}

/** A block with its notarization or finalization certificate. */
export interface CertifiedBlock {
  epoch: bigint;
  view: bigint;
  /** Claimed block hash (32 bytes); not authenticated. */
  digest: Uint8Array;
  /** `Finalization.encode()` (or a notarization) bytes, from hex. */
  certificate: Uint8Array;
  block: RpcBlock;
}

export type ConsensusEvent = ({ type: 'notarized' | 'finalized'; seen: bigint } & CertifiedBlock) | { type: 'nullified'; epoch: bigint; view: bigint; seen: bigint };

export interface ConsensusState {
  finalized: CertifiedBlock | null;
  notarized: CertifiedBlock | null;
}

/** Query parameter of `consensus_getFinalization`. */
export type FinalizationQuery = 'latest' | { height: bigint };

/** The JSON-RPC `params` array for `consensus_getFinalization`. */
export function finalizationQueryParams(query: FinalizationQuery): unknown[] {
  if (query === 'latest') return ['latest'];
  if (query.height < 0n || query.height > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`height ${query.height} cannot be sent as an exact JSON number`);
  }
  return [{ height: Number(query.height) }];
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RpcShapeError(path, 'expected a JSON object');
  return v as Record<string, unknown>;
}

function u64(o: Record<string, unknown>, key: string, path: string): bigint {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v;
  throw new RpcShapeError(`${path}.${key}`, v === undefined ? 'missing' : `expected a non-negative integer JSON number, got ${showValue(v)}`);
}

function hexField(o: Record<string, unknown>, key: string, path: string, size?: number): Uint8Array {
  const v = o[key];
  if (typeof v !== 'string') throw new RpcShapeError(`${path}.${key}`, v === undefined ? 'missing' : 'expected a hex string');
  try {
    const b = hexToBytes(v, key);
    if (size !== undefined && b.length !== size) throw new RpcShapeError(`${path}.${key}`, `expected ${size} bytes, got ${b.length}`);
    return b;
  } catch (err) {
    if (err instanceof InvalidHex) throw new RpcShapeError(`${path}.${key}`, err.message);
    throw err;
  }
}

/** Parses `block` (`{"header": TempoHeader JSON, "body": {...}}`). */
export function parseRpcBlock(json: unknown, path = 'block'): RpcBlock {
  const o = obj(json, path);
  if (o.header === undefined) throw new RpcShapeError(`${path}.header`, 'missing');
  let header: TempoHeader;
  try {
    header = tempoHeaderFromJson(o.header);
  } catch (err) {
    if (err instanceof HeaderJsonError) throw new RpcShapeError(`${path}.header${err.field ? `.${err.field}` : ''}`, err.detail);
    throw err;
  }
  return { header, body: o.body ?? null };
}

/** Parses a `CertifiedBlock` (the result of `consensus_getFinalization`). */
export function parseCertifiedBlock(json: unknown, path = 'result'): CertifiedBlock {
  const o = obj(json, path);
  return {
    epoch: u64(o, 'epoch', path),
    view: u64(o, 'view', path),
    digest: hexField(o, 'digest', path, 32),
    certificate: hexField(o, 'certificate', path),
    block: parseRpcBlock(o.block, `${path}.block`),
  };
}

/** Parses a `consensus_event` item. */
export function parseConsensusEvent(json: unknown, path = 'event'): ConsensusEvent {
  const o = obj(json, path);
  const type = o.type;
  if (type === 'nullified') {
    return { type, epoch: u64(o, 'epoch', path), view: u64(o, 'view', path), seen: u64(o, 'seen', path) };
  }
  if (type === 'finalized' || type === 'notarized') {
    return { type, seen: u64(o, 'seen', path), ...parseCertifiedBlock(o, path) };
  }
  throw new RpcShapeError(`${path}.type`, `expected "notarized", "finalized" or "nullified", got ${showValue(type)}`);
}

/** Parses the result of `consensus_getLatest`. */
export function parseConsensusState(json: unknown, path = 'result'): ConsensusState {
  const o = obj(json, path);
  const opt = (k: 'finalized' | 'notarized') => (o[k] === null || o[k] === undefined ? null : parseCertifiedBlock(o[k], `${path}.${k}`));
  return { finalized: opt('finalized'), notarized: opt('notarized') };
}

// ---------------------------------------------------------------------------------------------
// Rendering (what a Tempo node emits; used by the simulator and tests)

function num(v: bigint, what: string): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} ${v} cannot be written as an exact JSON number`);
  return Number(v);
}

/** The JSON of a certified block as tempo serializes it (certificate hex without `0x`). */
export function certifiedBlockToJson(cb: CertifiedBlock): Record<string, unknown> {
  return {
    epoch: num(cb.epoch, 'epoch'),
    view: num(cb.view, 'view'),
    digest: bytesTo0x(cb.digest),
    certificate: bytesToHex(cb.certificate),
    block: { header: tempoHeaderToJson(cb.block.header), body: cb.block.body },
  };
}

/** The JSON of a `consensus_event` item. */
export function consensusEventToJson(ev: ConsensusEvent): Record<string, unknown> {
  if (ev.type === 'nullified') return { type: ev.type, epoch: num(ev.epoch, 'epoch'), view: num(ev.view, 'view'), seen: num(ev.seen, 'seen') };
  const { type, seen, ...cb } = ev;
  return { type, ...certifiedBlockToJson(cb), seen: num(seen, 'seen') };
}
