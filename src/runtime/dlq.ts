/**
 * Dead-letter records. A record that fails to decode or to process is produced to the DLQ topic
 * in the same transaction as the task's other effects, keyed by the source key, with:
 *
 * headers (all UTF-8 strings):
 *   dlq.error.class       error name (e.g. DecodeError, UnknownSchemaId, AuthenticationFailed)
 *   dlq.error.message     error message (truncated to 1000 chars)
 *   dlq.source.topic      source topic
 *   dlq.source.partition  source partition
 *   dlq.source.offset     source offset
 *   dlq.processor         processor name
 *   dlq.stage             'decode' | 'process'
 *   dlq.failed.at         ms since epoch
 *
 * value: a {@link DeadLetter} (fields of `schemas/dlq.avsc`, record `xyz.dkgstream.dlq.DeadLetter`)
 * encoded by the configured encoder — Avro through the registry in production, JSON by default
 * (tests, tools) so the runtime does not depend on the registry.
 */
import type { InRecord } from './kafka/port.ts';

export const DLQ_HEADERS = {
  errorClass: 'dlq.error.class',
  errorMessage: 'dlq.error.message',
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  processor: 'dlq.processor',
  stage: 'dlq.stage',
  failedAt: 'dlq.failed.at',
} as const;

export type DlqStage = 'decode' | 'process';

/** Matches schemas/dlq.avsc field for field. */
export interface DeadLetter {
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
  processor: string;
  errorClass: string;
  errorMessage: string;
  key: Buffer | null;
  value: Buffer | null;
  timestampMs: number;
  failedAtMs: number;
}

export type DlqEncoder = (dl: DeadLetter) => Buffer | Promise<Buffer>;

export const jsonDlqEncoder: DlqEncoder = (dl) =>
  Buffer.from(JSON.stringify({ ...dl, key: dl.key?.toString('base64') ?? null, value: dl.value?.toString('base64') ?? null }), 'utf8');

export function decodeJsonDeadLetter(b: Buffer): DeadLetter {
  const o = JSON.parse(b.toString('utf8')) as DeadLetter & { key: string | null; value: string | null };
  return { ...o, key: o.key === null ? null : Buffer.from(o.key, 'base64'), value: o.value === null ? null : Buffer.from(o.value, 'base64') };
}

export function deadLetter(record: InRecord, processor: string, err: unknown, now = Date.now()): DeadLetter {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    sourceTopic: record.topic,
    sourcePartition: record.partition,
    sourceOffset: record.offset,
    processor,
    errorClass: e.name || 'Error',
    errorMessage: (e.message || String(err)).slice(0, 1000),
    key: record.key,
    value: record.value,
    timestampMs: record.timestamp,
    failedAtMs: now,
  };
}

export function dlqHeaders(dl: DeadLetter, stage: DlqStage): Record<string, string> {
  return {
    [DLQ_HEADERS.errorClass]: dl.errorClass,
    [DLQ_HEADERS.errorMessage]: dl.errorMessage,
    [DLQ_HEADERS.sourceTopic]: dl.sourceTopic,
    [DLQ_HEADERS.sourcePartition]: String(dl.sourcePartition),
    [DLQ_HEADERS.sourceOffset]: String(dl.sourceOffset),
    [DLQ_HEADERS.processor]: dl.processor,
    [DLQ_HEADERS.stage]: stage,
    [DLQ_HEADERS.failedAt]: String(dl.failedAtMs),
  };
}
