/**
 * `dkg-stream follow`: runs the follow processor (tempo's follow driver) on the exactly-once
 * runtime: consensus.finalizations → finalizations.verified + epochs (+ DLQ). The trust root is
 * a genesis outcome, a trusted boundary header, and/or a network identity. Runs until
 * SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { type Command, UsageError, parseArgs } from '../command.ts';
import { loadConfig } from '../../config.ts';
import { followEnv, followRuntime } from '../../processors/follow/env.ts';
import { bootstrapFromHeader, bootstrapFromOutcome, type FollowBootstrap } from '../../processors/follow/processor.ts';
import { hexToBytes } from '../../tempo/hex.ts';
import { MAINNET_NETWORK_IDENTITY, TESTNET_NETWORK_IDENTITY, type NetworkIdentity } from '../../tempo/network-identity.ts';

const usage = `Usage: dkg-stream follow --epoch-length L [trust root] [--config FILE]

Trust root (at least one):
  --genesis-outcome HEX|@FILE    the genesis block's extraData (OnchainDkgOutcome of epoch 0)
  --bootstrap-header HEX|@FILE   RLP of a trusted boundary header (or the genesis header)
  --network-identity HEX         96-byte G2 identity, with --network-identity-from-epoch N
  --chain presto|moderato        the compiled network identity of that chain`;

const bytesArg = (v: string, what: string): Uint8Array => {
  const text = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8').trim() : v;
  try {
    return hexToBytes(text.replace(/^0x/, ''), what);
  } catch (err) {
    throw new UsageError(`${what}: ${(err as Error).message}`);
  }
};

const command: Command = {
  summary: 'verify finalizations and advance epochs (consensus.finalizations → finalizations.verified, epochs)',
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, {
      strings: ['epoch-length', 'genesis-outcome', 'bootstrap-header', 'network-identity', 'network-identity-from-epoch', 'chain', 'config'],
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
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

    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    const env = followEnv(config);
    const rt = followRuntime(env, { epochLength: L, bootstrap, networkIdentity }, { dataDir: config.dataDir });
    await rt.ensureTopics();
    await rt.start();
    process.stdout.write(JSON.stringify({ event: 'following', group: rt.groupId, trustEpoch: bootstrap?.epoch.toString() ?? null, networkIdentityFrom: networkIdentity?.fromEpoch.toString() ?? null }) + '\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      rt.once('error', () => resolve());
    });
    await rt.stop();
    await env.close();
    process.stdout.write(JSON.stringify({ event: 'stopped' }) + '\n');
    return 0;
  },
};
export default command;
