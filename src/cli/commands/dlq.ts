/**
 * `dkg-stream dlq list|show|redrive`: the way back from the dead-letter topic.
 *
 * - `list` filters letters by their `dlq.*` headers (no decoding): processor, reason (error
 *   class), source topic, failure time; a table or JSON.
 * - `show <offset>` decodes one letter (Avro through the registry, or JSON as the runtime's
 *   default encoder writes it).
 * - `redrive` produces the original records of the selected letters back to their source topic
 *   and partition, exactly once. Invariant: a letter is redriven at most once, ever. Each
 *   redriven letter is recorded in the compacted topic `<dlq>.redriven` (key
 *   `<dlq topic>/<partition>/<offset>`) in the SAME Kafka transaction as the records it redrives;
 *   the transactional id is fixed (`<applicationId>-dlq-redrive`), so starting a redrive fences any
 *   other one still running (its transaction aborts) before the markers are read (read_committed).
 *   A second redrive of the same letters therefore finds their markers and writes nothing.
 *
 * Dead letters keep only a bounded prefix of large values (dlq.ts): for those, redrive reads the
 * original from its source topic/partition/offset and checks it against the letter's SHA-256. If
 * retention has deleted it, the whole redrive is refused (exit 1) with the letters concerned,
 * unless --skip-missing.
 */

import { createHash } from 'node:crypto';
import { type FollowEnv, followEnv } from '../../app/env.ts';
import { loadConfig } from '../../config.ts';
import { type DeadLetter, DLQ_HEADERS, decodeJsonDeadLetter } from '../../runtime/dlq.ts';
import type { InRecord, KafkaPort, OutRecord } from '../../runtime/kafka/port.ts';
import { showValue } from '../../show.ts';
import { TOPICS } from '../../topics/names.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';

const usage = `Usage: dkg-stream dlq list [filters] [--json]
       dkg-stream dlq show <offset> [--partition N] [--json]
       dkg-stream dlq redrive [filters] [--dry-run] [--skip-missing] [--json]

Filters (all optional, combined with AND):
  --processor P      letters written by processor P (e.g. dkg-journal, follow, ingest)
  --reason R[,R…]    error class, e.g. AuthenticationFailed, MalformedCertificate, RecordRejected
  --topic T          source topic (logical name as in topology.yaml, or the full name)
  --since T          failed at or after T (ms since epoch or ISO 8601)
  --until T          failed before T
  --offset N[,N…]    only these letters (offsets in the DLQ topic)

redrive produces each selected letter's original record again to its source topic and partition,
in one transaction that also records the letters in the compacted topic <dlq>.redriven: a letter
is redriven at most once (a second redrive of the same letters does nothing). A letter that keeps
only a prefix of its value is redriven from the original in its source topic; if retention has
deleted it, nothing is redriven and the command exits 1 (--skip-missing: redrive the others).
--dry-run shows what would be redriven.`;

/** A letter as listed: where it is in the DLQ and the facts of its headers. */
export interface LetterSummary {
  partition: number;
  offset: number;
  processor: string;
  reason: string;
  message: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
  failedAtMs: number;
  valueSize: number;
  truncated: boolean;
  redriven: boolean;
}

export interface LetterFilter {
  processor?: string;
  reasons?: string[];
  topic?: string;
  sinceMs?: number;
  untilMs?: number;
  offsets?: number[];
}

const header = (r: InRecord, name: string): string => r.headers[name]?.toString('utf8') ?? '';

const markerKey = (dlqTopic: string, partition: number, offset: number) => `${dlqTopic}/${partition}/${offset}`;

export const redrivenTopic = (dlqTopic: string) => `${dlqTopic}.redriven`;

/** Every record of `topic` from its log start to its high watermark (read_committed). */
async function readAll(port: KafkaPort, topic: string): Promise<InRecord[]> {
  const admin = await port.admin();
  const marks = (await admin.offsets(topic)).filter((m) => m.high > m.low);
  if (marks.length === 0) return [];
  const out: InRecord[] = [];
  const h = await port.read({
    topic,
    from: new Map(marks.map((m) => [m.partition, m.low])),
    until: new Map(marks.map((m) => [m.partition, m.high])),
    onRecords: async (_p, records) => void out.push(...records),
  });
  await h.done;
  return out;
}

