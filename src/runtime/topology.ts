/**
 * Topology as data: `topology.yaml` declares every topic (partitions, key kind, value schema,
 * cleanup policy, retention) and every processor (inputs, global tables, outputs, stores).
 * This module parses and validates it and derives what it implies (changelog topics, prefixed
 * names). It never talks to Kafka; `topology apply` does that with the result.
 *
 * Invariants of a loaded {@link Topology}:
 * - every topic a processor or query names exists; every value schema file exists;
 * - the inputs of one processor are co-partitioned (same partition count), because a task owns
 *   partition p of every input at once (Kafka Streams' rule);
 * - every store has exactly one changelog topic, compacted, with the processor's partition count;
 * - names are unique after prefixing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DLQ_TOPIC } from './dlq.ts';

export type KeyKind = 'epoch' | 'epoch-event' | 'source' | 'store';
export type CleanupPolicy = 'delete' | 'compact';

export interface TopicSpec {
  /** Name as written in topology.yaml. */
  logical: string;
  /** Name on the broker (prefix applied). */
  name: string;
  doc: string;
  partitions: number;
  /** Set in topology.yaml; absent = the configuration's replicationFactor (default: what the cluster holds). */
  replicationFactor?: number;
  key: KeyKind;
  /** Avro schema name (file `schemas/<value>.avsc`), or null for raw bytes (changelogs). */
  value: string | null;
  cleanup: CleanupPolicy;
  retentionMs: number;
  /** Set for changelog topics: the store they back. */
  changelogOf?: string;
}

export interface StoreSpec {
  name: string;
  processor: string;
  doc: string;
  /** Broker name of the changelog topic. */
  changelog: string;
}

export interface ProcessorSpec {
  name: string;
  doc: string;
  inputs: TopicSpec[];
  globals: TopicSpec[];
  outputs: TopicSpec[];
  stores: StoreSpec[];
  /** Partition count shared by all inputs = number of tasks. */
  partitions: number;
}

export interface Topology {
  applicationId: string;
  prefix: string;
  topics: Map<string, TopicSpec>;
  processors: Map<string, ProcessorSpec>;
  /** Query name → store. */
  queries: Map<string, StoreSpec>;
}

export interface TopologyOptions {
  /** Prepended to every topic name on the broker. */
  prefix?: string;
  /** Names changelog topics, the consumer group and transactional ids. */
  applicationId?: string;
  /** Directory of `<value>.avsc` files; when set, schema references are checked. */
  schemasDir?: string;
}

/** A topology file that cannot be used. Lists every problem found, not just the first. */
export class TopologyError extends Error {
  override name = 'TopologyError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid topology ${source}:\n  - ${problems.join('\n  - ')}`);
  }
}

const NAME = /^[A-Za-z0-9._-]{1,200}$/;
const KEY_KINDS: readonly KeyKind[] = ['epoch', 'epoch-event', 'source', 'store'];

export function loadTopology(path: string, opts: TopologyOptions = {}): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TopologyError(path, [`cannot read file: ${(err as Error).message}`]);
  }
  return parseTopology(text, path, opts);
}

