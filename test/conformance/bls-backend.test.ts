/**
 * Every BLS backend available in this process (noble always; mcl when `mcl-wasm` is installed)
 * against upstream's fixtures and against the noble reference: byte-identical points and hashes,
 * identical decode errors, identical accept/reject decisions for signatures and Tempo
 * certificates (test/fixtures/primitives/{points,hash_to_curve,bls_signatures}.json,
 * test/fixtures/tempo/{certificates,batch}.json).
 *
 * When mcl is not installed only noble runs and a skipped test says so.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { CodecError } from '../../src/codec/index.ts';
import { type AnyMinSigBackend, availableBlsBackends, blsBackend, mclUnavailableReason, nobleBackend, setBlsBackend } from '../../src/crypto/bls12381/backend.ts';
import { computePublic, G1, G2, MinSig, randomScalar, signMessage } from '../../src/crypto/bls12381/index.ts';
import { messagePayloadOf } from '../../src/crypto/bls12381/payload.ts';
import { ChaCha20Rng } from '../../src/crypto/chacha.ts';
import { drawBytes } from '../../src/crypto/rng.ts';
import { decodeFinalization, readFinalizationPrefix } from '../../src/tempo/finalization.ts';
import { hexToBytes } from '../../src/tempo/hex.ts';
import { prepareIdentity, verifyFinalization, verifyFinalizations, verifyFinalizationsEach } from '../../src/tempo/verify.ts';

const load = (path: string) => JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));
const points = load('primitives/points.json');
const hashes = load('primitives/hash_to_curve.json');
const signatures = load('primitives/bls_signatures.json');
const certificates = load('tempo/certificates.json');
const batch = load('tempo/batch.json');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);

function decodeResult(f: () => Uint8Array): { ok: true; hex: string } | { ok: false; kind: string; message: string; ctx?: unknown; msg?: unknown } {
  try {
    return { ok: true, hex: hex(f()) };
  } catch (e) {
    assert.ok(e instanceof CodecError, `expected a codec error, got ${String(e)}`);
    const x = e as CodecError & { ctx?: unknown; msg?: unknown };
    return { ok: false, kind: x.kind, message: x.message, ctx: x.ctx, msg: x.msg };
  }
}

const initial = blsBackend().name;
after(() => void setBlsBackend(initial));

it('mcl backend availability', { skip: mclUnavailableReason() ?? false }, () => {
  assert.deepEqual(
    availableBlsBackends().map((b) => b.name),
    ['noble', 'mcl'],
  );
});

it('G1/G2 encode (blst compress) equals noble toBytes(true) on random points, the identity and negations', () => {
  const rng = ChaCha20Rng.seedFromU64(0xc0dec0den);
  for (const g of [G1, G2] as const) {
    const grp = g as unknown as { GENERATOR: any; ZERO: any; mul(p: any, s: bigint): any; encode(p: any): Uint8Array };
    const pts = [grp.ZERO, grp.GENERATOR, grp.GENERATOR.negate()];
    for (let i = 0; i < 24; i++) {
      const p = grp.mul(grp.GENERATOR, randomScalar(rng));
      pts.push(p, p.negate());
    }
    for (const p of pts) assert.equal(hex(grp.encode(p)), hex(p.toBytes(true)));
  }
});

for (const b of availableBlsBackends() as AnyMinSigBackend[]) {
  describe(`BLS backend ${b.name}`, () => {
    it('G1 / G2 decoding: same accept/reject, errors and re-encoding as upstream (points.json)', () => {
      for (const [key, decode, encode] of [
        ['g1', (x: Uint8Array) => b.decodeSignature(x), (p: unknown) => b.encodeSignature(p)],
        ['g2', (x: Uint8Array) => b.decodePublic(x), (p: unknown) => b.encodePublic(p)],
      ] as const) {
        for (const tc of points[key].valid) assert.equal(hex(encode(decode(hexToBytes(tc.hex)))), tc.hex, `${key} ${tc.why}`);
        for (const tc of points[key].decode) {
          const got = decodeResult(() => encode(decode(hexToBytes(tc.hex))));
          if (tc.result.ok) {
            assert.deepEqual(got, { ok: true, hex: tc.result.reencoded ?? tc.result.hex ?? tc.hex }, `${key} ${tc.why}`);
          } else {
            assert.equal(got.ok, false, `${key} ${tc.why}: accepted`);
            if (got.ok) continue;
            assert.equal(got.kind, tc.result.error.kind, `${key} ${tc.why}: kind`);
            assert.equal(got.message, tc.result.error.display, `${key} ${tc.why}: display`);
            if (tc.result.error.kind === 'Invalid') assert.deepEqual([got.ctx, got.msg], [tc.result.error.context, tc.result.error.message], `${key} ${tc.why}`);
          }
        }
      }
    });

    it('truncated and over-long encodings are the same codec errors as noble', () => {
      const g1 = hexToBytes(points.g1.valid[0].hex);
      const g2 = hexToBytes(points.g2.valid[0].hex);
      for (const [bytes, decode, ref] of [
        [g1.subarray(0, 47), b.decodeSignature, nobleBackend.decodeSignature],
        [Uint8Array.from([...g1, 0]), b.decodeSignature, nobleBackend.decodeSignature],
        [g2.subarray(0, 95), b.decodePublic, nobleBackend.decodePublic],
        [Uint8Array.from([...g2, 0]), b.decodePublic, nobleBackend.decodePublic],
      ] as const) {
        assert.deepEqual(
          decodeResult(() => (decode(bytes), new Uint8Array())),
          decodeResult(() => (ref(bytes), new Uint8Array())),
        );
      }
    });

    it('random compressed encodings: same decode outcome and error as noble', () => {
      const rng = ChaCha20Rng.seedFromU64(0xdec0den);
      for (const [size, n, decode, ref, encode] of [
        [48, 120, b.decodeSignature, nobleBackend.decodeSignature, b.encodeSignature],
        [96, 40, b.decodePublic, nobleBackend.decodePublic, b.encodePublic],
      ] as const) {
        for (let i = 0; i < n; i++) {
          const bytes = drawBytes(rng, size);
          bytes[0] = (bytes[0]! & 0x3f) | 0x80; // compressed, not infinity; x mostly < p
          if (i % 10 === 0) bytes[0] = 0x80 | (bytes[0]! & 0x20); // small top byte: x < p for sure
          const got = decodeResult(() => encode(decode(bytes)));
          const want = decodeResult(() => encode(ref(bytes)));
          assert.deepEqual(got, want, `${size}-byte #${i} ${hex(bytes)}`);
        }
      }
    });

    it('hash to G1: upstream bytes for every G1 DST (hash_to_curve.json)', () => {
      const cases = (hashes.cases as Array<{ group: string; dst: string; message: string; point: string }>).filter((c) => c.group === 'G1');
      assert.ok(cases.length >= 10);
      for (const tc of cases) assert.equal(hex(b.encodeSignature(b.hashToG1(utf8(tc.dst), hexToBytes(tc.message)))), tc.point, `${tc.dst} ${tc.message}`);
    });

    it('MinSig signatures: same verify decisions as upstream (bls_signatures.json)', () => {
      const cases = (signatures.cases as any[]).filter((c) => c.variant === 'MinSig');
      assert.ok(cases.length >= 30);
      for (const tc of cases) {
        const pub = b.decodePublic(hexToBytes(tc.public));
        const sig = b.decodeSignature(hexToBytes(tc.signature));
        const ns = tc.namespace === null ? null : hexToBytes(tc.namespace);
        const payload = messagePayloadOf(ns, hexToBytes(tc.message));
        assert.equal(hex(payload), tc.payload ?? hex(payload));
        const hm = b.hashToG1(utf8(tc.dst), payload);
        assert.equal(b.verify(pub, hm, sig), tc.verify, `${tc.kind} ${tc.why ?? ''}`);
      }
    });

    it('random inputs: hashes, MSMs and verify decisions equal the noble reference', () => {
      const rng = ChaCha20Rng.seedFromU64(0x5eedn);
      const sk = randomScalar(rng);
      const pkBytes = G2.encode(computePublic(MinSig, sk));
      const pub = b.decodePublic(pkBytes);
      const refPub = nobleBackend.decodePublic(pkBytes);
      for (let round = 0; round < 6; round++) {
        const n = [1, 2, 3, 7, 16, 33][round]!;
        const msgs = Array.from({ length: n }, (_, i) => drawBytes(rng, i * 7));
        const hms = msgs.map((m) => b.hashToG1(MinSig.MESSAGE, m));
        const refHms = msgs.map((m) => nobleBackend.hashToG1(MinSig.MESSAGE, m));
        hms.forEach((h, i) => assert.equal(hex(b.encodeSignature(h)), hex(nobleBackend.encodeSignature(refHms[i]!)), `hash ${i}`));
        const sigBytes = msgs.map((m) => G1.encode(signMessage(MinSig, sk, null, m)));
        const sigs = sigBytes.map((s) => b.decodeSignature(s));
        const weights = msgs.map((_, i) => (i === 0 ? 1n : BigInt(`0x${hex(drawBytes(rng, 16))}`)));
        const msm = b.msmG1(sigs, weights);
        assert.equal(
          hex(b.encodeSignature(msm)),
          hex(
            nobleBackend.encodeSignature(
              nobleBackend.msmG1(
                sigBytes.map((s) => nobleBackend.decodeSignature(s)),
                weights,
              ),
            ),
          ),
          `msm n=${n}`,
        );
        const aggH = b.msmG1(hms, weights);
        assert.equal(b.verify(pub, aggH, msm), true, `batch n=${n}`);
        assert.equal(
          nobleBackend.verify(
            refPub,
            nobleBackend.msmG1(refHms, weights),
            nobleBackend.msmG1(
              sigBytes.map((s) => nobleBackend.decodeSignature(s)),
              weights,
            ),
          ),
          true,
        );
        // a wrong weight on one side: both reject
        const off = weights.map((w, i) => (i === n - 1 ? w + 1n : w));
        assert.equal(b.verify(pub, b.msmG1(hms, off), msm), false, `tampered n=${n}`);
      }
      assert.equal(hex(b.encodeSignature(b.msmG1([], []))), hex(nobleBackend.encodeSignature(nobleBackend.msmG1([], []))), 'empty MSM = identity');
    });

    it('an MSM of 10,500 G1 points (a batch of 5,250 certificates) equals one multiplication by the scalar sum', () => {
      // mcl-wasm's mulVec refused ~10,000 points ("stackAlloc: bad size"); the backend slices.
      const h = b.hashToG1(MinSig.MESSAGE, new TextEncoder().encode('large msm'));
      const n = 10_500;
      const scalars = Array.from({ length: n }, (_, i) => BigInt(i + 1));
      const sum = BigInt((n * (n + 1)) / 2);
      assert.equal(hex(b.encodeSignature(b.msmG1(Array<unknown>(n).fill(h), scalars))), hex(b.encodeSignature(b.msmG1([h], [sum]))));
    });

    it('G2.mul while this backend is current: upstream generator multiples, same elements as noble', () => {
      const previous = setBlsBackend(b.name);
      try {
        for (const tc of points.g2.valid) {
          if (tc.scalar === null) continue;
          assert.equal(hex(G2.encode(G2.mul(G2.GENERATOR, BigInt(`0x${tc.scalar}`)))), tc.hex, `G2 ${tc.why}`);
        }
        const rng = ChaCha20Rng.seedFromU64(0x6e2n);
        const p = G2.mul(G2.GENERATOR, 0xabcdefn);
        for (let i = 0; i < 8; i++) {
          const s = randomScalar(rng);
          setBlsBackend(b.name);
          const got = [G2.mul(G2.GENERATOR, s), G2.mul(p, s), G2.mul(p, 0n), G2.mul(G2.ZERO, s)].map((x) => hex(G2.encode(x)));
          setBlsBackend('noble');
          const want = [G2.mul(G2.GENERATOR, s), G2.mul(p, s), G2.mul(p, 0n), G2.mul(G2.ZERO, s)].map((x) => hex(G2.encode(x)));
          assert.deepEqual(got, want, `scalar ${i}`);
        }
      } finally {
        setBlsBackend(previous.name);
      }
    });

    it('Tempo certificates: verify / batch / bisection decisions and reasons as upstream (tempo/*.json)', () => {
      const previous = setBlsBackend(b.name);
      try {
        for (const c of certificates.cases) {
          if (c.fields === null) continue;
          const fin = readFinalizationPrefix(hexToBytes(c.hex)).finalization;
          const r = verifyFinalization(fin, hexToBytes(c.identity));
          assert.equal(r.valid, c.verify, `${c.name}: ${r.reason}`);
          setBlsBackend('noble');
          const ref = verifyFinalization(fin, hexToBytes(c.identity));
          setBlsBackend(b.name);
          assert.equal(r.reason, ref.reason, `${c.name}: same reason as noble`);
          assert.equal(verifyFinalizations([fin], hexToBytes(c.identity)), c.verify, `${c.name}: batched`);
        }
        const id = prepareIdentity(hexToBytes(batch.identity));
        for (const set of [batch.valid, batch.one_bad]) {
          const fins = set.certificates.map((c: { hex: string }) => decodeFinalization(c.hex));
          assert.equal(verifyFinalizations(fins, id), set.batch_verify);
          assert.deepEqual(verifyFinalizationsEach(fins, id), set.per_certificate);
          set.certificates.forEach((c: { verify: boolean }, i: number) => assert.equal(verifyFinalization(fins[i]!, id).valid, c.verify, `batch certificate ${i}`));
        }
        assert.match(verifyFinalization(decodeFinalization(certificates.cases[0].hex), new Uint8Array(96)).reason!, /identity is not a valid G2 point/);
      } finally {
        setBlsBackend(previous.name);
      }
    });
  });
}
