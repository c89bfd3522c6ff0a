import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareBytes, compareNumbers, EndOfBuffer, ExtraData, Invalid, InvalidEnum, InvalidLength, InvalidVarint, OrderedMap, OrderedSet, Reader, range } from '../../../src/codec/index.ts';
import {
  BlsError,
  commit,
  decodeShare,
  encodeShare,
  G1,
  G2,
  Interpolator,
  indexInterpolator,
  MinSig,
  Mode,
  modeScalar,
  Poly,
  R,
  randomPoly,
  randomPolyWithConstant,
  ScalarSpace,
  Sharing,
  sharePublic,
  subsetInterpolator,
} from '../../../src/crypto/bls12381/index.ts';
import { hex, TestRng, unhex } from '../../support/rng.ts';

describe('Poly', () => {
  const rng = new TestRng(31);

  it('Horner and MSM evaluation agree; commit commutes with evaluation', () => {
    for (let d = 0; d < 6; d++) {
      const f = randomPoly(rng, d);
      const c = commit(G1, f);
      for (const x of [0n, 1n, 2n, 77n, rng.bigBits(255) % R]) {
        assert.equal(f.eval(x), f.evalMsm(x), `degree ${d} x ${x}`);
        assert.ok(G1.equals(c.eval(x), G1.mul(G1.GENERATOR, f.eval(x))), `commit(f)(x) = G·f(x), degree ${d}`);
        assert.ok(G1.equals(c.eval(x), c.evalMsm(x)));
      }
      assert.equal(f.eval(0n), f.constant());
    }
  });

  it('new_with_constant keeps c0 and draws the rest', () => {
    const f = randomPolyWithConstant(rng, 3, 42n);
    assert.equal(f.constant(), 42n);
    assert.equal(f.required(), 4);
    assert.equal(f.degree(), 3);
  });

  it('degreeExact ignores trailing zeros; equality too, the encoding does not', () => {
    const f = new Poly(ScalarSpace, [1n, 2n, 0n, 0n]);
    const g = new Poly(ScalarSpace, [1n, 2n]);
    assert.equal(f.degree(), 3);
    assert.equal(f.degreeExact(), 1);
    assert.equal(new Poly(ScalarSpace, [0n, 0n]).degreeExact(), 0);
    assert.ok(f.equals(g));
    assert.notEqual(hex(f.encode()), hex(g.encode()));
    assert.throws(() => new Poly(ScalarSpace, []), RangeError);
    const c = new Poly(G2, [G2.GENERATOR, G2.ZERO]);
    assert.equal(c.degreeExact(), 0);
  });

  it('addition and scaling are coefficient-wise', () => {
    const f = randomPoly(rng, 2);
    const g = randomPoly(rng, 4);
    const x = 9n;
    assert.equal(f.add(g).eval(x), (f.eval(x) + g.eval(x)) % R);
    assert.equal(f.scale(3n).eval(x), (f.eval(x) * 3n) % R);
  });

  it('codec: round trip, and bounded decode (count, empty, identity, truncation)', () => {
    const f = randomPoly(rng, 2);
    const c = commit(G2, f);
    const read = (h: Uint8Array, max: number) => {
      const r = new Reader(h);
      const p = Poly.read(r, G2, range(1, max));
      r.finish();
      return p;
    };
    assert.ok(read(c.encode(), 3).equals(c));
    assert.throws(
      () => read(c.encode(), 2),
      (e: unknown) => e instanceof InvalidLength && e.length === 3,
    );
    assert.throws(
      () => read(Uint8Array.of(0), 3),
      (e: unknown) => e instanceof InvalidLength && e.length === 0,
    );
    assert.throws(() => read(c.encode().subarray(0, 100), 3), EndOfBuffer);
    assert.throws(() => read(Uint8Array.of(...c.encode(), 1), 3), ExtraData);
    const withZero = new Poly(G2, [G2.GENERATOR, G2.ZERO]).encode();
    assert.throws(
      () => read(withZero, 3),
      (e: unknown) => e instanceof Invalid && e.msg === 'Infinity',
    );
    // A scalar polynomial never decodes with a zero coefficient either (Scalar rejects 0).
    const zs = new Poly(ScalarSpace, [1n, 0n]).encode();
    assert.throws(
      () => Poly.read(new Reader(zs), ScalarSpace, range(1, 4)),
      (e: unknown) => e instanceof Invalid && e.ctx === 'Scalar',
    );
  });
});

describe('Interpolator', () => {
  const rng = new TestRng(32);

  it('recovers f(0) from any quorum of evaluations, for scalars and points', () => {
    const f = randomPoly(rng, 3);
    const c = commit(G1, f);
    for (const idx of [
      [0, 1, 2, 3],
      [6, 2, 9, 4],
    ]) {
      const interp = indexInterpolator(idx);
      const evals = OrderedMap.fromDedup(
        idx.map((i) => [i, f.eval(BigInt(i) + 1n)] as const),
        compareNumbers,
      );
      assert.equal(interp.interpolate(ScalarSpace, evals), f.constant(), `indices ${idx}`);
      const pts = OrderedMap.fromDedup(
        idx.map((i) => [i, c.eval(BigInt(i) + 1n)] as const),
        compareNumbers,
      );
      assert.ok(G1.equals(interp.interpolate(G1, pts)!, c.constant()));
    }
  });

  it('weights follow wᵢ = Πⱼ≠ᵢ xⱼ/(xⱼ−xᵢ) (x = 1,2,3 → 3, −3, 1)', () => {
    const w = indexInterpolator([0, 1, 2]).weights;
    assert.deepEqual([...w.values], [3n, R - 3n, 1n]);
  });

  it('refuses evaluations whose ids differ from its own', () => {
    const interp = indexInterpolator([0, 1, 2]);
    const evals = OrderedMap.fromDedup<number, bigint>(
      [
        [0, 1n],
        [1, 2n],
      ],
      compareNumbers,
    );
    assert.equal(interp.interpolate(ScalarSpace, evals), null);
  });

  it('interpolates whole polynomials coefficient-wise (reshare of commitments)', () => {
    // Dealers i = 0..2 each commit to a polynomial; interpolating them at 0 is linear.
    const polys = [0, 1, 2].map(() => commit(G2, randomPoly(rng, 1)));
    const interp = indexInterpolator([0, 1, 2]);
    const out = interp.interpolatePolys(
      G2,
      OrderedMap.fromDedup(
        polys.map((p, i) => [i, p] as const),
        compareNumbers,
      ),
    )!;
    const w = interp.weights.values;
    const c0 = G2.msm(
      polys.map((p) => p.coeffs[0]!),
      [...w],
    );
    assert.ok(G2.equals(out.constant(), c0));
  });
});