export function parseTopology(text: string, source: string, opts: TopologyOptions = {}): Topology {
  const problems: string[] = [];
  const prefix = opts.prefix ?? '';
  const applicationId = opts.applicationId ?? 'dkg-stream';
  if (prefix && !/^[A-Za-z0-9._-]*$/.test(prefix)) problems.push(`prefix '${prefix}' has characters Kafka does not allow in topic names`);
  if (!NAME.test(applicationId)) problems.push(`applicationId '${applicationId}' has characters Kafka does not allow`);

  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new TopologyError(source, [`not valid YAML: ${(err as Error).message}`]);
  }
  if (!isObject(doc)) throw new TopologyError(source, ['top level must be a mapping with `topics` and `processors`']);
  if (doc.version !== 1) problems.push(`version must be 1, got ${JSON.stringify(doc.version)}`);
  for (const k of Object.keys(doc)) {
    if (!['version', 'topics', 'processors', 'queries'].includes(k)) problems.push(`unknown top-level field '${k}'`);
  }

  // Topics
  const topics = new Map<string, TopicSpec>();
  if (!isObject(doc.topics) || Object.keys(doc.topics).length === 0) problems.push('`topics` must be a non-empty mapping');
  for (const [logical, raw] of Object.entries(isObject(doc.topics) ? doc.topics : {})) {
    const at = `topic '${logical}'`;
    if (!NAME.test(logical)) problems.push(`${at}: name is not a valid Kafka topic name`);
    if (!isObject(raw)) {
      problems.push(`${at}: must be a mapping`);
      continue;
    }
    unknownFields(raw, ['doc', 'partitions', 'key', 'value', 'cleanup', 'retentionMs', 'replicationFactor'], at, problems);
    const partitions = posInt(raw.partitions, `${at}: partitions`, problems) ?? 1;
    const replicationFactor = raw.replicationFactor === undefined ? undefined : (posInt(raw.replicationFactor, `${at}: replicationFactor`, problems) ?? 1);
    const key = raw.key as KeyKind;
    if (!KEY_KINDS.includes(key)) problems.push(`${at}: key must be one of ${KEY_KINDS.join(', ')}, got ${JSON.stringify(raw.key)}`);
    const value = typeof raw.value === 'string' ? raw.value : null;
    if (value === null) problems.push(`${at}: value must name an Avro schema in schemas/`);
    else if (opts.schemasDir && !existsSync(join(opts.schemasDir, `${value}.avsc`))) {
      problems.push(`${at}: unknown schema '${value}' (no ${join(opts.schemasDir, `${value}.avsc`)})`);
    }
    const cleanup = raw.cleanup ?? 'delete';
    if (cleanup !== 'delete' && cleanup !== 'compact') problems.push(`${at}: cleanup must be delete or compact`);
    const retentionMs = raw.retentionMs ?? -1;
    if (typeof retentionMs !== 'number' || !Number.isInteger(retentionMs) || (retentionMs < 1 && retentionMs !== -1)) {
      problems.push(`${at}: retentionMs must be a positive integer or -1 (forever)`);
    }
    topics.set(logical, {
      logical,
      name: prefix + logical,
      doc: typeof raw.doc === 'string' ? raw.doc : '',
      partitions,
      ...(replicationFactor !== undefined ? { replicationFactor } : {}),
      key,
      value,
      cleanup: cleanup as CleanupPolicy,
      retentionMs: retentionMs as number,
    });
  }

  // Processors
  const processors = new Map<string, ProcessorSpec>();
  const stores = new Map<string, StoreSpec>();
  if (!isObject(doc.processors) || Object.keys(doc.processors).length === 0) problems.push('`processors` must be a non-empty mapping');
  for (const [name, raw] of Object.entries(isObject(doc.processors) ? doc.processors : {})) {
    const at = `processor '${name}'`;
    if (!NAME.test(name)) problems.push(`${at}: name may only use letters, digits, '.', '_' and '-'`);
    if (!isObject(raw)) {
      problems.push(`${at}: must be a mapping`);
      continue;
    }
    unknownFields(raw, ['doc', 'inputs', 'globals', 'outputs', 'stores'], at, problems);
    const refs = (field: string, required: boolean): TopicSpec[] => {
      const list = raw[field] ?? [];
      if (!Array.isArray(list) || list.some((t) => typeof t !== 'string')) {
        problems.push(`${at}: ${field} must be a list of topic names`);
        return [];
      }
      if (required && list.length === 0) problems.push(`${at}: needs at least one ${field.slice(0, -1)}`);
      const out: TopicSpec[] = [];
      for (const t of list as string[]) {
        const spec = topics.get(t);
        if (!spec) problems.push(`${at}: ${field} references unknown topic '${t}'`);
        else out.push(spec);
      }
      return out;
    };
    const inputs = refs('inputs', true);
    const globals = refs('globals', false);
    const outputs = refs('outputs', false);
    const counts = new Set(inputs.map((t) => t.partitions));
    if (counts.size > 1) {
      problems.push(`${at}: inputs are not co-partitioned (${inputs.map((t) => `${t.logical}=${t.partitions}`).join(', ')})`);
    }
    const partitions = inputs[0]?.partitions ?? 1;
    const procStores: StoreSpec[] = [];
    const rawStores = raw.stores ?? {};
    if (!isObject(rawStores)) problems.push(`${at}: stores must be a mapping of store name to {doc}`);
    for (const [storeName, s] of Object.entries(isObject(rawStores) ? rawStores : {})) {
      if (!NAME.test(storeName)) problems.push(`${at}: store name '${storeName}' is not valid`);
      if (s !== null && !isObject(s)) problems.push(`${at}: store '${storeName}' must be a mapping`);
      const changelogLogical = `${applicationId}-${name}-${storeName}-changelog`;
      const store: StoreSpec = {
        name: storeName,
        processor: name,
        doc: isObject(s) && typeof s.doc === 'string' ? s.doc : '',
        changelog: prefix + changelogLogical,
      };
      procStores.push(store);
      stores.set(`${name}.${storeName}`, store);
      if (topics.has(changelogLogical)) problems.push(`${at}: changelog '${changelogLogical}' collides with a declared topic`);
      topics.set(changelogLogical, {
        logical: changelogLogical,
        name: store.changelog,
        doc: `Changelog of store ${name}.${storeName}`,
        partitions,
        key: 'store',
        value: null,
        cleanup: 'compact',
        retentionMs: -1,
        changelogOf: `${name}.${storeName}`,
      });
    }
    processors.set(name, {
      name,
      doc: typeof raw.doc === 'string' ? raw.doc : '',
      inputs,
      globals,
      outputs,
      stores: procStores,
      partitions,
    });
  }

  // Queries
  const queries = new Map<string, StoreSpec>();
  if (doc.queries !== undefined && !isObject(doc.queries)) problems.push('`queries` must be a mapping of name to <processor>.<store>');
  for (const [q, ref] of Object.entries(isObject(doc.queries) ? doc.queries : {})) {
    const store = typeof ref === 'string' ? stores.get(ref) : undefined;
    if (!store) problems.push(`query '${q}' references unknown store ${JSON.stringify(ref)} (expected <processor>.<store>)`);
    else queries.set(q, store);
  }

  if (problems.length > 0) throw new TopologyError(source, problems);
  return { applicationId, prefix, topics, processors, queries };
}

