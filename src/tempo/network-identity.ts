/**
 * `NetworkIdentity {identity, fromEpoch}` (tempo `crates/chainspec/src/network_identity.rs`):
 * the threshold public key (a MinSig G2 point, 96 bytes compressed) that is expected to verify
 * every finalization from `fromEpoch` until the next full-DKG rotation. A follower may verify a
 * certificate of an epoch with no registered scheme with this identity iff
 * `epoch >= fromEpoch` ({@link identityForEpoch}).
 *
 * Invariant: `identity` is the canonical compressed encoding of a valid, non-infinity G2 point in
 * the subgroup (checked by the crypto layer when a certificate is verified with it, and by the
 * real-data tests for the compiled values).
 *
 * Keeping the list current. A reshare keeps the identity; only a full DKG (announced by
 * `isNextFullDkg` in the previous boundary's outcome) changes it, and tempo then ships a new
 * compiled value with a new `fromEpoch`. The follower does not need the new value to keep going
 * (it registers each epoch's identity from the verified boundary outcome and emits it as
 * `SchemeRegistered`), but a follower that starts past a rotation with only the old value parks
 * the new epochs. When a verified outcome's identity differs from the configured one (epoch ≥
 * fromEpoch) the follower logs tempo's "Network identity differs … update" warning; the operator
 * then passes `--network-identity HEX --network-identity-from-epoch N` (the `SchemeRegistered`
 * event of epoch N has the HEX) until this file is updated from tempo's
 * `crates/chainspec/src/network_identity.rs`. Every value below names the file and commit it was
 * copied from (PROVENANCE), and test/unit/tempo/outcome.test.ts checks it against the fixture
 * taken from the same commit (and the mainnet value against real certificates).
 */
import { hexToBytes } from './hex.ts';

export interface NetworkIdentity {
  /** 96-byte compressed G2 point (coefficient 0 of the public polynomial). */
  identity: Uint8Array;
  /** First epoch for which `identity` is expected to verify finalizations. */
  fromEpoch: bigint;
}

/**
 * Presto mainnet (chain id 4217): identity of the genesis DKG, from epoch 0.
 * Provenance: tempoxyz/tempo `crates/chainspec/src/network_identity.rs` (`MAINNET_NETWORK_IDENTITY`,
 * `_EPOCH` = 0) at d656ef5581505b59f1611b358e611f5a602d399e; equals coefficient 0 of
 * `crates/chainspec/src/genesis/presto.json` extraData, and still verifies epoch 1514/1515
 * certificates (test/fixtures/tempo-chain/presto-1514-1515.hyperbridge.json): no rotation since.
 */
export const MAINNET_NETWORK_IDENTITY: Readonly<NetworkIdentity> = Object.freeze({
  identity: hexToBytes(
    'a217bb85001d4dcf8e5c50136f77af88cb2cab1857279b91c6240f41cca95c4f' +
      '43f6dcab3e0dfb87dafb3ecbeb6251e90a5df2e6c47432482821cd8b84665ee4' +
      '642589d2d9628a92b03e2bbfb00e006d038cd98def76d2a41b7c228c05f5a193',
  ),
  fromEpoch: 0n,
});

/**
 * Moderato testnet (chain id 42431): identity after its full-DKG rotation, from epoch 51.
 * Provenance: tempoxyz/tempo `crates/chainspec/src/network_identity.rs` (`TESTNET_NETWORK_IDENTITY`,
 * `_EPOCH` = 51) at d656ef5581505b59f1611b358e611f5a602d399e (the newest tempo commit available
 * here). A later version of that file and of tempo's README (seen in the search index, commit not
 * resolvable here) gives a second rotation: from epoch 1747, `967ae1a6…7aa590`
 * ({@link MODERATO_IDENTITY_FROM_1747}); it is not compiled in until a tempo commit with it can be
 * read (docs/tempo-acceptance.md).
 */
export const TESTNET_NETWORK_IDENTITY: Readonly<NetworkIdentity> = Object.freeze({
  identity: hexToBytes(
    '84591ad702a9ee67c0c64add2ff166c19a4666a1dc636cc530a810052957d34c' +
      '185bb1d2c7f5569983485a5af49baed70166ba17ae782bc8c75701099c704747' +
      '98ccc181d03b0c12054f1d01c7817b27b425bae4bfcf936218c0d097cccf3242',
  ),
  fromEpoch: 51n,
});

/**
 * Moderato's identity from epoch 1747 as published in a tempo version newer than d656ef55 (README
 * "Network identities" and `network_identity.rs`, seen in the search index; commit not
 * resolvable here). Not used by default: pass it with `--network-identity` and
 * `--network-identity-from-epoch 1747` to follow Moderato past that epoch from a late start.
 */
export const MODERATO_IDENTITY_FROM_1747: Readonly<NetworkIdentity> = Object.freeze({
  identity: hexToBytes(
    '967ae1a6d3ddbe5cb0fe5e6fc58e74249787b4a277619b549fed6609d0466054' +
      '0dd2449cd7174def35e40f544e5ad72d15d064191a205ed6e0c49619c68f9751' +
      '08b614d0d51def9a8416a10a07c4193bea0cbbc4252ec1b33f21095a5d7aa590',
  ),
  fromEpoch: 1747n,
});

/** Chain ids of the networks with a compiled identity. */
export const PRESTO_CHAIN_ID = 4217;
export const MODERATO_CHAIN_ID = 42431;

/** The compiled identity of a chain id, if tempo publishes one. */
export function compiledNetworkIdentity(chainId: number): Readonly<NetworkIdentity> | undefined {
  if (chainId === PRESTO_CHAIN_ID) return MAINNET_NETWORK_IDENTITY;
  if (chainId === MODERATO_CHAIN_ID) return TESTNET_NETWORK_IDENTITY;
  return undefined;
}

/**
 * The identity that verifies certificates of `epoch`: the one registered for exactly that epoch
 * (from an authenticated boundary outcome), else the network identity if
 * `epoch >= fromEpoch`, else `undefined` (the certificate cannot be verified yet).
 */
export function identityForEpoch(
  epoch: bigint,
  registered: ReadonlyMap<bigint, Uint8Array>,
  network: NetworkIdentity | undefined,
): { identity: Uint8Array; source: 'registered' | 'network' } | undefined {
  const id = registered.get(epoch);
  if (id !== undefined) return { identity: id, source: 'registered' };
  if (network !== undefined && epoch >= network.fromEpoch) return { identity: network.identity, source: 'network' };
  return undefined;
}
