/**
 * `dkg-stream config print`: the effective configuration, each setting with its value and where it
 * came from (default, the config file, an environment variable). Secrets print as `[redacted]`.
 */

import { describeConfig } from '../../config.ts';
import { showValue } from '../../show.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';

const usage = `Usage: dkg-stream config print [--config FILE] [--json]

  print  every setting's effective value and its source: "default", the config file's path, or
         the environment variable ($DKG_STREAM_…). Passwords print as [redacted]; files are named,
         never read out. --json: one JSON array of {key, env, value, from}.

Settings come from --config FILE / DKG_STREAM_CONFIG, then DKG_STREAM_* (see README, Configuration).`;

/** A value as one table cell (arrays comma-joined, null as "-"; a Secret prints itself as [redacted]). */
const cell = (v: unknown): string => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['config'], booleans: ['json'] });
    const [action, ...extra] = positionals;
    if (action !== 'print') throw new UsageError(action === undefined ? 'missing action: print' : `unknown action ${showValue(action)}`);
    if (extra.length > 0) throw new UsageError(`unexpected argument ${showValue(extra[0])}`);
    const rows = describeConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      return 0;
    }
    const table = [['setting', 'value', 'from'], ...rows.map((r) => [r.key, cell(r.value), r.from])];
    const widths = [0, 1].map((i) => Math.max(...table.map((t) => t[i]!.length)));
    for (const t of table) process.stdout.write(`${t[0]!.padEnd(widths[0]!)}  ${t[1]!.padEnd(widths[1]!)}  ${t[2]}\n`);
    return 0;
  },
};
export default command;
