/**
 * `TempoHeader`: RLP encoding, strict decoding, the keccak-256 block hash, and the consensus
 * RPC JSON shape.
 *
 * RLP (what `keccak256` hashes to give the block hash, which is also the `payload` of a
 * finalization certificate):
 *
 * ```
 * TempoHeader := list[ general_gas_limit u64, shared_gas_limit u64, timestamp_millis_part u64,
 *                      inner (nested list), consensus_context? ]
 * inner       := list[ parentHash, ommersHash, beneficiary(20), stateRoot, transactionsRoot,
 *                      receiptsRoot, logsBloom(256), difficulty U256, number, gasLimit, gasUsed,
 *                      timestamp, extraData, mixHash, nonce(8), baseFeePerGas?, withdrawalsRoot?,
 *                      blobGasUsed?, excessBlobGas?, parentBeaconBlockRoot?, requestsHash?,
 *                      blockAccessListHash?, slotNumber? ]
 * consensus_context := list[ epoch u64, view u64, parent_view u64, proposer bytes32 ]
 * ```
 *
 * Invariants of a {@link TempoHeader} value (checked by {@link validateTempoHeader}, which every
 * encoder and parser here runs):
 * - fixed-size fields have their exact sizes; integers are within u64 (difficulty within U256);
 * - the optional trailing inner fields have no gaps: if one is present, all before it are
 *   (a gap would encode to bytes that decode to a different header);
 * - `consensusContext.proposer` is a valid ed25519 public key (ZIP-215 decompression, as
 *   tempo's `PublicKey::try_from`); tempo rejects a header otherwise, in RLP and in JSON.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ed25519IsValidPublicKey } from '../crypto/ed25519.ts';
import { showValue } from '../show.ts';
import { bytesTo0x, hexToBytes, InvalidHex } from './hex.ts';
import { encodeBytes, encodeListOf, encodeUint, RlpError, RlpReader } from './rlp.ts';

/** The standard Ethereum header carried inside a Tempo header (alloy `Header`). */
export interface InnerHeader {
  parentHash: Uint8Array;
  ommersHash: Uint8Array;
  beneficiary: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  difficulty: bigint;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  timestamp: bigint;
  extraData: Uint8Array;
  mixHash: Uint8Array;
  nonce: Uint8Array;
  baseFeePerGas?: bigint | undefined;
  withdrawalsRoot?: Uint8Array | undefined;
  blobGasUsed?: bigint | undefined;
  excessBlobGas?: bigint | undefined;
  parentBeaconBlockRoot?: Uint8Array | undefined;
  requestsHash?: Uint8Array | undefined;
  blockAccessListHash?: Uint8Array | undefined;
  slotNumber?: bigint | undefined;
}

/** Consensus metadata carried by headers from hard fork T4 on. */
export interface ConsensusContext {
  epoch: bigint;
  view: bigint;
  parentView: bigint;
  /** 32-byte ed25519 public key of the proposer. */
  proposer: Uint8Array;
}

/** A Tempo block header. */
export interface TempoHeader {
  generalGasLimit: bigint;
  sharedGasLimit: bigint;
  timestampMillisPart: bigint;
  inner: InnerHeader;
  consensusContext?: ConsensusContext | undefined;
}

/** A header value that breaks an invariant (size, range, gap, invalid proposer key). */
export class InvalidHeader extends Error {
  override name = 'InvalidHeader';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
  }
}
/** Header bytes that are not a valid RLP `TempoHeader`. */
export class HeaderDecodeError extends Error {
  override name = 'HeaderDecodeError';
}
/** A header JSON object that does not have the consensus RPC shape; `field` names the culprit. */
export class HeaderJsonError extends Error {
  override name = 'HeaderJsonError';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`header.${field}: ${detail}`);
  }
}

const U64_MAX = (1n << 64n) - 1n;
const U256_MAX = (1n << 256n) - 1n;

/** Keccak-256 of the RLP of an empty list: the ommers hash of every post-merge block. */
export const EMPTY_OMMERS_HASH = hexToBytes('1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347');
/** Root of an empty Merkle-Patricia trie. */
export const EMPTY_ROOT_HASH = hexToBytes('56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');

