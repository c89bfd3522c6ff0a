/**
 * Simplex `Finalization` certificates as Tempo uses them (commonware consensus 2026.7.1,
 * `bls12381_threshold::vrf::Scheme<ed25519::PublicKey, MinSig>`, digest = 32-byte block hash):
 *
 * ```
 * Round        := epoch varint u64 || view varint u64
 * Proposal     := Round || parent: view varint u64 || payload: 32 bytes
 * Certificate  := vote_signature G1(48) || seed_signature G1(48)
 * Finalization := Proposal || Certificate          -- decode consumes the whole buffer
 * ```
 *
 * As upstream (`Lazy<Signature>`), decoding only takes the 96 signature bytes; the two G1 points
 * are parsed when the certificate is verified, and an invalid point makes *verification* fail
 * rather than decoding (see verify.ts). Varints are canonical (helper codec rules).
 *
 * The signed messages (under `union_unique` framing, see verify.ts):
 * - vote: namespace `TEMPO_FINALIZE`, message `Proposal` bytes;
 * - seed: namespace `TEMPO_SEED`, message `Round` bytes.
 */
import { CodecError, decode, Reader, Writer } from '../codec/index.ts';
import { hexToBytes } from './hex.ts';

/** Consensus base namespace of Tempo (`crates/consensus/src/config.rs`). */
export const TEMPO_NAMESPACE = new TextEncoder().encode('TEMPO');
/** `TEMPO` || `_FINALIZE`: namespace of the vote signature of a finalization. */
export const FINALIZE_NAMESPACE = new TextEncoder().encode('TEMPO_FINALIZE');
/** `TEMPO` || `_SEED`: namespace of the VRF seed signature. */
export const SEED_NAMESPACE = new TextEncoder().encode('TEMPO_SEED');
/** `TEMPO` || `_NOTARIZE`: a notarization has the same layout but signs under this namespace. */
export const NOTARIZE_NAMESPACE = new TextEncoder().encode('TEMPO_NOTARIZE');

/** Size of the payload digest (a block hash). */
export const DIGEST_SIZE = 32;
/** Size of a compressed G1 point (a MinSig signature). */
export const SIGNATURE_SIZE = 48;

export interface Round {
  epoch: bigint;
  view: bigint;
}

/** What a finalization certifies. Invariant: `payload.length === 32`. */
export interface Proposal extends Round {
  /** View of the parent proposal (0 for the first block of an epoch). */
  parent: bigint;
  /** The block hash (keccak of the header RLP). */
  payload: Uint8Array;
}

/**
 * A decoded (not yet verified) finalization. Invariant: both signatures are 48 bytes; they are
 * *not* known to be valid G1 points until verification.
 */
export interface Finalization {
  proposal: Proposal;
  voteSignature: Uint8Array;
  seedSignature: Uint8Array;
}

/** Certificate bytes that do not decode; `cause` is the underlying codec error (or bad hex). */
export class FinalizationDecodeError extends Error {
  override name = 'FinalizationDecodeError';
}

/** A `tempo/1` RLPx frame that is not a `NewFinalization` message. */
export class FrameError extends Error {
  override name = 'FrameError';
}

export function readRound(r: Reader): Round {
  return { epoch: r.varU64(), view: r.varU64() };
}

export function writeRound(w: Writer, round: Round): void {
  w.varU64(round.epoch).varU64(round.view);
}

export function readProposal(r: Reader): Proposal {
  const { epoch, view } = readRound(r);
  return { epoch, view, parent: r.varU64(), payload: r.bytes(DIGEST_SIZE) };
}

export function writeProposal(w: Writer, p: Proposal): void {
  if (p.payload.length !== DIGEST_SIZE) throw new RangeError(`proposal payload must be ${DIGEST_SIZE} bytes`);
  writeRound(w, p);
  w.varU64(p.parent).bytes(p.payload);
}

export function readFinalization(r: Reader): Finalization {
  const proposal = readProposal(r);
  return { proposal, voteSignature: r.bytes(SIGNATURE_SIZE), seedSignature: r.bytes(SIGNATURE_SIZE) };
}

export function writeFinalization(w: Writer, f: Finalization): void {
  if (f.voteSignature.length !== SIGNATURE_SIZE || f.seedSignature.length !== SIGNATURE_SIZE) {
    throw new RangeError(`signatures must be ${SIGNATURE_SIZE} bytes`);
  }
  writeProposal(w, f.proposal);
  w.bytes(f.voteSignature).bytes(f.seedSignature);
}

/** `Round` bytes: the seed signature's message. */
export function encodeRound(round: Round): Uint8Array {
  const w = new Writer(20);
  writeRound(w, round);
  return w.finish();
}

/** `Proposal` bytes: the vote signature's message. */
export function encodeProposal(p: Proposal): Uint8Array {
  const w = new Writer(62);
  writeProposal(w, p);
  return w.finish();
}

export function encodeFinalization(f: Finalization): Uint8Array {
  const w = new Writer(160);
  writeFinalization(w, f);
  return w.finish();
}

/**
 * Decodes `Finalization.encode()` bytes, or their hex (with or without `0x`, as the RPC's
 * `certificate` field). The whole input must be consumed (upstream `decode`: trailing bytes are
 * `ExtraData`). Throws {@link FinalizationDecodeError} with the codec error as `cause`.
 */
export function decodeFinalization(input: Uint8Array | string): Finalization {
  let bytes: Uint8Array;
  try {
    bytes = typeof input === 'string' ? hexToBytes(input.trim(), 'certificate') : input;
  } catch (err) {
    throw new FinalizationDecodeError((err as Error).message, { cause: err });
  }
  try {
    return decode(bytes, readFinalization);
  } catch (err) {
    if (err instanceof CodecError) throw new FinalizationDecodeError(`${err.kind}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Upstream `Finalization::read` (what tempo's lenient paths use): one finalization from the start
 * of `bytes`, tolerating trailing bytes; reports how many bytes it used.
 */
export function readFinalizationPrefix(bytes: Uint8Array): { finalization: Finalization; consumed: number } {
  try {
    const r = new Reader(bytes);
    const finalization = readFinalization(r);
    return { finalization, consumed: r.offset };
  } catch (err) {
    if (err instanceof CodecError) throw new FinalizationDecodeError(`${err.kind}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Largest `tempo/1` frame a node accepts (`crates/node/src/gossip/wire.rs`). */
export const MAX_FRAME_BYTES = 1024;
/** Message id of `NewFinalization`, the only `tempo/1` message. */
export const NEW_FINALIZATION = 0x00;

/** Decodes a `tempo/1` frame: size limit, message id `0x00`, then a whole {@link Finalization}. */
export function decodeFinalizationFrame(frame: Uint8Array): Finalization {
  if (frame.length > MAX_FRAME_BYTES) throw new FrameError(`frame of ${frame.length} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
  if (frame.length === 0) throw new FrameError('frame was empty');
  if (frame[0] !== NEW_FINALIZATION) throw new FrameError(`unknown message id 0x${frame[0]!.toString(16).padStart(2, '0')}`);
  try {
    return decodeFinalization(frame.subarray(1));
  } catch (err) {
    if (err instanceof FinalizationDecodeError) throw new FrameError(`invalid finalization certificate: ${err.message}`, { cause: err });
    throw err;
  }
}

/** `0x00 || Finalization.encode()`. */
export function encodeFinalizationFrame(f: Finalization): Uint8Array {
  const w = new Writer(160);
  w.u8(NEW_FINALIZATION);
  writeFinalization(w, f);
  return w.finish();
}
