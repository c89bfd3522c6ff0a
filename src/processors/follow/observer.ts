/**
 * The follower's DKG observer (issue 8 item 2): dealer logs read from non-boundary blocks, checked
 * against the round, and the boundary outcome recomputed from them with `observe`.
 *
 * Upstream (tempo `crates/consensus/src/dkg/manager/actor`, and the `replay-dkg` tool of tempo's
 * xtask, which does what this module does from RPC):
 * - the round of epoch E is built from the outcome that the boundary of E − 1 (or the genesis)
 *   carries *for* E: `Info::new(namespace "TEMPO", round E, previous = is_next_full_dkg ? None :
 *   Some(output), Mode::NonZeroCounter, dealers = output.players, players = next_players)`;
 * - a non-boundary block's non-empty extraData is `SignedDealerLog::read_cfg(max = |players|)`
 *   (`read`: trailing bytes are tolerated, the signature covers the log only), then `check(info)`
 *   (ed25519 over the round's log transcript; a log of another round fails it);
 * - at the boundary, `observe(info, logs)`; if the ceremony fails, the previous output is kept;
 *   the on-chain outcome's `output` must equal the result (`Output` equality).
 *
 * Beyond upstream's `check`, a log whose dealer is not a dealer of the round is refused here
 * (`select` would skip it anyway), so the `dkg.events` Log events are exactly the usable logs.
 */
import { compareBytes, Reader, toHex } from '../../codec/index.ts';
import { type G2Point, MinSig } from '../../crypto/bls12381/index.ts';
import { DealerLog, DkgError, DkgFailed, Info, type KeySet, Output, observe, SignedDealerLog } from '../../crypto/dkg/index.ts';
import { decodeOnchainDkgOutcome, MAX_VALIDATORS } from '../../tempo/outcome.ts';
import type { Observation } from '../../topics/epochs.ts';

/** Tempo's DKG namespace (`NAMESPACE` of the DKG manager). */
export const TEMPO_DKG_NAMESPACE = new TextEncoder().encode('TEMPO');

/**
 * `owner` of the Log events the follower writes to `dkg.events`: the encoding of the ed25519
 * identity point (y = 1), a valid key no node holds (clamped secret scalars are never 0), so the
 * chain's logs form their own journal next to the nodes' journals in `dkg-journal`.
 */
export const CHAIN_OWNER: Uint8Array = (() => {
  const k = new Uint8Array(32);
  k[0] = 1;
  return k;
})();

/** Why a dealer log taken from a block is not used (the DLQ's `errorClass`). */
export type LogRejectReason = 'MalformedDealerLog' | 'UnknownDealer' | 'InvalidDealerLog' | 'ConflictingDealerLog';

export class DealerLogRejection extends Error {
  constructor(
    readonly reason: LogRejectReason,
    message: string,
  ) {
    super(message);
    this.name = reason;
  }
}

/** The DKG round that runs during an epoch, from the outcome the previous boundary carries for it. */
export interface Round {
  epoch: bigint;
  info: Info<G2Point>;
  /** The outcome's output: what the chain keeps if this round's ceremony fails. */
  previous: Output<G2Point>;
  isFullDkg: boolean;
  /** Read cfg of the logs: |players|. */
  max: number;
}

const rounds = new Map<string, Round | string>();

/** Reads the `Output` of an `OnchainDkgOutcome` (epoch varint ‖ Output ‖ …) as a DKG value. */
export function outcomeOutput(outcomeBytes: Uint8Array): Output<G2Point> {
  const r = new Reader(outcomeBytes);
  r.varU64();
  return Output.read(r, MinSig, MAX_VALIDATORS);
}

/**
 * The round of `epoch` from the outcome bytes registered for it (cached), or a string saying why
 * there is none (the outcome is not for `epoch`, or `Info::new` refuses it).
 */
