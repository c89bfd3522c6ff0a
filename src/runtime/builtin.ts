/**
 * Built-in processors of the runtime itself (not the DKG ones): the counting fold used by the
 * fault harness, the benchmark and the runtime's own tests.
 *
 * `count`: input value = a record id (UTF-8 text); per key it keeps a u64 count in store
 * `counts` and emits `<id>:<count>` to the output topic with the input key. A value starting with
 * `bad` fails to decode (→ DLQ), one starting with `boom` fails in the fold after writing (→ DLQ,
 * write rolled back).
 */
import { decodeU64, u64 } from '../state/keys.ts';
import type { ProcessorDef } from './processor.ts';

export function countProcessor(opts: { name?: string; input: string; output: string }): ProcessorDef<string> {
  return {
    name: opts.name ?? 'count',
    inputs: [opts.input],
    outputs: [opts.output],
    stores: ['counts'],
    decode(record) {
      const v = record.value?.toString('utf8') ?? '';
      if (v.startsWith('bad')) throw new Error(`undecodable value '${v}'`);
      return v;
    },
    async process(ctx, id, record) {
      const key = record.key ?? Buffer.alloc(0);
      const counts = ctx.store('counts');
      const prev = await counts.get(key);
      const n = (prev ? decodeU64(prev) : 0n) + 1n;
      counts.put(key, u64(n));
      if (id.startsWith('boom')) throw Object.assign(new Error(`fold failed on '${id}'`), { name: 'FoldError' });
      ctx.send({ topic: opts.output, key, value: Buffer.from(`${id}:${n}`) });
    },
  };
}
