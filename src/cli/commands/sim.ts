/**
 * `dkg-stream sim`: the simulated validator committee end to end (src/sim/simulation.ts): real
 * DKG/reshare ceremonies over the Kafka journal, a Tempo-format chain with threshold-signed
 * certificates, the follower process verifying it, and a downstream subscriber re-verifying the
 * follower's outputs. Per-epoch lines and a summary table on stdout, progress on stderr.
 * Exit 0 only when every check passed.
 */

import { resolve } from 'node:path';
import { loadConfig } from '../../config.ts';
import { showValue } from '../../show.ts';
import { FAULTS, type Fault, runSimulation, summaryTable } from '../../sim/simulation.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { stackConfig, up } from '../stack.ts';

const usage = `Usage: dkg-stream sim [options]

  --stack               start the local Kafka broker and registry first (npm start does this)
  --n N                 committee size (default 4, at least 4)
  --epochs K            epochs to run (default 4); the follower ends in epoch K
  --epoch-length L      blocks per epoch (default n + 4, at least n + 2)
  --full-dkg-at E       epoch whose ceremony is a full DKG (new identity from E + 1); default 1, -1 = none
  --fault F             inject a fault (repeatable, or comma-separated, or 'all'):
                          bad-share         a dealer sends one player a bad share (refused → revealed)
                          no-ack            a player never acks (its shares are revealed)
                          too-many-reveals  a dealer withholds max_faults + 1 dealings (log rejected → dealer excluded)
                          forged-cert       a certificate signed by the wrong key (→ DLQ VerificationFailed)
                          bad-digest        a header that is not the certified block (→ DLQ BlockDigestMismatch)
  --crash-test          SIGKILL and restart the follower process at random moments, and
                        restart validators from their journal at random moments
  --seed S              seed of keys, faults and crash moments (default random, printed)
  --prefix P            topic prefix (default a fresh sim-<hex>. per run)
  --config FILE         brokers / registry / topology / schemas (as every command)`;

const int = (v: string | boolean | undefined, name: string, dflt: number, min: number, max: number): number => {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be an integer`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max}`);
  return n;
};

export function parseFaults(values: string[]): Fault[] {
  const out: Fault[] = [];
  for (const v of values
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (v === 'all') out.push(...FAULTS);
    else if ((FAULTS as readonly string[]).includes(v)) out.push(v as Fault);
    else throw new UsageError(`unknown fault ${showValue(v)} (one of ${FAULTS.join(', ')}, all)`);
  }
  return [...new Set(out)];
}

const command: Command = {
  usage,
  async run(args) {
    // --fault may repeat: collect its values before the generic parser.
    const faultArgs: string[] = [];
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--fault') {
        const v = args[++i];
        if (v === undefined) throw new UsageError('--fault needs a value');
        faultArgs.push(v);
      } else if (a.startsWith('--fault=')) faultArgs.push(a.slice('--fault='.length));
      else rest.push(a);
    }
    const { flags, positionals } = parseArgs(rest, { strings: ['n', 'epochs', 'epoch-length', 'full-dkg-at', 'seed', 'prefix', 'config'], booleans: ['stack', 'crash-test'] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${showValue(positionals[0])}`);
    const n = int(flags.n, 'n', 4, 4, 64);
    const epochs = int(flags.epochs, 'epochs', 4, 1, 1000);
    const epochLength = int(flags['epoch-length'], 'epoch-length', n + 4, n + 2, 100_000);
    const fullDkgAt = int(flags['full-dkg-at'], 'full-dkg-at', epochs >= 2 ? 1 : -1, -1, epochs - 1);
    const seed = int(flags.seed, 'seed', Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31 - 1);
    const faults = parseFaults(faultArgs);
    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    const err = (l: string) => process.stderr.write(l + '\n');
    if (flags.stack) {
      const s = await up(stackConfig(), (line) => err(`stack: ${line}`));
      err(`stack: broker ${s.broker.address}, registry ${s.registry.url}`);
    }
    process.stdout.write(
      `simulation: n = ${n}, ${epochs} epochs of ${epochLength} blocks, full DKG in epoch ${fullDkgAt < 0 ? 'none' : fullDkgAt}, seed ${seed}` +
        `${faults.length ? `, faults: ${faults.join(', ')}` : ''}${flags['crash-test'] ? ', crash test' : ''}\n`,
    );
    const result = await runSimulation({
      n,
      epochs,
      epochLength,
      fullDkgAt,
      faults,
      crashTest: flags['crash-test'] === true,
      seed,
      brokers: config.brokers,
      registryUrl: config.registryUrl,
      client: config,
      ...(typeof flags.config === 'string' ? { configFile: resolve(flags.config) } : {}),
      topologyFile: resolve(config.topology),
      schemasDir: resolve(config.schemasDir),
      ...(typeof flags.prefix === 'string' ? { prefix: flags.prefix } : config.topicPrefix ? { prefix: config.topicPrefix } : {}),
      progress: err,
    });
    process.stdout.write('\n' + summaryTable(result) + '\n');
    if (flags.stack) err('the stack keeps running; stop it with `npm run stack:down`');
    return result.ok ? 0 : 1;
  },
};
export default command;
