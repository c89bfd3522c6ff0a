import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANY,
  atMost,
  type Codec,
  CodecError,
  codecs as c,
  compareNumbers,
  decode,
  EndOfBuffer,
  ExtraData,
  encode,
  exact,
  Invalid,
  InvalidBool,
  InvalidEnum,
  InvalidLength,
  InvalidVarint,
  Reader,
  range,
  varintSize,
  varintSizeBig,
  Writer,
} from '../../../src/codec/index.ts';
import { hex, TestRng, unhex } from '../../support/rng.ts';

/** Asserts that decoding `h` with `read` throws an error of class `cls` (and returns it). */
function rejects<E extends CodecError>(h: string, read: (r: Reader) => unknown, cls: new (...a: never[]) => E): E {
  let caught: unknown;
  try {
    decode(unhex(h), read);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof cls, `decoding ${h}: expected ${cls.name}, got ${String(caught)}`);
  return caught;
}

const enc = <T>(codec: Codec<T>, v: NoInfer<T>): string => hex(c.encodeValue(codec, v));

describe('codec: fixed-width integers and bool (upstream test_conformity)', () => {
  it('writes big-endian', () => {
    assert.equal(enc(c.u8, 0xab), 'ab');
    assert.equal(enc(c.u16, 0x0102), '0102');
    assert.equal(enc(c.u32, 0x01020304), '01020304');
    assert.equal(enc(c.u64, 0x0102030405060708n), '0102030405060708');
    assert.equal(enc(c.u64, 0xffffffffffffffffn), 'ffffffffffffffff');
    assert.equal(enc(c.u128, 0x0102030405060708090a0b0c0d0e0f10n), '0102030405060708090a0b0c0d0e0f10');
    assert.equal(enc(c.i8, -1), 'ff');
    assert.equal(enc(c.i16, -2), 'fffe');
    assert.equal(enc(c.i32, -2147483648), '80000000');
    assert.equal(enc(c.i64, -1n), 'ffffffffffffffff');
    assert.equal(enc(c.i128, -(1n << 127n)), '80000000000000000000000000000000');
    assert.equal(enc(c.bool, false), '00');
    assert.equal(enc(c.bool, true), '01');
  });

  it('reads what it writes, including the extremes', () => {
    assert.equal(
      decode(unhex('ffffffffffffffff'), (r) => r.u64()),
      0xffffffffffffffffn,
    );
    assert.equal(
      decode(unhex('8000'), (r) => r.i16()),
      -32768,
    );
    assert.equal(
      decode(unhex('7fffffffffffffffffffffffffffffff'), (r) => r.i128()),
      (1n << 127n) - 1n,
    );
    assert.equal(
      decode(unhex('3ff0000000000000'), (r) => r.f64()),
      1,
    );
  });

  it('rejects truncated input with EndOfBuffer', () => {
    rejects('', (r) => r.u8(), EndOfBuffer);
    rejects('12', (r) => r.u16(), EndOfBuffer);
    rejects('010203', (r) => r.u32(), EndOfBuffer);
    rejects('01020304050607', (r) => r.u64(), EndOfBuffer);
    rejects('00'.repeat(15), (r) => r.u128(), EndOfBuffer);
  });

  it('rejects trailing bytes with ExtraData(n)', () => {
    assert.equal(rejects('0102030405', (r) => r.u32(), ExtraData).remaining, 1);
    assert.equal(rejects('000102', (r) => r.u8(), ExtraData).remaining, 2);
  });

  it('rejects bool bytes other than 0/1', () => {
    rejects('02', (r) => r.bool(), InvalidBool);
    rejects('ff', (r) => r.bool(), InvalidBool);
  });

  it('writer refuses out-of-range integers (programming error, not CodecError)', () => {
    assert.throws(() => new Writer().u8(256), RangeError);
    assert.throws(() => new Writer().u32(-1), RangeError);
    assert.throws(() => new Writer().u64(1n << 64n), RangeError);
    assert.throws(() => new Writer().usize(2 ** 32), RangeError);
    assert.throws(() => new Writer().i8(128), RangeError);
  });
});

