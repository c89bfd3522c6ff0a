/**
 * `dkg-stream subscribe`: the downstream subscriber example (src/sim/subscriber.ts) as a
 * command. Reads `epochs` and `finalizations.verified` (topic prefix from the configuration,
 * e.g. DKG_STREAM_TOPIC_PREFIX=sim-1a2b3c4d. as printed by `dkg-stream sim`), learns each
 * epoch's scheme, re-verifies every finalization with it and prints a line per epoch.
 * Runs until SIGINT/SIGTERM, or until epoch `--until-epoch` is complete; exit 1 if any
 * re-verification failed.
 */

import { followEnv } from '../../app/env.ts';
import { loadConfig } from '../../config.ts';
import { showValue } from '../../show.ts';
import { Subscriber } from '../../sim/subscriber.ts';
import { TOPICS, topicSpec } from '../../topics/names.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { stopRequested } from '../signals.ts';

const usage = `Usage: dkg-stream subscribe --epoch-length L [--until-epoch E] [--timeout SECONDS] [--config FILE]

  --epoch-length L   blocks per epoch of the followed chain
  --until-epoch E    stop once epoch E is complete (every height re-verified, E + 1 registered)
  --timeout S        give up after S seconds (with --until-epoch; default 600)`;

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['epoch-length', 'until-epoch', 'timeout', 'config'] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${showValue(positionals[0])}`);
    if (typeof flags['epoch-length'] !== 'string' || !/^[1-9]\d*$/.test(flags['epoch-length'])) throw new UsageError('--epoch-length must be a positive integer');
    const until = flags['until-epoch'];
    if (until !== undefined && (typeof until !== 'string' || !/^\d+$/.test(until))) throw new UsageError('--until-epoch must be a non-negative integer');
    const timeout = flags.timeout === undefined ? 600 : Number(flags.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError('--timeout must be a positive number of seconds');
    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    const env = followEnv(config, 'dkg-stream-subscribe');
    const sub = new Subscriber({
      port: env.port,
      codec: env.codec,
      epochsTopic: topicSpec(env.topology, TOPICS.epochs).name,
      verifiedTopic: topicSpec(env.topology, TOPICS.verified).name,
      epochLength: BigInt(flags['epoch-length']),
      onLine: (l) => process.stdout.write(l + '\n'),
    });
    try {
      await sub.start();
      if (typeof until === 'string') {
        const E = BigInt(until);
        await sub.waitUntil(`epoch ${E} complete`, () => [...Array(Number(E) + 1).keys()].every((e) => sub.epochs.get(BigInt(e))?.complete), timeout * 1000);
      } else {
        const stop = stopRequested(config.shutdownTimeoutMs);
        await stop.signal;
      }
    } finally {
      await sub.stop();
      await env.close();
    }
    return sub.problems.length === 0 ? 0 : 1;
  },
};
export default command;
