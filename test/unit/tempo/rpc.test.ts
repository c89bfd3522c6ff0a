import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeFinalization } from '../../../src/tempo/finalization.ts';
import { tempoHeaderFromJson, tempoHeaderHash } from '../../../src/tempo/header.ts';
import { bytesTo0x, bytesToHex, hexToBytes } from '../../../src/tempo/hex.ts';
import { MAINNET_NETWORK_IDENTITY } from '../../../src/tempo/network-identity.ts';
import type { ConsensusEvent } from '../../../src/tempo/rpc.ts';
import { consensusEventToJson, finalizationQueryParams, parseCertifiedBlock, parseConsensusEvent, parseConsensusState, RpcShapeError } from '../../../src/tempo/rpc.ts';
import { verifyFinalization } from '../../../src/tempo/verify.ts';
import { TestRng } from '../../support/rng.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/tempo-chain/${name}`, import.meta.url), 'utf8'));
const shape = fixture('certified-block-shape.json').certifiedBlock;
const block1 = fixture('presto-block-1.json');
const golden = fixture('golden-frame.json');

test("tempo's CertifiedBlock JSON fixture parses (0x-prefixed certificate accepted)", () => {
  const cb = parseCertifiedBlock(shape);
  assert.equal(cb.epoch, 7n);
  assert.equal(cb.view, 11n);
  assert.equal(bytesToHex(cb.digest), '11'.repeat(32));
  assert.equal(bytesToHex(cb.certificate), '1234');
  assert.equal(cb.block.header.inner.number, 0n);
  assert.deepEqual(cb.block.body, { ommers: [], transactions: [], withdrawals: null });
});

test('a finalized event with the real Presto block 1 header: header hash recomputed from JSON', () => {
  const cert = golden.frame.slice(2); // unprefixed hex, as tempo's feed emits it
  const ev = parseConsensusEvent({
    type: 'finalized',
    epoch: 0,
    view: 1,
    digest: block1.hash,
    certificate: cert,
    block: { header: block1.header, body: { transactions: [], ommers: [], withdrawals: [] } },
    seen: 1_760_000_000_000,
  });
  if (ev.type !== 'finalized') throw new assert.AssertionError({ message: `expected a finalized event, got ${ev.type}` });
  assert.equal(ev.seen, 1_760_000_000_000n);
  assert.equal(bytesToHex(ev.certificate), cert);
  assert.equal(bytesTo0x(tempoHeaderHash(ev.block.header)), bytesTo0x(ev.digest));
});

test('nullified events and getLatest results', () => {
  assert.deepEqual(parseConsensusEvent({ type: 'nullified', epoch: 3, view: 9, seen: 5 }), { type: 'nullified', epoch: 3n, view: 9n, seen: 5n });
  const st = parseConsensusState({ finalized: shape, notarized: null });
  assert.equal(st.finalized?.view, 11n);
  assert.equal(st.notarized, null);
});

test('shape errors name the offending path', () => {
  const cases: Array<[unknown, string]> = [
    [{ type: 'finalised', epoch: 0, view: 0, seen: 0 }, 'event.type'],
    [{ type: 'nullified', epoch: -1, view: 0, seen: 0 }, 'event.epoch'],
    [{ type: 'nullified', epoch: 0, view: '0', seen: 0 }, 'event.view'],
    [{ ...shape, type: 'finalized', seen: 1, certificate: 'xyz' }, 'event.certificate'],
    [{ ...shape, type: 'finalized', seen: 1, digest: '0x12' }, 'event.digest'],
    [{ ...shape, type: 'finalized', seen: 1, block: { header: { ...shape.block.header, number: '0xg' } } }, 'event.block.header.number'],
    [{ ...shape, type: 'finalized', seen: 1, block: {} }, 'event.block.header'],
  ];
  for (const [json, path] of cases) {
    assert.throws(
      () => parseConsensusEvent(json),
      (e: unknown) => e instanceof RpcShapeError && e.path === path,
      path,
    );
  }
});

test('getFinalization query params', () => {
  assert.deepEqual(finalizationQueryParams('latest'), ['latest']);
  assert.deepEqual(finalizationQueryParams({ height: 21599n }), [{ height: 21599 }]);
  assert.throws(() => finalizationQueryParams({ height: 1n << 60n }), RangeError);
});

test('property: consensus events round-trip through their JSON (seeded)', () => {
  const rng = new TestRng(0x5eed_0008);
  const header = tempoHeaderFromJson(block1.header);
  const n = () => BigInt(rng.int(2 ** 31));
  for (let i = 0; i < 100; i++) {
    const ev: ConsensusEvent =
      rng.int(3) === 0
        ? { type: 'nullified', epoch: n(), view: n(), seen: n() }
        : {
            type: rng.bool() ? 'finalized' : 'notarized',
            epoch: n(),
            view: n(),
            digest: rng.bytes(32),
            certificate: rng.bytes(rng.int(200)),
            block: { header: { ...header, inner: { ...header.inner, number: n(), extraData: rng.bytes(rng.int(64)) } }, body: { transactions: [], ommers: [], withdrawals: null } },
            seen: n(),
          };
    const json = JSON.parse(JSON.stringify(consensusEventToJson(ev)));
    assert.deepEqual(parseConsensusEvent(json), ev, `case ${i}`);
    if (ev.type !== 'nullified') assert.equal(json.certificate, bytesToHex(ev.certificate), 'certificate hex without 0x, as tempo emits it');
  }
});

test("real Presto mainnet blocks in tempo's consensus_event / consensus_getFinalization shapes: the certificate finalizes the header recomputed from JSON (extra eth_getBlockByNumber fields ignored, as serde does)", () => {
  const real = fixture('presto-1514-1515.hyperbridge.json') as Record<string, { finalization: string; block: Record<string, unknown> }>;
  for (const name of ['boundary', 'regular']) {
    const { finalization, block } = real[name]!;
    assert.ok('hash' in block && 'timestampMillis' in block, 'the recorded shape carries fields TempoHeader does not have');
    const fin = decodeFinalization(finalization);
    const json = {
      epoch: Number(fin.proposal.epoch),
      view: Number(fin.proposal.view),
      digest: block.hash,
      certificate: finalization,
      block: { header: block, body: { transactions: [], ommers: [], withdrawals: [] } },
    };
    const ev = parseConsensusEvent({ type: 'finalized', ...json, seen: 1 });
    const cb = parseCertifiedBlock(json);
    for (const parsed of [ev, cb]) {
      if ('type' in parsed && parsed.type === 'nullified') throw new assert.AssertionError({ message: 'not a nullification' });
      const p = parsed as ReturnType<typeof parseCertifiedBlock>;
      assert.equal(bytesTo0x(tempoHeaderHash(p.block.header)), block.hash, name);
      assert.deepEqual(p.certificate, hexToBytes(finalization));
      assert.equal(verifyFinalization(decodeFinalization(p.certificate), MAINNET_NETWORK_IDENTITY.identity).valid, true, name);
      assert.ok(p.block.header.consensusContext, 'T4 headers carry the consensus context');
    }
  }
  // The same certificate with a 0x prefix (tempo's decoders accept it), and the getFinalization query shape.
  const cb = parseCertifiedBlock({ epoch: 1515, view: 391, digest: real.regular!.block.hash, certificate: '0x' + real.regular!.finalization, block: { header: real.regular!.block, body: null } });
  assert.deepEqual(cb.certificate, hexToBytes(real.regular!.finalization));
  assert.deepEqual(finalizationQueryParams({ height: 32723999n }), [{ height: 32723999 }]);
});
