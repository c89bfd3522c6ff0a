import { loadConfig } from '../../config.ts';
import { applyTopology } from '../../runtime/apply.ts';
import { connectAdmin } from '../../runtime/kafka/kafkajs.ts';
import { kafkaClientOptions } from '../../runtime/kafka/security.ts';
import { loadSchemas, registryClient } from '../../runtime/schemas.ts';
import { describeTopology, loadTopology, topologyDot, topologyJson } from '../../runtime/topology.ts';
import { showValue } from '../../show.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';

const usage = `Usage: dkg-stream topology <describe|validate|apply> [--config FILE] [--json] [--dot]

  describe  print the topics, processors, stores and changelogs of topology.yaml
            (--json: as JSON; --dot: as a Graphviz digraph, e.g. | dot -Tsvg > topology.svg)
  validate  check topology.yaml and the Avro schemas without touching Kafka
  apply     create/validate the topics on the broker (idempotent) and register the
            value schemas (subjects <topic>-value, BACKWARD compatibility)

Settings come from --config FILE / DKG_STREAM_* (see README, Configuration).`;

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['config'], booleans: ['json', 'dot'] });
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument ${showValue(extra[0])}`);
    if (action !== 'describe' && action !== 'validate' && action !== 'apply') {
      throw new UsageError(action === undefined ? 'missing action' : `unknown action ${showValue(action)}`);
    }
    if (flags.dot && action !== 'describe') throw new UsageError('--dot goes with describe');
    if (flags.dot && flags.json) throw new UsageError('--json and --dot exclude each other');
    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    const topology = loadTopology(config.topology, {
      prefix: config.topicPrefix,
      applicationId: config.applicationId,
      schemasDir: config.schemasDir,
    });
    const schemas = loadSchemas(config.schemasDir);
    if (action === 'describe') {
      const text = flags.json ? JSON.stringify(topologyJson(topology), null, 2) : flags.dot ? topologyDot(topology) : describeTopology(topology);
      process.stdout.write(`${text}\n`);
      return 0;
    }
    if (action === 'validate') {
      const msg = { valid: true, topics: topology.topics.size, processors: topology.processors.size, schemas: schemas.size };
      process.stdout.write((flags.json ? JSON.stringify(msg) : `topology valid: ${msg.topics} topics, ${msg.processors} processors, ${msg.schemas} schemas`) + '\n');
      return 0;
    }
    const admin = await connectAdmin(kafkaClientOptions(config));
    try {
      const report = await applyTopology(admin, topology, { client: registryClient(config.registryUrl, config), schemas });
      if (flags.json) {
        process.stdout.write(JSON.stringify(report) + '\n');
      } else {
        for (const t of report.topics) process.stdout.write(`${t.outcome.padEnd(9)} ${t.topic}${t.detail ? `  (${t.detail})` : ''}\n`);
        for (const s of report.schemas) process.stdout.write(`schema    ${s.subject} -> id ${s.id}\n`);
      }
      const mismatches = report.topics.filter((t) => t.outcome === 'mismatch');
      if (mismatches.length > 0) {
        process.stderr.write(`dkg-stream topology: ${mismatches.length} topic(s) differ from topology.yaml in ways apply will not change\n`);
        return 1;
      }
      return 0;
    } finally {
      await admin.close();
    }
  },
};
export default command;
