/**
 * `topology apply`: make the broker and the registry match topology.yaml, idempotently.
 *
 * - A missing topic is created with its partitions, replication factor and configs.
 * - An existing topic with the wrong cleanup policy or retention is altered (safe in place).
 * - An existing topic with a different partition count is reported and NOT changed: keys are
 *   hashed to partitions, so repartitioning would move epochs between tasks and break the
 *   offsets stored with the state. The operator must decide (reset or migrate).
 * - Every value schema is registered under `<topic>-value` with BACKWARD compatibility.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { AdminPort } from './kafka/port.ts';
import { type LoadedSchema, registerTopologySchemas } from './schemas.ts';
import type { TopicSpec, Topology } from './topology.ts';

/** The slice of the Kafka {@link AdminPort} that apply needs. */
export type TopicAdmin = Pick<AdminPort, 'listTopics' | 'partitionCount' | 'describeConfigs' | 'createTopics' | 'alterConfigs'>;

export type TopicOutcome = 'created' | 'unchanged' | 'updated' | 'mismatch';

export interface ApplyReport {
  topics: Array<{ topic: string; outcome: TopicOutcome; detail?: string }>;
  schemas: Array<{ subject: string; id: number }>;
}

/** The broker configs a topic spec implies. Compacted topics clean eagerly: they back state. */
export function topicConfigs(t: TopicSpec): Record<string, string> {
  const c: Record<string, string> = {
    'cleanup.policy': t.cleanup,
    'retention.ms': String(t.retentionMs),
  };
  if (t.cleanup === 'compact') {
    c['min.cleanable.dirty.ratio'] = '0.1';
    c['segment.ms'] = '600000';
  }
  return c;
}

export async function applyTopology(admin: TopicAdmin, topology: Topology, registry?: { client: SchemaRegistry; schemas: Map<string, LoadedSchema> }): Promise<ApplyReport> {
  const existing = new Set(await admin.listTopics());
  const report: ApplyReport = { topics: [], schemas: [] };
  for (const t of topology.topics.values()) {
    const wanted = topicConfigs(t);
    if (!existing.has(t.name)) {
      await admin.createTopics([{ topic: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, configs: wanted }]);
      report.topics.push({ topic: t.name, outcome: 'created' });
      continue;
    }
    const partitions = await admin.partitionCount(t.name);
    if (partitions !== t.partitions) {
      report.topics.push({
        topic: t.name,
        outcome: 'mismatch',
        detail: `has ${partitions} partitions, topology says ${t.partitions}; not changed (repartitioning moves keys between tasks)`,
      });
      continue;
    }
    const actual = await admin.describeConfigs(t.name, Object.keys(wanted));
    const diff = Object.entries(wanted).filter(([k, v]) => actual[k] !== v);
    if (diff.length === 0) {
      report.topics.push({ topic: t.name, outcome: 'unchanged' });
    } else {
      await admin.alterConfigs(t.name, wanted);
      report.topics.push({
        topic: t.name,
        outcome: 'updated',
        detail: diff.map(([k, v]) => `${k}: ${actual[k] ?? '(unset)'} -> ${v}`).join(', '),
      });
    }
  }
  if (registry) {
    const ids = await registerTopologySchemas(registry.client, topology, registry.schemas);
    report.schemas = [...ids.values()];
  }
  return report;
}
