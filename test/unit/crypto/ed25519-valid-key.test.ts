/** ed25519IsValidPublicKey keeps its recent answers: they must be the curve's answers, also after eviction. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed25519IsValidPublicKey } from '../../../src/crypto/ed25519.ts';

const decompresses = (b: Uint8Array) => {
  try {
    ed25519.Point.fromBytes(b, true);
    return true;
  } catch {
    return false;
  }
};

test('remembered answers equal the decompression, for valid and invalid keys, across evictions', () => {
  // 600 keys (more than the 256 kept), asked three times: fresh, remembered, evicted and asked again.
  const keys = Array.from({ length: 600 }, (_, i) => {
    const k = new Uint8Array(32).fill(0x42);
    k[0] = i & 0xff;
    k[1] = i >> 8;
    return k;
  });
  const truth = keys.map(decompresses);
  assert.ok(truth.includes(true) && truth.includes(false), 'both kinds among the keys');
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < keys.length; i++) assert.equal(ed25519IsValidPublicKey(keys[i]!), truth[i], `key ${i}, round ${round}`);
    for (let i = 0; i < 10; i++) assert.equal(ed25519IsValidPublicKey(keys[i]!), truth[i], `key ${i} again right away`);
  }
  assert.equal(ed25519IsValidPublicKey(new Uint8Array(31)), false, 'wrong length');
});