export function roundOf(epoch: bigint, outcomeBytes: Uint8Array): Round | string {
  const k = `${epoch}:${toHex(outcomeBytes)}`;
  const hit = rounds.get(k);
  if (hit !== undefined) return hit;
  let round: Round | string;
  try {
    const o = decodeOnchainDkgOutcome(outcomeBytes);
    if (o.epoch !== epoch) {
      round = `the registered outcome is for epoch ${o.epoch}, not ${epoch}`;
    } else {
      const previous = outcomeOutput(outcomeBytes);
      const info = Info.new({
        variant: MinSig,
        namespace: TEMPO_DKG_NAMESPACE,
        round: epoch,
        previous: o.isNextFullDkg ? null : previous,
        dealers: previous.players,
        players: o.nextPlayers,
      });
      round = { epoch, info, previous, isFullDkg: o.isNextFullDkg, max: info.players.size };
    }
  } catch (err) {
    round = `round ${epoch} cannot be built from its outcome: ${(err as Error).message}`;
  }
  if (rounds.size >= 64) rounds.delete(rounds.keys().next().value!);
  rounds.set(k, round);
  return round;
}

/**
 * A block's extraData as a checked dealer log of `round`: decodes (`read`, as upstream), the
 * dealer is a dealer of the round, the signature verifies for the round. Throws
 * {@link DealerLogRejection}.
 */
export function readDealerLog(extraData: Uint8Array, round: Round): { dealer: Uint8Array; log: DealerLog<G2Point> } {
  let signed: SignedDealerLog<G2Point>;
  try {
    signed = SignedDealerLog.read(new Reader(extraData), MinSig, round.max);
  } catch (err) {
    throw new DealerLogRejection('MalformedDealerLog', `extraData (${extraData.length} B) is not a SignedDealerLog: ${(err as Error).message}`);
  }
  if (!round.info.dealers.has(signed.dealer)) {
    throw new DealerLogRejection('UnknownDealer', `dealer ${toHex(signed.dealer)} is not a dealer of round ${round.epoch}`);
  }
  const checked = signed.check(round.info);
  if (checked === null) {
    throw new DealerLogRejection('InvalidDealerLog', `dealer ${toHex(signed.dealer)}'s log signature does not verify for round ${round.epoch} (bad signature, or a log of another round)`);
  }
  return checked;
}

function describe(keys: KeySet): string {
  return keys.items.map((k) => toHex(k).slice(0, 8)).join(',');
}

/** Which fields of two outputs differ (for the mismatch reason). */
export function outputDiff(expected: Output<G2Point>, onchain: Output<G2Point>): string {
  const d: string[] = [];
  if (compareBytes(expected.summary, onchain.summary) !== 0) d.push(`summary ${toHex(onchain.summary).slice(0, 16)}… (expected ${toHex(expected.summary).slice(0, 16)}…)`);
  if (!MinSig.Public.equals(expected.groupKey(), onchain.groupKey())) d.push('identity');
  else if (!expected.public.equals(onchain.public)) d.push('public polynomial');
  if (!expected.dealers.equals(onchain.dealers)) d.push(`dealers [${describe(onchain.dealers)}] (expected [${describe(expected.dealers)}])`);
  if (!expected.players.equals(onchain.players)) d.push(`players [${describe(onchain.players)}] (expected [${describe(expected.players)}])`);
  if (!expected.revealed.equals(onchain.revealed)) d.push(`revealed [${describe(onchain.revealed)}] (expected [${describe(expected.revealed)}])`);
  return d.length > 0 ? d.join('; ') : 'encodings differ';
}

/**
 * Upstream's boundary check for an observer: `observe(info, logs)` (or, if the ceremony fails,
 * the previous output) compared with the output of the boundary's outcome.
 */
export function observeBoundary(round: Round, logs: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, boundaryOutcome: Uint8Array): Observation {
  const decoded = logs.map(([dealer, bytes]) => [dealer, DealerLog.decode(bytes, MinSig, round.max)] as const);
  let expected: Output<G2Point>;
  let failed: string | null = null;
  try {
    expected = observe(round.info, decoded);
  } catch (err) {
    if (!(err instanceof DkgFailed) && !(err instanceof DkgError)) throw err;
    failed = (err as Error).message;
    expected = round.previous;
  }
  const onchain = outcomeOutput(boundaryOutcome);
  const kind = round.isFullDkg ? 'full DKG' : 'reshare';
  if (expected.equals(onchain)) {
    return { matches: true, logs: logs.length, reason: failed === null ? null : `${kind} failed (${failed}): the previous output is kept, as on chain` };
  }
  const what = failed === null ? `observe(${kind}, ${logs.length} logs)` : `${kind} failed (${failed}), so the previous output`;
  return { matches: false, logs: logs.length, reason: `on-chain output differs from ${what}: ${outputDiff(expected, onchain)}` };
}