/** The keys recorded in `<dlq>.redriven` (empty when the topic does not exist yet). */
async function redrivenKeys(port: KafkaPort, dlqTopic: string): Promise<Set<string>> {
  const admin = await port.admin();
  if (!(await admin.listTopics()).includes(redrivenTopic(dlqTopic))) return new Set();
  return new Set((await readAll(port, redrivenTopic(dlqTopic))).filter((r) => r.value !== null && r.key).map((r) => r.key!.toString('utf8')));
}

function summary(r: InRecord, redriven: Set<string>): LetterSummary {
  const num = (n: string, dflt: number) => {
    const v = Number(header(r, n));
    return header(r, n) === '' || !Number.isFinite(v) ? dflt : v;
  };
  return {
    partition: r.partition,
    offset: r.offset,
    processor: header(r, DLQ_HEADERS.processor),
    reason: header(r, DLQ_HEADERS.errorClass),
    message: header(r, DLQ_HEADERS.errorMessage),
    sourceTopic: header(r, DLQ_HEADERS.sourceTopic),
    sourcePartition: num(DLQ_HEADERS.sourcePartition, -1),
    sourceOffset: num(DLQ_HEADERS.sourceOffset, -1),
    failedAtMs: num(DLQ_HEADERS.failedAt, r.timestamp),
    valueSize: num(DLQ_HEADERS.valueSize, r.value?.length ?? -1),
    truncated: header(r, DLQ_HEADERS.valueTruncated) === 'true',
    redriven: redriven.has(markerKey(r.topic, r.partition, r.offset)),
  };
}

function matches(s: LetterSummary, f: LetterFilter): boolean {
  if (f.processor !== undefined && s.processor !== f.processor) return false;
  if (f.reasons && !f.reasons.includes(s.reason)) return false;
  if (f.topic !== undefined && s.sourceTopic !== f.topic) return false;
  if (f.sinceMs !== undefined && s.failedAtMs < f.sinceMs) return false;
  if (f.untilMs !== undefined && s.failedAtMs >= f.untilMs) return false;
  if (f.offsets && !f.offsets.includes(s.offset)) return false;
  return true;
}

/** The letters of the DLQ topic matching `filter`, with the raw records. */
export async function listLetters(port: KafkaPort, dlqTopic: string, filter: LetterFilter): Promise<Array<{ summary: LetterSummary; record: InRecord }>> {
  const redriven = await redrivenKeys(port, dlqTopic);
  return (await readAll(port, dlqTopic)).map((record) => ({ summary: summary(record, redriven), record })).filter((l) => matches(l.summary, filter));
}

/** Decodes a letter's value: Avro in the registry wire format (magic byte 0), else the runtime's JSON. */
export async function decodeLetter(env: Pick<FollowEnv, 'serde'>, value: Buffer | null): Promise<DeadLetter> {
  if (value === null) throw new Error('the letter has no value (a tombstone)');
  if (value[0] === 0) {
    const v = (await env.serde.decode(value, 'dlq')).value as DeadLetter & { sourceOffset: number | bigint };
    return { ...v, sourceOffset: Number(v.sourceOffset) };
  }
  return decodeJsonDeadLetter(value);
}

/** The original record of a letter, read from its source partition (undefined when retention deleted it). */
async function original(port: KafkaPort, topic: string, partition: number, offset: number): Promise<InRecord | undefined> {
  const admin = await port.admin();
  const marks = (await admin.offsets(topic)).find((m) => m.partition === partition);
  if (!marks || offset < marks.low || offset >= marks.high) return undefined;
  let found: InRecord | undefined;
  const h = await port.read({
    topic,
    from: new Map([[partition, offset]]),
    until: new Map([[partition, offset + 1]]),
    onRecords: async (_p, records) => void (found ??= records.find((r) => r.offset === offset)),
  });
  await h.done;
  return found;
}

const sha256 = (b: Buffer | null) => (b === null ? null : createHash('sha256').update(b).digest());

export interface RedriveReport {
  selected: number;
  redriven: number;
  alreadyRedriven: number;
  /** Letters that cannot be redriven, with why (originals deleted by retention, no source partition…). */
  refused: Array<{ offset: number; source: string; why: string }>;
  dryRun: boolean;
  records: Array<{ offset: number; to: string; bytes: number; fromSource: boolean }>;
}

