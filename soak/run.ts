/**
 * `npm run soak -- --minutes M [--seed S] [--instances K]`: the chaos soak (soak/README.md).
 * Prints progress on stderr, the summary table on stdout, writes soak/results/latest.json and a
 * line in soak/results/history.jsonl; exit 0 only when every invariant holds.
 */
import { parseArgs } from 'node:util';
import { runSoak, soakSummary, writeResult } from './soak.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string' }, seed: { type: 'string' }, instances: { type: 'string' }, 'no-reference': { type: 'boolean' } }, strict: true });
const int = (v: string | undefined, name: string, dflt: number, min: number, max: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`soak: --${name} must be an integer from ${min} to ${max}\n`);
    process.exit(2);
  }
  return n;
};
const minutes = int(values.minutes, 'minutes', 40, 1, 24 * 60);
const seed = int(values.seed, 'seed', Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31 - 1);
const instances = int(values.instances, 'instances', 3, 2, 16);
const result = await runSoak({ minutes, seed, instances, reference: values['no-reference'] !== true });
process.stdout.write(soakSummary(result) + '\n');
writeResult(result);
process.exit(result.ok ? 0 : 1);
