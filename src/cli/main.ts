/**
 * `dkg-stream` command dispatcher. Each sub-command lives in `src/cli/commands/<name>.ts` and
 * exports a {@link Command}; this file only routes and renders help.
 *
 * Conventions every command follows: JSON (or a human table) on stdout, diagnostics on stderr,
 * exit code 0 only on success, 2 for usage errors, 1 for failures.
 */
import type { Command } from './command.ts';
import { UsageError } from './command.ts';

const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => ((process.env.DKG_STREAM_LOG_LEVEL ??= 'warn'), (await import('./commands/demo.ts')).default),
  topology: async () => (await import('./commands/topology.ts')).default,
  stack: async () => (await import('./commands/stack.ts')).default,
  inspect: async () => (await import('./commands/inspect.ts')).default,
  verify: async () => (await import('./commands/verify.ts')).default,
  follow: async () => (await import('./commands/follow.ts')).default,
  ingest: async () => (await import('./commands/ingest.ts')).default,
  subscribe: async () => (await import('./commands/subscribe.ts')).default,
  run: async () => (await import('./commands/run.ts')).default,
  replay: async () => (await import('./commands/replay.ts')).default,
  sim: async () => ((process.env.DKG_STREAM_LOG_LEVEL ??= 'warn'), (await import('./commands/sim.ts')).default),
};

async function help(): Promise<string> {
  const lines = ['Usage: dkg-stream <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS).sort(([a], [b]) => a.localeCompare(b))) {
    const cmd = await load();
    lines.push(`  ${name.padEnd(12)} ${cmd.summary}`);
  }
  lines.push('', 'Run `dkg-stream <command> --help` for the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await help()) + '\n');
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`dkg-stream: unknown command '${name}'\n\n${await help()}\n`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`dkg-stream ${name}: ${err.message}\n\n${cmd.usage}\n`);
      return 2;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`dkg-stream ${name}: ${msg}\n`);
    return 1;
  }
}
