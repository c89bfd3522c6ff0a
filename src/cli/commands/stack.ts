import { LOCAL_KAFKA_PORT, LOCAL_REGISTRY_PORT } from '../../config.ts';
import { showValue } from '../../show.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { cached, down, reset, stackConfig, status, up } from '../stack.ts';

const usage = `Usage: dkg-stream stack <up|down|status|reset> [--brokers 1|3] [--secure]

Manages the local development stack (Kafka + Apicurio schema registry on 127.0.0.1).
  up      fetch (first run, via Maven Central), start and wait until all answer; idempotent;
          writes <stack dir>/client.yaml (use with --config / DKG_STREAM_CONFIG)
  down    stop everything (SIGTERM, then SIGKILL after 30 s)
  status  print JSON with pids and readiness of this stack directory's processes; exit 1 unless all are ready
  reset   stop everything and delete all broker data (topics, offsets, schemas) and the layout

Options of up (remembered in <stack dir>/stack.json; change them only after reset):
  --brokers 3   three KRaft nodes (broker + controller each) on ports KAFKA_PORT, +2, +4
                (controllers +1, +3, +5); replication factor 3, min.insync.replicas 2
  --secure      SASL_SSL (SCRAM-SHA-512) with a generated CA, ACLs: users admin, dkg-stream
                (its topics, groups, transactional ids) and outsider (no ACLs);
                passwords and CA in <stack dir>/secrets/

Environment: DKG_STREAM_STACK_DIR (.stack), DKG_STREAM_STACK_CACHE (downloads; the stack dir),
DKG_STREAM_KAFKA_PORT (${LOCAL_KAFKA_PORT}), DKG_STREAM_REGISTRY_PORT (${LOCAL_REGISTRY_PORT}), DKG_STREAM_BROKER_HEAP_MB
(512; 384 with 3 brokers), DKG_STREAM_REGISTRY_HEAP_MB (384), JAVA_HOME.`;

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['brokers'], booleans: ['secure'] });
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument ${showValue(extra[0])}`);
    if (action !== 'up' && (flags.brokers !== undefined || flags.secure !== undefined)) {
      throw new UsageError('--brokers and --secure belong to `stack up` (the other actions use the layout the stack was started with)');
    }
    if (flags.brokers !== undefined && flags.brokers !== '1' && flags.brokers !== '3') throw new UsageError('--brokers must be 1 or 3');
    const c = stackConfig(process.env, {
      ...(flags.brokers !== undefined ? { brokers: flags.brokers === '3' ? 3 : 1 } : {}),
      ...(flags.secure === true ? { secure: true } : {}),
    });
    switch (action) {
      case 'up': {
        const s = await up(c);
        process.stdout.write(JSON.stringify(s) + '\n');
        return 0;
      }
      case 'down':
        await down(c);
        return 0;
      case 'reset':
        await reset(c);
        return 0;
      case 'status': {
        const s = await status(c);
        process.stdout.write(JSON.stringify({ ...s, cached: cached(c) }, null, 2) + '\n');
        return s.brokers.every((b) => b.ready) && s.registry.ready ? 0 : 1;
      }
      default:
        throw new UsageError(action === undefined ? 'missing action' : `unknown action ${showValue(action)}`);
    }
  },
};
export default command;
