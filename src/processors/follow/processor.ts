/**
 * The `follow` processor: tempo's follow driver (reference `crates/consensus/src/follow/driver.rs`
 * at 92f38ee506, with HEAD's `finalization_verifier` checks; tempo-follow.md §5, §8) as a fold
 * over `consensus.finalizations` (keyed and partitioned by epoch).
 *
 * Per record, in this order (the first failing check is the DLQ reason, `dlq.error.class`):
 *  1. certificate → `Finalization` (strict, no trailing bytes)        else MalformedCertificate
 *     header (RLP or RPC JSON) → `TempoHeader`                         else MalformedHeader
 *     record height = header number                                    else MalformedCertificate
 *  2. proposal.payload == keccak(rlp(header))                          else BlockDigestMismatch
 *  3. proposal.epoch == floor(number / L), and the record key is that epoch
 *                                                                      else EpochMismatch
 *  4. a height below the pruned horizon (see "Bounded state"): skipped as BelowPrunedHorizon;
 *     a height already verified with the same digest: skipped as Duplicate (re-proposed
 *     boundary, duplicate delivery); nothing is emitted twice.
 *  5. scheme of the epoch: this task's own registrations (`follow-state`), then the `epochs`
 *     global table, then the bootstrap outcome, then the network identity if epoch ≥ fromEpoch.
 *     None yet, and the epoch is after the trust root: the record is PARKED in `pending` and
 *     released when the scheme arrives (onGlobalUpdate, or this task's own boundary). Before the
 *     trust root, or with `maxPending` records already parked     → IdentityUnavailable
 *  6. both signatures verify under the identity                         else VerificationFailed
 *     except under the network-identity fallback: the identity may have rotated, so the record
 *     is parked until the epoch's registered scheme arrives and is verified (once) under it.
 *     (Upstream drops it and hints the boundary; parking keeps the result independent of the
 *     race between partitions, so a replay gives the same outputs.)
 *  7. a boundary block (number == last(E)): an `OnchainDkgOutcome` reads from the start of
 *     extraData, as tempo reads it (`OnchainDkgOutcome::read`: bytes after a valid outcome are
 *     tolerated, since validators compare decoded values and such a block is finalized), and its
 *     epoch is E + 1                                                    else MalformedOutcome
 *     (the whole record is rejected: nothing is emitted for it). Trailing bytes are recorded:
 *     `EpochAdvanced.outcomeTrailingBytes`, the `dkg_stream_follow_outcome_trailing_bytes_total` metric and
 *     a warning; the registered `outcome` is the outcome's own bytes, without them.
 *  8. a non-boundary block with non-empty extraData: a `SignedDealerLog` of the epoch's DKG round
 *     (observer.ts: round from the outcome registered for the epoch). It is checked (decodes, the
 *     dealer is a dealer of the round, the signature verifies for the round); the first log per
 *     (epoch, dealer) is kept in `follow-state` and emitted to `dkg.events` as a Log (owner
 *     CHAIN_OWNER, source `follower:<height>`); the same log again is skipped. A log that fails
 *     goes to the DLQ as MalformedDealerLog / UnknownDealer / InvalidDealerLog /
 *     ConflictingDealerLog *and the block is still verified* (the log is simply not used).
 *  9. at a boundary, `observe(round, kept logs)` (or the previous output if the ceremony fails)
 *     is compared with the outcome's output: EpochAdvanced.observation = {matches, logs, reason}
 *     (null when the epoch's round is unknown, e.g. under the network-identity fallback). This is
 *     the `dkg-observer` of the design, run inside the follower: all blocks of an epoch are in
 *     one partition, and the observation is part of the boundary's single EpochAdvanced event.
 *     Logs that arrive after their epoch's boundary are emitted but not observed.
 * Effects of an accepted record (one transaction): `finalizations.verified` gets the
 * VerifiedFinalization; the height is marked; for a boundary, `epochs` gets
 * SchemeRegistered{E+1, identity, outcome} and EpochAdvanced{E → E+1}, the scheme of E + 1 is
 * kept locally and records of E + 1 parked in this partition are released. When the outcome's
 * identity differs from the configured network identity (epoch ≥ fromEpoch), a warning says to
 * update it (upstream's "Update the binary").
 *
 * Idempotence: a height's effects happen at most once (the height mark is written in the same
 * transaction); the `epochs` events of a boundary exist once because the boundary height does.
 * A different digest at a verified height (two finalized blocks at one height) is rejected as
 * ConflictingFinalization.
 *
 * Bounded state (retention): the height marks, the locally learned schemes, the `wanted` marks
 * and the kept dealer logs are per height or per epoch, so they would grow for ever. When this
 * task verifies the boundary of epoch E (the chain enters E + 1), it keeps the last
 * `retainEpochs` epochs (default 2: E + 1 and E) and prunes everything of the epochs below
 * F = E + 2 − retainEpochs, except that F never passes the lowest epoch that still has records
 * parked in this partition (they are not handled yet). It raises the horizon (key 'p': "pruned
 * below height H", H = first(F), never lowered) and deletes the entries below it with store
 * deletes in the same fold, so the changelog gets tombstones and a replay gives the same store.
 * A record whose height is below H counts as already handled: it is skipped after the decode and
 * epoch checks (outcome `BelowPrunedHorizon`, nothing emitted, nothing verified). Consequences:
 * a conflicting digest, or a forged certificate, below H is not detected; a height that was never
 * delivered before its epoch fell below H is not verified later. Height marks are deleted at most
 * `pruneBatch` per boundary (older state without a horizon drains over several boundaries; marks
 * below H are never read, so the leftovers are only space).
 */
