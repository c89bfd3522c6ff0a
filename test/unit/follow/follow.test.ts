/**
 * The follow processor through the broker-less driver: real certificates threshold-signed by the
 * fixture committees over a short chain (L = 4, heights 1..11, boundaries 3, 7 and 11).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapFromHeader, bootstrapFromOutcome } from '../../../src/processors/follow/bootstrap.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import { encodeFinalization } from '../../../src/tempo/finalization.ts';
import { encodeTempoHeader, tempoHeaderHash, tempoHeaderToJson } from '../../../src/tempo/header.ts';
import { bytesToHex } from '../../../src/tempo/hex.ts';
import { epochKey } from '../../../src/topics/epoch-key.ts';
import { buildChain, type ChainBlock, fixtureCommittee, reCertify, signFinalization } from '../../support/tempo-chain.ts';
import { codec, type Feed, harness, TOPICS } from './harness.ts';

const L = 4n;
const chain = buildChain({ epochLength: L, epochs: 3 });
const committee = fixtureCommittee();
const other = fixtureCommittee('wrong_committee');
const genesisBoot = () => bootstrapFromOutcome(chain.genesis.outcomeBytes);
const heights = (vs: Array<{ height: bigint }>) => vs.map((v) => Number(v.height));

/** A block of `b`'s height whose header is changed (new digest) and signed by `signer`. */
function variant(b: ChainBlock, change: (h: ChainBlock['header']) => void, signer = b.signer, epoch = b.epoch): Feed {
  const header = structuredClone(b.header);
  change(header);
  const fin = signFinalization({ epoch, view: b.view, parent: b.view - 1n, payload: tempoHeaderHash(header) }, signer);
  return { height: b.height, epoch: b.epoch, certificate: encodeFinalization(fin), headerRlp: encodeTempoHeader(header) };
}

test('genesis trust root: every height verified once, schemes registered and epochs advanced at the boundaries, parked certificates released', async () => {
  const h = harness({ epochLength: L, bootstrap: genesisBoot() });
  await h.feed(chain.blocks);
  // Epoch 1 lives on partition 1, which has not seen the boundary of epoch 0 (partition 0): parked.
  assert.deepEqual(heights(await h.verified()), [1, 2, 3]);
  assert.equal((await h.driver.entries('pending', 0)).length, 4, 'heights 8..11 (epoch 2) parked on partition 0');
  assert.equal((await h.driver.entries('pending', 1)).length, 4, 'heights 4..7 parked on partition 1');
  await h.sync();
  assert.deepEqual(
    heights(await h.verified()).sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  );
  assert.equal((await h.driver.entries('pending', 0)).length + (await h.driver.entries('pending', 1)).length, 0);
  const events = await h.epochEvents();
  assert.deepEqual(
    events.map((e) => `${e.key}:${e.type}`),
    ['0/0:SchemeRegistered', '1/0:SchemeRegistered', '1/1:EpochAdvanced', '2/0:SchemeRegistered', '2/1:EpochAdvanced', '3/0:SchemeRegistered', '3/1:EpochAdvanced'],
  );
  const adv = events.find((e) => e.key === '2/1')!;
  assert.equal(adv.type, 'EpochAdvanced');
  if (adv.type === 'EpochAdvanced') {
    assert.equal(adv.from, 1n);
    assert.equal(adv.boundaryHeight, 7n);
    assert.equal(bytesToHex(adv.boundaryHash), bytesToHex(chain.block(7n).hash));
    assert.equal(adv.isFullDkg, false);
    assert.deepEqual(adv.players.map(bytesToHex), committee.participants.map(bytesToHex));
  }
  const reg = events.find((e) => e.key === '2/0')!;
  assert.ok(reg.type === 'SchemeRegistered' && bytesToHex(reg.identity) === bytesToHex(committee.identity) && reg.source === 'boundary:7');
  assert.ok(reg.type === 'SchemeRegistered' && bytesToHex(reg.outcome!) === bytesToHex(chain.block(7n).header.inner.extraData));
  const v = (await h.verified()).find((x) => x.height === 7n)!;
  assert.equal(v.isBoundary, true);
  assert.equal(v.epoch, 1n);
  assert.equal(bytesToHex(v.blockHash), bytesToHex(chain.block(7n).hash));
  assert.deepEqual(h.rejects(), []);
});

