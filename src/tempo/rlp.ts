/**
 * Recursive Length Prefix (Ethereum yellow paper, appendix B), with the strict decoding rules
 * of `alloy-rlp` 0.3 (what tempo's header decoder uses):
 *
 * - a one-byte string whose byte is < 0x80 must be encoded as that byte itself;
 * - long-form lengths must have no leading zero byte and be >= 56;
 * - integers are big-endian with no leading zero byte (zero is the empty string), and must fit
 *   the target width;
 * - a list's items must consume exactly its declared payload length;
 * - every length is checked against the bytes actually present before anything is read.
 *
 * Encoding always produces the canonical form, so `decode(encode(x))` is the identity and
 * `encode(decode(b))` reproduces `b` for every `b` that decodes.
 */

/** An RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

/** Base class of every RLP decoding error. */
export class RlpError extends Error {
  override name = 'RlpError';
}
/** The input ends before a declared length. */
export class RlpTruncated extends RlpError {
  override name = 'RlpTruncated';
}
/** A length or single byte not in its shortest form. */
export class RlpNonCanonical extends RlpError {
  override name = 'RlpNonCanonical';
}
/** An integer with a leading zero byte. */
export class RlpLeadingZero extends RlpError {
  override name = 'RlpLeadingZero';
}
/** An integer wider than its target type. */
export class RlpOverflow extends RlpError {
  override name = 'RlpOverflow';
}
/** A list where a string was expected, or the other way round. */
export class RlpUnexpectedType extends RlpError {
  override name = 'RlpUnexpectedType';
}
/** A fixed-size byte string (hash, address, bloom, nonce) of the wrong length. */
export class RlpUnexpectedLength extends RlpError {
  override name = 'RlpUnexpectedLength';
}
/** A list whose items do not consume exactly its payload, or bytes after the top-level item. */
export class RlpLengthMismatch extends RlpError {
  override name = 'RlpLengthMismatch';
}
/** More than {@link MAX_RLP_DEPTH} nested lists (no format this project reads nests beyond 3). */
export class RlpTooDeep extends RlpError {
  override name = 'RlpTooDeep';
}

/**
 * Most nested lists {@link RlpReader.item} accepts (a top-level list counts as 1). Headers nest 1 level, and nothing this
 * project decodes goes beyond a handful; the bound keeps a hostile 60 KB of `0xc1 0xc1 …` from
 * recursing until the JS stack overflows (an untyped RangeError) — depth costs no bytes.
 */
export const MAX_RLP_DEPTH = 64;

// ---------------------------------------------------------------------------------------------
// Encoding

function lengthBytes(n: number): Uint8Array {
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Uint8Array.from(out);
}

function prefixed(offset: number, payload: Uint8Array): Uint8Array {
  if (payload.length < 56) {
    const out = new Uint8Array(1 + payload.length);
    out[0] = offset + payload.length;
    out.set(payload, 1);
    return out;
  }
  const len = lengthBytes(payload.length);
  const out = new Uint8Array(1 + len.length + payload.length);
  out[0] = offset + 55 + len.length;
  out.set(len, 1);
  out.set(payload, 1 + len.length);
  return out;
}

/** Encodes a byte string. */
export function encodeBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 1 && bytes[0]! < 0x80) return Uint8Array.of(bytes[0]!);
  return prefixed(0x80, bytes);
}

/** Minimal big-endian bytes of a non-negative integer (zero is empty). */
export function uintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('RLP integers are unsigned');
  const out: number[] = [];
  while (value > 0n) {
    out.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  return Uint8Array.from(out);
}

/** Encodes a non-negative integer as its minimal big-endian string. */
export function encodeUint(value: bigint): Uint8Array {
  return encodeBytes(uintToBytes(value));
}

/** Encodes a list from already-encoded items. */
export function encodeListOf(encodedItems: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const e of encodedItems) len += e.length;
  const payload = new Uint8Array(len);
  let off = 0;
  for (const e of encodedItems) {
    payload.set(e, off);
    off += e.length;
  }
  return prefixed(0xc0, payload);
}