describe('codec: varints', () => {
  const cases: Array<[number, string]> = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [255, 'ff01'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2097151, 'ffff7f'],
    [2097152, '80808001'],
    [0xffffffff, 'ffffffff0f'],
  ];

  it('encodes the upstream conformity values (u32 / usize)', () => {
    for (const [v, h] of cases) {
      assert.equal(enc(c.varU32, v), h, `varU32(${v})`);
      assert.equal(enc(c.usize(ANY), v), h, `usize(${v})`);
      assert.equal(
        decode(unhex(h), (r) => r.varU32()),
        v,
      );
      assert.equal(varintSize(v), h.length / 2);
    }
  });

  it('encodes u16 / u64 / u128 boundaries', () => {
    assert.equal(enc(c.varU16, 65535), 'ffff03');
    assert.equal(enc(c.varU64, 0xffffffffffffffffn), 'ffffffffffffffffff01');
    assert.equal(enc(c.varU64, 1n << 63n), '80808080808080808001');
    assert.equal(enc(c.varU64, 9007199254740992n), '8080808080808010');
    assert.equal(enc(c.varU128, (1n << 128n) - 1n), 'ffffffffffffffffffffffffffffffffffff03');
    assert.equal(
      decode(unhex('ffffffffffffffffff01'), (r) => r.varU64()),
      0xffffffffffffffffn,
    );
    assert.equal(
      decode(unhex('ffffffffffffffffffffffffffffffffffff03'), (r) => r.varU128()),
      (1n << 128n) - 1n,
    );
    assert.equal(varintSizeBig(0xffffffffffffffffn), 10);
  });

  it('zigzag signed varints', () => {
    assert.equal(enc(c.varI32, 0), '00');
    assert.equal(enc(c.varI32, -1), '01');
    assert.equal(enc(c.varI32, 1), '02');
    assert.equal(enc(c.varI32, -65), '8101');
    assert.equal(enc(c.varI32, -2147483648), 'ffffffff0f');
    assert.equal(enc(c.varI64, -(1n << 63n)), 'ffffffffffffffffff01');
    assert.equal(
      decode(unhex('feffffffffffffffff01'), (r) => r.varI64()),
      (1n << 63n) - 1n,
    );
    assert.equal(
      decode(unhex('8101'), (r) => r.varI16()),
      -65,
    );
  });

  it('rejects non-canonical encodings (a zero byte after the first)', () => {
    for (const h of ['8000', 'ff00', '818000', '80808000', '8080808000']) {
      assert.equal(rejects(h, (r) => r.varU32(), InvalidVarint).size, 4, h);
    }
    rejects('8000', (r) => r.varU16(), InvalidVarint);
    assert.equal(rejects('ff00', (r) => r.varU64(), InvalidVarint).size, 8);
    // a zero byte late in a long u64 (the bigint slow path)
    rejects('ffffffffffffff8000', (r) => r.varU64(), InvalidVarint);
    rejects('8000', (r) => r.varU128(), InvalidVarint);
    rejects('8000', (r) => r.usize(ANY), InvalidVarint);
  });

  it('rejects overflowing encodings (bits beyond the width, incl. a continuation bit)', () => {
    assert.equal(rejects('ffff04', (r) => r.varU16(), InvalidVarint).size, 2);
    rejects('ffff83', (r) => r.varU16(), InvalidVarint);
    rejects('ffffffff10', (r) => r.varU32(), InvalidVarint);
    rejects('ffffffff1f', (r) => r.varU32(), InvalidVarint);
    rejects('ffffffff8f01', (r) => r.varU32(), InvalidVarint);
    rejects('8080808080', (r) => r.varU32(), InvalidVarint); // over-continuation
    assert.equal(rejects('ffffffffffffffffff02', (r) => r.varU64(), InvalidVarint).size, 8);
    rejects('ffffffffffffffffff81', (r) => r.varU64(), InvalidVarint);
    rejects('80808080808080808002', (r) => r.varU64(), InvalidVarint);
    assert.equal(rejects('ffffffffffffffffffffffffffffffffffff04', (r) => r.varU128(), InvalidVarint).size, 16);
    rejects('ffffffff10', (r) => r.usize(ANY), InvalidVarint);
  });

  it('rejects truncated varints with EndOfBuffer', () => {
    rejects('', (r) => r.varU32(), EndOfBuffer);
    rejects('80', (r) => r.varU32(), EndOfBuffer);
    rejects('808f', (r) => r.varU32(), EndOfBuffer);
    rejects('808080808080808080', (r) => r.varU64(), EndOfBuffer);
  });
});

