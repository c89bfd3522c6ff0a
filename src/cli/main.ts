/**
 * `dkg-stream` command dispatcher. Each sub-command lives in `src/cli/commands/<name>.ts` and
 * exports a {@link Command}; this file only routes and renders help. The table below carries each
 * command's one-line summary, so `--help` loads no command module (each one pulls in Kafka,
 * RocksDB or the curves): only the command that runs is imported.
 *
 * Conventions every command follows: JSON (or a human table) on stdout, diagnostics on stderr,
 * exit code 0 only on success, 2 for usage errors, 1 for failures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths.ts';
import { oneLine, showValue } from '../show.ts';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { installSignalHandlers } from './signals.ts';

interface Entry {
  summary: string;
  load(): Promise<Command>;
}

/** Commands whose own output is the point: their library logs default to warnings only. */
const quiet = () => {
  process.env.DKG_STREAM_LOG_LEVEL ??= 'warn';
};

const COMMANDS: Record<string, Entry> = {
  config: {
    summary: 'print the effective configuration with the source of every setting (secrets redacted)',
    load: async () => (await import('./commands/config.ts')).default,
  },
  demo: {
    summary: 'the main job behind npm start: the simulation with its defaults (--smoke: the smoke run)',
    load: async () => (quiet(), (await import('./commands/demo.ts')).default),
  },
  dlq: {
    summary: 'list, show and redrive dead letters (exactly once)',
    load: async () => (await import('./commands/dlq.ts')).default,
  },
  follow: {
    summary: 'verify finalizations and advance epochs (consensus.finalizations → finalizations.verified, epochs)',
    load: async () => (await import('./commands/follow.ts')).default,
  },
  ingest: {
    summary: 'append a Tempo node’s finalizations to consensus.finalizations (WebSocket consensus_subscribe)',
    load: async () => (await import('./commands/ingest.ts')).default,
  },
  inspect: {
    summary: 'decode and check a Tempo DKG outcome, finalization certificate, block header or block (JSON out)',
    load: async () => (await import('./commands/inspect.ts')).default,
  },
  replay: {
    summary: 'reset a processor to an offset/timestamp/the beginning and rebuild its stores',
    load: async () => (await import('./commands/replay.ts')).default,
  },
  run: {
    summary: 'run processors (all by default) with the HTTP ops server until SIGINT/SIGTERM',
    load: async () => (await import('./commands/run.ts')).default,
  },
  sim: {
    summary: 'simulate a validator committee through several epochs against the stack (DKG, chain, follower, subscriber)',
    load: async () => (quiet(), (await import('./commands/sim.ts')).default),
  },
  stack: {
    summary: 'start/stop the local Kafka broker and schema registry',
    load: async () => (await import('./commands/stack.ts')).default,
  },
  subscribe: {
    summary: 'downstream subscriber example: re-verify finalizations.verified with the schemes from epochs',
    load: async () => (await import('./commands/subscribe.ts')).default,
  },
  topology: {
    summary: 'describe, validate or apply topology.yaml (topics + schemas)',
    load: async () => (await import('./commands/topology.ts')).default,
  },
  verify: {
    summary: 'verify a Tempo finalization certificate, or that it finalizes a block (JSON out)',
    load: async () => (await import('./commands/verify.ts')).default,
  },
};

function help(): string {
  const lines = ['Usage: dkg-stream <command> [options]', '       dkg-stream help <command> | --help | --version', '', 'Commands:'];
  for (const name of Object.keys(COMMANDS).sort()) lines.push(`  ${name.padEnd(12)} ${COMMANDS[name]!.summary}`);
  lines.push('', 'Run `dkg-stream help <command>` (or `dkg-stream <command> --help`) for the options of one command.');
  return lines.join('\n');
}

/** `dkg-stream <version> (node <version>)`, from package.json. */
export function versionLine(): string {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return `dkg-stream ${version} (node ${process.version})`;
}

export async function main(argv: string[]): Promise<number> {
  installSignalHandlers();
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === 'help') {
    const entry = Object.hasOwn(COMMANDS, rest[0]!) ? COMMANDS[rest[0]!] : undefined;
    if (!entry || rest.length > 1) {
      process.stderr.write(`dkg-stream help: ${entry ? `unexpected argument ${showValue(rest[1])}` : `unknown command ${showValue(rest[0])}`}\n\n${help()}\n`);
      return 2;
    }
    const cmd = await loaded(entry, 'help');
    if (!cmd) return 1;
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`dkg-stream: unknown command ${showValue(name)}\n\n${help()}\n`);
    return 2;
  }
  const cmd = await loaded(entry, name);
  if (!cmd) return 1;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`dkg-stream ${name}: ${oneLine(err.message, 1000)}\n\n${cmd.usage}\n`);
      return 2;
    }
    failed(name, err);
    return 1;
  }
}

/** A failure as one line on stderr (the message bounded; never a stack trace). */
function failed(name: string, err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`dkg-stream ${name}: ${oneLine(msg, 1000)}\n`);
}

/**
 * The command's module, or undefined after reporting why it did not load: a module may check its
 * environment when it loads (DKG_STREAM_BLS_BACKEND), and that error is a one-line failure too.
 */
async function loaded(entry: { load(): Promise<Command> }, name: string): Promise<Command | undefined> {
  try {
    return await entry.load();
  } catch (err) {
    failed(name, err);
    return undefined;
  }
}
