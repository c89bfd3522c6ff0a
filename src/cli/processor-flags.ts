/**
 * Command-line settings of the processors, shared by `follow`, `run` and `replay`: the
 * follower's epoch length, trust root and retention. Parsed only when the follower is among the
 * processors.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ProcessorSettings } from '../app/processors.ts';
import { bootstrapFromHeader, bootstrapFromOutcome, type FollowBootstrap } from '../processors/follow/bootstrap.ts';
import { checkRetainEpochs, DEFAULT_RETAIN_EPOCHS, FollowConfigError } from '../processors/follow/config.ts';
import { hexToBytes } from '../tempo/hex.ts';
import { MAINNET_NETWORK_IDENTITY, type NetworkIdentity, TESTNET_NETWORK_IDENTITY } from '../tempo/network-identity.ts';
import { VerifierPool } from '../tempo/verify-pool.ts';
import { UsageError } from './command.ts';

export const FOLLOW_FLAGS = ['epoch-length', 'genesis-outcome', 'bootstrap-header', 'network-identity', 'network-identity-from-epoch', 'chain', 'retain-epochs', 'verify-threads'];

export const FOLLOW_USAGE = `Follower (processor follow) — epoch length and trust root (at least one):
  --epoch-length L               blocks per epoch
  --genesis-outcome HEX|@FILE    the genesis block's extraData (OnchainDkgOutcome of epoch 0)
  --bootstrap-header HEX|@FILE   RLP of a trusted boundary header (or the genesis header)
  --network-identity HEX         96-byte G2 identity, with --network-identity-from-epoch N
  --chain presto|moderato        the compiled network identity of that chain
  --retain-epochs N              epochs whose verified heights stay deduplicated (default ${DEFAULT_RETAIN_EPOCHS});
                                 older heights are pruned and skipped as BelowPrunedHorizon
  --verify-threads N             worker threads verifying each chunk's certificates ahead of the fold
                                 (default: one per core, ${availableParallelism()} here; 0 = verify inline, one by one)`;

const bytesArg = (v: string, what: string): Uint8Array => {
  const text = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8').trim() : v;
  try {
    return hexToBytes(text.replace(/^0x/, ''), what);
  } catch (err) {
    throw new UsageError(`${what}: ${(err as Error).message}`);
  }
};

/** The follower's settings from the flags (usage errors for missing or malformed ones). */
export function followSettings(flags: Record<string, string | boolean | undefined>): NonNullable<ProcessorSettings['follow']> {
  if (typeof flags['epoch-length'] !== 'string' || !/^[1-9]\d*$/.test(flags['epoch-length'])) throw new UsageError('--epoch-length must be a positive integer');
  const L = BigInt(flags['epoch-length']);
  let bootstrap: FollowBootstrap | undefined;
  if (typeof flags['bootstrap-header'] === 'string') bootstrap = bootstrapFromHeader(bytesArg(flags['bootstrap-header'], '--bootstrap-header'), L);
  else if (typeof flags['genesis-outcome'] === 'string') bootstrap = bootstrapFromOutcome(bytesArg(flags['genesis-outcome'], '--genesis-outcome'));
  let networkIdentity: NetworkIdentity | undefined;
  if (typeof flags['network-identity'] === 'string') {
    const from = flags['network-identity-from-epoch'];
    if (typeof from !== 'string' || !/^\d+$/.test(from)) throw new UsageError('--network-identity needs --network-identity-from-epoch N');
    networkIdentity = { identity: bytesArg(flags['network-identity'], '--network-identity'), fromEpoch: BigInt(from) };
  } else if (flags.chain === 'presto') networkIdentity = MAINNET_NETWORK_IDENTITY;
  else if (flags.chain === 'moderato') networkIdentity = TESTNET_NETWORK_IDENTITY;
  else if (flags.chain !== undefined) throw new UsageError('--chain must be presto or moderato');
  if (!bootstrap && !networkIdentity) throw new UsageError('give a trust root: --genesis-outcome, --bootstrap-header, --network-identity or --chain');
  let retainEpochs = DEFAULT_RETAIN_EPOCHS;
  const retain = flags['retain-epochs'];
  if (retain !== undefined) {
    try {
      retainEpochs = checkRetainEpochs(typeof retain === 'string' && /^\d+$/.test(retain) ? Number(retain) : retain, '--retain-epochs');
    } catch (err) {
      throw err instanceof FollowConfigError ? new UsageError(err.message) : err;
    }
  }
  const threads = flags['verify-threads'] === undefined ? availableParallelism() : String(flags['verify-threads']);
  if (!/^\d+$/.test(String(threads)) || Number(threads) > 256) throw new UsageError('--verify-threads must be an integer from 0 to 256');
  // The pool's threads are unref'd while idle: they never keep a finished command alive.
  const verifier = Number(threads) > 0 ? new VerifierPool(Number(threads)) : undefined;
  return { epochLength: L, bootstrap, networkIdentity, retainEpochs, ...(verifier ? { verifier } : {}) };
}

/** Processor names from `--processor a,b` (repeatable through commas). */
export function processorList(flag: string | boolean | undefined): string[] | undefined {
  if (flag === undefined) return undefined;
  if (typeof flag !== 'string') throw new UsageError('--processor needs a name');
  const names = flag
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError('--processor needs a name');
  return [...new Set(names)];
}
