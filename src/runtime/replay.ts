/**
 * Replay from a topic offset (DESIGN contract 3): reset a processor's consumer group to an offset,
 * a timestamp or the beginning of its inputs and rebuild its stores from there.
 *
 * A replay is safe only while nothing else runs the processor, so it:
 *   1. refuses while the group has active members ({@link ReplayRefused}, naming them);
 *   2. measures the end offsets of every input partition (the replay stops there) and resets the
 *      group's committed offsets per partition (`from-timestamp` via offsetsForTimestamp; an
 *      offset is clamped to [log start, end]);
 *   3. deletes the processor's local RocksDB stores and recreates its changelog topics empty
 *      (same partitions and configs; compacted topics refuse DeleteRecords), so the task restore
 *      finds nothing to resurrect;
 *   4. runs the processor until every partition's committed position reached the measured end
 *      offset, showing a progress bar, then stops it cleanly. The position after the last folded
 *      record can stay below the end when only transaction markers (or aborted records) follow:
 *      a partition whose position stalls is checked with a read_committed read of the rest of
 *      its range, and counts as done when that read finds no record.
 * Outputs (and dead letters) of the replayed range are produced again: downstream consumers see
 * them twice, as with Kafka Streams' application reset.
 */
import { rmSync } from 'node:fs';
import { storeDir } from '../state/rocksdb.ts';
import { tpKey } from '../state/store.ts';
import type { AdminPort, KafkaPort, TopicPartitionOffset } from './kafka/port.ts';
import { logger } from './log.ts';
import type { ProcessorDef } from './processor.ts';
import { ProgressBar } from './progress.ts';
import type { StreamRuntime } from './runtime.ts';

const log = logger('runtime.replay');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type ReplayFrom = { kind: 'beginning' } | { kind: 'offset'; offset: number } | { kind: 'timestamp'; timestampMs: number };

/** The replay cannot start safely (e.g. instances of the processor are running). */
export class ReplayRefused extends Error {
  override name = 'ReplayRefused';
}

export interface ReplayOptions {
  port: KafkaPort;
  processor: ProcessorDef<any>;
  /** The processor's consumer group (`<applicationId>-<processor>`). */
  groupId: string;
  dataDir: string;
  changelogTopic(store: string): string;
  from: ReplayFrom;
  /** Builds the runtime that folds the replay (same group, data dir and changelogs). */
  runtime(): StreamRuntime;
  /** Where the progress bar goes (default stderr; null = none). */
  progress?: NodeJS.WriteStream | null;
  /** Give up after this long (default: no limit). */
  timeoutMs?: number;
}

export interface ReplayPartition {
  topic: string;
  partition: number;
  /** First offset replayed. */
  from: number;
  /** End offset measured at start (the replay stops there). */
  to: number;
  records: number;
  dlq: number;
}

export interface ReplayReport {
  processor: string;
  groupId: string;
  from: ReplayFrom;
  partitions: ReplayPartition[];
  records: number;
  dlq: number;
  ms: number;
  recordsPerSecond: number;
}

const CHANGELOG_CONFIGS = ['cleanup.policy', 'min.cleanable.dirty.ratio', 'segment.ms', 'retention.ms'];

/** What a replay would do, without doing it (`replay --dry-run`). */
export interface ReplayPlan {
  processor: string;
  groupId: string;
  from: ReplayFrom;
  /** Active members of the group: a replay is refused while there are any. */
  activeMembers: string[];
  partitions: Array<{ topic: string; partition: number; committed: number | null; from: number; to: number; records: number }>;
  /** Local store directories that would be deleted. */
  storeDirs: string[];
  /** Changelog topics that would be recreated empty. */
  changelogs: string[];
  records: number;
}

/** Per input partition the replay's start and end, and who is in the group; nothing is changed. */
async function planPartitions(admin: AdminPort, o: Pick<ReplayOptions, 'processor' | 'groupId' | 'from'>): Promise<{ members: string[]; partitions: ReplayPartition[] }> {
  const group = await admin.describeGroup(o.groupId);
  const members = group.members.map((m) => `${m.clientId}@${m.host}`);
  const partitions: ReplayPartition[] = [];
  for (const topic of o.processor.inputs) {
    const marks = await admin.offsets(topic);
    const byTs = o.from.kind === 'timestamp' ? new Map((await admin.offsetsForTimestamp(topic, o.from.timestampMs)).map((x) => [x.partition, x.offset])) : undefined;
    for (const m of marks) {
      let from: number;
      if (o.from.kind === 'beginning') from = m.low;
      else if (o.from.kind === 'offset') from = o.from.offset;
      else from = byTs!.get(m.partition) ?? m.high;
      from = Math.min(Math.max(from, m.low), m.high);
      partitions.push({ topic, partition: m.partition, from, to: m.high, records: 0, dlq: 0 });
    }
  }
  return { members, partitions };
}

