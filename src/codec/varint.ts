/**
 * Unsigned LEB128 varints as commonware writes them: 7 data bits per byte, least significant group
 * first, 0x80 = more bytes follow. Decoding (in {@link Reader}) is canonical-only, so every value has
 * exactly one accepted encoding — which matters because encodings are hashed and signed.
 *
 * This file holds the size arithmetic and ZigZag mapping; reading and writing live on Reader/Writer.
 */

/** Encoded length of an unsigned value that fits in a JS number (u16/u32, or u64 < 2^53). */
export function varintSize(value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`varint: not an unsigned integer: ${value}`);
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Encoded length of an unsigned bigint (u64/u128). */
export function varintSizeBig(value: bigint): number {
  if (value < 0n) throw new RangeError(`varint: negative value ${value}`);
  let n = 1;
  while (value >= 0x80n) {
    value >>= 7n;
    n++;
  }
  return n;
}

/** ZigZag: maps signed to unsigned so small magnitudes stay short (0→0, -1→1, 1→2, …). */
export function zigzagEncode(value: bigint, bits: number): bigint {
  const mask = (1n << BigInt(bits)) - 1n;
  return ((value << 1n) ^ (value >> BigInt(bits - 1))) & mask;
}

export function zigzagDecode(value: bigint): bigint {
  return (value >> 1n) ^ -(value & 1n);
}
