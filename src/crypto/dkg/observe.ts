import { compareBytes, OrderedMap, OrderedSet } from '../../codec/index.ts';
import { type Interpolator, type Poly, type Scalar, ScalarSpace, Sharing, subsetInterpolator, sumPolys } from '../bls12381/index.ts';
import type { Ed25519PublicKey } from '../ed25519.ts';
import { DkgFailed } from './errors.ts';
import type { Info } from './info.ts';
import { ackDigest, verifyDigest } from './transcripts.ts';
import { type DealerLog, type KeySet, Output } from './types.ts';

/** The logs a round agreed on: dealer → log (upstream `BTreeMap<P, DealerLog>`). */
export type DealerLogs<P> = Iterable<readonly [Ed25519PublicKey, DealerLog<P>]>;

/** The selected logs, ascending by dealer key. */
export type Selection<P> = OrderedMap<Ed25519PublicKey, DealerLog<P>>;

/** Sorts logs by dealer key; the first log of a repeated dealer wins (the journal keeps the first). */
function sortLogs<P>(logs: DealerLogs<P>): Selection<P> {
  return OrderedMap.fromDedup(logs, compareBytes);
}

/**
 * Upstream `select`: walks the logs in ascending dealer-key order and keeps a log only if
 * 1. its dealer is a dealer of the round;
 * 2. its commitment passes `checkDealerPubMsg` (exact degree; resharing: constant term = the
 *    dealer's previous share commitment);
 * 3. it is Ok (not TooManyReveals) and its entries are keyed by exactly the round's players;
 * 4. every Ack verifies (ed25519 over this dealer's ack digest under that player's key), and
 *    there are at most max_faults(n) Reveals, each passing the Feldman check.
 * It stops as soon as `requiredCommitments()` logs are accepted (later logs are never examined),
 * so every party holding the same logs selects the same dealers. Throws `DkgFailed` if fewer
 * logs are acceptable.
 */
export function select<P>(info: Info<P>, logs: DealerLogs<P>): Selection<P> {
  const required = info.requiredCommitments();
  const maxReveals = info.maxReveals();
  const players = info.players.items;
  const out: Array<readonly [Ed25519PublicKey, DealerLog<P>]> = [];
  for (const [dealer, log] of sortLogs(logs)) {
    if (out.length >= required) break;
    if (!info.dealers.has(dealer)) continue;
    if (!info.checkDealerPubMsg(dealer, log.pubMsg)) continue;
    const entries = log.zipPlayers(info.players);
    if (entries === null) continue;
    const digest = ackDigest(info.summary, dealer, log.pubMsg.bytes());
    let reveals = 0;
    let ok = true;
    for (let i = 0; i < entries.length && ok; i++) {
      const e = entries[i]!;
      const player = players[i]!;
      if (e.kind === 'ack') {
        ok = verifyDigest(player, digest, e.ack.sig);
      } else {
        reveals++;
        ok = reveals <= maxReveals && info.checkDealerPrivMsg(player, log.pubMsg, e.reveal);
      }
    }
    if (ok) out.push([dealer, log]);
  }
  if (out.length < required) throw new DkgFailed(`only ${out.length} of ${required} required dealer logs are valid`);
  return OrderedMap.tryFrom(out, compareBytes);
}

/** What `reckon` derives from a selection: the public output, and the reshare weights (null for a fresh DKG). */
export interface Reckoning<P> {
  readonly output: Output<P>;
  readonly weights: Interpolator<Ed25519PublicKey> | null;
}

/**
 * Upstream `ObserveInner::reckon`: the public output of a selection.
 *
 * - `revealed`: players revealed by more than max_faults(n) selected dealers;
 * - `dealers`: the selected dealers;
 * - public polynomial: fresh DKG → Σ commitments (coefficient-wise); reshare → Σ w_d·commitment_d
 *   with Lagrange weights at 0 over x_d = (d's position in previous.players) + 1, and the
 *   constant term must equal the previous group key, else `DkgFailed`.
 */
export function reckon<P>(info: Info<P>, selected: Selection<P>): Reckoning<P> {
  const group = info.variant.Public;
  const maxFaults = info.players.maxFaults();
  const counts = new Array<number>(info.players.size).fill(0);
  const revealed: Ed25519PublicKey[] = [];
  for (const log of selected.values) {
    const entries = log.zipPlayers(info.players);
    if (entries === null) continue;
    entries.forEach((e, i) => {
      if (e.kind !== 'reveal') return;
      counts[i]! += 1;
      if (counts[i] === maxFaults + 1) revealed.push(info.players.items[i]!);
    });
  }
  const dealers: KeySet = selected.keys;
  let pub: Poly<P>;
  let weights: Interpolator<Ed25519PublicKey> | null = null;
  const previous = info.previous;
  if (previous !== null) {
    weights = subsetInterpolator(previous.public.mode, previous.players, selected.keys);
    if (weights === null) throw new DkgFailed('selected dealers are not previous players');
    const commitments = OrderedMap.tryFrom(
      [...selected].map(([d, log]) => [d, log.pubMsg.commitment] as const),
      compareBytes,
    );
    const interpolated = weights.interpolatePolys(group, commitments);
    if (interpolated === null) throw new DkgFailed('cannot interpolate the selected commitments');
    if (!group.equals(previous.public.public(), interpolated.constant())) throw new DkgFailed('reshared group key differs from the previous one');
    pub = interpolated;
  } else {
    const polys = selected.values.map((log) => log.pubMsg.commitment);
    if (polys.length === 0) throw new DkgFailed('no dealer selected');
    pub = sumPolys(group, polys);
  }
  const output = new Output(info.summary, new Sharing(info.mode, info.players.size, pub), dealers, info.players, OrderedSet.tryFrom(revealed, compareBytes));
  return { output, weights };
}

/**
 * Upstream `observe(info, logs)`: the public output for anyone (players and non-players), from
 * the logs the round agreed on. Throws only `DkgFailed`. Players' `finalize` gives the same
 * output for the same logs.
 */
export function observe<P>(info: Info<P>, logs: DealerLogs<P>): Output<P> {
  return reckon(info, select(info, logs)).output;
}

/** Combines per-dealer shares into a player's share: Σ sᵢ (fresh) or Σ wᵢ·sᵢ (reshare). */
export function combineShares(weights: Interpolator<Ed25519PublicKey> | null, shares: OrderedMap<Ed25519PublicKey, Scalar>): Scalar {
  if (weights === null)
    return ScalarSpace.msm(
      shares.values,
      shares.values.map(() => 1n),
    );
  const s = weights.interpolate(ScalarSpace, shares);
  if (s === null) throw new DkgFailed('cannot interpolate the selected shares');
  return s;
}