/** Encodes an item tree. */
export function encodeRlp(item: RlpItem): Uint8Array {
  if (item instanceof Uint8Array) return encodeBytes(item);
  return encodeListOf(item.map(encodeRlp));
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface Head {
  list: boolean;
  /** Offset of the payload in the buffer. */
  start: number;
  /** Payload length. */
  length: number;
}

/**
 * A cursor over RLP items in `buf[pos, end)`. Reading a list returns a sub-reader bounded by
 * the list's payload; call {@link RlpReader.finish} on it to require that it was fully consumed.
 */
export class RlpReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** Bytes left in this reader. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private head(): Head {
    if (this.pos >= this.end) throw new RlpTruncated('expected an RLP item, found end of input');
    const b = this.buf[this.pos]!;
    const avail = this.end - this.pos - 1;
    if (b < 0x80) return { list: false, start: this.pos, length: 1 };
    let list: boolean;
    let length: number;
    let start: number;
    if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
      list = b >= 0xc0;
      length = b - (list ? 0xc0 : 0x80);
      start = this.pos + 1;
      if (length > avail) throw new RlpTruncated(`RLP item of ${length} bytes, only ${avail} left`);
      if (!list && length === 1 && this.buf[start]! < 0x80) {
        throw new RlpNonCanonical('single byte below 0x80 must be encoded as itself');
      }
    } else {
      list = b >= 0xf8;
      const lenOfLen = b - (list ? 0xf7 : 0xb7);
      if (lenOfLen > avail) throw new RlpTruncated('RLP length-of-length runs past the end of input');
      if (this.buf[this.pos + 1] === 0) throw new RlpNonCanonical('RLP length with a leading zero byte');
      if (lenOfLen > 6) throw new RlpOverflow(`RLP length of ${lenOfLen} bytes is too large`);
      length = 0;
      for (let i = 0; i < lenOfLen; i++) length = length * 256 + this.buf[this.pos + 1 + i]!;
      if (length < 56) throw new RlpNonCanonical(`RLP long form used for a ${length}-byte payload`);
      start = this.pos + 1 + lenOfLen;
      if (length > this.end - start) {
        throw new RlpTruncated(`RLP item of ${length} bytes, only ${this.end - start} left`);
      }
    }
    return { list, start, length };
  }

  /** Reads a byte string (a view into the input). */
  bytes(what = 'string'): Uint8Array {
    const h = this.head();
    if (h.list) throw new RlpUnexpectedType(`${what}: expected a string, found a list`);
    this.pos = h.start + h.length;
    return this.buf.subarray(h.start, h.start + h.length);
  }

  /** Reads a byte string of exactly `n` bytes. */
  fixed(n: number, what = 'fixed bytes'): Uint8Array {
    const b = this.bytes(what);
    if (b.length !== n) throw new RlpUnexpectedLength(`${what}: expected ${n} bytes, found ${b.length}`);
    return b;
  }

  /** Reads an unsigned integer of at most `maxBytes` bytes (8 for u64, 32 for U256). */
  uint(maxBytes: number, what = 'integer'): bigint {
    const b = this.bytes(what);
    if (b.length > maxBytes) throw new RlpOverflow(`${what}: ${b.length}-byte integer exceeds ${maxBytes} bytes`);
    if (b.length > 0 && b[0] === 0) throw new RlpLeadingZero(`${what}: integer with a leading zero byte`);
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    return v;
  }

  /** Reads a u64. */
  u64(what?: string): bigint {
    return this.uint(8, what);
  }

  /** Enters a list: returns a reader bounded by its payload. */
  list(what = 'list'): RlpReader {
    const h = this.head();
    if (!h.list) throw new RlpUnexpectedType(`${what}: expected a list, found a string`);
    this.pos = h.start + h.length;
    return new RlpReader(this.buf, h.start, h.start + h.length);
  }

  /** Skips one item and returns its whole encoding (prefix and payload), a view into the input. */
  raw(): Uint8Array {
    const from = this.pos;
    const h = this.head();
    this.pos = h.start + h.length;
    return this.buf.subarray(from, this.pos);
  }

  /** Reads any item as a tree; lists may nest at most {@link MAX_RLP_DEPTH} deep ({@link RlpTooDeep}). */
  item(depth = 0): RlpItem {
    const h = this.head();
    if (!h.list) return this.bytes();
    if (depth >= MAX_RLP_DEPTH) throw new RlpTooDeep(`RLP lists nested deeper than ${MAX_RLP_DEPTH}`);
    const sub = this.list();
    const items: RlpItem[] = [];
    while (sub.remaining > 0) items.push(sub.item(depth + 1));
    return items;
  }

  /** Requires that this reader has been consumed exactly. */
  finish(what = 'RLP list'): void {
    if (this.pos !== this.end) {
      throw new RlpLengthMismatch(`${what}: ${this.end - this.pos} unconsumed byte(s)`);
    }
  }
}

/** Decodes exactly one item spanning the whole input. */
export function decodeRlp(bytes: Uint8Array): RlpItem {
  const r = new RlpReader(bytes);
  const item = r.item();
  r.finish('RLP input');
  return item;
}