import { equalBytes } from '../../codec/bytes.ts';
import { CodecError } from '../../codec/index.ts';
import { logger } from '../../runtime/log.ts';
import type { Metrics } from '../../runtime/metrics.ts';
import type { InRecord, ProcessorContext, ProcessorDef } from '../../runtime/processor.ts';
import { decodeU64, u64 } from '../../state/keys.ts';
import { FixedEpocher } from '../../tempo/epocher.ts';
import { decodeFinalization, type Finalization } from '../../tempo/finalization.ts';
import { decodeTempoHeader, encodeTempoHeader, type TempoHeader, tempoHeaderFromJson, tempoHeaderHash } from '../../tempo/header.ts';
import { bytesToHex } from '../../tempo/hex.ts';
import type { NetworkIdentity } from '../../tempo/network-identity.ts';
import { outcomeIdentity, readBoundaryOutcome } from '../../tempo/outcome.ts';
import { type PreparedIdentity, prepareIdentity, type VerifyResult, verifyFinalization } from '../../tempo/verify.ts';
import type { CertificateVerifier } from '../../tempo/verify-pool.ts';
import type { TopicCodecs } from '../../topics/codecs.ts';
import type { FinalizationRecord } from '../../topics/consensus-finalizations.ts';
import { epochKey } from '../../topics/epoch-key.ts';
import { EPOCH_EVENT_ADVANCE, EPOCH_EVENT_SCHEME, epochEventKey, type Observation } from '../../topics/epochs.ts';
import { PROCESSOR_NAMES, STORES } from '../../topics/names.ts';
import { CHAIN_OWNER, DealerLogRejection, type LogRejectReason, observeBoundary, readDealerLog, roundOf } from './observer.ts';

const log = logger('follow');

export type RejectReason =
  | 'MalformedCertificate'
  | 'MalformedHeader'
  | 'BlockDigestMismatch'
  | 'EpochMismatch'
  | 'IdentityUnavailable'
  | 'VerificationFailed'
  | 'MalformedOutcome'
  | 'ConflictingFinalization'
  | LogRejectReason;

/** A record the follower rejects; `name` is the reason (the DLQ's `errorClass`). */
export class FollowRejection extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
    this.name = reason;
  }
}

/** The trust root: the outcome of a trusted boundary header (or the genesis). */
export interface FollowBootstrap {
  /** The epoch whose scheme the outcome gives. */
  epoch: bigint;
  identity: Uint8Array;
  outcome: Uint8Array;
  /** Height of the header it came from (0 = genesis). */
  height: bigint;
}

export interface FollowTopics {
  input: string;
  verified: string;
  epochs: string;
  dkgEvents: string;
}

export interface FollowConfig {
  epochLength: bigint;
  /** Compiled/configured identity, valid for epochs ≥ fromEpoch until the next full DKG. */
  networkIdentity?: NetworkIdentity | undefined;
  bootstrap?: FollowBootstrap | undefined;
  topics: FollowTopics;
  codec: TopicCodecs;
  /** Records parked per partition before further ones are rejected (default 10 000). */
  maxPending?: number;
  /**
   * Epochs whose verified heights stay deduplicated (default {@link DEFAULT_RETAIN_EPOCHS}): at
   * the boundary of E the entries of epochs below E + 2 − retainEpochs are pruned (records below
   * the pruned horizon are skipped as `BelowPrunedHorizon`). An integer ≥ 1.
   */
  retainEpochs?: number;
  /** Most height marks deleted per boundary (default max(2·L, 10 000)); an integer ≥ 1. */
  pruneBatch?: number;
  /** Where the horizon gauge is set; counters go through ProcessorContext.count (the runtime's metrics). */
  metrics?: Metrics;
  name?: string;
  /**
   * Verifies the certificates of a chunk ahead of the fold, on other threads (see
   * {@link FollowProcessorHooks}); absent = every certificate is verified inline, one by one.
   */
  verifier?: CertificateVerifier;
}

/** Default {@link FollowConfig.retainEpochs}: the current epoch and the previous one. */
export const DEFAULT_RETAIN_EPOCHS = 2;

/** A follow configuration value that cannot be used. */
export class FollowConfigError extends Error {
  override name = 'FollowConfigError';
}

/** Checks `retainEpochs` (the CLI's `--retain-epochs` and the processor share the message). */
export function checkRetainEpochs(v: unknown, what = 'retainEpochs'): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new FollowConfigError(
      `${what} must be an integer ≥ 1 (epochs whose verified heights stay deduplicated: 1 = only the current epoch, ${DEFAULT_RETAIN_EPOCHS} = the current and the previous one), got ${typeof v === 'number' ? v : JSON.stringify(v)}`,
    );
  }
  return v;
}

export const FOLLOW_METRICS = {
  records: 'dkg_stream_follow_records_total',
  ignored: 'dkg_stream_follow_ignored_total',
  pruned: 'dkg_stream_follow_pruned_entries_total',
  trailing: 'dkg_stream_follow_outcome_trailing_bytes_total',
  horizon: 'dkg_stream_follow_pruned_below_height',
  preverified: 'dkg_stream_follow_preverified_total',
} as const;

