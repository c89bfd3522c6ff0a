/**
 * `OnchainDkgOutcome` (tempo `crates/dkg-onchain-artifacts`): the DKG result a boundary block
 * (and the genesis block) carries in `extraData`, which fixes the scheme of the next epoch.
 *
 * ```
 * OnchainDkgOutcome := epoch varint u64 || Output || next_players Set<PublicKey> (1..=MAX) || is_next_full_dkg bool
 * Output            := summary 32 bytes || Sharing || dealers Set (1..=MAX) || players Set (1..=MAX) || revealed Set (0..=MAX)
 * Sharing           := mode u8 (0 only) || total u32 BE (1..=MAX) || varint count (1..=MAX) || count × G2(96)
 * ```
 *
 * with `MAX = MAX_VALIDATORS = 65535` everywhere, ed25519 public keys validated (ZIP-215
 * decompression) and every `Set` strictly ascending by bytes. Mode byte 1 (`RootsOfUnity`) fails
 * as in commonware 2026.7.1 under `ModeVersion::v0` (`Invalid(Mode, unsupported mode for
 * version)`), any other non-zero mode byte as `InvalidEnum`. G2 coefficients must be valid,
 * non-infinity subgroup points.
 *
 * Invariants of a decoded {@link OnchainDkgOutcome}: all of the above hold, and
 * {@link outcomeIdentity} (coefficient 0) is the group key that verifies the certificates of
 * `epoch` (identical across reshares; it changes only after a full DKG).
 *
 * Tempo reads a block's outcome with `OnchainDkgOutcome::read`, never `decode`, in every place
 * that consumes one (the application actor's verify path, the DKG manager, the epoch manager, the
 * finalization verifier, the finalized-header stream, `NetworkIdentity::from_extra_data`, the
 * EVM's committee read; tempo d656ef55): bytes after a valid outcome are *tolerated*, and
 * validators compare the decoded value with their own, so a proposer may append bytes and the
 * block is still valid and finalized. {@link readBoundaryOutcome} is that rule (it reports the
 * trailing bytes so the follower can record them); {@link decodeOnchainDkgOutcome} is the strict
 * form, for outcome bytes this project produced or already cut to the outcome.
 */
import { CodecError, decode, Invalid, Reader, Writer } from '../codec/index.ts';
import { G2, type G2Point, Sharing } from '../crypto/bls12381/index.ts';
import { compareEd25519PublicKeys, type Ed25519PublicKey, readEd25519PublicKey, writeEd25519PublicKey } from '../crypto/ed25519.ts';
import type { NetworkIdentity } from './network-identity.ts';

/** tempo's bound for every validator-set size in the outcome (`u16::MAX`). */
export const MAX_VALIDATORS = 65535;
/** Size of a transcript summary. */
export const SUMMARY_SIZE = 32;

/** commonware `dkg::Output<MinSig, ed25519::PublicKey>`. */
export interface DkgOutput {
  /** Transcript summary of the ceremony (32 bytes). */
  summary: Uint8Array;
  /** Public polynomial and metadata; `sharing.public()` is the group identity. */
  sharing: Sharing<G2Point>;
  /** Dealers whose dealings were used, strictly ascending. */
  dealers: Ed25519PublicKey[];
  /** Share holders (the dealers of the next ceremony), strictly ascending. */
  players: Ed25519PublicKey[];
  /** Players whose shares were revealed, strictly ascending. */
  revealed: Ed25519PublicKey[];
}

export interface OnchainDkgOutcome {
  /** The epoch whose certificates this outcome's identity verifies (boundary epoch + 1). */
  epoch: bigint;
  output: DkgOutput;
  /** Players of the ceremony that runs during `epoch`, strictly ascending. */
  nextPlayers: Ed25519PublicKey[];
  /** Whether the ceremony during `epoch` is a full DKG (new identity from `epoch + 1`). */
  isNextFullDkg: boolean;
}

/** extraData that does not decode as an outcome; `cause` is the {@link CodecError}. */
export class OutcomeDecodeError extends Error {
  override name = 'OutcomeDecodeError';
  constructor(
    message: string,
    readonly codecError: CodecError,
  ) {
    super(message, { cause: codecError });
  }
}

const setRange = (min: number) => ({ min, max: MAX_VALIDATORS });

function readKeySet(r: Reader, min: number): Ed25519PublicKey[] {
  return r.set(setRange(min), readEd25519PublicKey, compareEd25519PublicKeys);
}

function writeKeySet(w: Writer, keys: readonly Ed25519PublicKey[], what: string): void {
  for (let i = 1; i < keys.length; i++) {
    if (compareEd25519PublicKeys(keys[i - 1]!, keys[i]!) >= 0) throw new RangeError(`${what} must be strictly ascending`);
  }
  w.vec(keys, writeEd25519PublicKey);
}

/** Reads a `Sharing<MinSig>` with tempo's configuration (`MAX_VALIDATORS`, `ModeVersion::v0`). */
export function readTempoSharing(r: Reader): Sharing<G2Point> {
  // Sharing.read implements v0.0.64, where mode 1 does not exist (InvalidEnum). commonware
  // 2026.7.1 knows mode 1 but refuses it under ModeVersion::v0 with Invalid(Mode, …).
  if (r.remaining > 0 && r.buf[r.offset] === 1) {
    r.u8();
    throw new Invalid('Mode', 'unsupported mode for version');
  }
  return Sharing.read(r, G2, MAX_VALIDATORS);
}