describe('codec: lengths and bounds', () => {
  it('usize outside the configured range is InvalidLength(n)', () => {
    assert.equal(rejects('0b', (r) => r.usize(atMost(10)), InvalidLength).length, 11);
    assert.equal(rejects('00', (r) => r.usize(range(1, 10)), InvalidLength).length, 0);
    assert.equal(rejects('ffffffff0f', (r) => r.usize(atMost(1000)), InvalidLength).length, 0xffffffff);
  });

  it('a hostile length is rejected before anything is allocated', () => {
    // 4 GiB claimed, bound 16: fails on the prefix alone.
    rejects('ffffffff0f', (r) => r.varBytes(atMost(16)), InvalidLength);
    // 4 GiB claimed, unbounded: fails on the missing bytes, not by trying to allocate.
    rejects('ffffffff0f', (r) => r.varBytes(ANY), EndOfBuffer);
    // a Vec whose items would each need bytes: stops at the first missing item.
    rejects('ffffffff0f', (r) => r.vec(ANY, (x) => x.u64()), EndOfBuffer);
  });

  it('Vec / Bytes conformity (upstream vec.rs, bytes.rs)', () => {
    assert.equal(enc(c.vecOf(ANY, c.u8), []), '00');
    assert.equal(enc(c.vecOf(ANY, c.u16), [0x1234, 0xabcd]), '021234abcd');
    assert.equal(enc(c.vecOf(ANY, c.bool), [true, false, true]), '03010001');
    assert.equal(enc(c.varBytes(ANY), unhex('010203')), '03010203');
    assert.equal(enc(c.varBytes(ANY), new Uint8Array(300).fill(0xab)).slice(0, 6), 'ac02ab');
    assert.deepEqual(
      decode(unhex('021234abcd'), (r) => r.vec(atMost(2), (x) => x.u16())),
      [0x1234, 0xabcd],
    );
  });

  it('Vec / Bytes negatives', () => {
    rejects('030102', (r) => r.vec(ANY, (x) => x.u8()), EndOfBuffer);
    assert.equal(rejects('03010203', (r) => r.vec(atMost(2), (x) => x.u8()), InvalidLength).length, 3);
    rejects('020102', (r) => r.vec(ANY, (x) => x.bool()), InvalidBool);
    rejects('0501020304', (r) => r.varBytes(ANY), EndOfBuffer);
    rejects('0401020304', (r) => r.varBytes(atMost(3)), InvalidLength);
    rejects('800000', (r) => r.vec(ANY, (x) => x.u8()), InvalidVarint);
  });

  it('NonEmptyVec: empty is Invalid(NonEmptyVec) with min 0, InvalidLength(0) with min 1', () => {
    const e = rejects('00', (r) => r.nonEmptyVec(ANY, (x) => x.u16()), Invalid);
    assert.deepEqual([e.ctx, e.msg], ['NonEmptyVec', 'cannot decode empty vector']);
    assert.equal(rejects('00', (r) => r.nonEmptyVec(range(1, 5), (x) => x.u16()), InvalidLength).length, 0);
    rejects('03000100020003', (r) => r.nonEmptyVec(range(1, 2), (x) => x.u16()), InvalidLength);
    assert.equal(enc(c.nonEmptyVecOf(ANY, c.u16), [1, 2, 65535]), '0300010002ffff');
  });
});

