import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodecError, InvalidBool } from '../../../src/codec/index.ts';
import { decodeLog, decodeState, encodeLog, encodeState } from '../../../src/processors/dkg-journal/stores.ts';
import { decodeTuple, decodeU64, KeyDecodeError, tuple } from '../../../src/state/keys.ts';

// Regressions from the decoder fuzzer (fuzz/, issue 16): stored values and keys are canonical
// (what the encoder writes, nothing else) and fail with typed errors.
const sealed = { keyId: 'k1', nonce: Buffer.alloc(12, 1), ciphertext: Buffer.alloc(48, 2) };

test('a stored state option tag other than 0/1 is InvalidBool, not "absent"', () => {
  const enc = encodeState({ round: 3n, rngSeed: sealed, output: null, share: null });
  const tagAt = enc.length - 2; // output tag, then share tag
  assert.deepEqual(decodeState(enc).output, null);
  for (const bad of [2, 0x80, 0xff]) {
    const b = Buffer.from(enc);
    b[tagAt] = bad;
    assert.throws(() => decodeState(b), InvalidBool);
    const c = Buffer.from(enc);
    c[tagAt + 1] = bad;
    assert.throws(() => decodeState(c), InvalidBool);
  }
});

test('stored strings must be UTF-8 (they would decode lossily and re-encode differently)', () => {
  const enc = encodeLog({ log: Buffer.alloc(3), source: 'participant' });
  const b = Buffer.from(enc);
  b[b.length - 1] = 0xff;
  assert.throws(() => decodeLog(b), CodecError);
  const k = Buffer.from(tuple('dealing'));
  k[1] = 0xc3; // a lone UTF-8 lead byte
  assert.throws(() => decodeTuple(k), KeyDecodeError);
});

test('malformed keys are KeyDecodeError (a RangeError subclass, as before)', () => {
  for (const bad of [Buffer.of(0x01), Buffer.of(0x20, 1, 2), Buffer.of(0x10, 0, 0)]) {
    assert.throws(
      () => decodeTuple(bad),
      (e: Error) => e instanceof KeyDecodeError && e instanceof RangeError,
    );
  }
  assert.throws(() => decodeU64(Buffer.alloc(7)), KeyDecodeError);
});
