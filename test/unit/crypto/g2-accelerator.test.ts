/**
 * The mcl G2 accelerator (src/crypto/bls12381/g2-mcl.ts) against the noble reference
 * (`NOBLE_G2`): every operation `G2` routes to it gives the same group element and the same
 * bytes, for random and edge-case inputs (scalars 0, 1, r − 1, all-ones / all-fifteen digit
 * patterns of the generator comb, identity points and coefficients, small and large evaluation
 * points), and decoding accepts and refuses exactly what noble does, with the same errors.
 * Skipped when mcl-wasm is not installed.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/index.ts';
import { blsBackend, mclUnavailableReason, setBlsBackend } from '../../../src/crypto/bls12381/backend.ts';
import { G2, type G2Point, NOBLE_G2 } from '../../../src/crypto/bls12381/group.ts';
import { commit, Poly, R, randomScalar, ScalarSpace, sumPolys } from '../../../src/crypto/bls12381/index.ts';
import { ChaCha20Rng } from '../../../src/crypto/chacha.ts';
import { drawBytes } from '../../../src/crypto/rng.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** Reference bytes (noble's own compression, never the accelerator's). */
const ref = (p: G2Point) => hex(NOBLE_G2.encode(p));
const rng = ChaCha20Rng.seedFromU64(0x62acc1n);
const gen = (s: bigint) => NOBLE_G2.mul(NOBLE_G2.GENERATOR, s);

const EDGE_SCALARS = [
  1n,
  2n,
  15n,
  16n,
  17n,
  R - 1n,
  R - 2n,
  (R - 1n) / 2n,
  1n << 252n,
  (1n << 252n) - 1n, // every comb digit 15
  ((1n << 256n) - 1n) / 15n, // every comb digit 1 (the comb's offset C)
  ((((1n << 256n) - 1n) / 15n) * 5n) % R, // 5·C mod r
];

function decodeOutcome(decode: (b: Uint8Array) => G2Point, bytes: Uint8Array): string {
  try {
    return `ok ${ref(decode(bytes))}`;
  } catch (e) {
    assert.ok(e instanceof CodecError, `expected a codec error, got ${String(e)}`);
    return `err ${e.kind} ${e.message}`;
  }
}

