/**
 * Leaner drop-ins for five kafkajs 2.2.4 internals on the per-record hot paths. kafkajs is pinned
 * and unmaintained; a CPU profile of the fold benchmark (1M records consumed, ~250k changelog
 * records produced in transactions) spent ~12 % of the single Node thread in these modules:
 *
 * - `producer/groupMessagesPerPartition`: rebuilt each partition's array per message
 *   (`[...current, message]`), quadratic in the batch size;
 * - `protocol/requests/produce/v3/request` (also behind v4–v7) and `protocol/recordBatch/record/v0`:
 *   sorted all timestamps to find the first and last, spread every message into a new object, and
 *   built each record in its own zero-filled 512-byte `Encoder`, every varint in its own
 *   `Buffer.from`, every timestamp delta with BigInt-backed `Long` arithmetic;
 * - `protocol/recordBatch/record/v0/decoder`: parsed the batch's first offset and timestamp from
 *   strings with BigInt `Long`s for every record, read the timestamp delta with ~15 `Long`
 *   allocations, and merged headers with an object spread per header;
 * - `consumer/batch`: parsed every record's offset string into a `Long` to drop records below the
 *   fetched offset.
 *
 * Each replacement keeps the exported signature and produces the same bytes and the same values,
 * including kafkajs' quirks (timestamps ordered as strings, repeated header keys turned into
 * arrays, headers named like `Object.prototype` members, LOG_APPEND_TIME batches, errors for the
 * inputs kafkajs rejects). Integer arithmetic runs on Numbers only when every operand and the
 * result are exactly representable (|x| < 2^53); anything else takes kafkajs' own `Long` path, so
 * offsets and timestamps beyond 2^53 stay exact. test/unit/runtime/kafkajs-patches.test.ts
 * compares every replacement with the original module on seeded random and edge-case inputs.
 *
 * How: kafkajs loads its internals with CommonJS `require`, which consults `require.cache` first.
 * Importing this module before kafkajs is first loaded seeds the cache with our modules under
 * kafkajs' own file names. A module kafkajs already loaded (or required by then) is left alone, and
 * that is logged as a warning: the patch cannot reach copies kafkajs already holds. The kafkajs
 * adapter (./kafkajs.ts) imports this module first; anything importing 'kafkajs' directly must
 * import this module before it. `DKG_STREAM_KAFKAJS_PATCHES=0` turns every patch off (for A/B
 * measurements or as an escape hatch); `kafkajsPatchesActive()` names the patches in effect.
 */
import { createRequire } from 'node:module';
import { logger } from '../log.ts';
// The corrections (not speed: always on) go in first, before anything loads kafkajs.
import { seedRequireCache } from './kafkajs-fixes.ts';

// kafkajs has no types for its internals; these describe the few members used here.
type Any = any;
interface LongT {
  value: bigint;
  add(other: unknown): LongT;
  gte(other: unknown): boolean;
  toString(): string;
}
interface LongStatic {
  fromInt(n: number): LongT;
  fromValue(v: unknown): LongT;
}
interface EncoderT {
  buf: Buffer;
  offset: number;
  size(): number;
  writeVarLong(v: unknown): EncoderT;
  writeString(v: string | null): EncoderT;
  writeInt16(v: number): EncoderT;
  writeInt32(v: number): EncoderT;
  writeArray(a: unknown[]): EncoderT;
  writeEncoder(e: EncoderT): EncoderT;
  readonly buffer: Buffer;
}
interface EncoderStatic {
  new (initialSize?: number): EncoderT;
  prototype: EncoderT;
  sizeOfVarLong(v: unknown): number;
}
interface DecoderT {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): LongT;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(reader: (d: DecoderT) => T): T[];
}

const require = createRequire(import.meta.url);
const log = logger('runtime.kafkajs-patches');
const kafkajsFile = (rel: string): string => require.resolve(`kafkajs/src/${rel}`);

