import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANY,
  compareBytes,
  compareNumbers,
  DuplicateKeyError,
  decode,
  Invalid,
  InvalidLength,
  maxFaults,
  OrderedMap,
  OrderedSet,
  quorum,
  type Reader,
  unionUnique,
  Writer,
} from '../../../src/codec/index.ts';
import { hex, TestRng, unhex } from '../../support/rng.ts';

describe('ordered: quorum arithmetic (utils/src/lib.rs)', () => {
  it('matches upstream examples', () => {
    const expect: Array<[number, number, number]> = [
      [1, 0, 1],
      [2, 0, 2],
      [3, 0, 3],
      [4, 1, 3],
      [5, 1, 4],
      [7, 2, 5],
      [10, 3, 7],
    ];
    for (const [n, f, q] of expect) {
      assert.equal(maxFaults(n), f, `maxFaults(${n})`);
      assert.equal(quorum(n), q, `quorum(${n})`);
    }
    assert.equal(maxFaults(0), 0);
    assert.throws(() => quorum(0), RangeError);
  });
});

describe('ordered: OrderedSet', () => {
  it('sorts, dedups, and indexes by binary search', () => {
    const s = OrderedSet.fromDedup([5, 1, 3, 5, 9, 1], compareNumbers);
    assert.deepEqual([...s], [1, 3, 5, 9]);
    assert.equal(s.indexOf(5), 2);
    assert.equal(s.indexOf(4), -1);
    assert.equal(s.has(9), true);
    assert.equal(s.quorum(), 3);
    assert.equal(s.maxFaults(), 1);
    assert.throws(() => OrderedSet.tryFrom([1, 2, 1], compareNumbers), DuplicateKeyError);
  });

  it('byte keys sort by unsigned lexicographic order', () => {
    const s = OrderedSet.fromDedup([unhex('ff'), unhex('00ff'), unhex('01'), unhex('0100')], compareBytes);
    assert.deepEqual(s.items.map(hex), ['00ff', '01', '0100', 'ff']);
  });

  it('round-trips through the Set wire format and rejects unsorted input', () => {
    const rng = new TestRng(7);
    for (let i = 0; i < 100; i++) {
      const s = OrderedSet.fromDedup(
        Array.from({ length: rng.int(20) }, () => rng.bytes(rng.between(1, 4))),
        compareBytes,
      );
      const w = new Writer();
      s.write(w, (x, v) => void x.varBytes(v));
      const back = decode(w.finish(), (r) => OrderedSet.read(r, ANY, (x) => x.varBytes(ANY), compareBytes));
      assert.ok(back.equals(s), `case ${i}`);
    }
    assert.throws(
      () => decode(unhex('020201'), (r) => OrderedSet.read(r, ANY, (x) => x.u8(), compareNumbers)),
      (e: unknown) => e instanceof Invalid && e.ctx === 'Set',
    );
  });
});

describe('ordered: OrderedMap', () => {
  it('keeps the first value of a duplicated key and encodes keys then values', () => {
    const m = OrderedMap.fromDedup(
      [
        [2, 'b'],
        [1, 'a'],
        [2, 'x'],
      ],
      compareNumbers,
    );
    assert.deepEqual(
      [...m],
      [
        [1, 'a'],
        [2, 'b'],
      ],
    );
    assert.equal(m.get(2), 'b');
    assert.equal(m.get(3), undefined);
    const w = new Writer();
    m.write(
      w,
      (x, k) => void x.u8(k),
      (x, v) => void x.u8(v.charCodeAt(0)),
    );
    assert.equal(hex(w.finish()), '0201020261' + '62');
    assert.throws(
      () =>
        OrderedMap.tryFrom(
          [
            [1, 'a'],
            [1, 'b'],
          ],
          compareNumbers,
        ),
      DuplicateKeyError,
    );
  });

  it('rejects a value count different from the key count', () => {
    assert.throws(
      () =>
        decode(unhex('0201020161'), (r: Reader) =>
          OrderedMap.read(
            r,
            ANY,
            (x) => x.u8(),
            (x) => x.u8(),
            compareNumbers,
          ),
        ),
      (e: unknown) => e instanceof InvalidLength && e.length === 1,
    );
  });

  it('truncate keeps the lowest keys', () => {
    const m = OrderedMap.fromDedup(
      [
        [3, 'c'],
        [1, 'a'],
        [2, 'b'],
      ],
      compareNumbers,
    ).truncate(2);
    assert.deepEqual([...m.keys], [1, 2]);
    assert.deepEqual(m.values, ['a', 'b']);
  });
});

describe('union_unique', () => {
  it('prefixes the namespace length as a varint', () => {
    assert.equal(hex(unionUnique(new Uint8Array(), unhex('abcd'))), '00abcd');
    assert.equal(hex(unionUnique(Buffer.from('TEMPO_FINALIZE'), unhex('000100'))), '0e54454d504f5f46494e414c495a45000100');
    const ns = new Uint8Array(200).fill(1);
    const u = unionUnique(ns, unhex('ff'));
    assert.equal(hex(u.subarray(0, 3)), 'c80101');
    assert.equal(u.length, 2 + 200 + 1);
  });
});
