import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type AnyVariant,
  aggregatePublicKeys,
  aggregateSignatures,
  aggregateVerifyMultipleMessages,
  aggregateVerifyMultiplePublicKeys,
  BlsError,
  batchVerify,
  commit,
  computePublic,
  decodeScalar,
  hashMessage,
  keypair,
  MinPk,
  MinSig,
  Mode,
  type PartialSignature,
  partialSignMessage,
  partialSignProofOfPossession,
  partialVerifyMessage,
  partialVerifyMultiplePublicKeys,
  partialVerifyProofOfPossession,
  randomPoly,
  type Share,
  Sharing,
  scalarAdd,
  sign,
  signMessage,
  signProofOfPossession,
  thresholdSignatureRecover,
  thresholdSignatureRecoverMultiple,
  type Variant,
  verify,
  verifyMessage,
  verifyProofOfPossession,
  verifySameMessage,
  verifySameSigner,
  verifySameSignerHashed,
} from '../../../src/crypto/bls12381/index.ts';
import { hex, TestRng, unhex } from '../../support/rng.ts';

const VARIANTS: Array<Variant<any, any>> = [MinSig, MinPk] as AnyVariant[] as Array<Variant<any, any>>;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A trusted-dealer sharing for tests: secret polynomial of degree quorum(n)−1 and all n shares. */
function deal(v: Variant<any, any>, n: number, rng: TestRng): { sharing: Sharing<any>; shares: Share[] } {
  const sharing0 = new Sharing(Mode.NonZeroCounter, n, commit(v.Public, randomPoly(rng, 0)));
  const f = randomPoly(rng, sharing0.required() - 1);
  const sharing = new Sharing(Mode.NonZeroCounter, n, commit(v.Public, f));
  const shares = Array.from({ length: n }, (_, i) => ({ index: i, private: f.eval(BigInt(i) + 1n) }));
  return { sharing, shares };
}