/** What happened to a finalization that was not rejected. */
export type HandleOutcome = 'verified' | 'parked' | 'Duplicate' | 'BelowPrunedHorizon';

/**
 * Reads the trust root from a trusted header (RLP): the genesis (height 0, outcome of epoch 0)
 * or a boundary block last(E) (outcome of epoch E + 1). Throws if it is neither.
 */
export function bootstrapFromHeader(headerRlp: Uint8Array, epochLength: bigint): FollowBootstrap {
  const header = decodeTempoHeader(headerRlp);
  const n = header.inner.number;
  const info = new FixedEpocher(epochLength).containing(n)!;
  const expected = n === 0n ? 0n : info.last === n ? info.epoch + 1n : undefined;
  if (expected === undefined) throw new Error(`bootstrap header ${n} is neither the genesis nor a boundary block (L = ${epochLength})`);
  // Read as tempo's start-up reads it (trailing bytes tolerated); the outcome's own bytes are kept.
  const { outcome, outcomeBytes } = readBoundaryOutcome(header.inner.extraData);
  if (outcome.epoch !== expected) throw new Error(`bootstrap header ${n} carries the outcome of epoch ${outcome.epoch}, expected ${expected}`);
  return { epoch: outcome.epoch, identity: outcomeIdentity(outcome), outcome: outcomeBytes, height: n };
}

/** The trust root from outcome bytes alone (e.g. a chainspec's genesis extraData, read leniently as tempo does). */
export function bootstrapFromOutcome(extraData: Uint8Array, height = 0n): FollowBootstrap {
  const { outcome, outcomeBytes } = readBoundaryOutcome(extraData);
  return { epoch: outcome.epoch, identity: outcomeIdentity(outcome), outcome: outcomeBytes, height };
}

// follow-state keys
const K_HEIGHT = 0x68; // 'h' ‖ height → block hash (verified)
const K_SCHEME = 0x73; // 's' ‖ epoch → identity(96) ‖ outcome bytes (learned by this task)
const K_WANTED = 0x77; // 'w' ‖ epoch → boundary height whose outcome would unlock it
const K_BOOT = 0x62; //   'b' → bootstrap registration emitted
const K_LOG = 0x6c; //    'l' ‖ epoch ‖ dealer(32) → checked DealerLog bytes (from a block of the epoch)
const K_PRUNED = 0x70; // 'p' → u64 H: heights below H count as handled (their entries are pruned)
const heightKey = (h: bigint) => Buffer.concat([Buffer.of(K_HEIGHT), u64(h)]);
const schemeKey = (e: bigint) => Buffer.concat([Buffer.of(K_SCHEME), u64(e)]);
const wantedKey = (e: bigint) => Buffer.concat([Buffer.of(K_WANTED), u64(e)]);
const BOOT_KEY = Buffer.of(K_BOOT);
const logKey = (e: bigint, dealer: Uint8Array) => Buffer.concat([Buffer.of(K_LOG), u64(e), buf(dealer)]);
const logEpochRange = (e: bigint) => ({ gte: Buffer.concat([Buffer.of(K_LOG), u64(e)]), lt: e === U64_MAX ? Buffer.of(K_LOG + 1) : Buffer.concat([Buffer.of(K_LOG), u64(e + 1n)]) });
const PRUNED_KEY = Buffer.of(K_PRUNED);
/** Keys of a family whose next 8 bytes are a height or an epoch below `below`. */
const familyBelow = (family: number, below: bigint) => ({ gte: Buffer.of(family), lt: Buffer.concat([Buffer.of(family), u64(below)]) });

// pending keys: epoch ‖ height ‖ source offset (a height may be parked more than once)
const pendingKey = (r: InRecord, e: bigint, h: bigint) => Buffer.concat([u64(e), u64(h), u64(r.offset)]);
const U64_MAX = (1n << 64n) - 1n;
const epochRange = (e: bigint) => (e === U64_MAX ? { gte: u64(e) } : { gte: u64(e), lt: u64(e + 1n) });

interface Scheme {
  identity: PreparedIdentity;
  source: 'local' | 'table' | 'bootstrap' | 'network-identity';
  outcome: Uint8Array | null;
}

type BoundaryOutcome = ReturnType<typeof readBoundaryOutcome>;

interface Checked {
  fin: Finalization;
  header: TempoHeader;
  headerRlp: Uint8Array;
  hash: Uint8Array;
  height: bigint;
  epoch: bigint;
  isBoundary: boolean;
}

const prepared = new Map<string, PreparedIdentity>();
function prepare(identity: Uint8Array): PreparedIdentity {
  const k = bytesToHex(identity);
  let p = prepared.get(k);
  if (!p) {
    p = prepareIdentity(identity);
    if (prepared.size >= 64) prepared.delete(prepared.keys().next().value!);
    prepared.set(k, p);
  }
  return p;
}

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const VERIFIED: VerifyResult = { valid: true, reason: null };

export function encodeParked(r: InRecord): Buffer {
  return Buffer.from(JSON.stringify({ t: r.topic, p: r.partition, o: r.offset, k: r.key?.toString('base64') ?? null, v: r.value?.toString('base64') ?? null, ts: r.timestamp }), 'utf8');
}

