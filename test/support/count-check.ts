/** Checks for the counting processor (builtin `count`): reference fold and exactly-once outputs. */
import type { InRecord, KafkaPort } from '../../src/runtime/kafka/port.ts';
import { decodeU64 } from '../../src/state/keys.ts';

/** Reads a whole topic read_committed (to the current end offsets). */
export async function readTopic(port: KafkaPort, topic: string): Promise<InRecord[]> {
  const admin = await port.admin();
  const marks = (await admin.offsets(topic)).filter((m) => m.high > m.low);
  const out: InRecord[] = [];
  if (marks.length === 0) return out;
  const h = await port.read({
    topic,
    from: new Map(marks.map((m) => [m.partition, m.low])),
    until: new Map(marks.map((m) => [m.partition, m.high])),
    onRecords: async (_p, rs) => void out.push(...rs),
  });
  await h.done;
  return out;
}

/** The reference fold of the count processor over input records: key → count. */
export function referenceCounts(inputs: Array<{ key: string; value: string }>): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const r of inputs) if (!r.value.startsWith('bad') && !r.value.startsWith('boom')) m.set(r.key, (m.get(r.key) ?? 0n) + 1n);
  return m;
}

/** Output check: every good input id exactly once, and per key the counts 1..n in order. */
export function checkOutputs(inputs: Array<{ key: string; value: string }>, outputs: InRecord[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const perKey = new Map<string, bigint[]>();
  for (const o of outputs) {
    const [id, n] = o.value!.toString().split(':');
    seen.set(id!, (seen.get(id!) ?? 0) + 1);
    const k = o.key!.toString();
    (perKey.get(k) ?? perKey.set(k, []).get(k)!).push(BigInt(n!));
  }
  for (const r of inputs) {
    if (r.value.startsWith('bad') || r.value.startsWith('boom')) continue;
    const c = seen.get(r.value) ?? 0;
    if (c !== 1) problems.push(`id ${r.value}: ${c} outputs`);
  }
  if (outputs.length !== inputs.filter((r) => !r.value.startsWith('bad') && !r.value.startsWith('boom')).length) problems.push(`output count ${outputs.length}`);
  for (const [k, ns] of perKey) if (ns.some((n, i) => n !== BigInt(i + 1))) problems.push(`key ${k}: counts not 1..n in order`);
  return problems.slice(0, 20);
}

export const countOf = (v: Buffer | undefined): bigint => (v ? decodeU64(v) : 0n);