/** The patched modules, by their path under kafkajs/src. */
const GROUP = 'producer/groupMessagesPerPartition';
const PRODUCE_V3 = 'protocol/requests/produce/v3/request';
const RECORD = 'protocol/recordBatch/record/v0';
const RECORD_DECODER = 'protocol/recordBatch/record/v0/decoder';
const BATCH = 'consumer/batch';
const ALL = [GROUP, PRODUCE_V3, RECORD, RECORD_DECODER, BATCH];

// Which targets are loaded must be read before requiring anything from kafkajs below.
const preloaded = ALL.filter((rel) => require.cache[kafkajsFile(rel)] !== undefined);

// kafkajs internals the replacements build on (unpatched; plain leaf modules without state).
const Long = require('kafkajs/src/utils/long.js') as LongStatic;
const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderStatic;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => DecoderT;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (o: object) => Promise<EncoderT> };
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number } };
const { Produce: PRODUCE_API_KEY } = require('kafkajs/src/protocol/requests/apiKeys.js') as { Produce: number };
const HeaderDecoder = require('kafkajs/src/protocol/recordBatch/header/v0/decoder.js') as (d: DecoderT) => { key: Any; value: Any };
const { LOG_APPEND_TIME } = require('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number };
const filterAbortedMessages = require('kafkajs/src/consumer/filterAbortedMessages.js') as (a: { messages: Any[]; abortedTransactions: unknown }) => Any[];

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// ---------------------------------------------------------------------------------------------
// Producer side

/**
 * `groupMessagesPerPartition`: the same `{ [partition]: messages[] }`, in message order, built by
 * appending instead of copying each partition's array for every message.
 */
function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: Any): Any {
  if (partitionMetadata.length === 0) return {};
  const result: Any = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition];
    if (!current) result[partition] = [message];
    else if (Array.isArray(current)) current.push(message);
    // A truthy inherited member (partition "constructor"…): spreading it, as kafkajs does, throws.
    else result[partition] = [...current, message];
  }
  return result;
}

/**
 * A growable output buffer the record writers append to. kafkajs' `Encoder` zero-fills 512 bytes
 * per record and allocates a Buffer per varint; this writes a partition's records back to back.
 * Only written bytes are ever exposed, so `allocUnsafe` is safe.
 */
class Sink {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Views handed out earlier keep pointing at the old buffer, whose bytes never change again.
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }
  /** kafkajs' `writeVarInt`: 32-bit zigzag (JS bitwise coercions included), then unsigned LEB128. */
  varInt(v: Any): void {
    let u = (v << 1) ^ (v >> 31);
    this.room(5);
    while ((u & 0xffffff80) !== 0) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u & 0x7f;
  }
  /** kafkajs' `writeVarLong`; Numbers below 2^52 here, anything else through kafkajs' Long path. */
  varLong(v: unknown): void {
    if (!smallInteger(v)) {
      const e = new Encoder(16).writeVarLong(v);
      this.raw(e.buffer);
      return;
    }
    let u = v >= 0 ? v * 2 : -v * 2 - 1; // zigzag, exact below 2^53
    this.room(8);
    while (u >= 0x80) {
      this.buf[this.pos++] = (u % 0x80) | 0x80;
      u = Math.floor(u / 0x80);
    }
    this.buf[this.pos++] = u;
  }
  raw(b: Buffer): void {
    this.room(b.length);
    this.buf.set(b, this.pos); // native copy; Buffer#copy goes through JS for small buffers
    this.pos += b.length;
  }
  /** Writes `byteLength` bytes of `s` as UTF-8 (zeros after a short write, as kafkajs' zeroed buffer has). */
  utf8(s: string, byteLength: number): void {
    this.room(byteLength);
    const n = this.buf.write(s, this.pos, byteLength, 'utf8');
    if (n < byteLength) this.buf.fill(0, this.pos + n, this.pos + byteLength);
    this.pos += byteLength;
  }
  /** kafkajs' `writeVarIntBytes`: null → -1; Buffers raw; anything else as `String(value)` in UTF-8. */
  varIntBytes(value: unknown): void {
    if (value == null) return this.varInt(-1);
    if (Buffer.isBuffer(value)) {
      this.varInt(value.length);
      return this.raw(value);
    }
    const s = String(value);
    const n = Buffer.byteLength(s, 'utf8');
    this.varInt(n);
    this.utf8(s, n);
  }
  /** kafkajs' `writeVarIntString`. */
  varIntString(value: Any): void {
    if (value == null) return this.varInt(-1);
    const n = Buffer.byteLength(value, 'utf8');
    this.varInt(n);
    this.utf8(value, n);
  }
}

