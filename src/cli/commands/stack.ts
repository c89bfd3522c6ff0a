import { type Command, UsageError, parseArgs } from '../command.ts';
import { cached, down, reset, stackConfig, status, up } from '../stack.ts';

const usage = `Usage: dkg-stream stack <up|down|status|reset>

Manages the local development stack (Kafka broker + Apicurio schema registry on 127.0.0.1).
  up      fetch (first run, via Maven Central), start and wait until both answer; idempotent
  down    stop both (SIGTERM, then SIGKILL after 30 s)
  status  print JSON with pids and readiness
  reset   stop both and delete all broker data (topics, offsets, schemas)

Environment: DKG_STREAM_STACK_DIR (.stack), DKG_STREAM_KAFKA_PORT (39092),
DKG_STREAM_REGISTRY_PORT (38081), DKG_STREAM_BROKER_HEAP_MB (512),
DKG_STREAM_REGISTRY_HEAP_MB (384), JAVA_HOME.`;

const command: Command = {
  usage,
  async run(args) {
    const { positionals } = parseArgs(args, {});
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const c = stackConfig();
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
        return s.broker.ready && s.registry.ready ? 0 : 1;
      }
      default:
        throw new UsageError(action === undefined ? 'missing action' : `unknown action '${action}'`);
    }
  },
};
export default command;