describe('BLS: noble-curves _NUL_ vectors (the same ones commonware checks blst against)', () => {
  // Sign every vector (proves scalar decoding, hash-to-curve and point encoding agree); verify a
  // sample (pairings are the slow part and the sample already covers both y signs).
  for (const [file, v, dst] of [
    ['min_sig_nul.txt', MinSig, 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_'],
    ['min_pk_nul.txt', MinPk, 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_'],
  ] as Array<[string, Variant<any, any>, string]>) {
    it(`${v.name}: ${file}`, () => {
      const lines = readFileSync(join(import.meta.dirname, 'vectors', file), 'utf8')
        .trim()
        .split('\n');
      assert.ok(lines.length >= 128);
      lines.forEach((line, i) => {
        const [skHex, msgHex, sigHex] = line.split(':') as [string, string, string];
        const sk = decodeScalar(unhex(skHex));
        const sig = sign(v, sk, utf8(dst), unhex(msgHex));
        assert.equal(hex(v.Signature.encode(sig)), sigHex, `${file}:${i + 1}`);
        if (i % 32 === 0) {
          const decoded = v.Signature.decode(unhex(sigHex));
          assert.ok(verify(v, computePublic(v, sk), utf8(dst), unhex(msgHex), decoded), `${file}:${i + 1} verify`);
          assert.ok(!verify(v, computePublic(v, sk), utf8(dst), unhex(msgHex + '00'), decoded), `${file}:${i + 1} verify other msg`);
        }
      });
    });
  }
});

for (const v of VARIANTS) {
  describe(`BLS ${v.name}: signatures`, () => {
    const rng = new TestRng(v.name === 'MinSig' ? 1 : 2);
    const { private: sk, public: pk } = keypair(v, rng);
    const msg = utf8('hello');

    it('sign_message / verify_message, with namespace semantics of v0.0.64', () => {
      const ns = utf8('TEMPO_FINALIZE');
      const sig = signMessage(v, sk, ns, msg);
      assert.ok(verifyMessage(v, pk, ns, msg, sig));
      assert.ok(!verifyMessage(v, pk, utf8('TEMPO_SEED'), msg, sig), 'other namespace');
      assert.ok(!verifyMessage(v, pk, null, msg, sig), 'no namespace ≠ namespace');
      assert.ok(!verifyMessage(v, pk, ns, utf8('hellp'), sig), 'other message');
      assert.ok(!verifyMessage(v, computePublic(v, scalarAdd(sk, 1n)), ns, msg, sig), 'other key');
      // null signs the raw message; an empty namespace signs 0x00 ‖ message.
      const raw = signMessage(v, sk, null, msg);
      assert.ok(v.Signature.equals(raw, sign(v, sk, v.MESSAGE, msg)));
      const empty = signMessage(v, sk, new Uint8Array(), msg);
      assert.ok(v.Signature.equals(empty, sign(v, sk, v.MESSAGE, Uint8Array.of(0, ...msg))));
      assert.ok(!v.Signature.equals(raw, empty));
    });

    it('signatures round-trip through the codec and still verify', () => {
      const sig = signMessage(v, sk, null, msg);
      const again = v.Signature.decode(v.Signature.encode(sig));
      assert.ok(verifyMessage(v, v.Public.decode(v.Public.encode(pk)), null, msg, again));
    });

    it('the identity is never a valid signature', () => {
      assert.ok(!verifyMessage(v, pk, null, msg, v.Signature.ZERO));
    });

    it('proof of possession uses its own DST over the encoded key', () => {
      const pop = signProofOfPossession(v, sk);
      assert.ok(verifyProofOfPossession(v, pk, pop));
      assert.ok(!verifyMessage(v, pk, null, v.Public.encode(pk), pop), 'message DST must not accept a PoP');
      assert.ok(!verifyProofOfPossession(v, computePublic(v, 7n), pop));
    });

    it('aggregation: many keys one message, one key many messages', () => {
      const keys = [sk, scalarAdd(sk, 5n), scalarAdd(sk, 9n)];
      const pubs = keys.map((k) => computePublic(v, k));
      const agg = aggregateSignatures(
        v,
        keys.map((k) => signMessage(v, k, null, msg)),
      );
      assert.ok(aggregateVerifyMultiplePublicKeys(v, pubs, null, msg, agg));
      assert.ok(!aggregateVerifyMultiplePublicKeys(v, pubs.slice(1), null, msg, agg));
      assert.ok(
        v.Public.equals(
          aggregatePublicKeys(v, pubs),
          computePublic(
            v,
            keys.reduce((a, b) => scalarAdd(a, b)),
          ),
        ),
      );
      const msgs: Array<[Uint8Array | null, Uint8Array]> = [
        [null, utf8('a')],
        [utf8('ns'), utf8('b')],
      ];
      const agg2 = aggregateSignatures(
        v,
        msgs.map(([ns, m]) => signMessage(v, sk, ns, m)),
      );
      assert.ok(aggregateVerifyMultipleMessages(v, pk, msgs, agg2));
      assert.ok(!aggregateVerifyMultipleMessages(v, pk, [msgs[0]!], agg2));
    });
  });

  describe(`BLS ${v.name}: threshold`, () => {
    const rng = new TestRng(v.name === 'MinSig' ? 3 : 4);
    const n = 5;
    const { sharing, shares } = deal(v, n, rng);
    const ns = utf8('TEMPO_FINALIZE');
    const msg = utf8('block 42');
    const partials = shares.map((s) => partialSignMessage(v, s, ns, msg));

    it('every partial verifies against its partial public key, and only its own', () => {
      assert.equal(sharing.required(), 4);
      partials.forEach((p) => assert.ok(partialVerifyMessage(v, sharing, ns, msg, p)));
      assert.ok(!partialVerifyMessage(v, sharing, ns, msg, { index: 1, value: partials[0]!.value }));
      assert.ok(!partialVerifyMessage(v, sharing, ns, msg, { index: n, value: partials[0]!.value }), 'index ≥ total');
    });

    it('any quorum recovers the same signature, valid under the group key', () => {
      const full = thresholdSignatureRecover(v, sharing, partials);
      assert.ok(verifyMessage(v, sharing.public(), ns, msg, full));
      const subsets = [
        [4, 3, 2, 1],
        [0, 2, 3, 4],
        [1, 0, 4, 3, 3],
      ];
      for (const idx of subsets) {
        const sig = thresholdSignatureRecover(
          v,
          sharing,
          idx.map((i) => partials[i]!),
        );
        assert.ok(v.Signature.equals(sig, full), `subset ${idx}`);
      }
    });

    it('fewer than required distinct indices fails with NotEnoughPartialSignatures', () => {
      assert.throws(
        () => thresholdSignatureRecover(v, sharing, [partials[0]!, partials[1]!, partials[2]!, partials[0]!]),
        (e: unknown) => e instanceof BlsError && e.code === 'NotEnoughPartialSignatures' && e.message === 'not enough partial signatures: 4/3',
      );
    });

    it('an index ≥ total fails with InvalidIndex', () => {
      const bogus: PartialSignature<unknown> = { index: 0, value: partials[0]!.value };
      assert.throws(
        () => thresholdSignatureRecover(v, sharing, [bogus, partials[1]!, partials[2]!, { index: 9, value: partials[3]!.value }]),
        (e: unknown) => e instanceof BlsError && e.code === 'InvalidIndex',
      );
    });

    it('a bad partial poisons the recovery but does not throw', () => {
      const bad = { index: 2, value: partials[1]!.value };
      const sig = thresholdSignatureRecover(v, sharing, [partials[0]!, partials[1]!, bad, partials[3]!]);
      assert.ok(!verifyMessage(v, sharing.public(), ns, msg, sig));
    });

    it('recover_multiple shares one interpolator and rejects differing index sets', () => {
      const seed = utf8('seed');
      const seedPartials = shares.map((s) => partialSignMessage(v, s, null, seed));
      const [a, b] = thresholdSignatureRecoverMultiple(v, sharing, [partials.slice(0, 4), seedPartials.slice(0, 4)]);
      assert.ok(verifyMessage(v, sharing.public(), ns, msg, a));
      assert.ok(verifyMessage(v, sharing.public(), null, seed, b));
      assert.throws(
        () => thresholdSignatureRecoverMultiple(v, sharing, [partials.slice(0, 4), seedPartials.slice(1, 5)]),
        (e: unknown) => e instanceof BlsError && e.code === 'InvalidIndex',
      );
    });

    it('threshold proof of possession', () => {
      const pops = shares.map((s) => partialSignProofOfPossession(v, sharing, s));
      pops.forEach((p) => assert.ok(partialVerifyProofOfPossession(v, sharing, p)));
      const pop = thresholdSignatureRecover(v, sharing, pops);
      assert.ok(verifyProofOfPossession(v, sharing.public(), pop));
    });

    it('partial verification of many keys reports exactly the bad partials', () => {
      const tampered = partials.map((p, i) => (i === 1 || i === 4 ? { index: p.index, value: partials[0]!.value } : p));
      tampered.push({ index: 7, value: partials[2]!.value });
      const bad = partialVerifyMultiplePublicKeys(v, sharing, ns, msg, tampered, new TestRng(5));
      assert.deepEqual(bad.map((p) => p.index).sort(), [1, 4, 7]);
      assert.deepEqual(partialVerifyMultiplePublicKeys(v, sharing, ns, msg, partials, new TestRng(6)), []);
    });
  });

  describe(`BLS ${v.name}: batch verification`, () => {
    const rng = new TestRng(v.name === 'MinSig' ? 7 : 8);
    const { private: sk, public: pk } = keypair(v, rng);
    const entries = Array.from({ length: 6 }, (_, i) => {
      const namespace = i % 2 === 0 ? utf8('ns') : null;
      const message = utf8(`m${i % 4}`); // duplicates on purpose
      return { namespace, message, signature: signMessage(v, sk, namespace, message) };
    });

    it('same signer: accepts valid batches, rejects one bad signature', () => {
      assert.ok(verifySameSigner(v, pk, entries, new TestRng(1)));
      assert.ok(verifySameSigner(v, pk, [], new TestRng(1)));
      assert.ok(verifySameSigner(v, pk, entries.slice(0, 1), new TestRng(1)));
      const bad = entries.map((e, i) => (i === 3 ? { ...e, signature: entries[2]!.signature } : e));
      assert.ok(!verifySameSigner(v, pk, bad, new TestRng(1)));
      assert.ok(!verifySameSigner(v, computePublic(v, scalarAdd(sk, 1n)), entries, new TestRng(1)));
    });

    it('same signer: two forged signatures whose errors cancel are caught by the weights', () => {
      // s0' = s0 + E, s1' = s1 − E: the plain sum is unchanged, so an unweighted check passes.
      const e = v.Signature.mul(v.Signature.GENERATOR, 12345n);
      const forged = entries.map((x, i) => (i === 0 ? { ...x, signature: v.Signature.add(x.signature, e) } : i === 1 ? { ...x, signature: v.Signature.sub(x.signature, e) } : x));
      const hms = forged.map((x) => hashMessage(v, v.MESSAGE, x.namespace === null ? x.message : Uint8Array.of(x.namespace.length, ...x.namespace, ...x.message)));
      const unweighted = v.verify(
        pk,
        hms.reduce((a, b) => v.Signature.add(a, b)),
        forged.map((x) => x.signature).reduce((a, b) => v.Signature.add(a, b)),
      );
      assert.ok(unweighted, 'the forgery defeats a plain aggregate check');
      assert.ok(!verifySameSigner(v, pk, forged, new TestRng(2)), 'weighted batch rejects it');
      assert.ok(
        !verifySameSignerHashed(
          v,
          pk,
          hms,
          forged.map((x) => x.signature),
          new TestRng(3),
        ),
      );
    });

    it('same message: returns the indices of invalid signatures', () => {
      const keys = Array.from({ length: 9 }, (_, i) => scalarAdd(sk, BigInt(i)));
      const pubs = keys.map((k) => computePublic(v, k));
      const sigs = keys.map((k) => signMessage(v, k, null, utf8('vote')));
      const good = pubs.map((p, i) => [p, sigs[i]!] as const);
      assert.deepEqual(verifySameMessage(v, null, utf8('vote'), good, new TestRng(4)), []);
      const bad = good.map(([p, s], i) => [p, i === 2 || i === 7 ? sigs[0]! : s] as const);
      assert.deepEqual(verifySameMessage(v, null, utf8('vote'), bad, new TestRng(4)), [2, 7]);
      assert.deepEqual(verifySameMessage(v, null, utf8('vote'), [bad[2]!], new TestRng(4)), [0]);
    });

    it('general batch (distinct keys and messages) matches individual verification', () => {
      const keys = [sk, scalarAdd(sk, 1n), scalarAdd(sk, 2n)];
      const pubs = keys.map((k) => computePublic(v, k));
      const msgs = ['x', 'y', 'z'].map(utf8);
      const hms = msgs.map((m) => hashMessage(v, v.MESSAGE, m));
      const sigs = keys.map((k, i) => sign(v, k, v.MESSAGE, msgs[i]!));
      assert.ok(batchVerify(v, pubs, hms, sigs, new TestRng(5)));
      assert.ok(!batchVerify(v, pubs, hms, [sigs[1]!, sigs[0]!, sigs[2]!], new TestRng(5)));
      assert.throws(() => batchVerify(v, pubs, hms.slice(1), sigs), RangeError);
    });
  });
}