describe('Sharing', () => {
  const rng = new TestRng(33);
  const f = randomPoly(rng, 2);
  const sharing = new Sharing(Mode.NonZeroCounter, 4, commit(G2, f));

  it('required = quorum(total); partial publics are the commitment at i+1', () => {
    assert.equal(sharing.required(), 3);
    for (let i = 0; i < 4; i++) {
      const share = { index: i, private: f.eval(BigInt(i) + 1n) };
      assert.ok(G2.equals(sharing.partialPublic(i), sharePublic(MinSig, share)));
    }
    assert.throws(
      () => sharing.partialPublic(4),
      (e: unknown) => e instanceof BlsError && e.code === 'InvalidIndex',
    );
    sharing.precomputePartialPublics();
    assert.equal(modeScalar(Mode.NonZeroCounter, 4, 3), 4n);
    assert.equal(modeScalar(Mode.NonZeroCounter, 4, 4), null);
  });

  it('encodes as mode u8 ‖ total u32 BE ‖ poly and decodes back', () => {
    const b = sharing.encode();
    assert.equal(hex(b.subarray(0, 6)), '000000000403');
    assert.equal(b.length, 6 + 3 * 96);
    assert.ok(Sharing.decode(b, G2, 4).equals(sharing));
  });

  it('decode negatives: unknown mode, total 0 / above max, poly above max, trailing, truncated', () => {
    const b = sharing.encode();
    const mut = (i: number, v: number) => {
      const c = Uint8Array.from(b);
      c[i] = v;
      return c;
    };
    assert.throws(
      () => Sharing.decode(mut(0, 1), G2, 4),
      (e: unknown) => e instanceof InvalidEnum && e.tag === 1,
    );
    assert.throws(
      () => Sharing.decode(mut(4, 0), G2, 4),
      (e: unknown) => e instanceof Invalid && e.ctx === 'Sharing' && e.msg === 'total not in range',
    );
    assert.throws(
      () => Sharing.decode(b, G2, 3),
      (e: unknown) => e instanceof Invalid && e.msg === 'total not in range',
    );
    assert.throws(
      () => Sharing.decode(mut(4, 2), G2, 2),
      (e: unknown) => e instanceof InvalidLength && e.length === 3,
    );
    assert.throws(() => Sharing.decode(Uint8Array.of(...b, 0), G2, 4), ExtraData);
    assert.throws(() => Sharing.decode(b.subarray(0, 5), G2, 4), EndOfBuffer);
    // A hostile total never exceeds the configured bound, so it cannot force work.
    assert.throws(() => Sharing.decode(Uint8Array.of(0, 0xff, 0xff, 0xff, 0xff, 1, ...G2.encode(G2.GENERATOR)), G2, 100), Invalid);
  });

  it('subset interpolator weighs members by their position in the full set', () => {
    const set = OrderedSet.fromDedup([unhex('03'), unhex('01'), unhex('02'), unhex('04')], compareBytes);
    const sub = OrderedSet.fromDedup([unhex('04'), unhex('02'), unhex('01')], compareBytes);
    const interp = subsetInterpolator(Mode.NonZeroCounter, set, sub)!;
    const direct = new Interpolator(
      [
        [unhex('01'), 1n],
        [unhex('02'), 2n],
        [unhex('04'), 4n],
      ] as const,
      compareBytes,
    );
    assert.deepEqual([...interp.weights.values], [...direct.weights.values]);
    assert.equal(subsetInterpolator(Mode.NonZeroCounter, set, OrderedSet.fromDedup([unhex('09')], compareBytes)), null);
  });
});

describe('Share codec', () => {
  it('varint(index) ‖ 32-byte scalar; zero private and truncation rejected', () => {
    const s = { index: 300, private: 5n };
    const b = encodeShare(s);
    assert.equal(hex(b), 'ac02' + '00'.repeat(31) + '05');
    assert.deepEqual(decodeShare(b), s);
    assert.throws(
      () => decodeShare(unhex('00' + '00'.repeat(32))),
      (e: unknown) => e instanceof Invalid && e.ctx === 'Scalar',
    );
    assert.throws(() => decodeShare(b.subarray(0, 20)), EndOfBuffer);
    assert.throws(() => decodeShare(unhex('8000' + '00'.repeat(31) + '01')), InvalidVarint);
  });

  it('round-trips random shares (seeded)', () => {
    const rng = new TestRng(34);
    for (let i = 0; i < 100; i++) {
      const s = { index: rng.int(2 ** 32), private: (rng.bigBits(255) % (R - 1n)) + 1n };
      assert.deepEqual(decodeShare(encodeShare(s)), s);
    }
  });
});
