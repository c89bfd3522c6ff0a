/**
 * The same three properties for every crypto decoder, over seeded random values:
 *   1. decode(encode(x)) = x (and re-encodes to the same bytes);
 *   2. every strict prefix of a valid encoding fails with EndOfBuffer (truncation);
 *   3. a valid encoding plus one byte fails with ExtraData(1) (trailing bytes).
 * Type-specific negatives (bad points, zero scalars, bounds, ordering) live next to each type's tests.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, EndOfBuffer, ExtraData, Invalid, InvalidLength, InvalidVarint, Reader, range } from '../../../src/codec/index.ts';
import {
  commit,
  decodePartialSignature,
  decodeScalar,
  decodeShare,
  encodePartialSignature,
  encodeScalar,
  encodeShare,
  G1,
  G2,
  MinPk,
  MinSig,
  Mode,
  Poly,
  R,
  randomPoly,
  ScalarSpace,
  Sharing,
} from '../../../src/crypto/bls12381/index.ts';
import { decodeEd25519PublicKey, ed25519FromSeed, ed25519PublicKey, readEd25519PrivateKey, readEd25519Signature } from '../../../src/crypto/ed25519.ts';
import { readSummary } from '../../../src/crypto/transcript.ts';
import { hex, TestRng, unhex } from '../../support/rng.ts';

interface Case {
  name: string;
  /** Produces one random valid encoding. */
  sample: (rng: TestRng) => Uint8Array;
  /** Decodes and re-encodes (throws on invalid input). */
  roundTrip: (bytes: Uint8Array) => Uint8Array;
  samples: number;
}

const randScalar = (rng: TestRng): bigint => (rng.bigBits(255) % (R - 1n)) + 1n;

const CASES: Case[] = [
  { name: 'Scalar', samples: 30, sample: (r) => encodeScalar(randScalar(r)), roundTrip: (b) => encodeScalar(decodeScalar(b)) },
  { name: 'G1', samples: 6, sample: (r) => G1.encode(G1.mul(G1.GENERATOR, randScalar(r))), roundTrip: (b) => G1.encode(G1.decode(b)) },
  { name: 'G2', samples: 4, sample: (r) => G2.encode(G2.mul(G2.GENERATOR, randScalar(r))), roundTrip: (b) => G2.encode(G2.decode(b)) },
  {
    name: 'Share',
    samples: 30,
    sample: (r) => encodeShare({ index: r.int(2 ** 32), private: randScalar(r) }),
    roundTrip: (b) => encodeShare(decodeShare(b)),
  },
  {
    name: 'PartialSignature<MinSig>',
    samples: 4,
    sample: (r) => encodePartialSignature(MinSig, { index: r.int(1 << 20), value: G1.mul(G1.GENERATOR, randScalar(r)) }),
    roundTrip: (b) => encodePartialSignature(MinSig, decodePartialSignature(MinSig, b)),
  },
  {
    name: 'PartialSignature<MinPk>',
    samples: 3,
    sample: (r) => encodePartialSignature(MinPk, { index: r.int(300), value: G2.mul(G2.GENERATOR, randScalar(r)) }),
    roundTrip: (b) => encodePartialSignature(MinPk, decodePartialSignature(MinPk, b)),
  },
  {
    name: 'Poly<Scalar>',
    samples: 10,
    sample: (r) => randomPoly(r, r.int(6)).encode(),
    roundTrip: (b) => decode(b, (x) => Poly.read(x, ScalarSpace, range(1, 8))).encode(),
  },
  {
    name: 'Sharing<MinSig>',
    samples: 3,
    sample: (r) => {
      const n = r.between(1, 5);
      return new Sharing(Mode.NonZeroCounter, n, commit(G2, randomPoly(r, r.int(3)))).encode();
    },
    roundTrip: (b) => Sharing.decode(b, G2, 5).encode(),
  },
  {
    name: 'ed25519 PublicKey',
    samples: 10,
    sample: (r) => ed25519PublicKey(ed25519FromSeed(r.int(1000))),
    roundTrip: (b) => decodeEd25519PublicKey(b),
  },
  { name: 'ed25519 Signature', samples: 5, sample: (r) => r.bytes(64), roundTrip: (b) => decode(b, readEd25519Signature) },
  { name: 'ed25519 PrivateKey', samples: 5, sample: (r) => r.bytes(32), roundTrip: (b) => decode(b, readEd25519PrivateKey) },
  { name: 'Summary', samples: 5, sample: (r) => r.bytes(32), roundTrip: (b) => decode(b, readSummary) },
];

describe('crypto decoders: round trip, truncation, trailing bytes (seeded)', () => {
  for (const tc of CASES) {
    it(tc.name, () => {
      const rng = new TestRng(hex(new TextEncoder().encode(tc.name)).length * 7919);
      for (let i = 0; i < tc.samples; i++) {
        const bytes = tc.sample(rng);
        assert.equal(hex(tc.roundTrip(bytes)), hex(bytes), `${tc.name} sample ${i}`);
        for (let cut = 0; cut < bytes.length; cut++) {
          assert.throws(() => tc.roundTrip(bytes.subarray(0, cut)), EndOfBuffer, `${tc.name} sample ${i} cut at ${cut}`);
        }
        assert.throws(
          () => tc.roundTrip(Uint8Array.of(...bytes, 0)),
          (e: unknown) => e instanceof ExtraData && e.remaining === 1,
          `${tc.name} sample ${i} + trailing byte`,
        );
      }
    });
  }
});

describe('crypto decoders: varint-prefixed types reject non-canonical indices', () => {
  it('Share and PartialSignature', () => {
    const sig = G1.encode(G1.GENERATOR);
    assert.throws(
      () => decodeShare(Uint8Array.of(0x80, 0x00, ...encodeScalar(1n))),
      (e: unknown) => e instanceof InvalidVarint && e.size === 4,
    );
    assert.throws(() => decodePartialSignature(MinSig, Uint8Array.of(0x81, 0x00, ...sig)), InvalidVarint);
    assert.throws(() => decodePartialSignature(MinSig, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x10, ...sig)), InvalidVarint);
    // and the embedded point is fully validated
    const inf = new Uint8Array(48);
    inf[0] = 0xc0;
    assert.throws(
      () => decodePartialSignature(MinSig, Uint8Array.of(0, ...inf)),
      (e: unknown) => e instanceof Invalid && e.msg === 'Infinity',
    );
  });

  it('Poly and Sharing bound the coefficient count before reading coefficients', () => {
    // 2^32-1 claimed coefficients and nothing else: rejected on the count, not by running out of input.
    const huge = unhex('ffffffff0f');
    const tooLong = (e: unknown) => e instanceof InvalidLength && e.length === 0xffffffff;
    assert.throws(() => Poly.read(new Reader(huge), G2, range(1, 100)), tooLong);
    assert.throws(() => Sharing.decode(Uint8Array.of(0, 0, 0, 0, 1, ...huge), G2, 100), tooLong);
  });
});
