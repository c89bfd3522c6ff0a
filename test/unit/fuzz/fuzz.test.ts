import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAMILY_NAMES } from '../../../fuzz/families.ts';
import { formatReport, runFuzz } from '../../../fuzz/run.ts';

// The short seeded run of the decoder fuzzer (the full run is `npm run fuzz -- --inputs 1000000`,
// figures in README). Every family must see inputs, accept some (the seeds are valid) and reject
// the rest with typed errors only; any finding fails with the input that caused it.
test('fuzz: 10k seeded inputs over every decoder family, no untyped error, hang or non-canonical acceptance', { timeout: 600_000 }, async () => {
  const res = await runFuzz({ inputs: 10_000, seed: 20261207 });
  const table = formatReport(res);
  assert.deepEqual(
    res.findings.map((f) => `${f.kind} in ${f.family} #${f.index}: ${f.detail.split('\n')[0]} input ${f.inputHex.slice(0, 200)}`),
    [],
    table,
  );
  assert.deepEqual(
    res.reports.map((r) => r.family),
    [...FAMILY_NAMES],
  );
  for (const r of res.reports) {
    assert.equal(r.inputs, 1250, `${r.family} ran all its inputs`);
    assert.ok(r.accepted > 0 && r.rejected > 0, `${r.family} both accepts and rejects:\n${table}`);
    assert.equal(r.accepted + r.rejected, r.inputs);
  }
});
