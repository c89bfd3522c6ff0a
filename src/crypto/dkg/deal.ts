import { compareBytes, OrderedSet } from '../../codec/index.ts';
import { commit, Mode, randomPoly, type Share, Sharing } from '../bls12381/index.ts';
import type { Ed25519PublicKey } from '../ed25519.ts';
import type { RngCore } from '../rng.ts';
import { randomSummary } from '../transcript.ts';
import { NumPlayers } from './errors.ts';
import { type DkgVariant, type KeySet, keySet, Output } from './types.ts';

/**
 * Upstream `dkg::deal` (trusted dealer, v0.0.64): one random polynomial of degree quorum(n) − 1,
 * player i (sorted) gets f(i + 1); the Output has a random summary, dealers = players and no
 * reveals. RNG use: t × 64 bytes for the coefficients (c₀ first), then 32 bytes for the summary.
 * For tests and bootstrapping a first reshare; a real network runs the DKG instead.
 */
export function deal<P>(
  rng: RngCore,
  variant: DkgVariant<P>,
  players: KeySet | Iterable<Ed25519PublicKey>,
  mode: Mode = Mode.NonZeroCounter,
): { output: Output<P>; shares: Array<[Ed25519PublicKey, Share]> } {
  const set = players instanceof OrderedSet ? (players as KeySet) : keySet(players);
  if (set.size === 0) throw new NumPlayers(0);
  const poly = randomPoly(rng, set.quorum() - 1);
  const shares = set.items.map((pk, i) => [pk, { index: i, private: poly.eval(BigInt(i) + 1n) }] as [Ed25519PublicKey, Share]);
  const output = new Output(randomSummary(rng), new Sharing(mode, set.size, commit(variant.Public, poly)), set, set, OrderedSet.tryFrom<Ed25519PublicKey>([], compareBytes));
  return { output, shares };
}
