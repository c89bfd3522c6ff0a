/**
 * Bounded follow state: at each verified boundary the follower prunes the entries of epochs
 * older than `retainEpochs` below a persisted horizon, and skips records below it as
 * `BelowPrunedHorizon`. Through the broker-less driver, over fixture chains with L = 4.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/cli/command.ts';
import { followSettings } from '../../../src/cli/processor-flags.ts';
import { bootstrapFromOutcome } from '../../../src/processors/follow/bootstrap.ts';
import { DEFAULT_RETAIN_EPOCHS, FOLLOW_METRICS, type FollowConfig, FollowConfigError } from '../../../src/processors/follow/config.ts';
import { followProcessor } from '../../../src/processors/follow/processor.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import { decodeU64 } from '../../../src/state/keys.ts';
import { encodeFinalization } from '../../../src/tempo/finalization.ts';
import { encodeTempoHeader, tempoHeaderHash } from '../../../src/tempo/header.ts';
import { bytesToHex } from '../../../src/tempo/hex.ts';
import { buildChain, type ChainBlock, fixtureCommittee, reCertify, signFinalization } from '../../support/tempo-chain.ts';
import { buildDkgChain } from './dkg-chain.ts';
import { codec, type Feed, type Harness, harness, TOPICS } from './harness.ts';

const L = 4n;
const EPOCHS = 10;
const chain = buildChain({ epochLength: L, epochs: EPOCHS }); // heights 1..39, boundaries 3, 7, …, 39
const committee = fixtureCommittee();
const other = fixtureCommittee('wrong_committee');
const genesisBoot = () => bootstrapFromOutcome(chain.genesis.outcomeBytes);
const heights = (vs: Array<{ height: bigint }>) => vs.map((v) => Number(v.height));
const epochBlocks = (e: number) => chain.blocks.filter((b) => b.epoch === BigInt(e));
const ignored = (m: Metrics, reason: string) => m.get(FOLLOW_METRICS.ignored, { reason }) ?? 0;

/** A block at `b`'s height with another header (new digest), validly signed. */
function variant(b: ChainBlock): Feed {
  const header = structuredClone(b.header);
  header.inner.gasUsed = 7n;
  const fin = signFinalization({ epoch: b.epoch, view: b.view, parent: b.view - 1n, payload: tempoHeaderHash(header) }, committee);
  return { height: b.height, epoch: b.epoch, certificate: encodeFinalization(fin), headerRlp: encodeTempoHeader(header) };
}

const FAMILY: Record<number, string> = { 104: 'height', 115: 'scheme', 119: 'wanted', 98: 'boot', 108: 'log', 112: 'horizon' };

/** follow-state keys per family (and the parked records) of one partition. */
async function families(h: Harness, p = 0): Promise<Record<string, number>> {
  const out: Record<string, number> = { height: 0, scheme: 0, wanted: 0, boot: 0, log: 0, horizon: 0, pending: (await h.driver.entries('pending', p)).length };
  for (const [k] of await h.driver.entries('follow-state', p)) out[FAMILY[k[0]!] ?? `0x${k[0]!.toString(16)}`]! += 1;
  return out;
}

async function markedHeights(h: Harness, p = 0): Promise<number[]> {
  return (await h.driver.entries('follow-state', p, { gte: Buffer.of(0x68), lt: Buffer.of(0x69) })).map(([k]) => Number(decodeU64(k, 1)));
}

async function horizon(h: Harness, p = 0): Promise<number> {
  const v = await h.driver.get('follow-state', Buffer.of(0x70), p);
  return v ? Number(decodeU64(v)) : 0;
}

/** Every store of every partition, hex-encoded, in key order. */
async function snapshot(h: Harness, partitions: number): Promise<string> {
  const out: string[] = [];
  for (const s of ['follow-state', 'pending']) {
    for (let p = 0; p < partitions; p++) for (const [k, v] of await h.driver.entries(s, p)) out.push(`${s}/${p} ${k.toString('hex')} ${v.toString('hex')}`);
  }
  return out.join('\n');
}