/** What a processor's code declares (a {@link ProcessorDef}'s shape, without importing it). */
export interface DeclaredProcessor {
  name: string;
  inputs: string[];
  outputs?: string[];
  stores?: string[];
  globals?: string[];
}

/**
 * Checks a processor's code against its topology entry: the same inputs, global tables, outputs
 * (the DLQ is implicit in the code) and stores, by broker name. topology.yaml is the source of
 * truth; code that reads or writes anything else must not start, because its changelogs, ACLs and
 * co-partitioning were derived from the topology. Throws a {@link TopologyError} naming every
 * difference.
 */
export function checkProcessorAgainstTopology(t: Topology, def: DeclaredProcessor, source = 'topology'): void {
  const spec = t.processors.get(def.name);
  if (!spec) throw new TopologyError(source, [`processor '${def.name}' is not declared in the topology (declared: ${[...t.processors.keys()].join(', ')})`]);
  const dlq = t.topics.get(DLQ_TOPIC)?.name;
  const problems: string[] = [];
  const compare = (what: string, declared: string[], coded: string[]): void => {
    const missing = declared.filter((n) => !coded.includes(n));
    const extra = coded.filter((n) => !declared.includes(n));
    if (missing.length > 0) problems.push(`processor '${def.name}': the topology declares ${what} ${missing.join(', ')} that the code does not use`);
    if (extra.length > 0) problems.push(`processor '${def.name}': the code uses ${what} ${extra.join(', ')} that the topology does not declare`);
  };
  compare(
    'input',
    spec.inputs.map((x) => x.name),
    def.inputs,
  );
  compare(
    'global table',
    spec.globals.map((x) => x.name),
    def.globals ?? [],
  );
  compare(
    'output',
    spec.outputs.map((x) => x.name).filter((n) => n !== dlq),
    (def.outputs ?? []).filter((n) => n !== dlq),
  );
  compare(
    'store',
    spec.stores.map((x) => x.name),
    def.stores ?? [],
  );
  if (problems.length > 0) throw new TopologyError(source, problems);
}

