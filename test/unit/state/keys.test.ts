import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeTuple, decodeU64, prefixEnd, prefixRange, tuple, tupleRange, u64 } from '../../../src/state/keys.ts';

const cmp = (a: Buffer, b: Buffer) => Buffer.compare(a, b);

test('u64 keys sort in numeric order, including across byte boundaries and near 2^64', () => {
  const values = [0n, 1n, 255n, 256n, 65535n, 65536n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
  for (let i = 0; i < 200; i++) values.push(randomBytes(8).readBigUInt64BE());
  const byBytes = [...values].sort((a, b) => cmp(u64(a), u64(b)));
  const byNumber = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual(byBytes, byNumber);
  for (const v of values) assert.equal(decodeU64(u64(v)), v);
  assert.equal(u64(5).length, 8);
  assert.throws(() => u64(-1), RangeError);
  assert.throws(() => u64(2n ** 64n), RangeError);
  assert.throws(() => u64(1.5), RangeError);
});

test('tuple keys sort by (part1, part2, …) with shorter byte strings first and zero bytes escaped', () => {
  const rows: Array<[bigint, Buffer, string]> = [];
  for (const e of [0n, 1n, 300n, 2n ** 40n]) {
    for (const b of [Buffer.alloc(0), Buffer.of(0), Buffer.of(0, 0), Buffer.of(0, 1), Buffer.of(1), Buffer.of(1, 0), Buffer.of(0xff)]) {
      for (const s of ['', 'a', 'a\u0000', 'ab', 'b']) rows.push([e, b, s]);
    }
  }
  const logical = [...rows].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : cmp(x[1], y[1]) || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0)));
  const encoded = [...rows].sort((x, y) => cmp(tuple(...x), tuple(...y)));
  assert.deepEqual(encoded, logical);
  for (const r of rows) assert.deepEqual(decodeTuple(tuple(...r)), [r[0], r[1], r[2]]);
});

test('tupleRange selects exactly the tuples extending a prefix tuple (not escaped look-alikes)', () => {
  const inside = [tuple(7n, Buffer.from('owner')), tuple(7n, Buffer.from('owner'), 'x'), tuple(7n, Buffer.from('owner'), 1n)];
  const outside = [tuple(7n, Buffer.from('owne')), tuple(7n, Buffer.from('owner\u0000')), tuple(8n), tuple(6n, Buffer.from('owner'))];
  const r = tupleRange([7n, Buffer.from('owner')]);
  for (const k of inside) assert.ok(cmp(k, r.gte!) >= 0 && cmp(k, r.lt!) < 0, `inside ${k.toString('hex')}`);
  for (const k of outside) assert.ok(cmp(k, r.gte!) < 0 || cmp(k, r.lt!) >= 0, `outside ${k.toString('hex')}`);
  // A plain byte prefix range does include the escaped look-alike: that is why tupleRange exists.
  const bytes = prefixRange(tuple(7n, Buffer.from('owner')));
  const lookalike = tuple(7n, Buffer.from('owner\u0000'));
  assert.ok(Buffer.compare(lookalike, bytes.gte!) >= 0 && Buffer.compare(lookalike, bytes.lt!) < 0);
  assert.deepEqual(prefixEnd(Buffer.of(1, 0xff, 0xff)), Buffer.of(2));
  assert.equal(prefixEnd(Buffer.of(0xff, 0xff)), undefined);
});

test('decodeTuple rejects malformed input', () => {
  assert.throws(() => decodeTuple(Buffer.of(0x20, 1, 2)), /unterminated/);
  assert.throws(() => decodeTuple(Buffer.of(0x99)), /unknown tuple tag/);
  assert.throws(() => decodeTuple(Buffer.of(0x10, 1, 2)), RangeError);
});