describe('codec: Option, tuples, structs', () => {
  it('Option conformity and negatives', () => {
    assert.equal(enc(c.optionOf(c.u16), null), '00');
    assert.equal(enc(c.optionOf(c.u16), 0x1234), '011234');
    assert.equal(
      decode(unhex('00'), (r) => r.option((x) => x.u16())),
      null,
    );
    rejects('021234', (r) => r.option((x) => x.u16()), InvalidBool);
    rejects('0112', (r) => r.option((x) => x.u16()), EndOfBuffer);
    rejects('0012', (r) => r.option((x) => x.u16()), ExtraData);
  });

  it('tuples concatenate (upstream tuple.rs)', () => {
    assert.equal(enc(c.tupleOf(c.optionOf(c.u16), c.u8), [0x1234, 0xff]), '011234ff');
    assert.equal(enc(c.tupleOf(c.u8, c.optionOf(c.u16)), [0xff, null]), 'ff00');
    const t = c.tupleOf(c.u32, c.bool, c.varU64);
    assert.equal(enc(t, [1, true, 128n]), '00000001018001');
    assert.deepEqual(c.decodeValue(t, unhex('00000001018001')), [1, true, 128n]);
  });

  it('structs follow the declared field order, not object key order', () => {
    type S = { b: number; a: boolean };
    const s = c.structOf<S>([
      ['a', c.bool],
      ['b', c.u16],
    ]);
    assert.equal(enc(s, { b: 0x0102, a: true }), '010102');
    assert.deepEqual(c.decodeValue(s, unhex('000304')), { a: false, b: 0x0304 });
  });
});

describe('codec: ordered containers', () => {
  const u32 = (r: Reader) => r.u32();
  const u16 = (r: Reader) => r.u16();

  it('Set: strictly ascending on read', () => {
    assert.deepEqual(
      decode(unhex('030000000100000002ffffffff'), (r) => r.set(ANY, u32, compareNumbers)),
      [1, 2, 0xffffffff],
    );
    let e = rejects('020000000200000001', (r) => r.set(ANY, u32, compareNumbers), Invalid);
    assert.deepEqual([e.ctx, e.msg], ['Set', 'items must be sorted and unique']);
    e = rejects('020000000100000001', (r) => r.set(ANY, u32, compareNumbers), Invalid);
    assert.equal(e.ctx, 'Set');
    rejects('020000000100000002', (r) => r.set(atMost(1), u32, compareNumbers), InvalidLength);
    // items are all read before the order check: a truncated later item wins over bad order
    rejects('03000000020000000100', (r) => r.set(ANY, u32, compareNumbers), EndOfBuffer);
  });

  it('Map: keys then values, value count must equal key count', () => {
    const m = c.mapOf(ANY, c.u32, c.u16, compareNumbers);
    assert.equal(enc(m, { keys: [1, 2, 300], values: [10, 20, 3000] }), '0300000001000000020000012c03000a00140bb8');
    assert.equal(enc(m, { keys: [], values: [] }), '0000');
    rejects('0200000002000000010200140028', m.read, Invalid);
    assert.equal(rejects('020000000100000002010014', m.read, InvalidLength).length, 1);
    assert.equal(rejects('0200000001000000020300140028003c', m.read, InvalidLength).length, 3);
    // a BTreeMap-style (interleaved) encoding is not a Map
    rejects('0200000001000a00000002001400', m.read, InvalidLength);
  });

  it('BTreeMap: interleaved, duplicate and descending keys rejected', () => {
    const m = c.btreeMapOf(ANY, c.u32, c.u16, compareNumbers);
    const pairs: Array<[number, number]> = [
      [1, 10],
      [2, 20],
      [300, 3000],
    ];
    assert.equal(enc(m, pairs), '0300000001000a0000000200140000012c0bb8');
    assert.deepEqual(c.decodeValue(m, unhex('0300000001000a0000000200140000012c0bb8')), pairs);
    let e = rejects('02000000010001000000010002', m.read, Invalid);
    assert.deepEqual([e.ctx, e.msg], ['BTreeMap', 'Duplicate key']);
    e = rejects('02000000020001000000010002', m.read, Invalid);
    assert.deepEqual([e.ctx, e.msg], ['BTreeMap', 'Keys must ascend']);
    rejects('020000000100010000000200', m.read, EndOfBuffer);
  });

  it('BTreeSet: duplicate and descending items rejected', () => {
    assert.deepEqual(
      decode(unhex('0300010005012c'), (r) => r.btreeSet(ANY, u16, compareNumbers)),
      [1, 5, 300],
    );
    assert.equal(rejects('0200050001', (r) => r.btreeSet(ANY, u16, compareNumbers), Invalid).msg, 'Items must ascend');
    assert.equal(rejects('0200050005', (r) => r.btreeSet(ANY, u16, compareNumbers), Invalid).msg, 'Duplicate item');
  });

  it('map value count uses exact()', () => {
    assert.deepEqual(exact(3), { min: 3, max: 3 });
  });
});

