/**
 * Dead-letter records. A record that fails to decode or to process is produced to the DLQ topic
 * in the same transaction as the task's other effects, keyed by (a bounded prefix of) the source
 * key, with:
 *
 * headers (all UTF-8 strings):
 *   dlq.error.class       error name (e.g. DecodeError, UnknownSchemaId, AuthenticationFailed)
 *   dlq.error.message     error message (truncated to 1000 chars)
 *   dlq.source.topic      source topic
 *   dlq.source.partition  source partition
 *   dlq.source.offset     source offset
 *   dlq.processor         processor name
 *   dlq.stage             'decode' | 'process' | 'produce'
 *   dlq.failed.at         ms since epoch
 *   dlq.value.size        size of the original value in bytes ('-1': tombstone)
 *   dlq.value.sha256      hex SHA-256 of the original value (absent for a tombstone)
 *   dlq.value.truncated   'true' when the letter keeps only a prefix of the value
 *
 * Bounded whatever the input: key and value are kept whole up to {@link DLQ_KEY_PREFIX_BYTES} /
 * {@link DLQ_VALUE_PREFIX_BYTES} and otherwise as a prefix plus size and SHA-256, so a dead letter
 * always fits the broker's message limit (a letter that carried a 1 MB value whole would itself
 * be rejected and stall the partition). The original stays in its source topic; `dkg-stream dlq
 * redrive` reads it back from there and checks it against the digest.
 *
 * value: a {@link DeadLetter} (fields of `schemas/dlq.avsc`, record `xyz.dkgstream.dlq.DeadLetter`)
 * encoded by the configured encoder — Avro through the registry in production, JSON by default
 * (tests, tools) so the runtime does not depend on the registry.
 */
import { createHash } from 'node:crypto';
import type { InRecord } from './kafka/port.ts';

/** Logical name of the dead-letter topic (topology.yaml; the runtime writes it for every processor). */
export const DLQ_TOPIC = 'dlq';

/** Value bytes a dead letter keeps whole (larger values: this prefix + size + SHA-256). */
export const DLQ_VALUE_PREFIX_BYTES = 16 * 1024;
/** Key bytes a dead letter (and its Kafka key) keeps whole. */
export const DLQ_KEY_PREFIX_BYTES = 1024;

export const DLQ_HEADERS = {
  errorClass: 'dlq.error.class',
  errorMessage: 'dlq.error.message',
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  processor: 'dlq.processor',
  stage: 'dlq.stage',
  failedAt: 'dlq.failed.at',
  valueSize: 'dlq.value.size',
  valueSha256: 'dlq.value.sha256',
  valueTruncated: 'dlq.value.truncated',
} as const;

/** 'produce': the record's effects were rejected by the broker (e.g. too large) and it was isolated. */
export type DlqStage = 'decode' | 'process' | 'produce';

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
  keySize: number | null;
  keySha256: Buffer | null;
  keyTruncated: boolean;
  valueSize: number | null;
  valueSha256: Buffer | null;
  valueTruncated: boolean;
}

export type DlqEncoder = (dl: DeadLetter) => Buffer | Promise<Buffer>;

const b64 = (b: Buffer | null) => b?.toString('base64') ?? null;
const unb64 = (s: string | null | undefined) => (s === null || s === undefined ? null : Buffer.from(s, 'base64'));

export const jsonDlqEncoder: DlqEncoder = (dl) =>
  Buffer.from(JSON.stringify({ ...dl, key: b64(dl.key), value: b64(dl.value), keySha256: b64(dl.keySha256), valueSha256: b64(dl.valueSha256) }), 'utf8');

export function decodeJsonDeadLetter(b: Buffer): DeadLetter {
  type Json = Omit<DeadLetter, 'key' | 'value' | 'keySha256' | 'valueSha256'> & Record<'key' | 'value' | 'keySha256' | 'valueSha256', string | null>;
  const o = JSON.parse(b.toString('utf8')) as Json;
  return {
    ...o,
    keySize: o.keySize ?? null,
    keyTruncated: o.keyTruncated ?? false,
    valueSize: o.valueSize ?? null,
    valueTruncated: o.valueTruncated ?? false,
    key: unb64(o.key),
    value: unb64(o.value),
    keySha256: unb64(o.keySha256),
    valueSha256: unb64(o.valueSha256),
  };
}

/** Bounded copy of some bytes: whole up to `max`, else the prefix; with size and SHA-256. */
function bounded(b: Buffer | null, max: number): { bytes: Buffer | null; size: number | null; sha256: Buffer | null; truncated: boolean } {
  if (b === null) return { bytes: null, size: null, sha256: null, truncated: false };
  const truncated = b.length > max;
  // A copy: the letter must not pin the whole fetched batch (or the whole oversize value).
  return { bytes: Buffer.from(truncated ? b.subarray(0, max) : b), size: b.length, sha256: createHash('sha256').update(b).digest(), truncated };
}

export interface DeadLetterLimits {
  valuePrefixBytes?: number;
  keyPrefixBytes?: number;
}

export function deadLetter(record: InRecord, processor: string, err: unknown, now = Date.now(), limits: DeadLetterLimits = {}): DeadLetter {
  const e = err instanceof Error ? err : new Error(String(err));
  const key = bounded(record.key, limits.keyPrefixBytes ?? DLQ_KEY_PREFIX_BYTES);
  const value = bounded(record.value, limits.valuePrefixBytes ?? DLQ_VALUE_PREFIX_BYTES);
  return {
    sourceTopic: record.topic,
    sourcePartition: record.partition,
    sourceOffset: record.offset,
    processor,
    errorClass: e.name || 'Error',
    errorMessage: (e.message || String(err)).slice(0, 1000),
    key: key.bytes,
    value: value.bytes,
    timestampMs: record.timestamp,
    failedAtMs: now,
    keySize: key.size,
    keySha256: key.sha256,
    keyTruncated: key.truncated,
    valueSize: value.size,
    valueSha256: value.sha256,
    valueTruncated: value.truncated,
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
    [DLQ_HEADERS.valueSize]: String(dl.valueSize ?? -1),
    ...(dl.valueSha256 ? { [DLQ_HEADERS.valueSha256]: dl.valueSha256.toString('hex') } : {}),
    [DLQ_HEADERS.valueTruncated]: String(dl.valueTruncated),
  };
}
