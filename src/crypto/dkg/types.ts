import { compareBytes, decode as decodeWith, equalBytes, Invalid, InvalidEnum, OrderedMap, OrderedSet, type Reader, range, U32_MAX, Writer } from '../../codec/index.ts';
import { Poly, R, readScalar, type Scalar, Sharing, type Variant, writeScalar } from '../bls12381/index.ts';
import { ED25519_SIGNATURE_BYTES, type Ed25519PublicKey, type Ed25519Signature, readEd25519PublicKey, readEd25519Signature, writeEd25519PublicKey, writeEd25519Signature } from '../ed25519.ts';
import { readSummary, type Summary, writeSummary } from '../transcript.ts';
import type { Info } from './info.ts';
import { logDigest, verifyDigest } from './transcripts.ts';

/**
 * The DKG message types of commonware-cryptography v0.0.64 (`bls12381::dkg`) and their exact
 * codecs. Participants are ed25519 keys (32 raw bytes, ordered lexicographically); `P` is the
 * variant's public point type (MinSig: G2, MinPk: G1).
 *
 * Read bounds: every decoder that takes `max` is upstream's `Read::Cfg = NonZeroU32`
 * ("max_read_size"): it bounds commitment coefficient counts (1..=max), result-map sizes
 * (0..=max), and the Output's sharing total / coefficients (1..=max), dealers (1..=max), players
 * (1..=max) and revealed (0..=max). Lengths are checked before anything is allocated or any point
 * is decompressed, so a hostile prefix costs at most `max` element decodes. Decoders reject
 * trailing bytes (`ExtraData`) and throw only `CodecError`s.
 *
 * Encodings are memoised (and, for decoded values, are the exact input bytes), because they are
 * hashed into transcripts repeatedly and re-encoding points costs a field inversion each.
 */

/** Any BLS variant whose public group holds points of type `P` (the DKG never uses the signature side). */
export type DkgVariant<P> = Variant<P, unknown>;

/** A sorted set of participant keys (positions are share indices). */
export type KeySet = OrderedSet<Ed25519PublicKey>;

/** Builds a {@link KeySet}; throws `DuplicateKeyError` if a key repeats. */
export function keySet(keys: Iterable<Ed25519PublicKey>): KeySet {
  return OrderedSet.tryFrom(keys, compareBytes);
}

export function checkMax(max: number): number {
  if (!Number.isInteger(max) || max < 1 || max > U32_MAX) throw new RangeError(`max_read_size must be in 1..=${U32_MAX}, got ${max}`);
  return max;
}

/** Runs `read` and returns the value with the exact bytes it consumed (a copy). */
function captured<T>(r: Reader, read: (r: Reader) => T): [T, Uint8Array] {
  const start = r.offset;
  const v = read(r);
  return [v, Uint8Array.prototype.slice.call(r.buf, start, r.offset)];
}

const INTERNAL = Symbol('dkg-internal');

// ---------------------------------------------------------------------------------------------
// DealerPubMsg

/**
 * A dealer's public message: the Feldman commitment to its polynomial (t points, constant term
 * first). Wire form: `varint(t) ‖ t × point`. Read bound: coefficient count 1..=max; the degree
 * itself is checked later (`Info.checkDealerPubMsg`), not at decode — as upstream.
 */
export class DealerPubMsg<P> {
  private enc: Uint8Array | undefined;

  constructor(
    readonly commitment: Poly<P>,
    internal?: { [INTERNAL]: Uint8Array },
  ) {
    this.enc = internal?.[INTERNAL];
  }

  /** The encoding, shared and memoised: do not mutate (use {@link encode} for a private copy). */
  bytes(): Uint8Array {
    return (this.enc ??= this.commitment.encode());
  }

  encode(): Uint8Array {
    return this.bytes().slice();
  }

  write(w: Writer): void {
    w.bytes(this.bytes());
  }

  /** Upstream equality: the commitments are equal polynomials. */
  equals(other: DealerPubMsg<P>): boolean {
    return this.commitment.equals(other.commitment);
  }

  static read<P>(r: Reader, variant: DkgVariant<P>, max: number): DealerPubMsg<P> {
    checkMax(max);
    const [poly, bytes] = captured(r, (r) => Poly.read(r, variant.Public, range(1, max)));
    return new DealerPubMsg(poly, { [INTERNAL]: bytes });
  }