describe('codec: enums are hand-written u8 tags', () => {
  it('unknown tag → InvalidEnum(tag)', () => {
    const readTagged = (r: Reader): string => {
      const tag = r.u8();
      if (tag === 0) return 'a';
      if (tag === 1) return `b${r.u8()}`;
      throw new InvalidEnum(tag);
    };
    assert.equal(decode(unhex('0107'), readTagged), 'b7');
    assert.equal(rejects('02', readTagged, InvalidEnum).tag, 2);
  });
});

describe('codec: seeded properties', () => {
  const SEED = 0xc0dec;

  it('varints round-trip at every width and their size matches', () => {
    const rng = new TestRng(SEED);
    for (let i = 0; i < 2000; i++) {
      const bits = rng.between(0, 32);
      const v32 = Number(rng.bigBits(32) >> BigInt(32 - bits));
      const b = encode(v32, (w, x) => void w.varU32(x));
      assert.equal(b.length, varintSize(v32));
      assert.equal(
        decode(b, (r) => r.varU32()),
        v32,
        `seed ${SEED} case ${i}`,
      );

      const bits64 = rng.between(0, 64);
      const v64 = rng.bigBits(64) >> BigInt(64 - bits64);
      const b64 = encode(v64, (w, x) => void w.varU64(x));
      assert.equal(b64.length, varintSizeBig(v64));
      assert.equal(
        decode(b64, (r) => r.varU64()),
        v64,
        `seed ${SEED} case ${i}`,
      );

      const v128 = rng.bigBits(128) >> BigInt(rng.between(0, 128));
      assert.equal(
        decode(
          encode(v128, (w, x) => void w.varU128(x)),
          (r) => r.varU128(),
        ),
        v128,
      );

      const s64 = BigInt.asIntN(64, rng.bigBits(64) >> BigInt(rng.between(0, 63)));
      assert.equal(
        decode(
          encode(s64, (w, x) => void w.varI64(x)),
          (r) => r.varI64(),
        ),
        s64,
      );
    }
  });

  it('every decodable byte string re-encodes to itself (canonical varints)', () => {
    // Exhaustive over all 1- and 2-byte inputs and a seeded sample of longer ones: if varU32
    // accepts bytes, re-encoding the value gives back those exact bytes.
    const rng = new TestRng(SEED + 1);
    const inputs: Uint8Array[] = [];
    for (let a = 0; a < 256; a++) {
      inputs.push(Uint8Array.of(a));
      for (let b = 0; b < 256; b++) inputs.push(Uint8Array.of(a, b));
    }
    for (let i = 0; i < 5000; i++) inputs.push(rng.bytes(rng.between(3, 6)));
    let accepted = 0;
    for (const bytes of inputs) {
      let v: number;
      try {
        v = decode(bytes, (r) => r.varU32());
      } catch (e) {
        assert.ok(e instanceof CodecError);
        continue;
      }
      accepted++;
      assert.equal(hex(encode(v, (w, x) => void w.varU32(x))), hex(bytes));
    }
    assert.ok(accepted > 16000);
  });

  type Rec = { id: bigint; flags: boolean[]; name: Uint8Array; parent: number | null; tags: number[]; pairs: Array<[number, number]> };
  const recCodec = c.structOf<Rec>([
    ['id', c.varU64],
    ['flags', c.vecOf(atMost(16), c.bool)],
    ['name', c.varBytes(atMost(64))],
    ['parent', c.optionOf(c.u32)],
    ['tags', c.setOf(atMost(16), c.u16, compareNumbers)],
    ['pairs', c.btreeMapOf(atMost(16), c.varU32, c.i32, compareNumbers)],
  ]);
  const randomRec = (rng: TestRng): Rec => {
    const tags = [...new Set(Array.from({ length: rng.int(8) }, () => rng.int(65536)))].sort((a, b) => a - b);
    const keys = [...new Set(Array.from({ length: rng.int(8) }, () => rng.int(1 << 30)))].sort((a, b) => a - b);
    return {
      id: rng.bigBits(64) >> BigInt(rng.int(64)),
      flags: Array.from({ length: rng.int(17) }, () => rng.bool()),
      name: rng.bytes(rng.int(65)),
      parent: rng.bool() ? rng.int(2 ** 32) : null,
      tags,
      pairs: keys.map((k) => [k, rng.int(2 ** 32) - 2 ** 31] as [number, number]),
    };
  };

  it('structs of composites round-trip; every strict prefix is EndOfBuffer; a trailing byte is ExtraData', () => {
    const rng = new TestRng(SEED + 2);
    for (let i = 0; i < 300; i++) {
      const v = randomRec(rng);
      const bytes = c.encodeValue(recCodec, v);
      assert.deepEqual(c.decodeValue(recCodec, bytes), v, `seed ${SEED + 2} case ${i}`);
      for (let cut = 0; cut < bytes.length; cut++) {
        assert.throws(() => c.decodeValue(recCodec, bytes.subarray(0, cut)), EndOfBuffer, `case ${i} cut ${cut}`);
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      assert.throws(
        () => c.decodeValue(recCodec, longer),
        (e: unknown) => e instanceof ExtraData && e.remaining === 1,
      );
    }
  });

  it('random garbage never escapes as anything but a CodecError', () => {
    const rng = new TestRng(SEED + 3);
    let ok = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = rng.bytes(rng.int(40));
      try {
        c.decodeValue(recCodec, bytes);
        ok++;
      } catch (e) {
        assert.ok(e instanceof CodecError, `seed ${SEED + 3} case ${i}: ${String(e)}`);
      }
    }
    assert.ok(ok < 3000);
  });
});