test('a chain over many epochs keeps at most retainEpochs epochs of height marks (and schemes); without retention every height stays', async () => {
  const h = harness({ epochLength: L, bootstrap: genesisBoot() }, 1);
  const keep = harness({ epochLength: L, bootstrap: genesisBoot(), retainEpochs: 1000 }, 1);
  const R = BigInt(DEFAULT_RETAIN_EPOCHS);
  for (let e = 0; e < EPOCHS; e++) {
    for (const b of epochBlocks(e)) {
      await h.feed([b]);
      const f = await families(h);
      assert.ok(BigInt(f.height!) <= R * L, `height ${b.height}: ${f.height} marks > ${R * L}`);
      assert.ok(f.scheme! <= DEFAULT_RETAIN_EPOCHS, `height ${b.height}: ${f.scheme} schemes`);
    }
    // Right after the boundary of e: only epoch e's heights are marked (e + 1 has none yet).
    assert.deepEqual(await markedHeights(h), heights(epochBlocks(e)), `after the boundary of ${e}`);
    assert.equal(await horizon(h), Number(BigInt(e) * L), `horizon after the boundary of ${e}`);
  }
  await keep.feed(chain.blocks);
  const before = await families(keep);
  const after = await families(h);
  assert.deepEqual(before, { height: 39, scheme: 11, wanted: 0, boot: 1, log: 0, horizon: 0, pending: 0 }, 'without pruning: every height and every scheme');
  assert.deepEqual(after, { height: 4, scheme: 2, wanted: 0, boot: 1, log: 0, horizon: 1, pending: 0 }, 'pruned: epoch 9 heights, schemes of 9 and 10');
  // Same outputs either way.
  assert.deepEqual(heights(await h.verified()), heights(chain.blocks));
  assert.deepEqual(await h.epochEvents(), await keep.epochEvents());
  assert.deepEqual(h.rejects(), []);
});

test('retainEpochs 1 and 3: the window is the current epoch plus retainEpochs − 1 complete ones; raising it later does not lower the horizon', async () => {
  const blocks = chain.blocks.filter((b) => b.epoch < 6n);
  for (const [R, marked] of [
    [1, []],
    [3, [...heights(epochBlocks(4)), ...heights(epochBlocks(5))]],
  ] as const) {
    const h = harness({ epochLength: L, bootstrap: genesisBoot(), retainEpochs: R }, 1);
    await h.feed(blocks);
    assert.deepEqual(await markedHeights(h), marked, `retainEpochs ${R}`);
    assert.equal(await horizon(h), Number((5n + 2n - BigInt(R)) * L), 'first height of epoch E + 2 − R after the boundary of E = 5');
    assert.deepEqual(heights(await h.verified()), heights(blocks));
  }
  // Raising retainEpochs later (a restart with 1 → 3) never lowers the horizon: epoch 5 stays pruned.
  const metrics = new Metrics();
  const h = harness({ epochLength: L, bootstrap: genesisBoot(), retainEpochs: 1, metrics }, 1);
  await h.feed(blocks);
  await h.driver.restart();
  Object.assign(h.driver.def, followProcessor({ epochLength: L, bootstrap: genesisBoot(), retainEpochs: 3, metrics, topics: TOPICS, codec: codec() }));
  await h.feed(epochBlocks(6));
  assert.equal(await horizon(h), 24, 'the boundary of 6 with retainEpochs 3 would give 20');
  assert.deepEqual(await markedHeights(h), heights(epochBlocks(6)));
  const before = ignored(metrics, 'BelowPrunedHorizon');
  await h.feed([chain.block(21n)]);
  assert.equal(ignored(metrics, 'BelowPrunedHorizon') - before, 1);
  assert.equal(h.driver.outputs(TOPICS.verified).length, 27);
});

