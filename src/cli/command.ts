import { parseArgs as nodeParseArgs } from 'node:util';
import { oneLine, SHOW_MAX, showValue } from '../show.ts';

/** A CLI sub-command (its one-line summary lives in main.ts' table). `run` returns the exit code; throw {@link UsageError} for bad flags. */
export interface Command {
  usage: string;
  run(args: string[]): Promise<number>;
}

/** Wrong or missing command-line arguments: the dispatcher prints the usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Strict flag parsing through `util.parseArgs`: `--name value`, `--name=value`, boolean `--flag`,
 * positionals. An unknown flag, a value given to a boolean, or a string flag without its value is
 * a {@link UsageError}, so a typo never silently changes behaviour.
 */
export function parseArgs(args: string[], spec: { strings?: string[]; booleans?: string[] }): { flags: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const s of spec.strings ?? []) options[s] = { type: 'string' };
  for (const b of spec.booleans ?? []) options[b] = { type: 'boolean' };
  try {
    const { values, positionals } = nodeParseArgs({ args, options, strict: true, allowPositionals: true });
    return { flags: { ...values } as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }));
  }
}

/** util.parseArgs' messages, in this CLI's words (one line, the flag named as typed). */
function usageMessage(err: Error & { code?: string }): string {
  const typed = /'(-{1,2}[^' ]+)/.exec(err.message)?.[1];
  // A flag is shown as typed unless it is long enough to flood stderr.
  const flag = typed !== undefined && typed.length > SHOW_MAX ? showValue(typed) : typed;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag ?? oneLine(err.message, SHOW_MAX * 2)}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (err.message.includes('does not take an argument')) return `${flag} takes no value`;
      if (err.message.includes('ambiguous')) return `${flag} needs a value (for a value that starts with '-', write ${flag}=VALUE)`;
      return `${flag} needs a value`;
    default:
      return oneLine(err.message.split('\n')[0], SHOW_MAX * 2);
  }
}
