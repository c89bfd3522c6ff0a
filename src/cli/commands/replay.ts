/**
 * `dkg-stream replay`: resets a processor's consumer group to an offset, a timestamp or the
 * beginning of its inputs and rebuilds its stores from there (see src/runtime/replay.ts). Refuses
 * while instances of the processor run. Progress bar on stderr, summary table on stdout.
 */

import { followEnv } from '../../app/env.ts';
import { registered, startableProcessor } from '../../app/processors.ts';
import { loadConfig } from '../../config.ts';
import { formatReplayPlan, formatReplayReport, planReplay, type ReplayFrom, replay } from '../../runtime/replay.ts';
import { showValue } from '../../show.ts';
import { PROCESSOR_NAMES } from '../../topics/names.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { FOLLOW_FLAGS, FOLLOW_USAGE, followSettings, processorList } from '../processor-flags.ts';

const usage = `Usage: dkg-stream replay --processor P (--from-beginning | --from-offset N | --from-timestamp T)
                        [processor options] [--config FILE] [--json] [--dry-run]

  --processor P       the processor to rebuild (its instances must be stopped first)
  --from-beginning    every input partition from its log start offset
  --from-offset N     every input partition from offset N (clamped to the partition's range)
  --from-timestamp T  per partition, the first record with timestamp >= T (ms since epoch or ISO 8601)
  --json              the summary as JSON instead of a table
  --dry-run           print what would be reset (per partition: committed offset, from, to,
                      records; the stores and changelogs) and change nothing

The group's offsets are reset, the processor's local stores deleted and its changelogs recreated
empty, then the processor folds its inputs up to the end offsets measured at start and stops.
Its outputs (and dead letters) for the replayed range are produced again.

${FOLLOW_USAGE}`;

function fromFlags(flags: Record<string, string | boolean | undefined>): ReplayFrom {
  const given = ['from-beginning', 'from-offset', 'from-timestamp'].filter((f) => flags[f] !== undefined);
  if (given.length !== 1) throw new UsageError('give exactly one of --from-beginning, --from-offset N, --from-timestamp T');
  if (flags['from-beginning']) return { kind: 'beginning' };
  if (flags['from-offset'] !== undefined) {
    const v = String(flags['from-offset']);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError('--from-offset must be a non-negative integer');
    return { kind: 'offset', offset: Number(v) };
  }
  const t = String(flags['from-timestamp']);
  const ms = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
  if (!Number.isFinite(ms)) throw new UsageError('--from-timestamp must be ms since epoch or an ISO 8601 date');
  return { kind: 'timestamp', timestampMs: ms };
}

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, {
      strings: ['processor', 'from-offset', 'from-timestamp', 'config', ...FOLLOW_FLAGS],
      booleans: ['from-beginning', 'json', 'dry-run'],
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${showValue(positionals[0])}`);
    const names = processorList(flags.processor);
    if (names?.length !== 1) throw new UsageError('--processor P names exactly one processor');
    const name = names[0]!;
    const from = fromFlags(flags);
    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    const env = followEnv(config, 'dkg-stream-replay');
    try {
      registered(env, name);
      const settings = name === PROCESSOR_NAMES.follow ? { follow: followSettings(flags) } : {};
      const spec = env.topology.processors.get(name)!;
      const changelogs = new Map(spec.stores.map((s) => [s.name, s.changelog]));
      const build = () => startableProcessor(env, config, name, settings, { dataDir: config.dataDir });
      const probe = build().runtime; // never started: names the group and the changelogs
      const target = {
        port: env.port,
        processor: registered(env, name).def(env, config, settings),
        groupId: probe.groupId,
        dataDir: config.dataDir,
        changelogTopic: (s: string) => changelogs.get(s) ?? probe.changelogTopic(s),
        from,
      };
      if (flags['dry-run']) {
        const plan = await planReplay(target);
        process.stdout.write(`${flags.json ? JSON.stringify(plan) : formatReplayPlan(plan)}\n`);
        return 0;
      }
      const report = await replay({ ...target, runtime: () => build().runtime });
      process.stdout.write((flags.json ? JSON.stringify(report) : formatReplayReport(report)) + '\n');
      return 0;
    } finally {
      await env.close();
    }
  },
};
export default command;