/** Human-readable graph, in the spirit of Kafka Streams' `Topology#describe()`. */
export function describeTopology(t: Topology): string {
  const lines: string[] = [`Topology (application ${t.applicationId}${t.prefix ? `, prefix '${t.prefix}'` : ''})`, '', 'Topics:'];
  for (const topic of t.topics.values()) {
    const value = topic.value ? `${topic.value}.avsc` : 'raw bytes';
    const retention = topic.retentionMs === -1 ? 'forever' : `${topic.retentionMs} ms`;
    lines.push(`  ${topic.name}  [${topic.partitions}p, key=${topic.key}, value=${value}, ${topic.cleanup}, retention ${retention}]`);
  }
  for (const p of t.processors.values()) {
    lines.push('', `Processor ${p.name} (${p.partitions} task${p.partitions === 1 ? '' : 's'})${p.doc ? ` — ${p.doc}` : ''}`);
    for (const i of p.inputs) lines.push(`  <-- ${i.name}`);
    for (const g of p.globals) lines.push(`  <== ${g.name} (global table)`);
    for (const s of p.stores) lines.push(`  [store ${s.name}] <-> ${s.changelog}`);
    for (const o of p.outputs) lines.push(`  --> ${o.name}`);
  }
  if (t.queries.size > 0) {
    lines.push('', 'Queries (HTTP /stores/<name>/<key>):');
    for (const [q, s] of t.queries) lines.push(`  ${q} -> ${s.processor}.${s.name}`);
  }
  return lines.join('\n');
}

/** The topology as plain JSON (names on the broker; what `topology describe --json` prints). */
export function topologyJson(t: Topology): unknown {
  return {
    applicationId: t.applicationId,
    prefix: t.prefix,
    topics: [...t.topics.values()].map((x) => ({
      name: x.name,
      logical: x.logical,
      partitions: x.partitions,
      replicationFactor: x.replicationFactor,
      key: x.key,
      value: x.value,
      cleanup: x.cleanup,
      retentionMs: x.retentionMs,
      ...(x.changelogOf ? { changelogOf: x.changelogOf } : {}),
      doc: x.doc,
    })),
    processors: [...t.processors.values()].map((p) => ({
      name: p.name,
      tasks: p.partitions,
      inputs: p.inputs.map((x) => x.name),
      globals: p.globals.map((x) => x.name),
      outputs: p.outputs.map((x) => x.name),
      stores: p.stores.map((s) => ({ name: s.name, changelog: s.changelog })),
      doc: p.doc,
    })),
    queries: Object.fromEntries([...t.queries].map(([q, s]) => [q, `${s.processor}.${s.name}`])),
  };
}

/** The topology as a Graphviz digraph: topics as ellipses, processors as boxes, stores as cylinders. */
export function topologyDot(t: Topology): string {
  const id = (kind: string, name: string) => JSON.stringify(`${kind}:${name}`);
  const label = (s: string) => JSON.stringify(s);
  const lines = [`digraph ${label(t.applicationId)} {`, '  rankdir=LR;', '  node [fontname="Helvetica"];'];
  for (const x of t.topics.values()) {
    if (x.changelogOf) continue;
    lines.push(`  ${id('topic', x.name)} [shape=ellipse, label=${label(`${x.name}\n${x.partitions}p ${x.cleanup}`)}];`);
  }
  for (const p of t.processors.values()) {
    lines.push(`  ${id('processor', p.name)} [shape=box, style=bold, label=${label(`${p.name}\n${p.partitions} tasks`)}];`);
    for (const i of p.inputs) lines.push(`  ${id('topic', i.name)} -> ${id('processor', p.name)};`);
    for (const g of p.globals) lines.push(`  ${id('topic', g.name)} -> ${id('processor', p.name)} [style=dashed, label="global"];`);
    for (const o of p.outputs) lines.push(`  ${id('processor', p.name)} -> ${id('topic', o.name)};`);
    for (const s of p.stores) {
      lines.push(`  ${id('store', `${p.name}.${s.name}`)} [shape=cylinder, label=${label(`${s.name}\n→ ${s.changelog}`)}];`);
      lines.push(`  ${id('processor', p.name)} -> ${id('store', `${p.name}.${s.name}`)} [dir=both, arrowsize=0.6];`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function posInt(v: unknown, what: string, problems: string[]): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 10_000) return v;
  problems.push(`${what} must be an integer from 1 to 10000, got ${JSON.stringify(v)}`);
  return undefined;
}

function unknownFields(raw: Record<string, unknown>, allowed: string[], at: string, problems: string[]): void {
  for (const k of Object.keys(raw)) if (!allowed.includes(k)) problems.push(`${at}: unknown field '${k}'`);
}
