/**
 * commonware-codec (v0.0.64) for TypeScript: strict, bounded readers and growable writers.
 * See reader.ts for the invariants every decoder built on it inherits.
 */
export {
  CodecError,
  EndOfBuffer,
  ExtraData,
  Invalid,
  InvalidBool,
  InvalidEnum,
  InvalidLength,
  InvalidUsize,
  InvalidVarint,
  Wrapped,
  type CodecErrorKind,
} from './errors.ts';
export { ANY, U32_MAX, atLeast, atMost, exact, range, rangeContains, type RangeCfg } from './range.ts';
export { Reader, decode, type Compare, type ReadFn } from './reader.ts';
export { Writer, encode, type WriteFn } from './writer.ts';
export { varintSize, varintSizeBig, zigzagDecode, zigzagEncode } from './varint.ts';
export { OrderedMap, OrderedSet, DuplicateKeyError, maxFaults, quorum } from './ordered.ts';
export { union, unionUnique } from './union.ts';
export { compareBigints, compareBytes, compareNumbers, concatBytes, equalBytes, fromHex, toHex } from './bytes.ts';
export * as codecs from './codec.ts';
export type { Codec } from './codec.ts';
