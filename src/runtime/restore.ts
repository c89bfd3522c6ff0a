/**
 * Changelog restore, shared by the Kafka runtime and the test driver: apply changelog records
 * (internal keys, null = delete) to a store together with the next changelog offset, so a restore
 * interrupted at any point resumes where it stopped and a restart replays only the gap.
 */
import type { InternalChange, StateStore } from '../state/store.ts';
import type { InRecord } from './kafka/port.ts';

export interface RestoreProgress {
  processor: string;
  store: string;
  partition: number;
  /** Changelog records applied so far in this restore. */
  restored: number;
  /** Records between the start offset and the end (upper bound: includes commit markers). */
  total: number;
  done: boolean;
}

export async function applyChangelogBatch(store: StateStore, records: InRecord[], nextOffset: number): Promise<void> {
  const changes: InternalChange[] = [];
  for (const r of records) if (r.key) changes.push({ key: r.key, value: r.value });
  await store.applyChangelog(changes, nextOffset);
}
