/**
 * commonware-codec (v0.0.64) for TypeScript: strict, bounded readers and growable writers.
 * See reader.ts for the invariants every decoder built on it inherits.
 */

export { asBuffer, compareBigints, compareBytes, compareNumbers, concatBytes, equalBytes, fromHex, InvalidHex, toHex } from './bytes.ts';
export type { Codec } from './codec.ts';
export * as codecs from './codec.ts';
export {
  CodecError,
  type CodecErrorKind,
  EndOfBuffer,
  ExtraData,
  Invalid,
  InvalidBool,
  InvalidEnum,
  InvalidLength,
  InvalidUsize,
  InvalidVarint,
  Wrapped,
} from './errors.ts';
export { DuplicateKeyError, maxFaults, OrderedMap, OrderedSet, quorum } from './ordered.ts';
export { ANY, atLeast, atMost, exact, type RangeCfg, range, rangeContains, U32_MAX } from './range.ts';
export { type Compare, decode, Reader, type ReadFn } from './reader.ts';
export { union, unionUnique } from './union.ts';
export { varintSize, varintSizeBig, zigzagDecode, zigzagEncode } from './varint.ts';
export { encode, type WriteFn, Writer } from './writer.ts';
