/**
 * `dkg-stream follow`: runs the follow processor (tempo's follow driver) on the exactly-once
 * runtime: consensus.finalizations → finalizations.verified + epochs (+ DLQ). The trust root is
 * a genesis outcome, a trusted boundary header, and/or a network identity. Runs until
 * SIGINT/SIGTERM.
 */

import { followEnv, followRuntime } from '../../app/env.ts';
import { loadConfig } from '../../config.ts';
import { showValue } from '../../show.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { FOLLOW_FLAGS, FOLLOW_USAGE, followSettings } from '../processor-flags.ts';
import { stopRequested } from '../signals.ts';

const usage = `Usage: dkg-stream follow --epoch-length L [trust root] [--config FILE]

The follow processor alone, without the ops server (dkg-stream run --processor follow adds it).

${FOLLOW_USAGE}`;

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: [...FOLLOW_FLAGS, 'config'] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${showValue(positionals[0])}`);
    const settings = followSettings(flags);
    const { bootstrap, networkIdentity } = settings;

    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    const env = followEnv(config);
    const rt = followRuntime(env, settings, { dataDir: config.dataDir });
    let failed: Error | undefined;
    const crash = new Promise<void>((resolve) => rt.once('error', (e: Error) => ((failed = e), resolve())));
    try {
      await rt.ensureTopics();
      const stop = stopRequested(config.shutdownTimeoutMs);
      try {
        await rt.start();
        process.stdout.write(
          JSON.stringify({ event: 'following', group: rt.groupId, trustEpoch: bootstrap?.epoch.toString() ?? null, networkIdentityFrom: networkIdentity?.fromEpoch.toString() ?? null }) + '\n',
        );
        await Promise.race([stop.signal, crash]);
      } finally {
        stop.dispose();
        await rt.stop();
      }
    } finally {
      await env.close();
    }
    process.stdout.write(JSON.stringify({ event: 'stopped', ...(failed ? { error: failed.message } : {}) }) + '\n');
    return failed ? 1 : 0;
  },
};
export default command;
