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
 */
import { hexToBytes } from './hex.ts';

export interface NetworkIdentity {
  /** 96-byte compressed G2 point (coefficient 0 of the public polynomial). */
  identity: Uint8Array;
  /** First epoch for which `identity` is expected to verify finalizations. */
  fromEpoch: bigint;
}

/** Presto mainnet (chain id 4217): identity of the genesis DKG, from epoch 0. */
export const MAINNET_NETWORK_IDENTITY: Readonly<NetworkIdentity> = Object.freeze({
  identity: hexToBytes(
    'a217bb85001d4dcf8e5c50136f77af88cb2cab1857279b91c6240f41cca95c4f' +
      '43f6dcab3e0dfb87dafb3ecbeb6251e90a5df2e6c47432482821cd8b84665ee4' +
      '642589d2d9628a92b03e2bbfb00e006d038cd98def76d2a41b7c228c05f5a193',
  ),
  fromEpoch: 0n,
});

/** Moderato testnet (chain id 42431): identity after its full-DKG rotation, from epoch 51. */
export const TESTNET_NETWORK_IDENTITY: Readonly<NetworkIdentity> = Object.freeze({
  identity: hexToBytes(
    '84591ad702a9ee67c0c64add2ff166c19a4666a1dc636cc530a810052957d34c' +
      '185bb1d2c7f5569983485a5af49baed70166ba17ae782bc8c75701099c704747' +
      '98ccc181d03b0c12054f1d01c7817b27b425bae4bfcf936218c0d097cccf3242',
  ),
  fromEpoch: 51n,
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