/** Redrives the letters matching `filter` (see the module doc for the exactly-once argument). */
export async function redrive(
  env: Pick<FollowEnv, 'serde' | 'port'>,
  opts: { dlqTopic: string; applicationId: string; filter: LetterFilter; dryRun?: boolean; skipMissing?: boolean },
): Promise<RedriveReport> {
  const { port } = env;
  const admin = await port.admin();
  const markers = redrivenTopic(opts.dlqTopic);
  if (!opts.dryRun) {
    await admin.createTopics([{ topic: markers, partitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
  }
  // Fence any other redrive first (its open transaction aborts), then read the markers: anything
  // it committed is visible, anything it did not will never be.
  const producer = opts.dryRun ? undefined : await port.transactionalProducer(`${opts.applicationId}-dlq-redrive`);
  try {
    const letters = await listLetters(port, opts.dlqTopic, opts.filter);
    const report: RedriveReport = { selected: letters.length, redriven: 0, alreadyRedriven: 0, refused: [], dryRun: !!opts.dryRun, records: [] };
    const out: OutRecord[] = [];
    for (const { summary: s, record } of letters) {
      if (s.redriven) {
        report.alreadyRedriven++;
        continue;
      }
      const source = `${s.sourceTopic}/${s.sourcePartition}@${s.sourceOffset}`;
      if (s.sourcePartition < 0 || s.sourceOffset < 0) {
        report.refused.push({ offset: s.offset, source, why: 'the letter has no source partition (e.g. an ingest frame): nothing to redrive to' });
        continue;
      }
      const dl = await decodeLetter(env, record.value);
      let key = dl.key;
      let value = dl.value;
      let fromSource = false;
      if (dl.keyTruncated || dl.valueTruncated) {
        const o = await original(port, s.sourceTopic, s.sourcePartition, s.sourceOffset);
        if (!o) {
          report.refused.push({
            offset: s.offset,
            source,
            why: `the letter keeps only a ${dl.value?.length ?? 0}-byte prefix of its ${dl.valueSize}-byte value and the original is no longer in ${source} (deleted by retention)`,
          });
          continue;
        }
        if (dl.valueSha256 && !sha256(o.value)?.equals(dl.valueSha256)) {
          report.refused.push({ offset: s.offset, source, why: `the record at ${source} is not the one dead-lettered (SHA-256 differs)` });
          continue;
        }
        key = o.key;
        value = o.value;
        fromSource = true;
      }
      out.push({
        topic: s.sourceTopic,
        partition: s.sourcePartition,
        key,
        value,
        headers: { 'dlq.redriven.from': markerKey(record.topic, record.partition, record.offset) },
      });
      out.push({
        topic: markers,
        partition: 0,
        key: Buffer.from(markerKey(record.topic, record.partition, record.offset), 'utf8'),
        value: Buffer.from(JSON.stringify({ redrivenAtMs: Date.now(), to: source.replace(/@.*/, '') }), 'utf8'),
      });
      report.records.push({ offset: s.offset, to: `${s.sourceTopic}/${s.sourcePartition}`, bytes: value?.length ?? 0, fromSource });
    }
    if (report.refused.length > 0 && !opts.skipMissing) return { ...report, records: [] };
    if (opts.dryRun || !producer || out.length === 0) return report;
    const txn = await producer.begin();
    try {
      await txn.send(out);
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => {});
      throw err;
    }
    report.redriven = report.records.length;
    return report;
  } finally {
    await producer?.close().catch(() => {});
  }
}

function timeFlag(v: string | boolean | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const t = String(v);
  const ms = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} must be ms since epoch or an ISO 8601 date`);
  return ms;
}

function offsetsFlag(v: string | boolean | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = String(v).split(',');
  if (!parts.every((p) => /^\d+$/.test(p))) throw new UsageError('--offset must be a comma-separated list of non-negative integers');
  return parts.map(Number);
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function table(rows: LetterSummary[]): string {
  const head = ['offset', 'failed at', 'processor', 'reason', 'source', 'bytes', 'redriven', 'message'];
  const body = rows.map((r) => [
    String(r.offset),
    new Date(r.failedAtMs).toISOString(),
    r.processor,
    r.reason,
    `${r.sourceTopic}/${r.sourcePartition}@${r.sourceOffset}`,
    `${r.valueSize}${r.truncated ? '*' : ''}`,
    r.redriven ? 'yes' : 'no',
    cut(r.message.replace(/\s+/g, ' '), 60),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line), `${rows.length} letter(s)${rows.some((r) => r.truncated) ? '; * = value kept as a prefix, the original is in its source topic' : ''}`].join('\n');
}

const command: Command = {
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'list' && sub !== 'show' && sub !== 'redrive') throw new UsageError(sub === undefined ? 'give a sub-command: list, show or redrive' : `unknown sub-command ${showValue(sub)}`);
    const { flags, positionals } = parseArgs(rest, {
      strings: ['processor', 'reason', 'topic', 'since', 'until', 'offset', 'partition', 'config'],
      booleans: ['json', 'dry-run', 'skip-missing'],
    });
    if (sub !== 'show' && positionals.length > 0) throw new UsageError(`unexpected argument ${showValue(positionals[0])}`);
    if (sub === 'show' && (positionals.length !== 1 || !/^\d+$/.test(positionals[0]!))) throw new UsageError('dlq show takes one offset (a non-negative integer)');
    if (flags.partition !== undefined && !/^\d+$/.test(String(flags.partition))) throw new UsageError('--partition must be a non-negative integer');
    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    const env = followEnv(config, 'dkg-stream-dlq');
    try {
      const dlq = env.topology.topics.get(TOPICS.dlq);
      if (!dlq) throw new Error('the topology has no dlq topic');
      const topicName = typeof flags.topic === 'string' ? (env.topology.topics.get(flags.topic)?.name ?? flags.topic) : undefined;
      const filter: LetterFilter = {
        ...(typeof flags.processor === 'string' ? { processor: flags.processor } : {}),
        ...(typeof flags.reason === 'string' ? { reasons: flags.reason.split(',') } : {}),
        ...(topicName !== undefined ? { topic: topicName } : {}),
        ...(flags.since !== undefined ? { sinceMs: timeFlag(flags.since, 'since')! } : {}),
        ...(flags.until !== undefined ? { untilMs: timeFlag(flags.until, 'until')! } : {}),
        ...(flags.offset !== undefined ? { offsets: offsetsFlag(flags.offset)! } : {}),
      };
      const json = flags.json === true;
      if (sub === 'list') {
        const rows = (await listLetters(env.port, dlq.name, filter)).map((l) => l.summary);
        process.stdout.write((json ? JSON.stringify(rows) : table(rows)) + '\n');
        return 0;
      }
      if (sub === 'show') {
        const offset = Number(positionals[0]);
        const partition = flags.partition !== undefined ? Number(flags.partition) : 0;
        const found = (await listLetters(env.port, dlq.name, { offsets: [offset] })).find((l) => l.record.partition === partition);
        if (!found) throw new Error(`no dead letter at ${dlq.name}/${partition}@${offset} (deleted by retention, or not written yet)`);
        const dl = await decodeLetter(env, found.record.value);
        const hex = (b: Buffer | null, n = 256) => (b === null ? null : b.subarray(0, n).toString('hex') + (b.length > n ? '…' : ''));
        const shown = {
          dlq: `${dlq.name}/${partition}@${offset}`,
          redriven: found.summary.redriven,
          stage: header(found.record, DLQ_HEADERS.stage),
          ...dl,
          key: hex(dl.key),
          value: hex(dl.value),
          keySha256: dl.keySha256?.toString('hex') ?? null,
          valueSha256: dl.valueSha256?.toString('hex') ?? null,
          failedAt: new Date(dl.failedAtMs).toISOString(),
        };
        process.stdout.write((json ? JSON.stringify(shown) : JSON.stringify(shown, null, 2)) + '\n');
        return 0;
      }
      const report = await redrive(env, { dlqTopic: dlq.name, applicationId: config.applicationId, filter, dryRun: flags['dry-run'] === true, skipMissing: flags['skip-missing'] === true });
      if (json) process.stdout.write(JSON.stringify(report) + '\n');
      else {
        const verb = report.dryRun ? 'would redrive' : 'redriven';
        process.stdout.write(
          `${report.selected} letter(s) selected: ${report.dryRun ? report.records.length : report.redriven} ${verb}, ${report.alreadyRedriven} already redriven before, ${report.refused.length} refused\n`,
        );
        for (const r of report.records) process.stdout.write(`  ${verb} letter ${r.offset} → ${r.to} (${r.bytes} bytes${r.fromSource ? ', read back from the source topic' : ''})\n`);
      }
      for (const r of report.refused) process.stderr.write(`dkg-stream dlq: letter ${r.offset} (${r.source}): ${r.why}\n`);
      if (report.refused.length > 0 && flags['skip-missing'] !== true) {
        process.stderr.write('dkg-stream dlq: nothing was redriven (use --skip-missing to redrive the other letters)\n');
        return 1;
      }
      return 0;
    } finally {
      await env.close();
    }
  },
};

export default command;
