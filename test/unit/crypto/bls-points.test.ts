import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { CodecError, EndOfBuffer, ExtraData, Invalid } from '../../../src/codec/index.ts';
import { decodeScalar, encodeScalar, G1, G2, type Group, msm, R, randomScalar, scalarInv, scalarInvBatch, scalarMul } from '../../../src/crypto/bls12381/index.ts';
import { blsKeygen } from '../../../src/crypto/keygen.ts';
import { hex, TestRng, unhex } from '../../support/rng.ts';

const P = bls12_381.fields.Fp.ORDER;
const pHex = P.toString(16).padStart(96, '0');

function invalid(g: Group<unknown>, bytes: Uint8Array, msg: string): void {
  assert.throws(
    () => g.decode(bytes),
    (e: unknown) => e instanceof Invalid && e.ctx === g.name && e.msg === msg,
    `${g.name} ${hex(bytes).slice(0, 16)}… should be Invalid(${msg})`,
  );
}

/** A point on E(Fp) but outside the order-r subgroup: the first x ≥ 1 whose x³+4 is square. */
function nonSubgroupG1(): Uint8Array {
  const Fp = bls12_381.fields.Fp;
  for (let x = 1n; ; x++) {
    try {
      Fp.sqrt(Fp.add(Fp.mul(Fp.sqr(x), x), 4n));
    } catch {
      continue;
    }
    const b = unhex(x.toString(16).padStart(96, '0'));
    b[0]! |= 0x80;
    return b;
  }
}

describe('scalars', () => {
  it('decode rejects 0 and values ≥ r, accepts 1 and r−1', () => {
    for (const v of [0n, R, R + 1n, (1n << 256n) - 1n]) {
      assert.throws(
        () => decodeScalar(unhex(v.toString(16).padStart(64, '0'))),
        (e: unknown) => e instanceof Invalid && e.ctx === 'Scalar' && e.msg === 'Invalid',
        `scalar ${v}`,
      );
    }
    assert.equal(decodeScalar(encodeScalar(1n)), 1n);
    assert.equal(decodeScalar(encodeScalar(R - 1n)), R - 1n);
  });

  it('decode rejects truncated and trailing input', () => {
    assert.throws(() => decodeScalar(new Uint8Array(31)), EndOfBuffer);
    assert.throws(() => decodeScalar(Uint8Array.of(...encodeScalar(5n), 0)), ExtraData);
  });

  it('encode → decode round-trips random scalars (seeded)', () => {
    const rng = new TestRng(11);
    for (let i = 0; i < 200; i++) {
      const s = (rng.bigBits(256) % (R - 1n)) + 1n;
      assert.equal(decodeScalar(encodeScalar(s)), s, `case ${i}`);
    }
  });

  it('batch inversion equals one-by-one inversion and keeps zeros', () => {
    const rng = new TestRng(12);
    const xs = Array.from({ length: 20 }, (_, i) => (i % 7 === 3 ? 0n : rng.bigBits(255) % R));
    const inv = scalarInvBatch(xs);
    xs.forEach((x, i) => {
      assert.equal(inv[i], scalarInv(x));
      if (x !== 0n) assert.equal(scalarMul(x, inv[i]!), 1n);
    });
  });

  it('KeyGen matches the EIP-2333 derive_master_SK vectors (same HKDF_mod_r as blst_keygen)', () => {
    const vectors: Array<[string, bigint]> = [
      [
        'c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04',
        6083874454709270928345386274498605044986640685124978867557563392430687146096n,
      ],
      ['3141592653589793238462643383279502884197169399375105820974944592', 29757020647961307431480504535336562678282505419141012933316116377660817309383n],
      ['0099ff991111002299dd7744ee3355bbdd8844115566cc55663355668888cc00', 27580842291869792442942448775674722299803720648445448686099262467207037398656n],
    ];
    for (const [seed, sk] of vectors) assert.equal(blsKeygen(unhex(seed)), sk, seed.slice(0, 8));
    assert.throws(() => blsKeygen(new Uint8Array(31)), RangeError);
  });

  it('Scalar::random draws exactly 64 bytes per scalar', () => {
    const rng = new TestRng(13);
    const bytes = rng.bytes(128);
    let pos = 0;
    const feed = { fillBytes: (d: Uint8Array) => (d.set(bytes.subarray(pos, pos + d.length)), (pos += d.length)) };
    const a = randomScalar(feed);
    const b = randomScalar(feed);
    assert.equal(pos, 128);
    assert.equal(a, blsKeygen(bytes.subarray(0, 64)));
    assert.equal(b, blsKeygen(bytes.subarray(64)));
  });
});

