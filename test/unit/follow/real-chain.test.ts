/**
 * The follow processor (broker-less driver, real Avro values) on real Presto mainnet data, with
 * the trust a mainnet follower starts from (`--chain mainnet`: the compiled mainnet identity from
 * epoch 0): the real boundary of epoch 1514 verifies, registers epoch 1515's scheme (a reshare:
 * the same identity), the block of epoch 1515 verifies under that registration; tampering with
 * either record is rejected with tempo's reason. And a real identity rotation from a local tempo
 * devnet.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Metrics } from '../../../src/runtime/metrics.ts';
import { encodeTempoHeader } from '../../../src/tempo/header.ts';
import { bytesToHex, hexToBytes } from '../../../src/tempo/hex.ts';
import { MAINNET_NETWORK_IDENTITY } from '../../../src/tempo/network-identity.ts';
import { PRESTO_BOUNDARY, PRESTO_EPOCH_LENGTH, PRESTO_REGULAR, type PrestoBlock } from '../../support/presto.ts';
import { type Feed, harness } from './harness.ts';

const feed = (b: PrestoBlock, change: Partial<Feed> = {}): Feed => ({ height: b.height, epoch: b.epoch, certificate: b.certificate, headerRlp: b.headerRlp, ...change });

test('Presto mainnet under the compiled identity: boundary 32,723,999 registers epoch 1515, block 32,724,390 verifies under it', async () => {
  const metrics = new Metrics();
  const h = harness({ epochLength: PRESTO_EPOCH_LENGTH, networkIdentity: MAINNET_NETWORK_IDENTITY, metrics }, 1);
  await h.feed([feed(PRESTO_BOUNDARY), feed(PRESTO_REGULAR, { headerRlp: undefined, headerJson: JSON.stringify(PRESTO_REGULAR.headerJson) })]);
  assert.deepEqual(h.rejects(), []);
  const verified = await h.verified();
  assert.deepEqual(
    verified.map((v) => [v.height, v.epoch, v.isBoundary]),
    [
      [32723999n, 1514n, true],
      [32724390n, 1515n, false],
    ],
  );
  assert.equal('0x' + bytesToHex(verified[1]!.blockHash), PRESTO_REGULAR.hash);
  const events = await h.epochEvents();
  assert.deepEqual(
    events.map((e) => `${e.key}:${e.type}`),
    ['1515/0:SchemeRegistered', '1515/1:EpochAdvanced'],
  );
  const reg = events[0]!;
  assert.ok(reg.type === 'SchemeRegistered' && reg.source === 'boundary:32723999' && bytesToHex(reg.identity) === bytesToHex(MAINNET_NETWORK_IDENTITY.identity));
  const adv = events[1]!;
  assert.ok(adv.type === 'EpochAdvanced' && adv.players.length === 15 && adv.isFullDkg === false && adv.outcomeTrailingBytes === 0 && adv.from === 1514n);
  assert.equal(metrics.get('dkg_stream_follow_records_total', { outcome: 'verified' }), 2);
  assert.equal(metrics.get('dkg_stream_follow_outcome_trailing_bytes_total'), undefined, 'the real outcome has nothing after it');
  // Redelivery is a no-op.
  await h.feed([feed(PRESTO_BOUNDARY)]);
  assert.equal((await h.verified()).length, 2);
});

test("Presto mainnet records tampered with are rejected with tempo's reasons", async () => {
  const h = harness({ epochLength: PRESTO_EPOCH_LENGTH, networkIdentity: MAINNET_NETWORK_IDENTITY }, 1);
  const stateRoot = structuredClone(PRESTO_REGULAR.header);
  stateRoot.inner.stateRoot = new Uint8Array(32).fill(0xde);
  const flipped = Uint8Array.from(PRESTO_REGULAR.certificate);
  flipped[flipped.length - 1]! ^= 1;
  const boundaryCertOnRegular = feed(PRESTO_REGULAR, { certificate: PRESTO_BOUNDARY.certificate });
  // Under the network-identity fallback a failed signature parks (the identity may have rotated);
  // once the boundary registered epoch 1515, it is VerificationFailed.
  await h.feed([feed(PRESTO_REGULAR, { certificate: flipped })]);
  assert.deepEqual(h.rejects(), []);
  assert.equal((await h.driver.entries('pending', 0)).length, 1, 'parked');
  await h.feed([
    feed(PRESTO_BOUNDARY),
    feed(PRESTO_REGULAR, { headerRlp: encodeTempoHeader(stateRoot) }),
    feed(PRESTO_REGULAR, { certificate: flipped }),
    boundaryCertOnRegular,
    feed(PRESTO_REGULAR, { certificate: Uint8Array.from([...PRESTO_REGULAR.certificate, 0]) }),
  ]);
  assert.deepEqual(
    h.rejects().map((r) => r.errorClass),
    ['VerificationFailed', 'BlockDigestMismatch', 'VerificationFailed', 'BlockDigestMismatch', 'MalformedCertificate'],
  );
  assert.deepEqual(
    (await h.verified()).map((v) => v.height),
    [32723999n],
    'only the untouched boundary',
  );
});

// ---- a real identity rotation (local tempo devnet, test/fixtures/tempo-chain/devnet-rotation.lc.json) ----

const devnet = JSON.parse(readFileSync(new URL('../../fixtures/tempo-chain/devnet-rotation.lc.json', import.meta.url), 'utf8')) as {
  epochLength: number;
  epoch0KeyCompressed: string;
  epoch1KeyCompressed: string;
  updates: Array<{ epoch: number; height: number; headerHash: string; headerRlp: string; tempoCertificate: string }>;
};
const devFeed = (i: number): Feed => {
  const u = devnet.updates[i]!;
  return { height: BigInt(u.height), epoch: BigInt(u.epoch), certificate: hexToBytes(u.tempoCertificate), headerRlp: hexToBytes(u.headerRlp) };
};

test('a real full-DKG rotation: epoch 1 is signed by a new identity, which the boundary registers; the stale identity parks epoch 1 until then', async () => {
  const oldKey = hexToBytes(devnet.epoch0KeyCompressed);
  const newKey = hexToBytes(devnet.epoch1KeyCompressed);
  assert.notEqual(devnet.epoch0KeyCompressed, devnet.epoch1KeyCompressed);
  // The operator's configured identity is the pre-rotation one (as a binary not yet updated).
  const h = harness({ epochLength: BigInt(devnet.epochLength), networkIdentity: { identity: oldKey, fromEpoch: 0n } }, 1);
  // Epoch 1's block first: under the stale identity it does not verify, so it is parked, not rejected.
  await h.feed([devFeed(2)]);
  assert.deepEqual(h.rejects(), []);
  assert.equal((await h.driver.entries('pending', 0)).length, 1);
  await h.feed([devFeed(0), devFeed(1)]);
  assert.deepEqual(h.rejects(), []);
  const verified = await h.verified();
  assert.deepEqual(
    verified.map((v) => v.height),
    [3n, 9n, 12n],
    'released once the boundary registered the new identity',
  );
  assert.equal(bytesToHex(verified[2]!.identity), devnet.epoch1KeyCompressed, 'epoch 1 verified under the rotated identity');
  assert.equal(bytesToHex(verified[1]!.identity), devnet.epoch0KeyCompressed);
  const reg = (await h.epochEvents()).find((e) => e.key === '1/0')!;
  assert.ok(reg.type === 'SchemeRegistered' && bytesToHex(reg.identity) === bytesToHex(newKey) && reg.source === 'boundary:9');
  assert.equal((await h.driver.entries('pending', 0)).length, 0);
});