  static decode<P>(bytes: Uint8Array, variant: DkgVariant<P>, max: number): DealerPubMsg<P> {
    return decodeWith(bytes, (r) => DealerPubMsg.read(r, variant, max));
  }
}

// ---------------------------------------------------------------------------------------------
// DealerPrivMsg

/**
 * A dealer's private message to one player: that player's share f(x_player). Wire form: the
 * 32-byte big-endian scalar (decode rejects 0 and ≥ r). Secret: send only over an authenticated,
 * private channel and encrypt at rest. It is never printed.
 */
export class DealerPrivMsg {
  constructor(readonly share: Scalar) {
    if (typeof share !== 'bigint' || share < 0n || share >= R) throw new RangeError('DealerPrivMsg: share must be a reduced scalar');
  }

  write(w: Writer): void {
    writeScalar(w, this.share);
  }

  encode(): Uint8Array {
    const w = new Writer(32);
    this.write(w);
    return w.finish();
  }

  equals(other: DealerPrivMsg): boolean {
    return this.share === other.share;
  }

  static read(r: Reader): DealerPrivMsg {
    return new DealerPrivMsg(readScalar(r));
  }

  static decode(bytes: Uint8Array): DealerPrivMsg {
    return decodeWith(bytes, DealerPrivMsg.read);
  }

  toString(): string {
    return 'DealerPrivMsg(REDACTED)';
  }

  toJSON(): string {
    return 'DealerPrivMsg(REDACTED)';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'DealerPrivMsg(REDACTED)';
  }
}

// ---------------------------------------------------------------------------------------------
// PlayerAck

/**
 * A player's acknowledgement of a dealing: an ed25519 signature (64 raw bytes, not validated at
 * decode) over `0x00 ‖ ackDigest(info, dealer, pub_msg)`.
 */
export class PlayerAck {
  constructor(readonly sig: Ed25519Signature) {
    if (sig.length !== ED25519_SIGNATURE_BYTES) throw new RangeError('PlayerAck: signature must be 64 bytes');
  }

  write(w: Writer): void {
    writeEd25519Signature(w, this.sig);
  }

  encode(): Uint8Array {
    return this.sig.slice();
  }

  equals(other: PlayerAck): boolean {
    return equalBytes(this.sig, other.sig);
  }

  static read(r: Reader): PlayerAck {
    return new PlayerAck(readEd25519Signature(r));
  }

  static decode(bytes: Uint8Array): PlayerAck {
    return decodeWith(bytes, PlayerAck.read);
  }
}

// ---------------------------------------------------------------------------------------------
// AckOrReveal / DealerResult

/** Per-player entry of a dealer log: `00 ‖ PlayerAck` or `01 ‖ DealerPrivMsg` (the revealed share). */
export type AckOrReveal = { readonly kind: 'ack'; readonly ack: PlayerAck } | { readonly kind: 'reveal'; readonly reveal: DealerPrivMsg };

export function writeAckOrReveal(w: Writer, v: AckOrReveal): void {
  if (v.kind === 'ack') {
    w.u8(0);
    v.ack.write(w);
  } else {
    w.u8(1);
    v.reveal.write(w);
  }
}

export function readAckOrReveal(r: Reader): AckOrReveal {
  const tag = r.u8();
  if (tag === 0) return { kind: 'ack', ack: PlayerAck.read(r) };
  if (tag === 1) return { kind: 'reveal', reveal: DealerPrivMsg.read(r) };
  throw new InvalidEnum(tag);
}

function ackOrRevealEquals(a: AckOrReveal, b: AckOrReveal): boolean {
  if (a.kind === 'ack') return b.kind === 'ack' && a.ack.equals(b.ack);
  return b.kind === 'reveal' && a.reveal.equals(b.reveal);
}

/**
 * A dealer's outcome: `00 ‖ Map<player, AckOrReveal>` (ordered Map: key Set then value Vec, size
 * 0..=max at decode) or `01` = TooManyReveals (more than max_faults(n) players did not ack; such
 * a log carries no shares and is never selected). Decode does not check the map's keys against
 * any player set; `select` does.
 */