/** An integer Number whose zigzag encoding (2|v|) is still exact. */
const smallInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v < 2 ** 52 && v > -(2 ** 52);

/** kafkajs' `Encoder.sizeOfVarInt` (same 32-bit coercions). */
function sizeOfVarInt(v: Any): number {
  let u = (v << 1) ^ (v >> 31);
  let n = 1;
  while ((u & 0xffffff80) !== 0) {
    n++;
    u >>>= 7;
  }
  return n;
}

function sizeOfVarLong(v: unknown): number {
  if (!smallInteger(v)) return Encoder.sizeOfVarLong(v);
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (u >= 0x80) {
    n++;
    u = Math.floor(u / 0x80);
  }
  return n;
}

/**
 * kafkajs' `Encoder.sizeOfVarIntBytes`. It measures with `Buffer.byteLength(value)` while the
 * writer writes `String(value)` for non-Buffers; both are mirrored so even the inputs where the two
 * disagree (typed arrays) encode to the same bytes, and numbers throw the same TypeError.
 */
function sizeOfVarIntBytes(value: Any): number {
  if (value == null) return 1; // sizeOfVarInt(-1)
  const n = Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value);
  return sizeOfVarInt(n) + n;
}

/** The record's headers as [key, value, key, value, …], in kafkajs' order (array values flattened, holes skipped). */
function headerPairs(headers: Any): unknown[] {
  const keys = Object.keys(headers); // throws for null headers, as kafkajs does
  const pairs: unknown[] = [];
  for (const key of keys) {
    const v = headers[key];
    if (!Array.isArray(v)) pairs.push(key, v);
    else for (let i = 0; i < v.length; i++) if (i in v) pairs.push(key, v[i]);
  }
  return pairs;
}

/** kafkajs' size of the headers array; `Buffer.byteLength(null)` throws there too. */
function sizeOfHeaders(pairs: Any[]): number {
  let size = sizeOfVarInt(pairs.length / 2);
  for (let i = 0; i < pairs.length; i += 2) {
    const keySize = Buffer.byteLength(pairs[i]);
    const value = pairs[i + 1];
    const valueSize = Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value);
    size += sizeOfVarInt(keySize) + keySize + (value === null ? 1 : sizeOfVarInt(valueSize) + valueSize);
  }
  return size;
}

/**
 * Appends one v0 record (Length, Attributes, TimestampDelta, OffsetDelta, Key, Value, Headers) to
 * `out`, byte for byte what kafkajs' record module encodes, evaluating (and failing) in its order.
 */
function writeRecord(out: Sink, offsetDelta: unknown, timestampDelta: unknown, key: unknown, value: unknown, headers: unknown): void {
  const pairs = headerPairs(headers);
  const bodySize = 1 + sizeOfVarLong(timestampDelta) + sizeOfVarInt(offsetDelta) + sizeOfVarIntBytes(key) + sizeOfVarIntBytes(value) + sizeOfHeaders(pairs);
  out.varInt(bodySize);
  out.u8(0); // record attributes: unused
  out.varLong(timestampDelta);
  out.varInt(offsetDelta);
  out.varIntBytes(key);
  out.varIntBytes(value);
  out.varInt(pairs.length / 2);
  for (let i = 0; i < pairs.length; i += 2) {
    out.varIntString(pairs[i]);
    out.varIntBytes(pairs[i + 1]);
  }
}

