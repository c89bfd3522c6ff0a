/**
 * Decode errors of the commonware codec, one class per upstream `commonware_codec::Error` variant
 * (v0.0.64). Each carries a stable `kind` (what DLQ headers and metrics key on) and a `message`
 * equal to upstream's `Display` text, so an error seen here can be compared with the Rust side
 * verbatim (the conformance fixtures record both).
 *
 * Decoders in this project throw these and nothing else for malformed input; anything else that
 * escapes a decoder is a bug, not bad input.
 */

export type CodecErrorKind = 'EndOfBuffer' | 'ExtraData' | 'InvalidVarint' | 'InvalidUsize' | 'InvalidBool' | 'InvalidEnum' | 'InvalidLength' | 'Invalid' | 'Wrapped';

/** Base class: `instanceof CodecError` separates bad input from programming errors. */
export abstract class CodecError extends Error {
  abstract readonly kind: CodecErrorKind;
}

/** The input ended before the value did (truncated input). */
export class EndOfBuffer extends CodecError {
  readonly kind = 'EndOfBuffer' as const;
  override name = 'EndOfBuffer';
  constructor() {
    super('Unexpected End-of-Buffer: Not enough bytes remaining to read data');
  }
}

/** `decode` consumed a whole value but bytes remained (upstream rejects trailing data). */
export class ExtraData extends CodecError {
  readonly kind = 'ExtraData' as const;
  override name = 'ExtraData';
  constructor(readonly remaining: number) {
    super(`Extra Data: ${remaining} bytes remained in buffer after decoding`);
  }
}

/** A varint that is non-minimal or overflows its type; `size` is the type width in bytes (2/4/8/16). */
export class InvalidVarint extends CodecError {
  readonly kind = 'InvalidVarint' as const;
  override name = 'InvalidVarint';
  constructor(readonly size: number) {
    super(`Invalid ${size}-byte varint`);
  }
}

/** Kept for parity with upstream; unreachable here because a `usize` is read as a u32 varint. */
export class InvalidUsize extends CodecError {
  readonly kind = 'InvalidUsize' as const;
  override name = 'InvalidUsize';
  constructor() {
    super('Invalid usize-sized varint');
  }
}

/** A bool (or Option tag) byte other than 0 or 1. */
export class InvalidBool extends CodecError {
  readonly kind = 'InvalidBool' as const;
  override name = 'InvalidBool';
  constructor() {
    super('Invalid Bool: Expected 0 or 1, found different value');
  }
}

/** An enum tag byte with no matching variant. */
export class InvalidEnum extends CodecError {
  readonly kind = 'InvalidEnum' as const;
  override name = 'InvalidEnum';
  constructor(readonly tag: number) {
    super(`Invalid Enum: Expected a valid enum variant, found ${tag}`);
  }
}

/** A length/count prefix outside the configured {@link RangeCfg}. */
export class InvalidLength extends CodecError {
  readonly kind = 'InvalidLength' as const;
  override name = 'InvalidLength';
  constructor(readonly length: number) {
    super(`Invalid Length: Decoded length ${length} is outside the allowed range`);
  }
}

/** A semantic check failed; `ctx` names the type (e.g. `G1`, `Set`), `msg` the reason. */
export class Invalid extends CodecError {
  readonly kind = 'Invalid' as const;
  override name = 'Invalid';
  constructor(
    readonly ctx: string,
    readonly msg: string,
  ) {
    super(`Validation Error: Context(${ctx}), Message(${msg})`);
  }
}

/** An error from an underlying library (e.g. ed25519 point decoding), with the original as `cause`. */
export class Wrapped extends CodecError {
  readonly kind = 'Wrapped' as const;
  override name = 'Wrapped';
  constructor(
    readonly ctx: string,
    cause: unknown,
  ) {
    super(`Wrapped Error: Context(${ctx})`, { cause });
  }
}