describe('codec: Reader / Writer mechanics', () => {
  it('bytes() copies, borrow() aliases', () => {
    const src = unhex('0102030405');
    const r = new Reader(src);
    const copy = r.bytes(2);
    const view = r.borrow(2);
    src[0] = 0xff;
    src[2] = 0xee;
    assert.equal(hex(copy), '0102');
    assert.equal(hex(view), 'ee04');
    assert.equal(r.offset, 4);
    assert.equal(r.remaining, 1);
  });

  it('bytes() copies even from a Node Buffer (whose own slice() would alias)', () => {
    const src = Buffer.from('0102030405', 'hex');
    const copy = new Reader(src).bytes(3);
    src[0] = 0xff;
    assert.equal(hex(copy), '010203');
    assert.ok(!(copy instanceof Buffer) || copy.buffer !== src.buffer);
  });

  it('Writer grows past its initial capacity', () => {
    const w = new Writer(1);
    for (let i = 0; i < 1000; i++) w.u32(i);
    const out = w.finish();
    assert.equal(out.length, 4000);
    assert.equal(new DataView(out.buffer).getUint32(3996), 999);
  });

  it('Reader honours a starting offset and rejects a bad one', () => {
    assert.equal(new Reader(unhex('ff01'), 1).u8(), 1);
    assert.throws(() => new Reader(unhex('ff'), 2), RangeError);
  });
});