export function readDkgOutput(r: Reader): DkgOutput {
  return {
    summary: r.bytes(SUMMARY_SIZE),
    sharing: readTempoSharing(r),
    dealers: readKeySet(r, 1),
    players: readKeySet(r, 1),
    revealed: readKeySet(r, 0),
  };
}

export function readOnchainDkgOutcome(r: Reader): OnchainDkgOutcome {
  const epoch = r.varU64();
  const output = readDkgOutput(r);
  const nextPlayers = readKeySet(r, 1);
  const isNextFullDkg = r.bool();
  return { epoch, output, nextPlayers, isNextFullDkg };
}

export function writeOnchainDkgOutcome(w: Writer, o: OnchainDkgOutcome): void {
  if (o.output.summary.length !== SUMMARY_SIZE) throw new RangeError(`summary must be ${SUMMARY_SIZE} bytes`);
  w.varU64(o.epoch);
  w.bytes(o.output.summary);
  o.output.sharing.write(w);
  writeKeySet(w, o.output.dealers, 'dealers');
  writeKeySet(w, o.output.players, 'players');
  writeKeySet(w, o.output.revealed, 'revealed');
  writeKeySet(w, o.nextPlayers, 'nextPlayers');
  w.bool(o.isNextFullDkg);
}

export function encodeOnchainDkgOutcome(o: OnchainDkgOutcome): Uint8Array {
  const w = new Writer(1024);
  writeOnchainDkgOutcome(w, o);
  return w.finish();
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CodecError) throw new OutcomeDecodeError(`not a DKG outcome: ${err.kind}: ${err.message}`, err);
    throw err;
  }
}

/** Strict decode: the whole input must be one outcome. Throws {@link OutcomeDecodeError}. */
export function decodeOnchainDkgOutcome(bytes: Uint8Array): OnchainDkgOutcome {
  return wrap(() => decode(bytes, readOnchainDkgOutcome));
}

/** Upstream `OnchainDkgOutcome::read`: an outcome prefix; reports how many bytes it used. */
export function readOnchainDkgOutcomePrefix(bytes: Uint8Array): { outcome: OnchainDkgOutcome; consumed: number } {
  return wrap(() => {
    const r = new Reader(bytes);
    const outcome = readOnchainDkgOutcome(r);
    return { outcome, consumed: r.offset };
  });
}

/** The identity (coefficient 0 of the public polynomial) as a point. */
export function outcomeIdentityPoint(o: OnchainDkgOutcome): G2Point {
  return o.output.sharing.public();
}

/** The identity as its 96-byte compressed encoding. */
export function outcomeIdentity(o: OnchainDkgOutcome): Uint8Array {
  return G2.encode(o.output.sharing.public());
}

/** The public polynomial's coefficients as 96-byte encodings (c0 first). */
export function outcomeCoefficients(o: OnchainDkgOutcome): Uint8Array[] {
  return o.output.sharing.poly.coeffs.map((c) => G2.encode(c));
}

/**
 * A boundary (or genesis) block's extraData read as tempo reads it: one outcome from the start,
 * trailing bytes tolerated. `outcomeBytes` is the outcome's own encoding (a prefix of the input,
 * canonical because every field decodes strictly); `trailingBytes` counts what follows it.
 * Throws {@link OutcomeDecodeError} when no outcome decodes from the start.
 */
export function readBoundaryOutcome(extraData: Uint8Array): { outcome: OnchainDkgOutcome; outcomeBytes: Uint8Array; trailingBytes: number } {
  const { outcome, consumed } = readOnchainDkgOutcomePrefix(extraData);
  return { outcome, outcomeBytes: extraData.subarray(0, consumed), trailingBytes: extraData.length - consumed };
}

/** tempo `NetworkIdentity::from_extra_data` (a genesis outcome, read leniently): `{identity: c0, fromEpoch: epoch}`. */
export function networkIdentityFromExtraData(extraData: Uint8Array): NetworkIdentity {
  const { outcome } = readBoundaryOutcome(extraData);
  return { identity: outcomeIdentity(outcome), fromEpoch: outcome.epoch };
}

/** What a header's extraData carries. */
export type ExtraDataKind = 'outcome' | 'dealerLog' | 'empty';

/**
 * Classifies a header's extraData by the block's position: boundary blocks (and genesis) carry
 * an `OnchainDkgOutcome`, which is read as tempo reads it to confirm (trailing bytes tolerated;
 * throws {@link OutcomeDecodeError} when none decodes, including empty extraData at a boundary,
 * where tempo's readers fail too; an empty genesis extraData is 'empty'); any other non-empty extraData is a `SignedDealerLog` (not
 * parsed here).
 */
export function classifyExtraData(extraData: Uint8Array, at: { isBoundary: boolean; isGenesis: boolean }): ExtraDataKind {
  if (!at.isBoundary && !at.isGenesis) return extraData.length === 0 ? 'empty' : 'dealerLog';
  if (!at.isBoundary && extraData.length === 0) return 'empty';
  readBoundaryOutcome(extraData);
  return 'outcome';
}