export type DealerResult = { readonly kind: 'ok'; readonly entries: OrderedMap<Ed25519PublicKey, AckOrReveal> } | { readonly kind: 'tooManyReveals' };

export function writeDealerResult(w: Writer, v: DealerResult): void {
  if (v.kind === 'ok') {
    w.u8(0);
    v.entries.write(w, writeEd25519PublicKey, writeAckOrReveal);
  } else {
    w.u8(1);
  }
}

export function readDealerResult(r: Reader, max: number): DealerResult {
  checkMax(max);
  const tag = r.u8();
  if (tag === 0) return { kind: 'ok', entries: OrderedMap.read(r, range(0, max), readEd25519PublicKey, readAckOrReveal, compareBytes) };
  if (tag === 1) return { kind: 'tooManyReveals' };
  throw new InvalidEnum(tag);
}

function dealerResultEquals(a: DealerResult, b: DealerResult): boolean {
  if (a.kind === 'tooManyReveals' || b.kind === 'tooManyReveals') return a.kind === b.kind;
  if (!a.entries.keys.equals(b.entries.keys)) return false;
  const av = a.entries.values;
  const bv = b.entries.values;
  for (let i = 0; i < av.length; i++) if (!ackOrRevealEquals(av[i]!, bv[i]!)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// DealerLog

/** What a dealer publishes at the end of a round: `DealerPubMsg ‖ DealerResult` (both with read cfg `max`). */
export class DealerLog<P> {
  private enc: Uint8Array | undefined;

  constructor(
    readonly pubMsg: DealerPubMsg<P>,
    readonly results: DealerResult,
    internal?: { [INTERNAL]: Uint8Array },
  ) {
    this.enc = internal?.[INTERNAL];
  }

  /** The encoding, shared and memoised: do not mutate. */
  bytes(): Uint8Array {
    if (this.enc === undefined) {
      const w = new Writer(this.pubMsg.bytes().length + 8 + 100 * (this.results.kind === 'ok' ? this.results.entries.size : 0));
      this.pubMsg.write(w);
      writeDealerResult(w, this.results);
      this.enc = w.finish();
    }
    return this.enc;
  }

  encode(): Uint8Array {
    return this.bytes().slice();
  }

  write(w: Writer): void {
    w.bytes(this.bytes());
  }

  equals(other: DealerLog<P>): boolean {
    return this.pubMsg.equals(other.pubMsg) && dealerResultEquals(this.results, other.results);
  }

  /** The share revealed for `player`, if the log is Ok and its entry is a Reveal. */
  getReveal(player: Ed25519PublicKey): DealerPrivMsg | null {
    if (this.results.kind !== 'ok') return null;
    const e = this.results.entries.get(player);
    return e !== undefined && e.kind === 'reveal' ? e.reveal : null;
  }

  /**
   * The entries paired with `players`, or null if the log is TooManyReveals or its keys are not
   * exactly `players` (upstream `zip_players`; not checked at decode).
   */
  zipPlayers(players: KeySet): ReadonlyArray<AckOrReveal> | null {
    if (this.results.kind !== 'ok') return null;
    if (!this.results.entries.keys.equals(players)) return null;
    return this.results.entries.values;
  }

  static read<P>(r: Reader, variant: DkgVariant<P>, max: number): DealerLog<P> {
    const [[pubMsg, results], bytes] = captured(r, (r) => [DealerPubMsg.read(r, variant, max), readDealerResult(r, max)] as const);
    return new DealerLog(pubMsg, results, { [INTERNAL]: bytes });
  }

  static decode<P>(bytes: Uint8Array, variant: DkgVariant<P>, max: number): DealerLog<P> {
    return decodeWith(bytes, (r) => DealerLog.read(r, variant, max));
  }
}

// ---------------------------------------------------------------------------------------------
// SignedDealerLog

/**
 * A {@link DealerLog} identified and signed by its dealer: `dealer(32) ‖ DealerLog ‖ sig(64)`.
 * The signature is ed25519 over `0x00 ‖ logDigest(info, log bytes)`; it binds the round and the
 * entire log (commitment and every ack/reveal), so logs cannot be swapped between dealers,
 * rounds or dealings.
 */
export class SignedDealerLog<P> {
  constructor(
    readonly dealer: Ed25519PublicKey,
    readonly log: DealerLog<P>,
    readonly sig: Ed25519Signature,
  ) {}

  /**
   * Verifies the signature for `info`'s round and returns the dealer and log, or null. It does
   * not check dealer membership or the log's contents (that is `select`'s job), as upstream.
   */
  check(info: Info<P>): { dealer: Ed25519PublicKey; log: DealerLog<P> } | null {
    if (!verifyDigest(this.dealer, logDigest(info.summary, this.log.bytes()), this.sig)) return null;
    return { dealer: this.dealer, log: this.log };
  }

  write(w: Writer): void {
    writeEd25519PublicKey(w, this.dealer);
    this.log.write(w);
    writeEd25519Signature(w, this.sig);
  }

  encode(): Uint8Array {
    const w = new Writer(32 + this.log.bytes().length + 64);
    this.write(w);
    return w.finish();
  }

  equals(other: SignedDealerLog<P>): boolean {
    return equalBytes(this.dealer, other.dealer) && this.log.equals(other.log) && equalBytes(this.sig, other.sig);
  }

  static read<P>(r: Reader, variant: DkgVariant<P>, max: number): SignedDealerLog<P> {
    const dealer = readEd25519PublicKey(r);
    const log = DealerLog.read(r, variant, max);
    const sig = readEd25519Signature(r);
    return new SignedDealerLog(dealer, log, sig);
  }

  static decode<P>(bytes: Uint8Array, variant: DkgVariant<P>, max: number): SignedDealerLog<P> {
    return decodeWith(bytes, (r) => SignedDealerLog.read(r, variant, max));
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function writeKeySet(w: Writer, s: KeySet): void {
  s.write(w, writeEd25519PublicKey);
}

function readKeySet(r: Reader, min: number, max: number): KeySet {
  return OrderedSet.read(r, range(min, max), readEd25519PublicKey, compareBytes);
}

/**
 * The public result of a successful round: `summary(32) ‖ Sharing ‖ dealers ‖ players ‖ revealed`
 * (sets = varint count ‖ sorted 32-byte keys). `summary` is the round's `Info` summary,
 * `public` the group's public polynomial (constant term = group key; `total` = number of
 * players), `dealers` the selected dealers, `revealed` players whose shares were revealed by more
 * than max_faults(n) selected dealers (treat them as compromised).
 *
 * Read cfg `max`: sharing total and coefficients 1..=max, dealers 1..=max, players 1..=max,
 * revealed 0..=max.
 */
export class Output<P> {
  private enc: Uint8Array | undefined;
  /** The public polynomial as a Sharing (mode, total = n, commitment). */
  readonly public: Sharing<P>;

  constructor(
    readonly summary: Summary,
    sharing: Sharing<P>,
    readonly dealers: KeySet,
    readonly players: KeySet,
    readonly revealed: KeySet,
    internal?: { [INTERNAL]: Uint8Array },
  ) {
    this.public = sharing;
    this.enc = internal?.[INTERNAL];
  }

  /** Players needed to reconstruct: quorum(|players|). */
  quorum(): number {
    return this.players.quorum();
  }

  /** The group public key (constant term of the public polynomial). */
  groupKey(): P {
    return this.public.public();
  }

  /**
   * Public key of `player`'s share (the polynomial at its index + 1), or null if it is not a
   * player or its index is outside the sharing (possible only for a hostile decoded Output).
   */
  shareCommitment(player: Ed25519PublicKey): P | null {
    const i = this.players.indexOf(player);
    if (i < 0 || this.public.scalar(i) === null) return null;
    return this.public.partialPublic(i);
  }

  /** The encoding, shared and memoised: do not mutate. */
  bytes(): Uint8Array {
    if (this.enc === undefined) {
      const w = new Writer(64 + this.public.poly.coeffs.length * this.public.poly.space.SIZE + 32 * (this.dealers.size + this.players.size + this.revealed.size));
      writeSummary(w, this.summary);
      this.public.write(w);
      writeKeySet(w, this.dealers);
      writeKeySet(w, this.players);
      writeKeySet(w, this.revealed);
      this.enc = w.finish();
    }
    return this.enc;
  }

  encode(): Uint8Array {
    return this.bytes().slice();
  }

  write(w: Writer): void {
    w.bytes(this.bytes());
  }

  /** Upstream equality: every field equal (the public polynomial up to trailing zeros). */
  equals(other: Output<P>): boolean {
    return (
      equalBytes(this.summary, other.summary) && this.public.equals(other.public) && this.dealers.equals(other.dealers) && this.players.equals(other.players) && this.revealed.equals(other.revealed)
    );
  }

  static read<P>(r: Reader, variant: DkgVariant<P>, max: number): Output<P> {
    checkMax(max);
    const [fields, bytes] = captured(r, (r) => {
      const summary = readSummary(r);
      const pub = Sharing.read(r, variant.Public, max);
      const dealers = readKeySet(r, 1, max);
      const players = readKeySet(r, 1, max);
      const revealed = readKeySet(r, 0, max);
      return { summary, pub, dealers, players, revealed };
    });
    return new Output(fields.summary, fields.pub, fields.dealers, fields.players, fields.revealed, { [INTERNAL]: bytes });
  }

  static decode<P>(bytes: Uint8Array, variant: DkgVariant<P>, max: number): Output<P> {
    return decodeWith(bytes, (r) => Output.read(r, variant, max));
  }
}

/** `Option<Output>` encoding: `00`, or `01 ‖ Output`. */
export function encodeOptionalOutput<P>(o: Output<P> | null): Uint8Array {
  if (o === null) return Uint8Array.of(0);
  const b = o.bytes();
  const out = new Uint8Array(1 + b.length);
  out[0] = 1;
  out.set(b, 1);
  return out;
}

/** `Option<Output>` with read cfg `max` (how the journal's Epoch record stores it). */
export function readOptionalOutput<P>(r: Reader, variant: DkgVariant<P>, max: number): Output<P> | null {
  return r.option((r) => Output.read(r, variant, max));
}

/** Encoding of a key set (`Set<PublicKey>`), as hashed into the Info summary. */
export function encodeKeySet(s: KeySet): Uint8Array {
  const w = new Writer(5 + 32 * s.size);
  writeKeySet(w, s);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Wire message of the reshare example's DKG channel (examples/reshare/src/dkg/actor.rs)

/**
 * What participants exchange point to point (upstream example `dkg::Message`):
 * `00 ‖ DealerPubMsg ‖ DealerPrivMsg` (dealer → player) or `01 ‖ PlayerAck` (player → dealer).
 * Read cfg `max` (for the commitment); any other tag → `Invalid("dkg::Message", "Invalid type")`.
 * The dealing variant carries a secret share: send it only over an encrypted, authenticated channel.
 */
export type DkgMessage<P> = { readonly kind: 'dealer'; readonly pubMsg: DealerPubMsg<P>; readonly privMsg: DealerPrivMsg } | { readonly kind: 'ack'; readonly ack: PlayerAck };

export function writeDkgMessage<P>(w: Writer, m: DkgMessage<P>): void {
  if (m.kind === 'dealer') {
    w.u8(0);
    m.pubMsg.write(w);
    m.privMsg.write(w);
  } else {
    w.u8(1);
    m.ack.write(w);
  }
}

export function encodeDkgMessage<P>(m: DkgMessage<P>): Uint8Array {
  const w = new Writer(m.kind === 'dealer' ? 1 + m.pubMsg.bytes().length + 32 : 65);
  writeDkgMessage(w, m);
  return w.finish();
}

export function readDkgMessage<P>(r: Reader, variant: DkgVariant<P>, max: number): DkgMessage<P> {
  const tag = r.u8();
  if (tag === 0) {
    const pubMsg = DealerPubMsg.read(r, variant, max);
    return { kind: 'dealer', pubMsg, privMsg: DealerPrivMsg.read(r) };
  }
  if (tag === 1) return { kind: 'ack', ack: PlayerAck.read(r) };
  throw new Invalid('dkg::Message', 'Invalid type');
}

export function decodeDkgMessage<P>(bytes: Uint8Array, variant: DkgVariant<P>, max: number): DkgMessage<P> {
  return decodeWith(bytes, (r) => readDkgMessage(r, variant, max));
}