test('idempotent per height: duplicates, a re-proposed boundary (new view, same digest) and JSON headers emit nothing new', async () => {
  const h = harness({ epochLength: L, networkIdentity: { identity: committee.identity, fromEpoch: 0n } });
  const first = chain.blocks.slice(0, 4);
  await h.feed(first);
  const again = reCertify(chain.block(3n), 9n);
  await h.feed([
    ...first,
    { height: 3n, epoch: 0n, certificate: again.certificate, headerRlp: chain.block(3n).headerRlp },
    { height: 2n, epoch: 0n, certificate: chain.block(2n).certificate, headerJson: JSON.stringify(tempoHeaderToJson(chain.block(2n).header)) },
  ]);
  assert.deepEqual(heights(await h.verified()), [1, 2, 3, 4]);
  assert.equal((await h.epochEvents()).length, 2, 'one SchemeRegistered + one EpochAdvanced for the boundary');
  assert.deepEqual(h.rejects(), []);
});

test('a crash after the commit and a redelivery from an older offset do not repeat any effect', async () => {
  const h = harness({ epochLength: L, networkIdentity: { identity: committee.identity, fromEpoch: 0n } }, 1);
  await h.feed(chain.blocks.slice(0, 2));
  await h.feed(chain.blocks.slice(2, 4), { crashBeforeApply: true });
  await h.driver.redeliver('consensus.finalizations', 0, 0);
  await h.driver.restart({ wipeLocalState: true });
  await h.driver.redeliver('consensus.finalizations', 0, 1);
  await h.feed(chain.blocks.slice(3, 5));
  assert.deepEqual(heights(await h.verified()), [1, 2, 3, 4, 5]);
  assert.equal((await h.epochEvents()).length, 2);
});

