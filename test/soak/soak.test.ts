/**
 * The short soak of issue 19 in the suite: the whole pipeline on the soak's own secured 3-node
 * stack (started and stopped here, unless it was running or DKG_STREAM_KEEP_STACK=1) for a few
 * minutes under instance kills at the bad moments, one kill of a broker leading input partitions,
 * then every invariant. `npm run soak` is the long run (soak/README.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak, soakSummary } from '../../soak/soak.ts';

test('short soak: 3 instances under instance and broker kills keep every invariant', { timeout: 18 * 60_000 }, async () => {
  const seed = Number(process.env.DKG_STREAM_SOAK_SEED || 19);
  const r = await runSoak({
    minutes: 3,
    seed,
    instances: 3,
    faults: { instanceKills: 8, brokerKills: 1, rollingRestarts: 0, registryRestarts: 0, scales: 0, dataDirWipes: 1 },
    stopStack: process.env.DKG_STREAM_KEEP_STACK !== '1',
    log: () => {},
  });
  const summary = soakSummary(r);
  console.log(summary);
  assert.ok(r.epochs >= 3, `only ${r.epochs} epochs ran\n${summary}`);
  const injected = Object.values(r.faults).reduce((a, f) => a + f.count, 0);
  assert.ok(injected >= 9, `only ${injected} faults were injected\n${summary}`);
  assert.equal(r.invariants.length, 7, summary);
  for (const i of r.invariants) assert.ok(i.ok, `${i.name}: ${i.detail}\n${summary}`);
  assert.deepEqual(r.problems, [], summary);
});
