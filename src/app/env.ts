/**
 * Wiring shared by the follower's entry points (CLI `follow` and `ingest`, workers, tests):
 * configuration → topology (prefixed), registry serde, the follower's Avro codec, Kafka port, and
 * the follow processor on the exactly-once runtime.
 */
import type { Config } from '../config.ts';
import type { FollowConfig } from '../processors/follow/config.ts';
import { KafkajsPort } from '../runtime/kafka/kafkajs.ts';
import type { KafkaPort } from '../runtime/kafka/port.ts';
import { type KafkaClientConfig, kafkaClientOptions } from '../runtime/kafka/security.ts';
import type { RuntimeOptions, StreamRuntime } from '../runtime/runtime.ts';
import { AvroSerde, loadSchemas, type RegistrySecurity, registryClient } from '../runtime/schemas.ts';
import { loadTopology, type Topology } from '../runtime/topology.ts';
import { avroTopicCodecs, type TopicCodecs } from '../topics/codecs.ts';
import { PROCESSOR_NAMES } from '../topics/names.ts';
import { startableProcessor } from './processors.ts';

export interface FollowEnv {
  topology: Topology;
  serde: AvroSerde;
  codec: TopicCodecs;
  port: KafkaPort;
  close(): Promise<void>;
}

export function followEnv(
  config: Pick<Config, 'brokers' | 'registryUrl' | 'topology' | 'schemasDir' | 'topicPrefix' | 'applicationId'> & Omit<KafkaClientConfig, 'brokers'> & RegistrySecurity,
  clientId = 'dkg-stream-follow',
): FollowEnv {
  const topology = loadTopology(config.topology, { prefix: config.topicPrefix, applicationId: config.applicationId, schemasDir: config.schemasDir });
  const serde = new AvroSerde(registryClient(config.registryUrl, config), loadSchemas(config.schemasDir));
  // Reader groups under the application id, so a principal limited to its own groups may read.
  const port = new KafkajsPort({ ...kafkaClientOptions(config), clientId, readerGroupPrefix: topology.applicationId });
  return { topology, serde, codec: avroTopicCodecs(serde, topology), port, close: () => port.close() };
}

/** The follow processor on the runtime, with topic names, changelogs and the Avro DLQ from the topology. */
export function followRuntime(
  env: FollowEnv,
  cfg: Omit<FollowConfig, 'topics' | 'codec'>,
  opts: Pick<RuntimeOptions, 'dataDir'> & Partial<Omit<RuntimeOptions, 'port' | 'processor' | 'applicationId' | 'dlqTopic' | 'changelogTopic' | 'dlqEncode'>>,
): StreamRuntime {
  if (!env.topology.processors.get(PROCESSOR_NAMES.follow)) throw new Error('topology has no follow processor');
  // The follower's counters are added by the runtime at commit: its metrics default to the follower's.
  return startableProcessor(env, { secretKeyFile: null }, PROCESSOR_NAMES.follow, { follow: cfg, ...(cfg.metrics ? { metrics: cfg.metrics } : {}) }, opts).runtime;
}
