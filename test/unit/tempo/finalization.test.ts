import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EndOfBuffer, ExtraData, InvalidVarint } from '../../../src/codec/index.ts';
import {
  decodeFinalization,
  decodeFinalizationFrame,
  encodeFinalization,
  encodeFinalizationFrame,
  encodeProposal,
  encodeRound,
  type Finalization,
  FinalizationDecodeError,
  FrameError,
  MAX_FRAME_BYTES,
} from '../../../src/tempo/finalization.ts';
import { bytesTo0x, bytesToHex, hexToBytes } from '../../../src/tempo/hex.ts';
import { TestRng } from '../../support/rng.ts';

const golden = JSON.parse(readFileSync(new URL('../../fixtures/tempo-chain/golden-frame.json', import.meta.url), 'utf8'));

function causeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return (err as Error).cause;
  }
  assert.fail('expected an error');
}

test("tempo's golden tempo/1 frame decodes to the expected finalization and re-encodes byte for byte", () => {
  const frame = hexToBytes(golden.frame);
  assert.equal(frame.length, 132);
  const f = decodeFinalizationFrame(frame);
  const e = golden.expected;
  assert.equal(f.proposal.epoch, BigInt(e.epoch));
  assert.equal(f.proposal.view, BigInt(e.view));
  assert.equal(f.proposal.parent, BigInt(e.parent));
  assert.equal(bytesTo0x(f.proposal.payload), e.payload);
  assert.equal(bytesToHex(f.voteSignature), e.voteSignature);
  assert.equal(bytesToHex(f.seedSignature), e.seedSignature);
  assert.deepEqual(encodeFinalizationFrame(f), frame);
  // the RPC certificate is the frame without its message id
  assert.deepEqual(decodeFinalization(golden.frame.slice(2)), f);
  assert.deepEqual(decodeFinalization('0x' + golden.frame.slice(2)), f);
});

test('frame rules: size limit, empty frame, unknown message id, invalid payload', () => {
  assert.throws(() => decodeFinalizationFrame(new Uint8Array(MAX_FRAME_BYTES + 1)), /exceeds the 1024-byte limit/);
  assert.throws(() => decodeFinalizationFrame(new Uint8Array(MAX_FRAME_BYTES)), /invalid finalization certificate/);
  assert.throws(() => decodeFinalizationFrame(new Uint8Array()), /frame was empty/);
  assert.throws(() => decodeFinalizationFrame(Uint8Array.of(0)), FrameError);
  const frame = hexToBytes(golden.frame);
  frame[0] = 1;
  assert.throws(() => decodeFinalizationFrame(frame), /unknown message id 0x01/);
});

test('signed messages: the worked byte example of the spec (epoch 0, view 1, parent 0, payload 00..01)', () => {
  const f = decodeFinalizationFrame(hexToBytes(golden.frame));
  assert.equal(bytesToHex(encodeProposal(f.proposal)), '000100' + '00'.repeat(31) + '01');
  assert.equal(bytesToHex(encodeRound(f.proposal)), '0001');
});

test('strict decoding: trailing bytes, truncation, non-canonical and overflowing varints, bad hex', () => {
  const cert = hexToBytes(golden.frame.slice(2));
  assert.ok(causeOf(() => decodeFinalization(Uint8Array.of(...cert, 0))) instanceof ExtraData);
  for (const n of [0, 1, 3, 34, 35, cert.length - 1]) {
    assert.ok(causeOf(() => decodeFinalization(cert.subarray(0, n))) instanceof EndOfBuffer, `cut at ${n}`);
  }
  // epoch 0 written as 80 00 (non-minimal)
  assert.ok(causeOf(() => decodeFinalization(Uint8Array.of(0x80, 0x00, ...cert.subarray(1)))) instanceof InvalidVarint);
  // an 11-byte varint (beyond u64)
  assert.ok(causeOf(() => decodeFinalization(Uint8Array.of(...new Array(10).fill(0xff), 0x01, ...cert.subarray(1)))) instanceof InvalidVarint);
  assert.throws(() => decodeFinalization('0xabc'), FinalizationDecodeError);
  assert.throws(() => decodeFinalization('zz'), FinalizationDecodeError);
  assert.throws(() => decodeFinalization(''), FinalizationDecodeError);
});

test('property: random finalizations round-trip and every truncation or extension fails (seeded)', () => {
  const rng = new TestRng(0x5eed_0005);
  for (let i = 0; i < 300; i++) {
    const f: Finalization = {
      proposal: {
        epoch: rng.bigBits(rng.int(65)),
        view: rng.bigBits(rng.int(65)),
        parent: rng.bigBits(rng.int(65)),
        payload: rng.bytes(32),
      },
      voteSignature: rng.bytes(48),
      seedSignature: rng.bytes(48),
    };
    const bytes = encodeFinalization(f);
    assert.deepEqual(decodeFinalization(bytes), f, `case ${i}`);
    assert.deepEqual(decodeFinalization(bytesToHex(bytes)), f, `case ${i} (hex)`);
    assert.throws(() => decodeFinalization(bytes.subarray(0, rng.int(bytes.length))), FinalizationDecodeError);
    assert.throws(() => decodeFinalization(Uint8Array.of(...bytes, ...rng.bytes(1 + rng.int(4)))), FinalizationDecodeError);
  }
});
