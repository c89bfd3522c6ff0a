import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computePublic, G1, G2, MinSig, randomScalar, signMessage } from '../../../src/crypto/bls12381/index.ts';
import { ChaCha20Rng } from '../../../src/crypto/chacha.ts';
import {
  decodeFinalization,
  encodeFinalization,
  encodeProposal,
  encodeRound,
  FINALIZE_NAMESPACE,
  type Finalization,
  NOTARIZE_NAMESPACE,
  type Proposal,
  SEED_NAMESPACE,
} from '../../../src/tempo/finalization.ts';
import { InvalidIdentity, prepareIdentity, verifyFinalization, verifyFinalizations, verifyFinalizationsEach } from '../../../src/tempo/verify.ts';
import { TestRng } from '../../support/rng.ts';

const keyRng = ChaCha20Rng.seedFromU64(7n);
const sk = randomScalar(keyRng);
const identity = G2.encode(computePublic(MinSig, sk));
const otherIdentity = G2.encode(computePublic(MinSig, randomScalar(keyRng)));

function sign(p: Proposal, voteNamespace = FINALIZE_NAMESPACE): Finalization {
  return {
    proposal: p,
    voteSignature: G1.encode(signMessage(MinSig, sk, voteNamespace, encodeProposal(p))),
    seedSignature: G1.encode(signMessage(MinSig, sk, SEED_NAMESPACE, encodeRound(p))),
  };
}

test('property: a signed certificate verifies (also after encode/decode); changing any proposal field breaks it (seeded)', () => {
  const rng = new TestRng(0x5eed_0007);
  for (let i = 0; i < 6; i++) {
    const p: Proposal = { epoch: rng.bigBits(rng.int(64)), view: rng.bigBits(rng.int(64)), parent: rng.bigBits(rng.int(64)), payload: rng.bytes(32) };
    const fin = decodeFinalization(encodeFinalization(sign(p)));
    assert.deepEqual(verifyFinalization(fin, identity), { valid: true, reason: null }, `case ${i}`);
    assert.equal(verifyFinalization(fin, otherIdentity).valid, false);
    const payload = Uint8Array.from(p.payload);
    payload[rng.int(32)]! ^= 1 << rng.int(8);
    const tampered: Array<[Proposal, RegExp]> = [
      [{ ...p, payload }, /^vote signature/],
      [{ ...p, parent: p.parent ^ 1n }, /^vote signature/],
      [{ ...p, view: p.view ^ 1n }, /^neither/],
      [{ ...p, epoch: p.epoch ^ 1n }, /^neither/],
    ];
    for (const [q, reason] of tampered) {
      const r = verifyFinalization({ ...fin, proposal: q }, identity);
      assert.equal(r.valid, false);
      assert.match(r.reason!, reason);
    }
  }
});

test('a notarization (TEMPO_NOTARIZE) does not verify as a finalization', () => {
  const p: Proposal = { epoch: 1n, view: 2n, parent: 1n, payload: new Uint8Array(32).fill(9) };
  const r = verifyFinalization(sign(p, NOTARIZE_NAMESPACE), identity);
  assert.equal(r.valid, false);
  assert.match(r.reason!, /^vote signature/);
});

test('identities: invalid ones are rejected with a typed error or a reason; prepared identities are reusable', () => {
  assert.throws(() => prepareIdentity(new Uint8Array(96)), InvalidIdentity);
  assert.throws(() => prepareIdentity(identity.subarray(0, 95)), InvalidIdentity);
  const infinity = new Uint8Array(96);
  infinity[0] = 0xc0;
  assert.throws(() => prepareIdentity(infinity), /Infinity/);
  const fin = sign({ epoch: 3n, view: 4n, parent: 3n, payload: new Uint8Array(32) });
  assert.match(verifyFinalization(fin, infinity).reason!, /identity is not a valid G2 point/);
  const prepared = prepareIdentity(identity);
  assert.equal(verifyFinalization(fin, prepared).valid, true);
  assert.throws(() => verifyFinalizations([fin], infinity), InvalidIdentity);
});

test('batch: all valid → one check passes; a bad one fails the batch and bisection isolates it', () => {
  const fins = Array.from({ length: 7 }, (_, i) => sign({ epoch: 9n, view: 100n + BigInt(i), parent: 99n + BigInt(i), payload: new Uint8Array(32).fill(i) }));
  assert.equal(verifyFinalizations(fins, identity), true);
  assert.deepEqual(verifyFinalizationsEach(fins, identity), new Array(7).fill(true));
  const bad = [...fins];
  bad[2] = { ...fins[2]!, voteSignature: fins[3]!.voteSignature };
  bad[5] = { ...fins[5]!, seedSignature: new Uint8Array(48) };
  assert.equal(verifyFinalizations(bad, identity), false);
  assert.deepEqual(verifyFinalizationsEach(bad, identity), [true, true, false, true, true, false, true]);
  assert.deepEqual(verifyFinalizationsEach([], identity), []);
});
