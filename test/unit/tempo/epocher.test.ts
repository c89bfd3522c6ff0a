import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FixedEpocher, InvalidEpochLength, TEMPO_EPOCH_LENGTH } from '../../../src/tempo/epocher.ts';
import { TestRng } from '../../support/rng.ts';

const U64_MAX = (1n << 64n) - 1n;

test('Tempo schedule (L = 21600): heights start at 0, boundaries at E*L + L - 1', () => {
  const e = new FixedEpocher(TEMPO_EPOCH_LENGTH);
  assert.deepEqual(e.containing(0n), { epoch: 0n, height: 0n, first: 0n, last: 21599n });
  assert.equal(e.last(0n), 21599n);
  assert.equal(e.first(1n), 21600n);
  assert.equal(e.last(50n), 1101599n);
  assert.equal(e.first(51n), 1101600n);
  assert.equal(e.isBoundary(21599n), true);
  assert.equal(e.isBoundary(21600n), false);
  assert.equal(e.isBoundary(0n), false);
  assert.equal(e.containing(21600n)!.epoch, 1n);
});

test('phase: early below L/2, midpoint at L/2, late after', () => {
  const e = new FixedEpocher(10n);
  assert.equal(e.phase(24n), 'early');
  assert.equal(e.phase(25n), 'midpoint');
  assert.equal(e.phase(26n), 'late');
  const odd = new FixedEpocher(5n);
  assert.equal(odd.phase(1n), 'early');
  assert.equal(odd.phase(2n), 'midpoint');
});

test('last boundary at or before a height (follower start-up rule)', () => {
  const e = new FixedEpocher(100n);
  assert.equal(e.lastBoundaryAtOrBefore(0n), 0n);
  assert.equal(e.lastBoundaryAtOrBefore(50n), 0n);
  assert.equal(e.lastBoundaryAtOrBefore(99n), 99n);
  assert.equal(e.lastBoundaryAtOrBefore(100n), 99n);
  assert.equal(e.lastBoundaryAtOrBefore(250n), 199n);
});

test('u64 overflow gives undefined; invalid lengths are rejected', () => {
  assert.throws(() => new FixedEpocher(0n), InvalidEpochLength);
  assert.throws(() => new FixedEpocher(-1), InvalidEpochLength);
  assert.throws(() => new FixedEpocher(1n << 64n), InvalidEpochLength);
  const e = new FixedEpocher(1000n);
  assert.equal(e.containing(U64_MAX), undefined, 'the epoch of u64::MAX would end past u64::MAX');
  assert.equal(e.last(U64_MAX / 1000n), undefined);
  assert.equal(e.first(U64_MAX), undefined);
  assert.equal(e.containing(-1n), undefined);
  const one = new FixedEpocher(1n);
  assert.deepEqual(one.containing(U64_MAX), { epoch: U64_MAX, height: U64_MAX, first: U64_MAX, last: U64_MAX });
});

test('property: containing/first/last agree for random lengths and heights (seeded)', () => {
  const rng = new TestRng(0x5eed_0004);
  for (let i = 0; i < 1000; i++) {
    const L = BigInt(1 + rng.int(100_000));
    const e = new FixedEpocher(L);
    const h = rng.bigBits(rng.int(65)) % (1n << 50n);
    const info = e.containing(h)!;
    assert.ok(info.first <= h && h <= info.last);
    assert.equal(info.last - info.first, L - 1n);
    assert.equal(e.first(info.epoch), info.first);
    assert.equal(e.last(info.epoch), info.last);
    assert.equal(e.containing(info.last + 1n)!.epoch, info.epoch + 1n);
    assert.equal(e.isBoundary(h), h === info.last);
  }
});
