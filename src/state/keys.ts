/**
 * Order-preserving key encodings: for every encoder here, unsigned byte order of the encoded
 * keys equals the logical order of the values, so RocksDB range scans walk epochs (and tuples)
 * in numeric order.
 *
 * - {@link u64}: fixed-width 8-byte big-endian unsigned integer (the `epoch` key of every topic).
 * - {@link tuple}: composite keys of typed parts. Each part is self-delimiting, so the encoding of
 *   a prefix of the parts is a byte prefix of the full key ({@link prefixRange} scans it):
 *     u64     0x10 + 8 bytes big-endian
 *     bytes   0x20 + bytes with 0x00 escaped as 0x00 0xFF, then 0x00
 *     string  0x30 + UTF-8 escaped the same way, then 0x00
 *   (FoundationDB tuple-layer style: the terminator 0x00 sorts below any continuation, so a
 *   shorter byte string sorts before its extensions.)
 */
import { isUtf8 } from 'node:buffer';
import type { Bytes, RangeOptions } from './kv.ts';

/**
 * Stored key bytes that do not decode (truncated u64, unknown tag, unterminated or non-UTF-8
 * part). A RangeError subclass so callers that caught the untyped RangeError still do.
 */
export class KeyDecodeError extends RangeError {
  override name = 'KeyDecodeError';
}

const MAX_U64 = (1n << 64n) - 1n;

function toU64(n: bigint | number): bigint {
  const v = typeof n === 'bigint' ? n : Number.isSafeInteger(n) ? BigInt(n) : NaN;
  if (typeof v !== 'bigint' || v < 0n || v > MAX_U64) throw new RangeError(`not a u64: ${String(n)}`);
  return v;
}

/** 8-byte big-endian u64 (byte order = numeric order). */
export function u64(n: bigint | number): Bytes {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(toU64(n));
  return b;
}

export function decodeU64(b: Bytes, offset = 0): bigint {
  if (b.length < offset + 8) throw new KeyDecodeError(`u64 needs 8 bytes at ${offset}, have ${b.length - offset}`);
  return b.readBigUInt64BE(offset);
}

export type TuplePart = bigint | number | string | Uint8Array;

const T_U64 = 0x10;
const T_BYTES = 0x20;
const T_STR = 0x30;

function escaped(raw: Uint8Array, tag: number): Bytes {
  let zeros = 0;
  for (const x of raw) if (x === 0) zeros++;
  const out = Buffer.allocUnsafe(raw.length + zeros + 2);
  let i = 0;
  out[i++] = tag;
  for (const x of raw) {
    out[i++] = x;
    if (x === 0) out[i++] = 0xff;
  }
  out[i++] = 0x00;
  return out;
}

/** Encodes a composite key; numbers/bigints are u64, strings UTF-8, byte arrays raw. */
export function tuple(...parts: TuplePart[]): Bytes {
  const chunks: Bytes[] = [];
  for (const p of parts) {
    if (typeof p === 'bigint' || typeof p === 'number') {
      const c = Buffer.allocUnsafe(9);
      c[0] = T_U64;
      c.writeBigUInt64BE(toU64(p), 1);
      chunks.push(c);
    } else if (typeof p === 'string') {
      chunks.push(escaped(Buffer.from(p, 'utf8'), T_STR));
    } else {
      chunks.push(escaped(p, T_BYTES));
    }
  }
  return Buffer.concat(chunks);
}

/** Decodes {@link tuple}: u64 parts come back as bigint, bytes as Buffer, strings as string. */
export function decodeTuple(b: Bytes): Array<bigint | string | Bytes> {
  const out: Array<bigint | string | Bytes> = [];
  let i = 0;
  while (i < b.length) {
    const tag = b[i++];
    if (tag === T_U64) {
      out.push(decodeU64(b, i));
      i += 8;
    } else if (tag === T_BYTES || tag === T_STR) {
      const bytes: number[] = [];
      for (;;) {
        if (i >= b.length) throw new KeyDecodeError('unterminated tuple element');
        const x = b[i++]!;
        if (x !== 0) {
          bytes.push(x);
          continue;
        }
        if (b[i] === 0xff) {
          bytes.push(0);
          i++;
          continue;
        }
        break;
      }
      const buf = Buffer.from(bytes);
      // A string part must be UTF-8: toString would replace bad bytes and re-encode differently.
      if (tag === T_STR && !isUtf8(buf)) throw new KeyDecodeError(`tuple string part at ${i} is not UTF-8`);
      out.push(tag === T_STR ? buf.toString('utf8') : buf);
    } else {
      throw new KeyDecodeError(`unknown tuple tag 0x${(tag ?? 0).toString(16)} at ${i - 1}`);
    }
  }
  return out;
}

/** The smallest key greater than every key starting with `prefix` (undefined: no bound). */
export function prefixEnd(prefix: Bytes): Bytes | undefined {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      b[i]!++;
      return b.subarray(0, i + 1);
    }
  }
  return undefined;
}

/**
 * Range of the tuples that extend the tuple `parts` (including the tuple itself). Not a plain byte
 * prefix: `tuple('a\u0000')` starts with the bytes of `tuple('a')` (escape 0x00 0xFF), so the upper
 * bound is prefix + 0xFF, which no element tag reaches (FoundationDB's `range(prefix)`).
 */
export function tupleRange(parts: TuplePart[], extra: Pick<RangeOptions, 'reverse' | 'limit'> = {}): RangeOptions {
  const p = tuple(...parts);
  return { gte: p, lt: Buffer.concat([p, Buffer.of(0xff)]), ...extra };
}

/** Range options covering exactly the keys that start with the bytes `prefix`. */
export function prefixRange(prefix: Bytes, extra: Pick<RangeOptions, 'reverse' | 'limit'> = {}): RangeOptions {
  const end = prefixEnd(prefix);
  return { gte: prefix, ...(end ? { lt: end } : {}), ...extra };
}
