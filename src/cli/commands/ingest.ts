/**
 * `dkg-stream ingest`: follows a Tempo node over WebSocket (`consensus_subscribe`) and appends
 * every finalization to `consensus.finalizations` (Avro, header as RLP, key = epoch), resuming
 * after the highest height already in the topic, backfilling missed boundaries with
 * `consensus_getFinalization`, and sending unusable events to the DLQ. Runs until SIGINT/SIGTERM;
 * prints one JSON line when it starts and one with its counters when it stops.
 */

import { followEnv } from '../../app/env.ts';
import { loadConfig } from '../../config.ts';
import { KafkaIngestSink, lastIngestedHeight } from '../../edges/tempo-ingest/kafka-sink.ts';
import { TempoWsIngest } from '../../edges/tempo-ingest/tempo-ws.ts';
import { showValue } from '../../show.ts';
import { FixedEpocher } from '../../tempo/epocher.ts';
import { TOPICS, topicSpec } from '../../topics/names.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { stopRequested } from '../signals.ts';

const usage = `Usage: dkg-stream ingest --url ws://HOST:PORT --epoch-length L [--from-height H] [--config FILE]

  --url             the node's WebSocket JSON-RPC endpoint (consensus_* methods)
  --epoch-length L  blocks per epoch (chainspec epochLength; 21600 on Presto and Moderato)
  --from-height H   first height wanted when the topic is empty (default: the first event seen);
                    every boundary from H's epoch on is backfilled, so pass the trust root's
                    height + 1 to give the follower an unbroken chain of boundaries
  --max-backoff-ms  reconnect backoff ceiling (default 30000)`;

const bigFlag = (v: string | boolean | undefined, what: string, min = 0n): bigint | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`${what} must be a non-negative integer`);
  const n = BigInt(v);
  if (n < min) throw new UsageError(`${what} must be at least ${min}`);
  return n;
};

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['url', 'epoch-length', 'from-height', 'config', 'max-backoff-ms'] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${showValue(positionals[0])}`);
    if (typeof flags.url !== 'string' || !/^wss?:\/\//.test(flags.url)) throw new UsageError('--url must be a ws:// or wss:// URL');
    const L = bigFlag(flags['epoch-length'], '--epoch-length', 1n);
    if (L === undefined) throw new UsageError('--epoch-length is required');
    const fromHeight = bigFlag(flags['from-height'], '--from-height');
    const maxBackoffMs = flags['max-backoff-ms'] === undefined ? undefined : Number(bigFlag(flags['max-backoff-ms'], '--max-backoff-ms', 1n));
    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    const env = followEnv(config, 'dkg-stream-ingest');
    const finalizations = topicSpec(env.topology, TOPICS.finalizations);
    const last = await lastIngestedHeight(env.port, finalizations.name, env.codec);
    const resumeAfterHeight = last ?? (fromHeight !== undefined && fromHeight > 0n ? fromHeight - 1n : undefined);
    const sink = new KafkaIngestSink({
      port: env.port,
      codec: env.codec,
      serde: env.serde,
      finalizations,
      dlq: topicSpec(env.topology, TOPICS.dlq),
      transactionalId: `${env.topology.applicationId}-ingest`,
      url: flags.url,
    });
    const ingest = new TempoWsIngest({
      url: flags.url,
      epocher: new FixedEpocher(L),
      sink,
      ...(resumeAfterHeight !== undefined ? { resumeAfterHeight } : {}),
      ...(maxBackoffMs ? { maxBackoffMs } : {}),
    });
    process.stdout.write(JSON.stringify({ event: 'ingesting', url: flags.url, topic: finalizations.name, resumeAfterHeight: resumeAfterHeight?.toString() ?? null }) + '\n');
    const stop = stopRequested(config.shutdownTimeoutMs);
    ingest.start();
    await stop.signal;
    await ingest.stop();
    await sink.close();
    await env.close();
    process.stdout.write(JSON.stringify({ event: 'stopped', height: ingest.height?.toString() ?? null, ...ingest.stats, ...sink.stats }) + '\n');
    return 0;
  },
};
export default command;
