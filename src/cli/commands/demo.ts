/**
 * The main job (`npm start` = `demo --stack`): the simulated committee of `dkg-stream sim`
 * (issue 9) with its defaults — every other option is passed to `sim`. `--smoke` keeps the
 * original smoke run: stack, topology, a few DKG journal records through a Kafka transaction
 * and the registry, read back read_committed.
 */

import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../config.ts';
import { applyTopology } from '../../runtime/apply.ts';
import { connectAdmin, KafkajsPort } from '../../runtime/kafka/kafkajs.ts';
import { kafkaClientOptions } from '../../runtime/kafka/security.ts';
import { AvroSerde, loadSchemas, registryClient } from '../../runtime/schemas.ts';
import { loadTopology } from '../../runtime/topology.ts';
import { showValue } from '../../show.ts';
import { TOPICS, topicSpec } from '../../topics/names.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { stackConfig, up } from '../stack.ts';

const usage = `Usage: dkg-stream demo [--stack] [sim options]      the simulation (see dkg-stream sim --help)
       dkg-stream demo --smoke [--stack] [--config FILE] [--records N]

  --stack       start the local Kafka broker and registry first (npm start does this)
  --smoke       the smoke run instead: journal records through a transaction and back
  --records N   (smoke) journal records to write and read back (default 4)`;

const say = (line: string) => process.stdout.write(line + '\n');

const command: Command = {
  usage,
  async run(args) {
    if (!args.includes('--smoke')) return (await import('./sim.ts')).default.run(args);
    const { flags, positionals } = parseArgs(args, { strings: ['config', 'records'], booleans: ['stack', 'smoke'] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${showValue(positionals[0])}`);
    const n = flags.records === undefined ? 4 : Number(flags.records);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError('--records must be an integer from 1 to 10000');
    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});

    if (flags.stack) {
      say('1. local stack');
      const s = await up(stackConfig(), (line) => say(`   ${line}`));
      say(`   broker ${s.broker.address}, registry ${s.registry.url}`);
    }
    say(`${flags.stack ? 2 : 1}. topology (${config.topology})`);
    const topology = loadTopology(config.topology, { prefix: config.topicPrefix, applicationId: config.applicationId, schemasDir: config.schemasDir });
    const schemas = loadSchemas(config.schemasDir);
    const registry = registryClient(config.registryUrl, config);
    const admin = await connectAdmin(kafkaClientOptions(config));
    const report = await applyTopology(admin, topology, { client: registry, schemas }).finally(() => admin.close());
    const count = (o: string) => report.topics.filter((t) => t.outcome === o).length;
    say(`   topics: ${count('created')} created, ${count('unchanged')} unchanged, ${count('updated')} updated, ${count('mismatch')} mismatched`);
    say(`   schemas: ${report.schemas.map((s) => `${s.subject}=${s.id}`).join(', ')}`);

    const events = topicSpec(topology, TOPICS.dkgEvents);
    const serde = new AvroSerde(registry, schemas);
    const port = new KafkajsPort({ ...kafkaClientOptions(config), clientId: 'dkg-stream-demo', readerGroupPrefix: topology.applicationId });
    const runId = randomBytes(4).toString('hex');
    const epoch = BigInt(Date.now());
    const key = Buffer.alloc(8);
    key.writeBigUInt64BE(epoch);
    const owner = randomBytes(32);
    say(`${flags.stack ? 3 : 2}. journal records (epoch ${epoch}, owner ${owner.toString('hex').slice(0, 16)}…)`);

    const producer = await port.transactionalProducer(`dkg-stream-demo-${runId}`);
    const players = Array.from({ length: n }, () => randomBytes(32));
    let ranges;
    try {
      const tx = await producer.begin();
      ranges = await tx.send(
        await Promise.all(
          players.map(async (player) => ({
            topic: events.name,
            key,
            value: await serde.encode(events, { epoch: Number(epoch), owner, event: { 'xyz.dkgstream.dkg.Ack': { player, ack: randomBytes(64) } } }),
          })),
        ),
      );
      await tx.commit();
    } finally {
      await producer.close();
    }
    say(`   wrote ${n} Ack records in one committed transaction`);

    // Read back, read_committed, from where the transaction wrote to the end of the partition.
    const portAdmin = await port.admin();
    const highs = new Map((await portAdmin.offsets(events.name)).map((o) => [o.partition, o.high]));
    const from = new Map(ranges.map((r) => [r.partition, r.baseOffset]));
    const read: string[] = [];
    const reader = await port.read({
      topic: events.name,
      from,
      until: new Map([...from.keys()].map((p) => [p, highs.get(p) ?? 0])),
      onRecords: async (partition, records) => {
        for (const message of records) {
          if (!message.key?.equals(key)) continue;
          const { schemaId, value } = await serde.decode(message.value, 'dkg-event');
          const ev = (value as { event: Record<string, { player: Buffer }> }).event['xyz.dkgstream.dkg.Ack'];
          if (!ev) continue;
          read.push(ev.player.toString('hex'));
          say(`   read  p${partition}@${message.offset}  schema ${schemaId}  Ack from ${ev.player.toString('hex').slice(0, 16)}…`);
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reader.done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`read back only ${read.length} of ${n} records within 60 s`)), 60_000)))]).finally(() => {
      clearTimeout(timer);
      return reader.stop();
    });
    await port.close();
    const ok = players.every((p) => read.includes(p.toString('hex')));
    say(ok ? `done: ${n}/${n} records round-tripped (read_committed, registry wire format)` : 'MISMATCH: records read back differ');
    if (flags.stack) say('the stack keeps running; stop it with `npm run stack:down`');
    return ok ? 0 : 1;
  },
};
export default command;
