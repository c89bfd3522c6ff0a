/**
 * kafkajs implementation of {@link TopicAdmin}. Connection failures surface quickly as
 * {@link BrokerUnreachable} (bounded retries) instead of kafkajs' long default back-off.
 */
import kafkajs from 'kafkajs';
import type { TopicAdmin } from '../apply.ts';

// kafkajs is CommonJS: its enums are only reachable through the default export under ESM.
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;

/** The bootstrap brokers did not answer. */
export class BrokerUnreachable extends Error {
  override name = 'BrokerUnreachable';
}

export interface AdminOptions {
  brokers: string[];
  clientId?: string;
  /** Total time budget for connecting, in ms (default 10 s). */
  connectTimeoutMs?: number;
}

export async function connectAdmin(opts: AdminOptions): Promise<TopicAdmin & { close(): Promise<void> }> {
  const budget = opts.connectTimeoutMs ?? 10_000;
  const kafka = new Kafka({
    clientId: opts.clientId ?? 'dkg-stream-admin',
    brokers: opts.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(3000, budget),
    requestTimeout: 30_000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: Math.max(500, budget / 3) },
  });
  const admin = kafka.admin();
  try {
    await withDeadline(admin.connect(), budget, `connecting to Kafka at ${opts.brokers.join(',')}`);
    await withDeadline(admin.describeCluster(), budget, `asking Kafka at ${opts.brokers.join(',')} for metadata`);
  } catch (err) {
    await admin.disconnect().catch(() => {});
    throw new BrokerUnreachable(
      `cannot reach Kafka at ${opts.brokers.join(',')}: ${(err as Error).message}. Is the broker running? (npm run stack:up)`,
    );
  }
  return {
    listTopics: () => admin.listTopics(),
    async partitionCount(topic) {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      return md.topics[0]?.partitions.length ?? 0;
    },
    async describeConfigs(topic, names) {
      const res = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }],
        includeSynonyms: false,
      });
      const out: Record<string, string> = {};
      for (const e of res.resources[0]?.configEntries ?? []) out[e.configName] = e.configValue;
      return out;
    },
    async createTopic(topic, numPartitions, replicationFactor, configs) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions, replicationFactor, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      });
    },
    async alterConfigs(topic, configs) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      });
    },
    close: () => admin.disconnect(),
  };
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