test('duplicates: below the horizon skipped and counted (even a conflicting digest); inside the window as before (Duplicate, ConflictingFinalization)', async () => {
  const metrics = new Metrics();
  const h = harness({ epochLength: L, bootstrap: genesisBoot(), metrics }, 1);
  const blocks = chain.blocks.filter((b) => b.epoch < 4n); // heights 1..15, horizon 12 (epoch 3)
  await h.feed(blocks);
  assert.equal(await horizon(h), 12);
  const outputs = () => [TOPICS.verified, TOPICS.epochs, TOPICS.dkgEvents].map((t) => h.driver.outputs(t).length);
  const emitted = outputs();
  assert.equal(metrics.get(FOLLOW_METRICS.records, { outcome: 'verified' }), 15);

  // Pruned heights: an exact duplicate, a re-proposed boundary (new view, same digest) and a
  // conflicting block are all skipped: nothing emitted, nothing rejected, each counted.
  const again = reCertify(chain.block(7n), 9n);
  await h.feed([chain.block(2n), { height: 7n, epoch: 1n, certificate: again.certificate, headerRlp: chain.block(7n).headerRlp }, chain.block(11n), variant(chain.block(5n))]);
  assert.deepEqual(outputs(), emitted, 'nothing re-emitted');
  assert.deepEqual(h.rejects(), [], 'a conflict below the horizon is not detected (documented)');
  assert.equal(ignored(metrics, 'BelowPrunedHorizon'), 4);
  assert.equal(metrics.get(FOLLOW_METRICS.records, { outcome: 'BelowPrunedHorizon' }), 4);
  assert.equal(metrics.get(FOLLOW_METRICS.horizon, { partition: 0 }), 12);

  // Inside the window (epoch 3): same digest skipped as Duplicate, a different one rejected.
  await h.feed([chain.block(13n), chain.block(15n)]);
  assert.deepEqual(outputs(), emitted);
  assert.equal(ignored(metrics, 'Duplicate'), 2);
  await h.feed([variant(chain.block(14n))]);
  assert.deepEqual(
    h.rejects().map((r) => r.errorClass),
    ['ConflictingFinalization'],
  );
  assert.deepEqual(outputs(), emitted);
  // Malformed records below the horizon are still rejected for what they are.
  await h.feed([{ ...chain.block(2n), certificate: Uint8Array.of(1, 2, 3) }]);
  assert.deepEqual(
    h.rejects().map((r) => r.errorClass),
    ['ConflictingFinalization', 'MalformedCertificate'],
  );
  assert.equal(ignored(metrics, 'BelowPrunedHorizon'), 4);
  assert.equal(metrics.get(FOLLOW_METRICS.pruned, { family: 'height' }), 11, 'heights 1..11 pruned');
});

/**
 * Two partitions (even epochs on 0, odd on 1), the network-identity fallback, and epoch 2
 * signed by another committee: partition 0 parks epoch 2, verifies epoch 4 under the fallback,
 * and must not prune past epoch 2 until its parked records are released and verified.
 */
const rotated = buildChain({ epochLength: L, epochs: 6, committeeOf: (e) => (e === 2n ? other : committee) });
const rotatedCfg = (metrics?: Metrics): Omit<FollowConfig, 'topics' | 'codec'> => ({
  epochLength: L,
  networkIdentity: { identity: committee.identity, fromEpoch: 0n },
  ...(metrics ? { metrics } : {}),
});
const NOW = () => 1_700_000_000_000;

async function rotatedRun(h: Harness, opts: { crash?: boolean } = {}): Promise<void> {
  const [first, rest] = [rotated.blocks.slice(0, 9), rotated.blocks.slice(9)];
  await h.feed(first);
  if (opts.crash) {
    // A commit whose store write is lost, then a redelivery from the start: the task must skip
    // what the restored store already reflects.
    await h.feed(rest.slice(0, 3), { crashBeforeApply: true });
    await h.driver.redeliver(TOPICS.input, 0, 0);
    await h.driver.redeliver(TOPICS.input, 1, 0);
    await h.feed(rest.slice(3));
  } else await h.feed(rest);
  await h.sync();
  await h.feed(rotated.blocks); // everything again
  await h.sync();
}