/** The trailing optional fields of the inner header, in encoding order. */
const OPTIONAL_INNER = [
  ['baseFeePerGas', 'u64'],
  ['withdrawalsRoot', 'b32'],
  ['blobGasUsed', 'u64'],
  ['excessBlobGas', 'u64'],
  ['parentBeaconBlockRoot', 'b32'],
  ['requestsHash', 'b32'],
  ['blockAccessListHash', 'b32'],
  ['slotNumber', 'u64'],
] as const satisfies ReadonlyArray<readonly [keyof InnerHeader, 'u64' | 'b32']>;

const FIXED_INNER = [
  ['parentHash', 32],
  ['ommersHash', 32],
  ['beneficiary', 20],
  ['stateRoot', 32],
  ['transactionsRoot', 32],
  ['receiptsRoot', 32],
  ['logsBloom', 256],
  ['mixHash', 32],
  ['nonce', 8],
] as const satisfies ReadonlyArray<readonly [keyof InnerHeader, number]>;

function checkU64(v: bigint, what: string): void {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw new InvalidHeader(what, 'is not a u64');
}
function checkSize(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new InvalidHeader(what, `must be ${n} bytes`);
}

/** Checks every invariant listed in the module doc; throws {@link InvalidHeader}. */
export function validateTempoHeader(h: TempoHeader): void {
  checkU64(h.generalGasLimit, 'generalGasLimit');
  checkU64(h.sharedGasLimit, 'sharedGasLimit');
  checkU64(h.timestampMillisPart, 'timestampMillisPart');
  const i = h.inner;
  for (const [k, n] of FIXED_INNER) checkSize(i[k], n, k);
  if (typeof i.difficulty !== 'bigint' || i.difficulty < 0n || i.difficulty > U256_MAX) {
    throw new InvalidHeader('difficulty', 'is not a U256');
  }
  for (const k of ['number', 'gasLimit', 'gasUsed', 'timestamp'] as const) checkU64(i[k], k);
  if (!(i.extraData instanceof Uint8Array)) throw new InvalidHeader('extraData', 'must be bytes');
  let missing: string | undefined;
  for (const [k, kind] of OPTIONAL_INNER) {
    const v = i[k];
    if (v === undefined) {
      missing ??= k;
      continue;
    }
    if (missing !== undefined) throw new InvalidHeader(k, `is present but the earlier optional field ${missing} is not`);
    if (kind === 'u64') checkU64(v as bigint, k);
    else checkSize(v as Uint8Array, 32, k);
  }
  const c = h.consensusContext;
  if (c !== undefined) {
    checkU64(c.epoch, 'consensusContext.epoch');
    checkU64(c.view, 'consensusContext.view');
    checkU64(c.parentView, 'consensusContext.parentView');
    checkSize(c.proposer, 32, 'consensusContext.proposer');
    if (!ed25519IsValidPublicKey(c.proposer)) {
      throw new InvalidHeader('consensusContext.proposer', 'is not a valid ed25519 public key');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// RLP

function encodeInner(i: InnerHeader): Uint8Array {
  const items = [
    encodeBytes(i.parentHash),
    encodeBytes(i.ommersHash),
    encodeBytes(i.beneficiary),
    encodeBytes(i.stateRoot),
    encodeBytes(i.transactionsRoot),
    encodeBytes(i.receiptsRoot),
    encodeBytes(i.logsBloom),
    encodeUint(i.difficulty),
    encodeUint(i.number),
    encodeUint(i.gasLimit),
    encodeUint(i.gasUsed),
    encodeUint(i.timestamp),
    encodeBytes(i.extraData),
    encodeBytes(i.mixHash),
    encodeBytes(i.nonce),
  ];
  for (const [k, kind] of OPTIONAL_INNER) {
    const v = i[k];
    if (v === undefined) break;
    items.push(kind === 'u64' ? encodeUint(v as bigint) : encodeBytes(v as Uint8Array));
  }
  return encodeListOf(items);
}

/** The RLP encoding of a header (validated first). */
export function encodeTempoHeader(h: TempoHeader): Uint8Array {
  validateTempoHeader(h);
  const items = [encodeUint(h.generalGasLimit), encodeUint(h.sharedGasLimit), encodeUint(h.timestampMillisPart), encodeInner(h.inner)];
  const c = h.consensusContext;
  if (c !== undefined) {
    items.push(encodeListOf([encodeUint(c.epoch), encodeUint(c.view), encodeUint(c.parentView), encodeBytes(c.proposer)]));
  }
  return encodeListOf(items);
}

/** The block hash: keccak-256 of the header's RLP. */
export function tempoHeaderHash(h: TempoHeader): Uint8Array {
  return keccak_256(encodeTempoHeader(h));
}

function copy(b: Uint8Array): Uint8Array {
  return Uint8Array.from(b);
}

function decodeInner(r: RlpReader): InnerHeader {
  const fixed = (n: number, what: string) => copy(r.fixed(n, what));
  const inner: InnerHeader = {
    parentHash: fixed(32, 'parentHash'),
    ommersHash: fixed(32, 'ommersHash'),
    beneficiary: fixed(20, 'beneficiary'),
    stateRoot: fixed(32, 'stateRoot'),
    transactionsRoot: fixed(32, 'transactionsRoot'),
    receiptsRoot: fixed(32, 'receiptsRoot'),
    logsBloom: fixed(256, 'logsBloom'),
    difficulty: r.uint(32, 'difficulty'),
    number: r.u64('number'),
    gasLimit: r.u64('gasLimit'),
    gasUsed: r.u64('gasUsed'),
    timestamp: r.u64('timestamp'),
    extraData: copy(r.bytes('extraData')),
    mixHash: fixed(32, 'mixHash'),
    nonce: fixed(8, 'nonce'),
  };
  for (const [k, kind] of OPTIONAL_INNER) {
    if (r.remaining === 0) break;
    if (kind === 'u64') (inner[k] as bigint) = r.u64(k);
    else (inner[k] as Uint8Array) = fixed(32, k);
  }
  r.finish('inner header');
  return inner;
}

/**
 * Decodes a header from its RLP, strictly: canonical RLP, exact field sizes, no bytes after
 * the header, no explicit empty item in place of an absent consensus context.
 * Throws {@link HeaderDecodeError} (wrapping the {@link RlpError}) or {@link InvalidHeader}.
 */
export function decodeTempoHeader(bytes: Uint8Array): TempoHeader {
  try {
    const top = new RlpReader(bytes);
    const r = top.list('TempoHeader');
    top.finish('TempoHeader input');
    const h: TempoHeader = {
      generalGasLimit: r.u64('general_gas_limit'),
      sharedGasLimit: r.u64('shared_gas_limit'),
      timestampMillisPart: r.u64('timestamp_millis_part'),
      inner: decodeInner(r.list('inner header')),
    };
    if (r.remaining > 0) {
      const c = r.list('consensus_context');
      h.consensusContext = { epoch: c.u64('epoch'), view: c.u64('view'), parentView: c.u64('parent_view'), proposer: copy(c.fixed(32, 'proposer')) };
      c.finish('consensus_context');
    }
    r.finish('TempoHeader');
    validateTempoHeader(h);
    return h;
  } catch (err) {
    if (err instanceof RlpError) throw new HeaderDecodeError(`${err.name}: ${err.message}`, { cause: err });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON (consensus RPC `block.header`, alloy serde names)

/** The JSON shape of a header as the consensus RPC emits it (hex strings, camelCase). */
export interface TempoHeaderJson {
  parentHash: string;
  sha3Uncles: string;
  miner: string;
  stateRoot: string;
  transactionsRoot: string;
  receiptsRoot: string;
  logsBloom: string;
  difficulty: string;
  number: string;
  gasLimit: string;
  gasUsed: string;
  timestamp: string;
  extraData: string;
  mixHash: string;
  nonce: string;
  baseFeePerGas?: string;
  withdrawalsRoot?: string;
  blobGasUsed?: string;
  excessBlobGas?: string;
  parentBeaconBlockRoot?: string;
  requestsHash?: string;
  blockAccessListHash?: string;
  slotNumber?: string;
  mainBlockGeneralGasLimit: string;
  sharedGasLimit: string;
  timestampMillisPart: string;
  consensusContext?: { epoch: number; view: number; parentView: number; proposer: string };
}

const QUANTITY_RE = /^0x[0-9a-fA-F]+$/;

function quantity(obj: Record<string, unknown>, field: string, max: bigint, aliases: string[] = []): bigint {
  let v: unknown;
  for (const k of [field, ...aliases]) {
    if (obj[k] !== undefined && obj[k] !== null) {
      v = obj[k];
      break;
    }
  }
  if (v === undefined) throw new HeaderJsonError(field, 'missing');
  if (typeof v !== 'string' || !QUANTITY_RE.test(v)) throw new HeaderJsonError(field, `expected a hex quantity like "0x1a", got ${showValue(v)}`);
  // More than 64 hex digits is beyond any u256 (and BigInt() of megabytes of hex costs seconds).
  const n = v.length > 66 ? max + 1n : BigInt(v);
  if (n > max) throw new HeaderJsonError(field, `quantity ${showValue(v)} out of range`);
  return n;
}

function data(obj: Record<string, unknown>, field: string, size: number | undefined, aliases: string[] = []): Uint8Array {
  let v: unknown;
  let name = field;
  for (const k of [field, ...aliases]) {
    if (obj[k] !== undefined && obj[k] !== null) {
      v = obj[k];
      name = k;
      break;
    }
  }
  if (v === undefined) throw new HeaderJsonError(field, 'missing');
  if (typeof v !== 'string') throw new HeaderJsonError(name, `expected a hex string, got ${showValue(v)}`);
  let b: Uint8Array;
  try {
    b = hexToBytes(v, name);
  } catch (err) {
    if (err instanceof InvalidHex) throw new HeaderJsonError(name, err.message);
    throw err;
  }
  if (size !== undefined && b.length !== size) throw new HeaderJsonError(name, `expected ${size} bytes, got ${b.length}`);
  return b;
}

function present(obj: Record<string, unknown>, field: string): boolean {
  return obj[field] !== undefined && obj[field] !== null;
}

function jsonU64(obj: Record<string, unknown>, field: string, path: string): bigint {
  const v = obj[field];
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new HeaderJsonError(path, `expected a non-negative integer, got ${v}`);
    return BigInt(v);
  }
  if (typeof v === 'bigint' && v >= 0n && v <= U64_MAX) return v;
  throw new HeaderJsonError(path, v === undefined ? 'missing' : `expected a JSON number, got ${showValue(v)}`);
}

/**
 * Parses `block.header` of the consensus RPC (`TempoHeader` serde JSON: alloy `Header` fields
 * flattened, `mainBlockGeneralGasLimit`, `sharedGasLimit`, `timestampMillisPart`, optional
 * `consensusContext` with plain JSON numbers). Unknown fields are ignored, as serde does; a
 * `hash` field, if any, is *not* trusted (hash the header with {@link tempoHeaderHash}).
 * Also accepts the `{"header": {...}}` wrapper some nodes emitted in June 2026.
 */
export function tempoHeaderFromJson(json: unknown): TempoHeader {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new HeaderJsonError('', 'expected a JSON object');
  let o = json as Record<string, unknown>;
  if (!('parentHash' in o) && o.header !== null && typeof o.header === 'object' && !Array.isArray(o.header)) {
    o = o.header as Record<string, unknown>;
  }
  const inner: InnerHeader = {
    parentHash: data(o, 'parentHash', 32),
    ommersHash: data(o, 'sha3Uncles', 32, ['ommersHash']),
    beneficiary: data(o, 'miner', 20, ['beneficiary']),
    stateRoot: data(o, 'stateRoot', 32),
    transactionsRoot: data(o, 'transactionsRoot', 32),
    receiptsRoot: data(o, 'receiptsRoot', 32),
    logsBloom: data(o, 'logsBloom', 256),
    difficulty: quantity(o, 'difficulty', U256_MAX),
    number: quantity(o, 'number', U64_MAX),
    gasLimit: quantity(o, 'gasLimit', U64_MAX),
    gasUsed: quantity(o, 'gasUsed', U64_MAX),
    timestamp: quantity(o, 'timestamp', U64_MAX),
    extraData: data(o, 'extraData', undefined),
    mixHash: data(o, 'mixHash', 32),
    nonce: data(o, 'nonce', 8),
  };
  for (const [k, kind] of OPTIONAL_INNER) {
    if (!present(o, k)) continue;
    if (kind === 'u64') (inner[k] as bigint) = quantity(o, k, U64_MAX);
    else (inner[k] as Uint8Array) = data(o, k, 32);
  }
  const h: TempoHeader = {
    generalGasLimit: quantity(o, 'mainBlockGeneralGasLimit', U64_MAX),
    sharedGasLimit: quantity(o, 'sharedGasLimit', U64_MAX),
    timestampMillisPart: quantity(o, 'timestampMillisPart', U64_MAX),
    inner,
  };
  if (present(o, 'consensusContext')) {
    const c = o.consensusContext;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new HeaderJsonError('consensusContext', 'expected an object');
    const cc = c as Record<string, unknown>;
    h.consensusContext = {
      epoch: jsonU64(cc, 'epoch', 'consensusContext.epoch'),
      view: jsonU64(cc, 'view', 'consensusContext.view'),
      parentView: jsonU64(cc, 'parentView', 'consensusContext.parentView'),
      proposer: data(cc, 'proposer', 32),
    };
  }
  try {
    validateTempoHeader(h);
  } catch (err) {
    if (err instanceof InvalidHeader) throw new HeaderJsonError(err.field, err.message.slice(err.field.length + 1));
    throw err;
  }
  return h;
}

const q = (n: bigint) => '0x' + n.toString(16);

/** The consensus RPC JSON of a header (the inverse of {@link tempoHeaderFromJson}). */
export function tempoHeaderToJson(h: TempoHeader): TempoHeaderJson {
  validateTempoHeader(h);
  const i = h.inner;
  const out: TempoHeaderJson = {
    parentHash: bytesTo0x(i.parentHash),
    sha3Uncles: bytesTo0x(i.ommersHash),
    miner: bytesTo0x(i.beneficiary),
    stateRoot: bytesTo0x(i.stateRoot),
    transactionsRoot: bytesTo0x(i.transactionsRoot),
    receiptsRoot: bytesTo0x(i.receiptsRoot),
    logsBloom: bytesTo0x(i.logsBloom),
    difficulty: q(i.difficulty),
    number: q(i.number),
    gasLimit: q(i.gasLimit),
    gasUsed: q(i.gasUsed),
    timestamp: q(i.timestamp),
    extraData: bytesTo0x(i.extraData),
    mixHash: bytesTo0x(i.mixHash),
    nonce: bytesTo0x(i.nonce),
    mainBlockGeneralGasLimit: q(h.generalGasLimit),
    sharedGasLimit: q(h.sharedGasLimit),
    timestampMillisPart: q(h.timestampMillisPart),
  };
  for (const [k, kind] of OPTIONAL_INNER) {
    const v = i[k];
    if (v === undefined) continue;
    out[k] = kind === 'u64' ? q(v as bigint) : bytesTo0x(v as Uint8Array);
  }
  const c = h.consensusContext;
  if (c !== undefined) {
    const num = (n: bigint, f: string) => {
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidHeader(`consensusContext.${f}`, 'does not fit a JSON number exactly');
      return Number(n);
    };
    out.consensusContext = { epoch: num(c.epoch, 'epoch'), view: num(c.view, 'view'), parentView: num(c.parentView, 'parentView'), proposer: bytesTo0x(c.proposer) };
  }
  return out;
}
