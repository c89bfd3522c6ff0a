/**
 * The real Avro serde over an in-memory schema registry (for broker-less tests): ids are
 * assigned per subject in registration order; values use the Confluent wire format exactly as
 * with Apicurio.
 */

import { join } from 'node:path';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { REPO_ROOT } from '../../src/paths.ts';
import { AvroSerde, type AvroType, loadSchemas, valueSubject } from '../../src/runtime/schemas.ts';
import { loadTopology, type Topology } from '../../src/runtime/topology.ts';

export function memorySerde(opts: { prefix?: string } = {}): { serde: AvroSerde; topology: Topology } {
  const schemasDir = join(REPO_ROOT, 'schemas');
  const schemas = loadSchemas(schemasDir);
  const topology = loadTopology(join(REPO_ROOT, 'topology.yaml'), { schemasDir, ...(opts.prefix ? { prefix: opts.prefix } : {}) });
  const bySubject = new Map<string, number>();
  const byId = new Map<number, AvroType>();
  for (const t of topology.topics.values()) {
    if (!t.value) continue;
    const id = byId.size + 1;
    bySubject.set(valueSubject(t), id);
    byId.set(id, schemas.get(t.value)!.type);
  }
  const registry = {
    async getLatestSchemaId(subject: string) {
      const id = bySubject.get(subject);
      if (id === undefined) throw Object.assign(new Error(`subject ${subject} not found`), { status: 404 });
      return id;
    },
    async getSchema(id: number) {
      const t = byId.get(id);
      if (!t) throw Object.assign(new Error(`schema ${id} not found`), { status: 404 });
      return t;
    },
  } as unknown as SchemaRegistry;
  return { serde: new AvroSerde(registry, schemas), topology };
}