/** The replay `o` would run now: offsets per partition, stores and changelogs reset. Changes nothing. */
export async function planReplay(o: Pick<ReplayOptions, 'port' | 'processor' | 'groupId' | 'dataDir' | 'changelogTopic' | 'from'>): Promise<ReplayPlan> {
  const admin = await o.port.admin();
  const { members, partitions } = await planPartitions(admin, o);
  const committed = new Map<string, number>();
  for (const topic of o.processor.inputs) for (const c of await admin.groupOffsets(o.groupId, topic)) committed.set(tpKey(topic, c.partition), c.offset);
  const partitionNumbers = [...new Set(partitions.map((p) => p.partition))];
  const stores = o.processor.stores ?? [];
  return {
    processor: o.processor.name,
    groupId: o.groupId,
    from: o.from,
    activeMembers: members,
    partitions: partitions.map((p) => {
      const c = committed.get(tpKey(p.topic, p.partition));
      return { topic: p.topic, partition: p.partition, committed: c === undefined || c < 0 ? null : c, from: p.from, to: p.to, records: p.to - p.from };
    }),
    storeDirs: stores.flatMap((store) => partitionNumbers.map((p) => storeDir(o.dataDir, o.processor.name, store, p))),
    changelogs: stores.map((store) => o.changelogTopic(store)),
    records: partitions.reduce((n, p) => n + (p.to - p.from), 0),
  };
}

export async function replay(o: ReplayOptions): Promise<ReplayReport> {
  const t0 = Date.now();
  const def = o.processor;
  const admin = await o.port.admin();

  // 1. Nobody else may run the processor. 2. Start and end offsets per input partition.
  const { members, partitions } = await planPartitions(admin, o);
  if (members.length > 0) {
    throw new ReplayRefused(
      `consumer group '${o.groupId}' has ${members.length} active member(s) (${members.join(', ')}): stop every instance of processor '${def.name}' ` +
        `before replaying (a replay resets the group's offsets and rebuilds the stores, which is only safe while the group is empty)`,
    );
  }
  for (const topic of def.inputs) {
    await admin.setGroupOffsets(
      o.groupId,
      topic,
      partitions.filter((p) => p.topic === topic).map((p) => ({ partition: p.partition, offset: p.from })),
    );
  }
  log.info({ processor: def.name, group: o.groupId, from: o.from, partitions }, 'group offsets reset');

  // 3. Local stores and changelogs start empty.
  const partitionNumbers = [...new Set(partitions.map((p) => p.partition))];
  for (const store of def.stores ?? []) {
    for (const p of partitionNumbers) rmSync(storeDir(o.dataDir, def.name, store, p), { recursive: true, force: true });
    await recreateEmpty(admin, o.changelogTopic(store));
  }

  // 4. Fold up to the measured ends.
  const total = partitions.reduce((n, p) => n + (p.to - p.from), 0);
  const report = (): ReplayReport => {
    const records = partitions.reduce((n, p) => n + p.records, 0);
    const ms = Date.now() - t0;
    return {
      processor: def.name,
      groupId: o.groupId,
      from: o.from,
      partitions,
      records,
      dlq: partitions.reduce((n, p) => n + p.dlq, 0),
      ms,
      recordsPerSecond: Math.round(records / Math.max(0.001, ms / 1000)),
    };
  };
  if (total === 0) return report();

  const position = new Map(partitions.map((p) => [tpKey(p.topic, p.partition), p.from]));
  const progressAt = new Map(partitions.map((p) => [tpKey(p.topic, p.partition), Date.now()]));
  const bar = o.progress === null ? undefined : new ProgressBar(`replay ${def.name}`, total, o.progress ?? process.stderr);
  const done = () => partitions.reduce((n, p) => n + Math.min(p.to, position.get(tpKey(p.topic, p.partition))!) - p.from, 0);
  const rt = o.runtime();
  rt.on('commit', (c: { partition: number; stats: { processed: number; dlq: number }; offsets: TopicPartitionOffset[] }) => {
    for (const off of c.offsets) {
      const k = tpKey(off.topic, off.partition);
      const cur = position.get(k);
      if (cur !== undefined && off.offset > cur) {
        position.set(k, off.offset);
        progressAt.set(k, Date.now());
      }
    }
    // A task's commit covers one partition: its stats belong to that input partition.
    const part = partitions.find((p) => p.partition === c.partition && c.offsets.some((x) => x.topic === p.topic)) ?? partitions.find((p) => p.partition === c.partition);
    if (part) {
      part.records += c.stats.processed;
      part.dlq += c.stats.dlq;
    }
    bar?.update(done());
  });
  let failed: Error | undefined;
  rt.on('error', (e: Error) => (failed = e));
  await rt.ensureTopics();
  const deadline = o.timeoutMs ? Date.now() + o.timeoutMs : Infinity;
  try {
    await rt.start();
    for (;;) {
      if (failed) throw failed;
      if (Date.now() > deadline) throw new Error(`replay did not reach the end offsets within ${o.timeoutMs} ms`);
      const open = partitions.filter((p) => position.get(tpKey(p.topic, p.partition))! < p.to);
      if (open.length === 0) break;
      const stalled = open.filter((p) => Date.now() - progressAt.get(tpKey(p.topic, p.partition))! > 1000);
      for (const topic of new Set(stalled.map((p) => p.topic))) {
        const mine = stalled.filter((p) => p.topic === topic);
        const withData = await partitionsWithRecords(o.port, topic, new Map(mine.map((p) => [p.partition, position.get(tpKey(topic, p.partition))!])), new Map(mine.map((p) => [p.partition, p.to])));
        for (const p of mine) {
          const k = tpKey(topic, p.partition);
          if (withData.has(p.partition)) progressAt.set(k, Date.now());
          else position.set(k, p.to); // only markers / aborted records left
        }
      }
      bar?.update(done());
      await sleep(250);
    }
  } finally {
    await rt.stop();
  }
  bar?.update(total);
  const r = report();
  bar?.done(`${r.records} records, ${r.dlq} to the DLQ, ${(r.ms / 1000).toFixed(1)} s, ${r.recordsPerSecond} records/s`);
  return r;
}