test('network-identity fallback verifies without registrations; a rotated identity parks until the registered scheme arrives', async () => {
  // Epoch 2 is signed by another committee (a full DKG during epoch 1): the boundary of 1 says so.
  const rotated = buildChain({ epochLength: L, epochs: 3, committeeOf: (e) => (e >= 2n ? other : committee) });
  const h = harness({ epochLength: L, networkIdentity: { identity: committee.identity, fromEpoch: 0n } });
  await h.feed(rotated.blocks);
  assert.deepEqual(heights(await h.verified()), [1, 2, 3, 4, 5, 6, 7], 'epochs 0 and 1 under the fallback, epoch 2 parked');
  assert.equal((await h.driver.entries('pending', 0)).length, 4);
  const adv = (await h.epochEvents()).find((e) => e.key === '1/1')!;
  assert.ok(adv.type === 'EpochAdvanced' && adv.isFullDkg === true, 'the boundary of 0 announces a full DKG during epoch 1');
  await h.sync();
  assert.deepEqual(heights(await h.verified()), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const v = (await h.verified()).find((x) => x.height === 9n)!;
  assert.equal(bytesToHex(v.identity), bytesToHex(other.identity));
  assert.deepEqual(h.rejects(), []);
});

test('bootstrap from a trusted boundary header: later epochs verify, earlier ones are IdentityUnavailable (then below the pruned horizon)', async () => {
  const boot = bootstrapFromHeader(chain.block(3n).headerRlp, L);
  assert.equal(boot.epoch, 1n);
  assert.throws(() => bootstrapFromHeader(chain.block(2n).headerRlp, L), /neither the genesis nor a boundary/);
  const h = harness({ epochLength: L, bootstrap: boot }, 1);
  await h.feed(chain.blocks.slice(3, 6));
  await h.feed([chain.block(2n)]);
  await h.feed(chain.blocks.slice(6));
  // Once the boundary of epoch 1 is verified, epoch 0 is below the pruned horizon: skipped.
  await h.feed([chain.block(2n)]);
  assert.deepEqual(heights(await h.verified()), [4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(
    h.rejects().map((r) => r.errorClass),
    ['IdentityUnavailable'],
  );
  const events = await h.epochEvents();
  assert.deepEqual(
    events.map((e) => e.key),
    ['1/0', '2/0', '2/1', '3/0', '3/1'],
  );
  assert.ok(events[0]!.type === 'SchemeRegistered' && events[0]!.source === 'bootstrap:3');
});

test('every rejection goes to the DLQ with its reason, and nothing else happens for it', async () => {
  const h = harness({ epochLength: L, bootstrap: genesisBoot() }, 1);
  const b1 = chain.block(1n);
  const b2 = chain.block(2n);
  const b3 = chain.block(3n);
  const trailing = Uint8Array.from([...b1.certificate, 0]);
  const wrongEpoch = signFinalization({ ...b1.finalization.proposal, epoch: 1n }, committee);
  const badOutcome = variant(b3, (hd) => (hd.inner.extraData = Uint8Array.of(1, 2, 3)));
  const wrongOutcomeEpoch = variant(b3, (hd) => (hd.inner.extraData = chain.block(7n).header.inner.extraData));
  await h.feed([
    { ...b1, certificate: trailing },
    { ...b1, certificate: b2.certificate },
    { ...b1, certificate: encodeFinalization(wrongEpoch) },
    { ...b1, key: Buffer.alloc(8, 1) },
    variant(b1, () => {}, other),
    badOutcome,
    wrongOutcomeEpoch,
    { ...b1, headerRlp: Uint8Array.of(0xc0) },
    b1,
  ]);
  assert.deepEqual(
    h.rejects().map((r) => r.errorClass),
    ['MalformedCertificate', 'BlockDigestMismatch', 'EpochMismatch', 'EpochMismatch', 'VerificationFailed', 'MalformedOutcome', 'MalformedOutcome', 'MalformedHeader'],
  );
  assert.match(h.rejects()[6]!.errorMessage, /outcome of epoch 2, expected 1/);
  assert.deepEqual(heights(await h.verified()), [1], 'only the good record');
  assert.equal((await h.epochEvents()).length, 1, 'only the bootstrap registration');
  // A conflicting block at a verified height, validly signed: rejected, the first one stays.
  await h.feed([variant(b1, (hd) => (hd.inner.gasUsed = 7n))]);
  assert.equal(h.rejects().at(-1)!.errorClass, 'ConflictingFinalization');
});

test('a boundary whose extraData has bytes after a valid outcome is accepted as tempo accepts it, and recorded (event field, metric)', async () => {
  const metrics = new Metrics();
  const h = harness({ epochLength: L, bootstrap: genesisBoot(), metrics }, 1);
  const b3 = chain.block(3n);
  const outcome = b3.header.inner.extraData;
  const padded = variant(b3, (hd) => (hd.inner.extraData = Uint8Array.from([...outcome, 0xde, 0xad, 0xbe, 0xef])));
  await h.feed([...chain.blocks.slice(0, 2), padded, ...chain.blocks.slice(3, 7)]);
  assert.deepEqual(h.rejects(), [], 'tempo reads the outcome with read: not MalformedOutcome');
  assert.deepEqual(heights(await h.verified()), [1, 2, 3, 4, 5, 6, 7], 'the next epoch verifies under the registered scheme');
  const events = await h.epochEvents();
  const reg = events.find((e) => e.key === '1/0')!;
  assert.ok(reg.type === 'SchemeRegistered' && bytesToHex(reg.outcome!) === bytesToHex(outcome), 'the registered outcome is the outcome alone');
  const adv = events.find((e) => e.key === '1/1')!;
  assert.ok(adv.type === 'EpochAdvanced' && adv.outcomeTrailingBytes === 4);
  const next = events.find((e) => e.key === '2/1')!;
  assert.ok(next.type === 'EpochAdvanced' && next.outcomeTrailingBytes === 0);
  assert.equal(metrics.get('dkg_stream_follow_outcome_trailing_bytes_total'), 4);
});

test('a parked record that fails once its scheme arrives goes to the DLQ as VerificationFailed', async () => {
  const h = harness({ epochLength: L, bootstrap: genesisBoot() });
  const forged = variant(chain.block(5n), () => {}, other);
  await h.feed([...chain.blocks.slice(0, 3), forged, chain.block(4n)]);
  assert.equal((await h.driver.entries('pending', 1)).length, 2);
  await h.feed([chain.block(3n)]);
  await h.sync();
  assert.deepEqual(
    h.rejects().map((r) => r.errorClass),
    ['VerificationFailed'],
  );
  assert.deepEqual(heights(await h.verified()), [1, 2, 3, 4]);
  assert.equal((await h.driver.entries('pending', 1)).length, 0);
});

test('maxPending bounds the parked records (IdentityUnavailable beyond it)', async () => {
  const h = harness({ epochLength: L, bootstrap: genesisBoot(), maxPending: 2 }, 2);
  await h.feed(chain.blocks.slice(3, 7));
  assert.deepEqual(
    h.rejects().map((r) => r.errorClass),
    ['IdentityUnavailable', 'IdentityUnavailable'],
  );
  assert.equal((await h.driver.entries('pending', 1)).length, 2);
});

test('heights stay in order per epoch when a record arrives between the table update and the reaction to it', async () => {
  const h = harness({ epochLength: L, bootstrap: genesisBoot() });
  await h.feed([...chain.blocks.slice(0, 3), chain.block(4n), chain.block(5n)]);
  await h.feed([chain.block(3n)]);
  const hook = h.driver.def.onGlobalUpdate;
  h.driver.def.onGlobalUpdate = undefined; // the table has the scheme, the task has not reacted yet
  await h.sync();
  h.driver.def.onGlobalUpdate = hook;
  await h.feed([chain.block(6n)]);
  assert.deepEqual(heights(await h.verified()), [1, 2, 3, 4, 5, 6]);
});

// Parking's nothing-parked shortcut (parking.ts) must never hide a parked record.
test('records parked before a restart are released by the next record of their epoch once the scheme is known, from the kept or the restored store', async () => {
  for (const wipeLocalState of [false, true]) {
    const h = harness({ epochLength: L, bootstrap: genesisBoot() });
    await h.feed([chain.block(1n), chain.block(2n), chain.block(4n), chain.block(5n)]);
    assert.equal((await h.driver.entries('pending', 1)).length, 2, 'heights 4, 5 parked on partition 1');
    await h.driver.restart({ wipeLocalState });
    await h.feed([chain.block(3n)]); // the boundary of epoch 0, on partition 0: the scheme of epoch 1
    const hook = h.driver.def.onGlobalUpdate;
    h.driver.def.onGlobalUpdate = undefined; // only the next record of epoch 1 can release them
    await h.sync();
    await h.feed([chain.block(6n)]);
    h.driver.def.onGlobalUpdate = hook;
    assert.deepEqual(heights(await h.verified()), [1, 2, 3, 4, 5, 6], `wipeLocalState: ${wipeLocalState}`);
    assert.equal((await h.driver.entries('pending', 1)).length, 0);
    assert.deepEqual(h.rejects(), []);
  }
});

test('a record parked earlier in the same chunk is released by the boundary later in that chunk', async () => {
  const h = harness({ epochLength: L, bootstrap: genesisBoot() }, 1);
  const c = codec();
  const value = (b: ChainBlock) => c.encodeFinalization({ height: b.height, certificate: b.certificate, header: { rlp: b.headerRlp }, source: 'test', receivedAtMs: 0 });
  const order = [1n, 2n, 5n, 3n, 4n].map((n) => chain.block(n));
  await h.driver.pipe(TOPICS.input, await Promise.all(order.map(async (b) => ({ key: epochKey(b.epoch), value: await value(b), partition: 0 }))));
  assert.deepEqual(heights(await h.verified()), [1, 2, 3, 5, 4], 'height 5 parked, then released by the boundary 3 in the same transaction');
  assert.equal((await h.driver.entries('pending', 0)).length, 0);
  assert.deepEqual(h.rejects(), []);
});
