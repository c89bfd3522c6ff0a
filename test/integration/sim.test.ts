/**
 * The simulation against the real stack (n = 4, 3 epochs, every fault injected): the validators'
 * ceremonies, the follower process and the downstream subscriber must agree — one
 * SchemeRegistered per epoch and one EpochAdvanced per transition, identities/outcomes equal to
 * what the validators computed (a reshare keeps the identity, the full DKG changes it), every
 * block verified by the follower and re-verified by the subscriber, and each injected fault where
 * it belongs (reveals, an excluded dealer, DLQ reasons).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAULTS, runSimulation, summaryTable } from '../../src/sim/simulation.ts';
import { BROKERS, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';

test('sim: n = 4, 3 epochs, all faults — epochs, schemes and subscriber cross-checks', { timeout: 300_000 }, async () => {
  const lines: string[] = [];
  const r = await runSimulation({
    n: 4,
    epochs: 3,
    fullDkgAt: 1,
    faults: [...FAULTS],
    seed: 11,
    brokers: BROKERS,
    registryUrl: REGISTRY_URL,
    topologyFile: TOPOLOGY_FILE,
    schemasDir: SCHEMAS_DIR,
    prefix: uniquePrefix('sim'),
    out: (l) => lines.push(l),
    progress: () => {},
    drainTimeoutMs: 150_000,
  });
  const table = summaryTable(r);
  assert.deepEqual(r.problems, [], table);
  assert.equal(r.ok, true, table);
  assert.deepEqual(
    r.rows.map((x) => x.epoch),
    [0, 1, 2],
  );
  for (const row of r.rows) {
    assert.equal(row.schemes, 1, `epoch ${row.epoch}: one SchemeRegistered`);
    assert.equal(row.advances, 1, `epoch ${row.epoch}: one EpochAdvanced into the next epoch`);
    assert.equal(row.verified, row.blocks, `epoch ${row.epoch}: every block verified once`);
    assert.equal(row.reverified, row.blocks, `epoch ${row.epoch}: every block re-verified downstream`);
    assert.equal(row.outcomeMatches, true);
  }
  // Committee rotation: one leaves, one joins per epoch.
  assert.deepEqual(
    r.rows.map((x) => [x.joined, x.left]),
    [
      [null, null],
      ['v4', 'v0'],
      ['v5', 'v1'],
    ],
  );
  // Identity: reshare keeps it, the full DKG of epoch 1 changes it for epoch 2.
  assert.equal(r.rows[0]!.kind, 'reshare');
  assert.equal(r.rows[1]!.kind, 'full DKG');
  assert.equal(r.rows[0]!.identity, r.rows[1]!.identity);
  assert.notEqual(r.rows[1]!.identity, r.rows[2]!.identity);
  // Faults where they belong.
  assert.equal(r.rows[0]!.reveals, 1, 'bad share → one reveal');
  assert.ok(r.rows[1]!.revealed.length === 1, 'a player that never acks is revealed');
  assert.equal(r.rows[2]!.excluded.length, 1, 'a dealer with too many reveals is excluded');
  assert.deepEqual(r.dlq.map((d) => d.reason).sort(), ['BlockDigestMismatch', 'VerificationFailed']);
  // The subscriber printed one line per epoch.
  assert.equal(lines.filter((l) => l.startsWith('subscriber: epoch')).length, 3);
});
