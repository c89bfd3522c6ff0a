/** A CLI sub-command. `run` returns the process exit code; throw {@link UsageError} for bad flags. */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

/** Wrong or missing command-line arguments: the dispatcher prints the usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Minimal, strict flag parser: `--name value`, `--name=value`, boolean `--flag`, positionals.
 * Unknown flags are a usage error so a typo never silently changes behaviour.
 */
export function parseArgs(
  args: string[],
  spec: { strings?: string[]; booleans?: string[] },
): { flags: Record<string, string | boolean | undefined>; positionals: string[] } {
  const strings = new Set(spec.strings ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const flags: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (booleans.has(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else if (strings.has(name)) {
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { flags, positionals };
}