test('pruning never passes an epoch with parked records; released records are verified, not skipped', async () => {
  const metrics = new Metrics();
  const h = harness(rotatedCfg(metrics), 2, { now: NOW });
  await h.feed(rotated.blocks);
  assert.deepEqual(
    heights(await h.verified()).sort((a, b) => a - b),
    heights(rotated.blocks).filter((x) => x < 8 || x > 11),
    'epoch 2 parked',
  );
  assert.equal((await families(h, 0)).pending, 4);
  assert.equal(await horizon(h, 0), 8, 'partition 0 verified the boundary of 4 but is held at epoch 2 (parked)');
  assert.deepEqual(await markedHeights(h, 0), [16, 17, 18, 19], 'epoch 0 pruned, epoch 4 kept');
  assert.equal(await horizon(h, 1), 20, 'partition 1: boundary of 5 → keeps epoch 5 and above');
  assert.deepEqual(await markedHeights(h, 1), [20, 21, 22, 23]);

  await h.sync(); // SchemeRegistered(2) from partition 1 reaches the table: epoch 2 released
  assert.deepEqual(
    heights(await h.verified()).sort((a, b) => a - b),
    heights(rotated.blocks),
    'every height once',
  );
  const p0 = await families(h, 0);
  assert.equal(p0.pending, 0);
  assert.equal(p0.wanted, 0);
  assert.deepEqual(h.rejects(), []);
  const v9 = (await h.verified()).find((x) => x.height === 9n)!;
  assert.equal(bytesToHex(v9.identity), bytesToHex(other.identity));

  // Delivered again: nothing new; partition 0's heights 8..19 are still marked (Duplicate),
  // everything below a horizon is BelowPrunedHorizon.
  const n = h.driver.outputs(TOPICS.verified).length;
  await h.feed(rotated.blocks);
  assert.equal(h.driver.outputs(TOPICS.verified).length, n);
  assert.equal(ignored(metrics, 'BelowPrunedHorizon') + ignored(metrics, 'Duplicate'), rotated.blocks.length);
  assert.equal(ignored(metrics, 'BelowPrunedHorizon'), 3 + 4 + 4, 'epoch 0 on partition 0, epochs 1 and 3 on partition 1');
});

test('replaying the same input from scratch gives byte-identical stores and outputs; a wiped store restores the same bytes from its changelog', async () => {
  const a = harness(rotatedCfg(), 2, { now: NOW });
  const b = harness(rotatedCfg(), 2, { now: NOW });
  const c = harness(rotatedCfg(), 2, { now: NOW });
  await rotatedRun(a);
  await rotatedRun(b);
  await rotatedRun(c, { crash: true });
  const sa = await snapshot(a, 2);
  assert.ok(sa.includes('follow-state/0 70'), 'a horizon exists');
  assert.equal(await snapshot(b, 2), sa);
  assert.equal(await snapshot(c, 2), sa, 'a crash and redelivery end in the same store');
  const outs = (h: Harness) => [TOPICS.verified, TOPICS.epochs, TOPICS.dkgEvents].map((t) => h.driver.outputs(t).map((r) => `${r.partition} ${r.key?.toString('hex')} ${r.value?.toString('hex')}`));
  assert.deepEqual(outs(b), outs(a));
  assert.deepEqual(outs(c), outs(a));
  await a.driver.restart({ wipeLocalState: true });
  assert.equal(await snapshot(a, 2), sa, 'the changelog carries the deletes as tombstones');
});