describe('mcl G2 accelerator = noble G2', { skip: mclUnavailableReason() ?? false }, () => {
  let initial = blsBackend().name;
  before(() => {
    initial = setBlsBackend('mcl').name;
  });
  after(() => void setBlsBackend(initial));

  it('mul (secret scalars): generator comb and other points', () => {
    const p = gen(0xabcdef0123n);
    const scalars = [...EDGE_SCALARS, ...Array.from({ length: 12 }, () => randomScalar(rng))];
    for (const s of scalars) {
      assert.equal(ref(G2.mul(G2.GENERATOR, s)), ref(gen(s)), `G·${s}`);
      assert.equal(ref(G2.mul(p, s)), ref(NOBLE_G2.mul(p, s)), `P·${s}`);
    }
    // out-of-range scalars: the same refusal as noble
    for (const s of [R, R + 5n, -1n]) {
      assert.throws(
        () => G2.mul(G2.GENERATOR, s),
        (e: Error) => assert.throws(() => NOBLE_G2.mul(NOBLE_G2.GENERATOR, s), { message: e.message }) === undefined,
      );
      assert.throws(
        () => G2.scale(p, s),
        (e: Error) => assert.throws(() => NOBLE_G2.scale(p, s), { message: e.message }) === undefined,
      );
    }
    assert.ok(G2.mul(G2.GENERATOR, 0n).is0());
    assert.ok(G2.mul(G2.ZERO, 5n).is0());
    assert.ok(G2.mul(p, 0n).is0());
  });

  it('scale, msm and sum (public scalars), with identities and zero scalars', () => {
    const pts = Array.from({ length: 6 }, () => gen(randomScalar(rng)));
    for (const s of [1n, 2n, 31n, (1n << 32n) - 1n, 1n << 32n, R - 1n, randomScalar(rng)]) {
      assert.equal(ref(G2.scale(pts[0]!, s)), ref(NOBLE_G2.scale(pts[0]!, s)), `scale ${s}`);
    }
    assert.ok(G2.scale(pts[0]!, 0n).is0());
    const withZero = [...pts.slice(0, 3), G2.ZERO, ...pts.slice(3)];
    for (const n of [0, 1, 2, 4, 7]) {
      const ps = withZero.slice(0, n);
      const ss = ps.map((_, i) => (i === 1 ? 0n : i % 2 === 0 ? randomScalar(rng) : BigInt(`0x${hex(drawBytes(rng, 16))}`)));
      assert.equal(ref(G2.msm(ps, ss)), ref(NOBLE_G2.msm(ps, ss)), `msm n=${n}`);
      assert.equal(ref(G2.sum!(ps)), ref(NOBLE_G2.sum!(ps)), `sum n=${n}`);
    }
    // P + (−P) and P + P inside one sum
    assert.ok(G2.sum!([pts[0]!, pts[0]!.negate()]).is0());
    assert.equal(ref(G2.sum!([pts[1]!, pts[1]!])), ref(pts[1]!.double()));
  });

  it('evalPoly (Horner in mcl) = noble, small and large x, identity coefficients', () => {
    for (const t of [1, 2, 5, 11, 21]) {
      const c = commit(
        NOBLE_G2,
        new Poly(
          ScalarSpace,
          Array.from({ length: t }, () => randomScalar(rng)),
        ),
      );
      const variants: G2Point[][] = [c.coeffs.slice()];
      if (t >= 3) {
        const mid = c.coeffs.slice();
        mid[1] = G2.ZERO;
        const top = c.coeffs.slice();
        top[t - 1] = G2.ZERO;
        variants.push(mid, top);
      }
      for (const coeffs of variants) {
        for (const x of [0n, 1n, 2n, 3n, 7n, 10n, 32n, 255n, 1000n, (1n << 32n) - 1n, 1n << 32n, R - 1n, randomScalar(rng)]) {
          assert.equal(ref(G2.evalPoly!(coeffs, x)), ref(NOBLE_G2.evalPoly!(coeffs, x)), `t=${t} x=${x}`);
        }
      }
    }
  });

  it('evalEqualsGeneratorMul (fused Feldman check) = noble: true exactly for the right share', () => {
    for (const t of [1, 3, 11]) {
      const f = new Poly(
        ScalarSpace,
        Array.from({ length: t }, () => randomScalar(rng)),
      );
      const c = commit(G2, f).coeffs;
      for (const x of [0n, 1n, 2n, 7n, 32n, 1n << 32n, randomScalar(rng)]) {
        const share = f.eval(x);
        for (const [s, want] of [
          [share, true],
          [(share + 1n) % R, false],
          [(R - share) % R, share === 0n],
          [0n, share === 0n],
        ] as const) {
          assert.equal(G2.evalEqualsGeneratorMul(c, x, s), want, `t=${t} x=${x} s=${s}`);
          assert.equal(NOBLE_G2.evalEqualsGeneratorMul(c, x, s), want, `noble t=${t} x=${x}`);
        }
      }
    }
    // a commitment whose value at x is the identity: only s = 0 matches
    const p = gen(5n);
    assert.equal(G2.evalEqualsGeneratorMul([p.negate(), p], 1n, 0n), true);
    assert.equal(G2.evalEqualsGeneratorMul([p.negate(), p], 1n, 5n), false);
  });

  it('sumPolys and Poly.eval over G2 use the fast paths with the same results', () => {
    const polys = Array.from({ length: 4 }, (_, i) =>
      commit(
        G2,
        new Poly(
          ScalarSpace,
          Array.from({ length: 3 + (i % 2) }, () => randomScalar(rng)),
        ),
      ),
    );
    const fast = sumPolys(G2, polys);
    const slow = polys.reduce((a, b) => a.add(b));
    assert.deepEqual(fast.coeffs.map(ref), slow.coeffs.map(ref));
    for (const x of [1n, 5n, 33n]) assert.equal(ref(fast.eval(x)), ref(slow.coeffs.reduceRight((acc, c) => NOBLE_G2.add(NOBLE_G2.scale(acc, x), c), NOBLE_G2.ZERO)));
  });

  it('encode: mcl serialization of shadowed points = blst compression; noble points unchanged', () => {
    for (let i = 0; i < 8; i++) {
      const s = randomScalar(rng);
      const fast = G2.mul(G2.GENERATOR, s); // carries an mcl shadow
      assert.equal(hex(G2.encode(fast)), ref(gen(s)));
      assert.equal(hex(G2.encode(fast.negate())), ref(gen(s).negate()));
      const p = gen(s).add(NOBLE_G2.GENERATOR); // projective, no shadow
      assert.equal(hex(G2.encode(p)), ref(p));
    }
    assert.equal(hex(G2.encode(G2.ZERO)), `c0${'00'.repeat(95)}`);
    assert.equal(G2.compare(gen(1n), gen(2n)), NOBLE_G2.compare(gen(1n), gen(2n)));
  });

  it('decode: same points, same refusals and errors as noble', () => {
    const samples: Uint8Array[] = [];
    for (let i = 0; i < 6; i++) {
      const p = gen(randomScalar(rng));
      samples.push(NOBLE_G2.encode(p), NOBLE_G2.encode(p.negate()));
    }
    for (let i = 0; i < 40; i++) {
      const b = drawBytes(rng, 96);
      b[0] = (b[0]! & 0x3f) | 0x80;
      if (i % 4 === 0) b[0] = 0x80 | (b[0]! & 0x20); // x < p for sure: on-curve / subgroup decisions
      samples.push(b);
    }
    const valid = samples[0]!;
    samples.push(Uint8Array.from(valid, (v, i) => (i === 0 ? v & 0x7f : v))); // no compression flag
    samples.push(Uint8Array.from({ length: 96 }, (_, i) => (i === 0 ? 0xc0 : 0))); // infinity
    samples.push(Uint8Array.from({ length: 96 }, (_, i) => (i === 0 ? 0xc0 : i === 95 ? 1 : 0))); // bad infinity
    samples.push(Uint8Array.from({ length: 96 }, (_, i) => (i === 0 ? 0x9f : 0xff))); // x ≥ p
    for (const b of samples) assert.equal(decodeOutcome(G2.decode, b), decodeOutcome(NOBLE_G2.decode, b), hex(b));
    // framing: truncated / trailing bytes are the same codec errors
    for (const b of [valid.subarray(0, 95), Uint8Array.from([...valid, 0])]) assert.equal(decodeOutcome(G2.decode, b), decodeOutcome(NOBLE_G2.decode, b));
    // a decoded point re-encodes to its bytes through the accelerator too
    assert.equal(hex(G2.encode(G2.decode(valid))), hex(valid));
  });
});