/**
 * A real kafkajs `Encoder` holding exactly `bytes` (what RecordBatch concatenates). Its buffer is
 * full, so any further write through Encoder's methods reallocates instead of touching neighbours.
 */
function encoderOver(bytes: Buffer): EncoderT {
  const e = Object.create(Encoder.prototype) as EncoderT;
  e.buf = bytes;
  e.offset = bytes.length;
  return e;
}

/** `protocol/recordBatch/record/v0`: one record as an Encoder. */
function recordV0({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: Any): EncoderT {
  const out = new Sink(64);
  writeRecord(out, offsetDelta, timestampDelta, key, value, headers);
  return encoderOver(out.buf.subarray(0, out.pos));
}

const isEnumerable = Object.prototype.propertyIsEnumerable;
/** `{ ...message }[k]`: kafkajs spreads each message, which keeps own enumerable properties only. */
const ownField = (o: object, k: string): unknown => (isEnumerable.call(o, k) ? (o as Any)[k] : undefined);

/** One partition's record set: `partition`, batch size, RecordBatch (v3 request's partition entry). */
async function encodePartition(compression: unknown, { partition, messages, transactionalId, firstSequence, producerId, producerEpoch }: Any): Promise<EncoderT> {
  const dateNow = Date.now();
  // kafkajs takes the first and last of the non-null timestamps after `.sort()` without a
  // comparator: ordered by their string forms, stably. One pass finds the same two elements.
  let first: Any;
  let max: Any;
  let firstKey = '';
  let maxKey = '';
  let found = false;
  for (const m of messages) {
    const t = m.timestamp;
    if (t == null) continue;
    const k = typeof t === 'string' ? t : `${t}`;
    if (!found) {
      found = true;
      first = max = t;
      firstKey = maxKey = k;
    } else {
      if (k < firstKey) {
        first = t; // the earliest of the smallest
        firstKey = k;
      }
      if (k >= maxKey) {
        max = t; // the latest of the largest
        maxKey = k;
      }
    }
  }
  if (!found) first = max = dateNow;

  const out = new Sink(64 * messages.length + 64);
  const records: EncoderT[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const headers = ownField(m, 'headers');
    const start = out.pos;
    writeRecord(out, i, (m.timestamp || dateNow) - first, ownField(m, 'key'), ownField(m, 'value'), headers === undefined ? {} : headers);
    records[i] = encoderOver(out.buf.subarray(start, out.pos));
  }

  const recordBatch = await RecordBatch({
    compression,
    records,
    firstTimestamp: first,
    maxTimestamp: max,
    producerId,
    producerEpoch,
    firstSequence,
    transactional: !!transactionalId,
    lastOffsetDelta: records.length - 1,
  });
  return new Encoder().writeInt32(partition).writeInt32(recordBatch.size()).writeEncoder(recordBatch);
}

/**
 * `protocol/requests/produce/v3/request` (v4–v7 wrap it): Produce v3 =>
 * transactional_id acks timeout [topic [partition record_set]].
 */
function produceRequestV3({ acks, timeout, transactionalId = null, producerId = Long.fromInt(-1), producerEpoch = 0, compression = Compression.None, topicData }: Any): Any {
  return {
    apiKey: PRODUCE_API_KEY,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => acks !== 0,
    encode: async () => {
      const topics: EncoderT[] = [];
      for (const data of topicData) {
        const { topic, partitions } = { ...data };
        const encoded: EncoderT[] = [];
        for (const p of partitions) encoded.push(await encodePartition(compression, { ...p, transactionalId, producerId, producerEpoch }));
        topics.push(new Encoder().writeString(topic).writeArray(encoded));
      }
      return new Encoder().writeString(transactionalId).writeInt16(acks).writeInt32(timeout).writeArray(topics);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Consumer side

/**
 * A batch-wide base (first offset or first timestamp) plus a record's delta, as the decimal string
 * kafkajs' `Long.fromValue(base).add(delta).toString()` gives. The base is parsed once per batch
 * (every record of a batch shares it); Number arithmetic is used only when exact.
 */
class BasePlus {
  private raw: unknown = BasePlus;
  private big = 0n;
  private num = NaN; // the base as a Number, NaN when beyond ±(2^53 - 1)
  at(raw: unknown, delta: number | LongT): string {
    if (raw !== this.raw) {
      const big = Long.fromValue(raw).value; // kafkajs' parse, errors included
      this.big = big;
      this.num = big <= MAX_SAFE && big >= -MAX_SAFE ? Number(big) : NaN;
      this.raw = raw;
    }
    if (typeof delta !== 'number') return Long.fromValue(raw).add(delta).toString();
    const sum = this.num + delta;
    return Number.isSafeInteger(sum) ? String(sum) : String(this.big + BigInt(delta));
  }
}
const offsets = new BasePlus();
const timestamps = new BasePlus();

/**
 * kafkajs' `readVarLong` (zigzag, up to 10 bytes), as a Number when it ends within 7 bytes (below
 * 2^49, exact), else through kafkajs' own reader. Bytes past the end read as 0 and end the number,
 * as they do there.
 */
function readVarLong(decoder: DecoderT): number | LongT {
  if (!((decoder as object) instanceof Decoder)) return (decoder as DecoderT).readVarLong(); // not kafkajs': its own reader
  const buf = decoder.buffer;
  let off = decoder.offset;
  let b: Any = buf[off++];
  let u = b & 0x7f;
  let scale = 0x80;
  while (b >= 0x80) {
    if (scale > 2 ** 42) return decoder.readVarLong(); // an 8th byte: kafkajs' Long path from the start
    b = buf[off++];
    u += (b & 0x7f) * scale;
    scale *= 0x80;
  }
  decoder.offset = off;
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/**
 * kafkajs' headers object: one property per key in first-seen order; a repeated key's values
 * collected into an array. The property is read with inherited lookup as kafkajs does (a header
 * named `constructor` starts from `Object`), and defined as an own property even for `__proto__`.
 */
function headersObject(list: { key: Any; value: unknown }[]): Any {
  const headers: Any = {};
  for (const { key, value } of list) {
    const prev = headers[key];
    const next = prev === undefined ? value : Array.isArray(prev) ? (prev.push(value), prev) : [prev, value];
    if (key === '__proto__') Object.defineProperty(headers, key, { value: next, writable: true, enumerable: true, configurable: true });
    else headers[key] = next;
  }
  return headers;
}

/** `protocol/recordBatch/record/v0/decoder`: one record of a v2 record batch. */
function recordV0Decoder(decoder: DecoderT, batchContext: Any = {}): Any {
  const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  const attributes = decoder.readInt8();
  const timestampDelta = readVarLong(decoder);
  const timestamp = timestampType === LOG_APPEND_TIME && maxTimestamp ? maxTimestamp : timestamps.at(firstTimestamp, timestampDelta);
  const offset = offsets.at(firstOffset, decoder.readVarInt());
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  const headers = headersObject(decoder.readVarIntArray(HeaderDecoder));
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext };
}

/**
 * Whether `s` is a non-negative decimal integer without leading zeros ("0", "42", any length).
 * Such strings order numerically by (length, then characters), which is how the Batch below
 * compares offsets without parsing them.
 */
function canonicalDecimal(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let c = s.charCodeAt(0);
  if (c < 49 || c > 57) return n === 1 && c === 48; // '1'-'9', or "0" alone
  for (let i = 1; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * `consumer/batch`: the same class (instances are made with kafkajs' own prototype, so every
 * method and `instanceof` are kafkajs'); only the constructor's offset filter changes: canonical
 * decimal offset strings (what kafkajs' decoders produce) are compared as strings, exactly and at
 * any magnitude, instead of being parsed into Longs; any other form takes kafkajs' Long path.
 */
function makeBatch(Original: { prototype: object }): Any {
  function Batch(this: unknown, topic: unknown, fetchedOffset: unknown, partitionData: Any): Any {
    if (new.target === undefined) throw new TypeError("Class constructor Batch cannot be invoked without 'new'");
    const batch: Any = Object.create(Original.prototype);
    batch.fetchedOffset = fetchedOffset;
    const fetched = Long.fromValue(fetchedOffset);
    const min = typeof fetchedOffset === 'string' && canonicalDecimal(fetchedOffset) ? fetchedOffset : undefined;
    const { abortedTransactions, messages } = partitionData;
    batch.topic = topic;
    batch.partition = partitionData.partition;
    batch.highWatermark = partitionData.highWatermark;
    batch.rawMessages = messages;
    // Fetch can return records below the requested offset (compressed batches): drop them.
    batch.messagesWithinOffset = messages.filter((m: Any) => {
      const o = m.offset;
      if (min === undefined || typeof o !== 'string' || !canonicalDecimal(o)) return Long.fromValue(o).gte(fetched);
      return o.length > min.length || (o.length === min.length && o >= min);
    });
    // Aborted transactions' records and control records are not handed out.
    batch.messages = filterAbortedMessages({ messages: batch.messagesWithinOffset, abortedTransactions }).filter((m: Any) => !m.isControlRecord);
    return batch;
  }
  Batch.prototype = Original.prototype;
  return Batch;
}

// ---------------------------------------------------------------------------------------------
// Installation

const active: string[] = [];

function install(rel: string, make: () => unknown): void {
  seedRequireCache(kafkajsFile(rel), make());
  active.push(rel);
}

/** The only kafkajs release the replacements were compared against, byte for byte. */
export const PATCHED_KAFKAJS_VERSION = '2.2.4';

/**
 * Refuses a kafkajs other than {@link PATCHED_KAFKAJS_VERSION}: its internals may differ, and a
 * replacement that silently diverges from them would corrupt records on the wire.
 */
export function checkPatchedVersion(installed: string): void {
  if (installed !== PATCHED_KAFKAJS_VERSION) {
    throw new Error(
      `kafkajs ${installed} is installed, but dkg-stream's kafkajs patches were tested against ${PATCHED_KAFKAJS_VERSION} only: install kafkajs ${PATCHED_KAFKAJS_VERSION} (npm ci) or set DKG_STREAM_KAFKAJS_PATCHES=0`,
    );
  }
}

if (process.env.DKG_STREAM_KAFKAJS_PATCHES === '0') {
  log.debug('kafkajs patches disabled by DKG_STREAM_KAFKAJS_PATCHES=0'); // the operator's own switch: not worth a line on every command
} else {
  checkPatchedVersion((require('kafkajs/package.json') as { version: string }).version);
  const patches: [string, () => unknown][] = [
    [GROUP, () => groupMessagesPerPartition],
    [RECORD, () => recordV0],
    [PRODUCE_V3, () => produceRequestV3],
    [RECORD_DECODER, () => recordV0Decoder],
    [BATCH, () => makeBatch(require(kafkajsFile(BATCH)) as { prototype: object })],
  ];
  for (const [rel, make] of patches) if (!preloaded.includes(rel)) install(rel, make);
  if (preloaded.length > 0) {
    log.warn(
      { notPatched: preloaded },
      'kafkajs was loaded before src/runtime/kafka/kafkajs-patches.ts, so these modules keep their slower originals; import the patch module (or the kafkajs adapter) before anything that imports kafkajs',
    );
  }
}

/** The kafkajs modules (paths under kafkajs/src) whose lean replacements are in effect. */
export function kafkajsPatchesActive(): string[] {
  return [...active];
}