test('state from before retention drains at most pruneBatch height marks per boundary; records below the horizon are skipped even while their marks remain', async () => {
  const metrics = new Metrics();
  // Six epochs without pruning (as the follower did before), then a restart with retention.
  const h = harness({ epochLength: L, bootstrap: genesisBoot(), retainEpochs: 1000, metrics }, 1);
  await h.feed(chain.blocks.filter((b) => b.epoch < 6n));
  assert.equal((await families(h)).height, 23);
  await h.driver.restart();
  Object.assign(h.driver.def, followProcessor({ epochLength: L, bootstrap: genesisBoot(), pruneBatch: 6, metrics, topics: TOPICS, codec: codec() }));
  let marks = 23;
  for (let e = 6; e < EPOCHS; e++) {
    await h.feed(epochBlocks(e));
    const now = (await families(h)).height!;
    assert.equal(now, marks + 4 - 6, `boundary of ${e}: 4 new marks, 6 deleted`);
    marks = now;
    assert.equal(await horizon(h), e * 4, 'the horizon does not wait for the sweep');
  }
  const left = await markedHeights(h);
  assert.deepEqual(left.slice(0, 3), [25, 26, 27], 'oldest marks go first; 25..35 are below the horizon but not swept yet');
  const before = ignored(metrics, 'BelowPrunedHorizon');
  await h.feed([chain.block(26n)]);
  assert.equal(ignored(metrics, 'BelowPrunedHorizon') - before, 1, 'skipped by the horizon, not by its (stale) mark');
  assert.deepEqual(heights(await h.verified()), heights(chain.blocks));
});

test('retention settings are validated with clear messages', () => {
  const cfg = { epochLength: L, bootstrap: genesisBoot(), topics: TOPICS, codec: codec() };
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
    assert.throws(
      () => followProcessor({ ...cfg, retainEpochs: bad }),
      (err: Error) => {
        assert.ok(err instanceof FollowConfigError);
        assert.match(err.message, /^retainEpochs must be an integer ≥ 1 \(epochs whose verified heights stay deduplicated: 1 = only the current epoch, 2 = the current and the previous one\), got /);
        return true;
      },
    );
  }
  assert.throws(() => followProcessor({ ...cfg, retainEpochs: '3' as unknown as number }), /retainEpochs must be an integer ≥ 1 .*got "3"/);
  assert.throws(() => followProcessor({ ...cfg, pruneBatch: 0 }), /pruneBatch must be an integer ≥ 1 \(height marks deleted per boundary\), got 0/);
  assert.doesNotThrow(() => followProcessor({ ...cfg, retainEpochs: 1 }));

  const flags = { 'epoch-length': '4', chain: 'presto' };
  assert.equal(followSettings(flags).retainEpochs, DEFAULT_RETAIN_EPOCHS);
  assert.equal(followSettings({ ...flags, 'retain-epochs': '5' }).retainEpochs, 5);
  for (const bad of ['0', '-2', 'two', '1.5', '', '99999999999999999999']) {
    assert.throws(
      () => followSettings({ ...flags, 'retain-epochs': bad }),
      (err: Error) => {
        assert.ok(err instanceof UsageError, `${bad}: ${err}`);
        assert.match(err.message, /^--retain-epochs must be an integer ≥ 1 \(epochs whose verified heights stay deduplicated/);
        return true;
      },
    );
  }
  assert.throws(() => followSettings({ ...flags, 'retain-epochs': true }), /--retain-epochs must be an integer ≥ 1/);
});

test('dealer logs of pruned epochs are deleted with the same horizon (at most the window of epochs)', async () => {
  const dkg = buildDkgChain({ n: 4, epochLength: 6n, epochs: 4 });
  const h = harness({ epochLength: 6n, bootstrap: bootstrapFromOutcome(dkg.genesisOutcome) }, 1);
  const keep = harness({ epochLength: 6n, bootstrap: bootstrapFromOutcome(dkg.genesisOutcome), retainEpochs: 100 }, 1);
  for (let e = 0n; e < 4n; e++) {
    const blocks = dkg.blocks.filter((b) => b.epoch === e);
    await h.feed(blocks);
    await keep.feed(blocks);
    const f = await families(h);
    assert.equal(f.log, 4, `after the boundary of ${e}: epoch ${e}'s four logs only`);
    assert.equal(f.height, 6 - (e === 0n ? 1 : 0));
  }
  assert.equal((await families(keep)).log, 16);
  await h.sync();
  const adv = (await h.epochEvents()).flatMap((e) => (e.type === 'EpochAdvanced' ? [e.observation] : []));
  assert.deepEqual(adv, Array(4).fill({ matches: true, logs: 4, reason: null }));
  assert.equal(h.driver.outputs(TOPICS.dkgEvents).length, 16);
});