/** A `follow-state` value that does not decode (only this processor writes them: a corrupt store or changelog). */
export class MalformedStoreValue extends Error {
  override name = 'MalformedStoreValue';
}

export function decodeParked(b: Buffer): InRecord {
  let o: { t: string; p: number; o: number; k: string | null; v: string | null; ts: number };
  try {
    o = JSON.parse(b.toString('utf8'));
  } catch (err) {
    throw new MalformedStoreValue(`parked record is not JSON (${b.length} bytes): ${(err as Error).message.slice(0, 100)}`);
  }
  const str = (v: unknown) => v === null || typeof v === 'string';
  if (!o || typeof o !== 'object' || typeof o.t !== 'string' || !Number.isSafeInteger(o.p) || !Number.isSafeInteger(o.o) || !str(o.k) || !str(o.v) || typeof o.ts !== 'number') {
    throw new MalformedStoreValue(`parked record has the wrong shape (${b.length} bytes)`);
  }
  return { topic: o.t, partition: o.p, offset: o.o, key: o.k === null ? null : Buffer.from(o.k, 'base64'), value: o.v === null ? null : Buffer.from(o.v, 'base64'), timestamp: o.ts, headers: {} };
}

export function followProcessor(cfg: FollowConfig): ProcessorDef<FinalizationRecord> {
  const epocher = new FixedEpocher(cfg.epochLength);
  const { topics, codec } = cfg;
  const maxPending = cfg.maxPending ?? 10_000;
  const retain = BigInt(checkRetainEpochs(cfg.retainEpochs ?? DEFAULT_RETAIN_EPOCHS));
  const pruneBatch = cfg.pruneBatch === undefined ? Math.max(2 * Number(cfg.epochLength), 10_000) : cfg.pruneBatch;
  if (!Number.isSafeInteger(pruneBatch) || pruneBatch < 1) throw new FollowConfigError(`pruneBatch must be an integer ≥ 1 (height marks deleted per boundary), got ${pruneBatch}`);
  const netId = cfg.networkIdentity;
  const netPrepared = netId ? prepare(netId.identity) : undefined;
  const boot = cfg.bootstrap;
  const metrics = cfg.metrics;
  /** Last horizon reported per partition (metrics only; the store holds the truth). */
  const reported = new Map<number, bigint>();
  /**
   * Pre-verification (only with `cfg.verifier`). A hint, never a decision: `prepare` verifies a
   * chunk's certificates on the verifier's threads under the identity this task last verified
   * their epoch with; `handleChecked` takes a `true` answer only when the scheme it picked has
   * exactly that identity, and verifies inline in every other case (no answer, `false`, another
   * identity). So outputs are those of inline verification, in the same order.
   */
  const verifier = cfg.verifier;
  const hintIdentity = new Map<bigint, Uint8Array>();
  if (boot) hintIdentity.set(boot.epoch, boot.identity);
  // Per partition: tasks fold concurrently, and each prepare replaces only its own partition's chunk.
  const preVerifiedBy = new Map<number, Map<string, { identity: Uint8Array; valid: boolean }>>();
  const decodedBy = new Map<number, Map<string, FinalizationRecord>>();
  const ofPartition = <T>(by: Map<number, Map<string, T>>, p: number): Map<string, T> => by.get(p) ?? by.set(p, new Map()).get(p)!;
  const recordKey = (r: InRecord) => `${r.partition}:${r.offset}`;

  // Counters go through the context (counted once, when the record's transaction commits); the
  // horizon is a gauge, set directly (setting it again on a re-fold changes nothing).
  const count = (ctx: ProcessorContext, outcome: HandleOutcome) => {
    ctx.count(FOLLOW_METRICS.records, 'Finalizations handled by the follower, by outcome (verified, parked, Duplicate, BelowPrunedHorizon); rejections are dkg_stream_dlq_records_total', {
      outcome,
    });
    if (outcome === 'Duplicate' || outcome === 'BelowPrunedHorizon') {
      ctx.count(FOLLOW_METRICS.ignored, 'Finalizations skipped as already handled: a verified height with the same digest (Duplicate) or a height below the pruned horizon (BelowPrunedHorizon)', {
        reason: outcome,
      });
    }
  };

  /** The pruned horizon of this task: heights below it count as handled. */
  async function horizonOf(ctx: ProcessorContext): Promise<bigint> {
    const v = await ctx.store(STORES.followState).get(PRUNED_KEY);
    const h = v ? decodeU64(v) : 0n;
    if (metrics && reported.get(ctx.partition) !== h) {
      reported.set(ctx.partition, h);
      metrics.set(FOLLOW_METRICS.horizon, 'Pruned horizon of each follow task: records below this height are skipped as BelowPrunedHorizon', { partition: ctx.partition }, Number(h));
    }
    return h;
  }

  function check(r: FinalizationRecord, record: InRecord): Checked {
    let fin: Finalization;
    try {
      fin = decodeFinalization(r.certificate);
    } catch (err) {
      throw new FollowRejection('MalformedCertificate', `certificate does not decode: ${(err as Error).message}`);
    }
    let header: TempoHeader;
    let headerRlp: Uint8Array;
    try {
      if ('rlp' in r.header) {
        header = decodeTempoHeader(r.header.rlp);
        headerRlp = r.header.rlp;
      } else {
        header = tempoHeaderFromJson(JSON.parse(r.header.json));
        headerRlp = encodeTempoHeader(header);
      }
    } catch (err) {
      throw new FollowRejection('MalformedHeader', `header does not decode: ${(err as Error).message}`);
    }
    const height = header.inner.number;
    if (r.height !== height) throw new FollowRejection('MalformedCertificate', `record height ${r.height} but the header is block ${height}`);
    const hash = tempoHeaderHash(header);
    if (!equalBytes(fin.proposal.payload, hash)) {
      throw new FollowRejection('BlockDigestMismatch', `certificate payload ${bytesToHex(fin.proposal.payload)} is not the header digest ${bytesToHex(hash)} (height ${height})`);
    }
    const info = epocher.containing(height);
    if (!info || fin.proposal.epoch !== info.epoch) {
      throw new FollowRejection('EpochMismatch', `certificate epoch ${fin.proposal.epoch} but height ${height} is in epoch ${info?.epoch ?? '?'} (L = ${cfg.epochLength})`);
    }
    if (record.key && !record.key.equals(epochKey(info.epoch))) {
      throw new FollowRejection('EpochMismatch', `record key ${record.key.toString('hex')} is not epoch ${info.epoch} of height ${height}`);
    }
    return { fin, header, headerRlp, hash, height, epoch: info.epoch, isBoundary: info.last === height };
  }

  /** The scheme of an epoch; with `fallback: false` only a registered one (not the network identity). */
  async function schemeFor(ctx: ProcessorContext, epoch: bigint, fallback = true): Promise<Scheme | undefined> {
    const local = await ctx.store(STORES.followState).get(schemeKey(epoch));
    if (local) return { identity: prepare(local.subarray(0, 96)), source: 'local', outcome: local.length > 96 ? local.subarray(96) : null };
    const row = await ctx.global(topics.epochs).get(epochEventKey(epoch, EPOCH_EVENT_SCHEME));
    if (row) {
      const ev = await codec.decodeEpochEvent(row);
      if (ev.type === 'SchemeRegistered') return { identity: prepare(ev.identity), source: 'table', outcome: ev.outcome };
    }
    if (boot && boot.epoch === epoch) return { identity: prepare(boot.identity), source: 'bootstrap', outcome: boot.outcome };
    if (fallback && netId && netPrepared && epoch >= netId.fromEpoch) return { identity: netPrepared, source: 'network-identity', outcome: null };
    return undefined;
  }

  /**
   * Handles one finalization whose scheme may be unknown. Validation and verification come
   * before any write, so a rejection leaves no effect even outside the per-record rollback
   * (released records). Returns what happened.
   */
  async function handle(ctx: ProcessorContext, record: InRecord, r: FinalizationRecord, mayPark: boolean): Promise<HandleOutcome> {
    const outcome = await handleChecked(ctx, record, check(r, record), r, mayPark);
    count(ctx, outcome);
    return outcome;
  }

  async function handleChecked(ctx: ProcessorContext, record: InRecord, c: Checked, r: FinalizationRecord, mayPark: boolean): Promise<HandleOutcome> {
    const horizon = await horizonOf(ctx);
    if (c.height < horizon) {
      // Its epoch was pruned: handled before (or never delivered in time), nothing to emit again.
      log.debug({ height: c.height.toString(), epoch: c.epoch.toString(), horizon: horizon.toString() }, 'finalization below the pruned horizon skipped');
      return 'BelowPrunedHorizon';
    }
    const state = ctx.store(STORES.followState);
    const done = await state.get(heightKey(c.height));
    if (done && equalBytes(done, c.hash)) return 'Duplicate';
    // Records of this epoch parked earlier go first (their scheme may have arrived before this
    // record, ahead of the reaction to the table update): outputs stay in height order per epoch.
    if (mayPark && (await hasParked(ctx, c.epoch))) await release(ctx, c.epoch);
    const scheme = await schemeFor(ctx, c.epoch);
    if (!scheme) {
      if (!mayPark) throw new FollowRejection('IdentityUnavailable', `no scheme for epoch ${c.epoch}`);
      if (boot && c.epoch < boot.epoch) {
        throw new FollowRejection('IdentityUnavailable', `epoch ${c.epoch} is before the trust root (epoch ${boot.epoch}) and before the network identity's epoch ${netId?.fromEpoch ?? 'none'}`);
      }
      await park(ctx, record, c);
      return 'parked';
    }
    const hint = preVerifiedBy.get(record.partition)?.get(recordKey(record));
    const res: VerifyResult = hint?.valid && equalBytes(hint.identity, scheme.identity.bytes) ? VERIFIED : verifyFinalization(c.fin, scheme.identity);
    if (hint?.valid && res === VERIFIED) ctx.count(FOLLOW_METRICS.preverified, 'Finalizations whose verification came from the verifier threads (pre-verified ahead of the fold)', {});
    if (res.valid && verifier) hintIdentity.set(c.epoch, scheme.identity.bytes);
    if (!res.valid && scheme.source === 'network-identity' && mayPark) {
      // The identity may have rotated (full DKG): wait for the epoch's registered scheme rather
      // than lose a certificate to a race with the boundary's registration on another partition.
      await park(ctx, record, c);
      return 'parked';
    }
    if (!res.valid) {
      const rotated = scheme.source === 'network-identity' ? ' (network-identity fallback: the identity may have rotated; update it or provide the boundary)' : '';
      throw new FollowRejection('VerificationFailed', `height ${c.height} epoch ${c.epoch}: ${res.reason}${rotated}`);
    }
    if (done) {
      throw new FollowRejection('ConflictingFinalization', `height ${c.height} was finalized as ${bytesToHex(done)}, now as ${bytesToHex(c.hash)}`);
    }
    let outcome: BoundaryOutcome | undefined;
    if (c.isBoundary) {
      try {
        outcome = readBoundaryOutcome(c.header.inner.extraData);
      } catch (err) {
        throw new FollowRejection('MalformedOutcome', `boundary block ${c.height} of epoch ${c.epoch}: ${err instanceof CodecError || err instanceof Error ? err.message : String(err)}`);
      }
      if (outcome.outcome.epoch !== c.epoch + 1n) {
        throw new FollowRejection('MalformedOutcome', `boundary block ${c.height} of epoch ${c.epoch} carries the outcome of epoch ${outcome.outcome.epoch}, expected ${c.epoch + 1n}`);
      }
    }

    // ---- accepted: effects ----
    state.put(heightKey(c.height), buf(c.hash));
    if (scheme.source === 'network-identity' || scheme.source === 'bootstrap') {
      // HEAD memoises a fallback that verified under the epoch; the bootstrap likewise.
      if (!(await state.get(schemeKey(c.epoch)))) state.put(schemeKey(c.epoch), Buffer.concat([buf(scheme.identity.bytes), buf(scheme.outcome ?? new Uint8Array(0))]));
    }
    if (boot && c.epoch === boot.epoch && !(await state.get(BOOT_KEY))) {
      state.put(BOOT_KEY, Buffer.of(1));
      if (!(await ctx.global(topics.epochs).get(epochEventKey(boot.epoch, EPOCH_EVENT_SCHEME)))) {
        ctx.send({
          topic: topics.epochs,
          key: epochEventKey(boot.epoch, EPOCH_EVENT_SCHEME),
          value: await codec.encodeEpochEvent({
            type: 'SchemeRegistered',
            epoch: boot.epoch,
            identity: boot.identity,
            outcome: boot.outcome,
            source: boot.height === 0n ? 'bootstrap:genesis' : `bootstrap:${boot.height}`,
          }),
        });
      }
    }
    ctx.send({
      topic: topics.verified,
      key: epochKey(c.epoch),
      value: await codec.encodeVerified({
        epoch: c.epoch,
        view: c.fin.proposal.view,
        height: c.height,
        blockHash: c.hash,
        certificate: r.certificate,
        headerRlp: c.headerRlp,
        identity: scheme.identity.bytes,
        isBoundary: c.isBoundary,
      }),
    });
    if (outcome) await boundary(ctx, c, outcome, scheme);
    else if (c.header.inner.extraData.length > 0) await dealerLog(ctx, record, c, scheme);
    return 'verified';
  }

  /**
   * A verified non-boundary block's extraData: a dealer log of the epoch's round. A checked log
   * is kept (first per dealer) and emitted to `dkg.events`; a log that is not usable goes to the
   * DLQ with its reason, and the block itself stays verified.
   */
  async function dealerLog(ctx: ProcessorContext, record: InRecord, c: Checked, scheme: Scheme): Promise<void> {
    if (!scheme.outcome || scheme.outcome.length === 0) {
      log.warn({ epoch: c.epoch.toString(), height: c.height.toString(), scheme: scheme.source }, "dealer log not checked: the outcome that defines this epoch's DKG round is unknown");
      return;
    }
    const round = roundOf(c.epoch, scheme.outcome);
    if (typeof round === 'string') {
      log.warn({ epoch: c.epoch.toString(), height: c.height.toString(), reason: round }, 'dealer log not checked: no DKG round for this epoch');
      return;
    }
    let checked: { dealer: Uint8Array; log: { bytes(): Uint8Array } };
    try {
      checked = readDealerLog(c.header.inner.extraData, round);
    } catch (err) {
      if (!(err instanceof DealerLogRejection)) throw err;
      ctx.deadLetter(record, new FollowRejection(err.reason, `block ${c.height} of epoch ${c.epoch}: ${err.message}`));
      return;
    }
    const state = ctx.store(STORES.followState);
    const key = logKey(c.epoch, checked.dealer);
    const logBytes = checked.log.bytes();
    const seen = await state.get(key);
    if (seen) {
      // A dealer re-posts its log in every block it proposes until it sees it finalized.
      if (equalBytes(seen, logBytes)) return;
      ctx.deadLetter(
        record,
        new FollowRejection('ConflictingDealerLog', `block ${c.height} of epoch ${c.epoch}: dealer ${bytesToHex(checked.dealer)} already has a different log in this round (the first one is kept)`),
      );
      return;
    }
    state.put(key, buf(logBytes));
    ctx.send({
      topic: topics.dkgEvents,
      key: epochKey(c.epoch),
      value: await codec.encodeDkgEvent({ kind: 'log', epoch: c.epoch, owner: buf(CHAIN_OWNER), dealer: buf(checked.dealer), log: buf(logBytes), source: `follower:${c.height}` }),
    });
  }

  /** The boundary's observation: `observe` over the epoch's logs vs the on-chain output (null if the round is unknown). */
  async function observation(ctx: ProcessorContext, c: Checked, scheme: Scheme): Promise<Observation | null> {
    const state = ctx.store(STORES.followState);
    const round = scheme.outcome && scheme.outcome.length > 0 ? roundOf(c.epoch, scheme.outcome) : "the outcome that defines this epoch's round is unknown";
    const logs: Array<readonly [Uint8Array, Uint8Array]> = [];
    for await (const [k, v] of state.range(logEpochRange(c.epoch))) logs.push([k.subarray(9), v] as const);
    // Logs of older epochs go with the other entries of pruned epochs (prune, after the boundary).
    if (typeof round === 'string') {
      log.warn({ epoch: c.epoch.toString(), reason: round }, 'boundary outcome not observed');
      return null;
    }
    const obs = observeBoundary(round, logs, c.header.inner.extraData);
    if (!obs.matches)
      log.warn({ epoch: c.epoch.toString(), boundary: c.height.toString(), logs: obs.logs, reason: obs.reason }, 'the on-chain DKG outcome differs from what the dealer logs on chain give');
    return obs;
  }

  async function boundary(ctx: ProcessorContext, c: Checked, read: BoundaryOutcome, scheme: Scheme): Promise<void> {
    const { outcome, outcomeBytes, trailingBytes } = read;
    const next = outcome.epoch;
    const identity = outcomeIdentity(outcome);
    if (trailingBytes > 0) {
      ctx.count(
        FOLLOW_METRICS.trailing,
        'Bytes after the DKG outcome in verified boundary blocks (tolerated, as tempo reads outcomes with read; see EpochAdvanced.outcomeTrailingBytes)',
        {},
        trailingBytes,
      );
      log.warn({ epoch: c.epoch.toString(), boundary: c.height.toString(), trailingBytes }, 'boundary extraData has bytes after the DKG outcome: accepted as tempo does, recorded on EpochAdvanced');
    }
    const observed = await observation(ctx, c, scheme);
    if (netId && next >= netId.fromEpoch && !equalBytes(netId.identity, identity)) {
      log.warn(
        { compiledFromEpoch: netId.fromEpoch.toString(), onchainEpoch: next.toString(), compiledNetworkIdentity: bytesToHex(netId.identity), onchainNetworkIdentity: bytesToHex(identity) },
        'Network identity differs from the onchain DKG outcome!!! Update the configured network identity',
      );
    }
    const state = ctx.store(STORES.followState);
    if (verifier) hintIdentity.set(next, identity);
    state.put(schemeKey(next), Buffer.concat([buf(identity), buf(outcomeBytes)]));
    state.delete(wantedKey(next));
    ctx.send({
      topic: topics.epochs,
      key: epochEventKey(next, EPOCH_EVENT_SCHEME),
      value: await codec.encodeEpochEvent({ type: 'SchemeRegistered', epoch: next, identity, outcome: outcomeBytes, source: `boundary:${c.height}` }),
    });
    ctx.send({
      topic: topics.epochs,
      key: epochEventKey(next, EPOCH_EVENT_ADVANCE),
      value: await codec.encodeEpochEvent({
        type: 'EpochAdvanced',
        epoch: next,
        from: c.epoch,
        boundaryHeight: c.height,
        boundaryHash: c.hash,
        isFullDkg: outcome.isNextFullDkg,
        players: outcome.output.players,
        observation: observed,
        outcomeTrailingBytes: trailingBytes,
      }),
    });
    log.info({ from: c.epoch.toString(), to: next.toString(), boundary: c.height.toString(), identity: bytesToHex(identity).slice(0, 16) }, 'epoch advanced');
    await release(ctx, next);
    await prune(ctx, c.epoch);
  }

  /**
   * After the boundary of `epoch`: raises the horizon to the first height of epoch
   * `epoch + 2 − retainEpochs` (not past the lowest epoch with parked records, never lowered)
   * and deletes the per-height and per-epoch entries below it (height marks at most `pruneBatch`
   * per call). Depends only on the store, so a replay prunes the same keys.
   */
  async function prune(ctx: ProcessorContext, epoch: bigint): Promise<void> {
    const state = ctx.store(STORES.followState);
    let floor = epoch + 2n - retain;
    for await (const [k] of ctx.store(STORES.pending).range({ limit: 1 })) {
      const parked = decodeU64(k);
      if (parked < floor) {
        log.info({ epoch: epoch.toString(), floor: floor.toString(), parkedEpoch: parked.toString() }, 'pruning held back: records of an older epoch are still parked in this partition');
        floor = parked;
      }
    }
    const current = await horizonOf(ctx);
    const target = floor > 0n ? (epocher.first(floor) ?? current) : 0n;
    const horizon = target > current ? target : current;
    if (horizon === 0n) return;
    if (horizon > current) {
      state.put(PRUNED_KEY, u64(horizon));
      await horizonOf(ctx); // reports the new horizon
      log.info({ boundaryEpoch: epoch.toString(), prunedBelowHeight: horizon.toString(), retainEpochs: Number(retain) }, 'follow state pruned below the horizon');
    }
    const floorEpoch = epocher.containing(horizon)!.epoch;
    const sweep = async (family: string, range: { gte: Buffer; lt: Buffer }, limit?: number) => {
      const keys: Buffer[] = [];
      for await (const [k] of state.range(limit === undefined ? range : { ...range, limit })) keys.push(k);
      for (const k of keys) state.delete(k);
      if (keys.length > 0) ctx.count(FOLLOW_METRICS.pruned, 'follow-state entries deleted below the pruned horizon (tombstoned in the changelog), by key family', { family }, keys.length);
    };
    await sweep('height', familyBelow(K_HEIGHT, horizon), pruneBatch);
    await sweep('scheme', familyBelow(K_SCHEME, floorEpoch));
    await sweep('wanted', familyBelow(K_WANTED, floorEpoch));
    await sweep('log', familyBelow(K_LOG, floorEpoch));
  }

  async function park(ctx: ProcessorContext, record: InRecord, c: Checked): Promise<void> {
    const pending = ctx.store(STORES.pending);
    let n = 0;
    for await (const _ of pending.range({ limit: maxPending })) n++;
    if (n >= maxPending) throw new FollowRejection('IdentityUnavailable', `no scheme for epoch ${c.epoch} yet and ${n} records are already parked`);
    pending.put(pendingKey(record, c.epoch, c.height), encodeParked(record));
    const state = ctx.store(STORES.followState);
    if (!(await state.get(wantedKey(c.epoch)))) {
      const want = c.epoch === 0n ? 0n : epocher.last(c.epoch - 1n)!;
      state.put(wantedKey(c.epoch), u64(want));
      log.warn({ epoch: c.epoch.toString(), boundary: want.toString() }, 'no scheme for this epoch yet: parking its certificates until the boundary block is verified');
    }
  }

  async function hasParked(ctx: ProcessorContext, epoch: bigint): Promise<boolean> {
    for await (const _ of ctx.store(STORES.pending).range({ ...epochRange(epoch), limit: 1 })) return true;
    return false;
  }

  /** Releases parked records whose scheme is now known (all epochs, or one). */
  async function release(ctx: ProcessorContext, only?: bigint): Promise<void> {
    const pending = ctx.store(STORES.pending);
    const range = only === undefined ? {} : epochRange(only);
    const known = new Map<bigint, boolean>();
    const entries: Array<[Buffer, Buffer]> = [];
    for await (const e of pending.range(range)) entries.push(e);
    for (const [k, v] of entries) {
      const epoch = decodeU64(k);
      let ok = known.get(epoch);
      // Only a registered scheme releases: the network identity was already tried (or did not apply).
      if (ok === undefined) known.set(epoch, (ok = (await schemeFor(ctx, epoch, false)) !== undefined));
      if (!ok) continue;
      pending.delete(k);
      const record = decodeParked(v);
      try {
        await handle(ctx, record, await codec.decodeFinalization(record.value), false);
      } catch (err) {
        if (err instanceof FollowRejection) ctx.deadLetter(record, err);
        else throw err;
      }
    }
    if (entries.length > 0) {
      // Drop "wanted" marks of epochs that have nothing parked any more.
      for (const [epoch, ok] of known) if (ok) ctx.store(STORES.followState).delete(wantedKey(epoch));
    }
  }

  /** Verifies a chunk's certificates of epochs with a known identity on the verifier's threads. */
  async function preVerify(v: CertificateVerifier, records: InRecord[]): Promise<void> {
    const partition = records[0]?.partition;
    if (partition === undefined) return;
    const preVerified = ofPartition(preVerifiedBy, partition);
    const decoded = ofPartition(decodedBy, partition);
    preVerified.clear();
    decoded.clear();
    const groups = new Map<bigint, { identity: Uint8Array; keys: string[]; certificates: Uint8Array[] }>();
    for (const record of records) {
      if (record.key?.length !== 8) continue;
      const identity = hintIdentity.get(decodeU64(record.key));
      if (!identity) continue;
      let r: FinalizationRecord;
      try {
        r = await codec.decodeFinalization(record.value);
      } catch {
        continue; // the fold decodes it again and dead-letters it with its reason
      }
      const k = recordKey(record);
      decoded.set(k, r);
      const epoch = decodeU64(record.key);
      let g = groups.get(epoch);
      if (!g) groups.set(epoch, (g = { identity, keys: [], certificates: [] }));
      g.keys.push(k);
      g.certificates.push(r.certificate);
    }
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const answers = await v.verifyEach(g.certificates, g.identity);
        g.keys.forEach((k, i) => preVerified.set(k, { identity: g.identity, valid: answers[i]! }));
      }),
    );
  }

  return {
    name: cfg.name ?? PROCESSOR_NAMES.follow,
    inputs: [topics.input],
    outputs: [topics.verified, topics.epochs, topics.dkgEvents],
    stores: [STORES.pending, STORES.followState],
    globals: [topics.epochs],
    decode(record) {
      const k = recordKey(record);
      const decoded = decodedBy.get(record.partition);
      const r = decoded?.get(k);
      if (r) {
        decoded!.delete(k);
        return r;
      }
      return codec.decodeFinalization(record.value);
    },
    ...(verifier ? { prepare: (records: InRecord[]) => preVerify(verifier, records) } : {}),
    async process(ctx, r, record) {
      await handle(ctx, record, r, true);
    },
    async onGlobalUpdate(ctx, topic, records) {
      if (topic !== topics.epochs) return;
      if (verifier) {
        // Schemes registered by other tasks: hints for pre-verifying their epochs' chunks here.
        for (const r of records) {
          const ev = r.value ? await codec.decodeEpochEvent(r.value).catch(() => null) : null;
          if (ev?.type === 'SchemeRegistered') hintIdentity.set(ev.epoch, ev.identity);
        }
      }
      await release(ctx);
    },
  };
}