/** The partitions that still hold a committed record in [from, until) (read_committed). */
async function partitionsWithRecords(port: KafkaPort, topic: string, from: Map<number, number>, until: Map<number, number>): Promise<Set<number>> {
  const found = new Set<number>();
  const h = await port.read({
    topic,
    from,
    until,
    onRecords: async (p, records) => {
      if (records.length > 0) found.add(p);
      if (found.size === from.size) void h.stop();
    },
  });
  await h.done;
  return found;
}

/** Deletes a topic and creates it again, empty, with the same partition count and configs. */
async function recreateEmpty(admin: AdminPort, topic: string): Promise<void> {
  if (!(await admin.listTopics()).includes(topic)) return; // created empty by ensureTopics
  const partitions = await admin.partitionCount(topic);
  const configs = await admin.describeConfigs(topic, CHANGELOG_CONFIGS);
  await admin.deleteTopics([topic]);
  const deadline = Date.now() + 60_000;
  let created = false;
  for (;;) {
    try {
      if (!created && !(await admin.listTopics()).includes(topic)) {
        await admin.createTopics([{ topic, partitions, configs }]);
        created = true;
      }
      // Once created, keep asking until the broker reports every partition empty: a first
      // answer right after creation can still be incomplete.
      if (created) {
        const marks = await admin.offsets(topic);
        if (marks.length === partitions && marks.every((m) => m.high === 0)) break;
      }
    } catch (err) {
      // The broker may still be finishing the deletion (topic marked for deletion); if the topic
      // vanished after all, create it again.
      if (Date.now() > deadline) throw err;
      if (created) created = (await admin.listTopics().catch(() => [] as string[])).includes(topic);
    }
    if (Date.now() > deadline) throw new Error(`changelog ${topic} could not be recreated within 60 s`);
    await sleep(250);
  }
  log.info({ topic, partitions }, 'changelog recreated empty');
}

/** The dry run's table (stdout): what a replay would reset, per partition. */
export function formatReplayPlan(p: ReplayPlan): string {
  const rows = [
    ['topic', 'partition', 'committed', 'from', 'to', 'records'],
    ...p.partitions.map((x) => [x.topic, String(x.partition), x.committed === null ? '-' : String(x.committed), String(x.from), String(x.to), String(x.records)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i < 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `dry run: replay of ${p.processor} (group ${p.groupId}) from ${describeFrom(p.from)} would reset these offsets (nothing was changed)`,
    line(rows[0]!),
    ...rows.slice(1).map(line),
    `would delete ${p.storeDirs.length} local store director${p.storeDirs.length === 1 ? 'y' : 'ies'} under the data directory and recreate ${p.changelogs.length} changelog(s) empty: ${p.changelogs.join(', ') || '(none)'}`,
    `would fold ${p.records} records`,
    p.activeMembers.length > 0
      ? `would be REFUSED now: the group has ${p.activeMembers.length} active member(s) (${p.activeMembers.join(', ')})`
      : 'the group has no active members: the replay could run now',
  ].join('\n');
}

const describeFrom = (f: ReplayFrom): string => (f.kind === 'beginning' ? 'the beginning' : f.kind === 'offset' ? `offset ${f.offset}` : `timestamp ${new Date(f.timestampMs).toISOString()}`);

/** The summary table of a replay (stdout). */
export function formatReplayReport(r: ReplayReport): string {
  const from = describeFrom(r.from);
  const rows = [['topic', 'partition', 'from', 'to', 'records', 'dlq'], ...r.partitions.map((p) => [p.topic, String(p.partition), String(p.from), String(p.to), String(p.records), String(p.dlq)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i < 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `replay of ${r.processor} (group ${r.groupId}) from ${from}`,
    line(rows[0]!),
    ...rows.slice(1).map(line),
    `total: ${r.records} records, ${r.dlq} to the DLQ, ${(r.ms / 1000).toFixed(1)} s, ${r.recordsPerSecond} records/s`,
  ].join('\n');
}