for (const g of [G1, G2] as Array<Group<any>>) {
  const size = g.SIZE;
  describe(`${g.name} point codec`, () => {
    it('encodes the generator in the standard compressed form', () => {
      const want =
        g.name === 'G1'
          ? '97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb'
          : '93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8';
      assert.equal(hex(g.encode(g.GENERATOR)), want);
    });

    it('round-trips random points, both signs of y (seeded)', () => {
      const rng = new TestRng(g.SIZE);
      let negSeen = 0;
      for (let i = 0; i < 24; i++) {
        const p = g.mul(g.GENERATOR, (rng.bigBits(255) % (R - 1n)) + 1n);
        for (const q of [p, g.neg(p)]) {
          const b = g.encode(q);
          if (b[0]! & 0x20) negSeen++;
          assert.ok(g.equals(g.decode(b), q), `case ${i}`);
        }
      }
      assert.ok(negSeen > 0);
    });

    it('decoding from a Node Buffer does not touch the caller’s bytes', () => {
      const src = Buffer.from(g.encode(g.neg(g.GENERATOR)));
      const before = hex(src);
      g.decode(src);
      assert.equal(hex(src), before);
    });

    it('rejects the identity (its only valid encoding is c0 00…)', () => {
      const inf = new Uint8Array(size);
      inf[0] = 0xc0;
      assert.equal(hex(g.encode(g.ZERO)), hex(inf));
      invalid(g, inf, 'Infinity');
    });

    it('rejects bad flag combinations as Bad encoding', () => {
      const gen = g.encode(g.GENERATOR);
      const noCompress = Uint8Array.from(gen);
      noCompress[0]! &= 0x7f;
      invalid(g, noCompress, 'Bad encoding');
      invalid(g, new Uint8Array(size), 'Bad encoding');
      const infWithSign = new Uint8Array(size);
      infWithSign[0] = 0xe0;
      invalid(g, infWithSign, 'Bad encoding');
      const infWithX = new Uint8Array(size);
      infWithX[0] = 0xc0;
      infWithX[size - 1] = 1;
      invalid(g, infWithX, 'Bad encoding');
      const genWithInf = Uint8Array.from(gen);
      genWithInf[0]! |= 0x40;
      invalid(g, genWithInf, 'Bad encoding');
    });

    it('rejects x ≥ p in every Fp limb', () => {
      const limbs = size / 48;
      for (let limb = 0; limb < limbs; limb++) {
        for (const x of [pHex, (P + 1n).toString(16).padStart(96, '0'), '1f' + 'ff'.repeat(47)]) {
          const b = limbs === 1 ? unhex(x) : unhex(limb === 0 ? x + '00'.repeat(48) : '00'.repeat(48) + x);
          b[0]! |= 0x80;
          invalid(g, b, 'Bad encoding');
        }
      }
    });

    it('rejects x with no curve point', () => {
      // x = 1: 1 + 4 = 5 is not a square in Fp; for G2, x = 1 is off the twist as well.
      const b = new Uint8Array(size);
      b[0] = 0x80;
      b[size - 1] = 1;
      invalid(g, b, 'Not on curve');
    });

    it('rejects truncated input and trailing bytes', () => {
      const gen = g.encode(g.GENERATOR);
      assert.throws(() => g.decode(gen.subarray(0, size - 1)), EndOfBuffer);
      assert.throws(
        () => g.decode(Uint8Array.of(...gen, 0)),
        (e: unknown) => e instanceof ExtraData && e.remaining === 1,
      );
    });

    it('random bytes never escape as anything but a CodecError', () => {
      const rng = new TestRng(99 + size);
      for (let i = 0; i < 40; i++) {
        const b = rng.bytes(size);
        b[0]! |= 0x80;
        b[0]! &= 0x9f;
        try {
          g.decode(b);
        } catch (e) {
          assert.ok(e instanceof CodecError, String(e));
        }
      }
    });
  });
}

describe('subgroup checks', () => {
  it('G1: a curve point outside the r-torsion is rejected as Outside G1', () => {
    invalid(G1, nonSubgroupG1(), 'Outside G1');
  });

  it('G1: x = 0 (the order-3 points (0, ±2)) is rejected as blst does', () => {
    const b = new Uint8Array(48);
    b[0] = 0x80;
    invalid(G1, b, 'Not in group');
    b[0] = 0xa0;
    invalid(G1, b, 'Not in group');
  });

  it('G2: a twist point outside the r-torsion is rejected as Outside G2', () => {
    // Map an arbitrary x on the twist without clearing the cofactor.
    const Fp2 = bls12_381.fields.Fp2;
    const b2 = Fp2.create({ c0: 4n, c1: 4n });
    for (let c0 = 1n; ; c0++) {
      const x = Fp2.create({ c0, c1: 0n });
      try {
        Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), b2));
      } catch {
        continue;
      }
      const b = unhex('00'.repeat(48) + c0.toString(16).padStart(96, '0'));
      b[0]! |= 0x80;
      invalid(G2, b, 'Outside G2');
      return;
    }
  });
});

describe('msm', () => {
  it('equals the naive sum for sizes 0..70, with zero scalars and identity points mixed in', () => {
    const rng = new TestRng(21);
    for (const g of [G1, G2] as Array<Group<any>>) {
      const base = Array.from({ length: 6 }, () => g.mul(g.GENERATOR, rng.bigBits(64) + 1n));
      for (const n of [0, 1, 2, 3, 7, 8, 33, 70]) {
        if (g.name === 'G2' && n > 33) continue;
        const pts = Array.from({ length: n }, (_, i) => (i % 9 === 4 ? g.ZERO : base[i % base.length]!));
        const scs = Array.from({ length: n }, (_, i) => (i % 5 === 2 ? 0n : rng.bigBits(rng.pick([16, 128, 255])) % R));
        let naive = g.ZERO;
        pts.forEach((p, i) => (naive = g.add(naive, g.scale(p, scs[i]!))));
        assert.ok(g.equals(msm(g.ZERO, pts, scs), naive), `${g.name} n=${n}`);
      }
    }
  });

  it('rejects mismatched lengths', () => {
    assert.throws(() => msm(G1.ZERO, [G1.GENERATOR], []), RangeError);
  });
});
