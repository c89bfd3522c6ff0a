import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex, hexToBytes } from '../../../src/tempo/hex.ts';
import {
  decodeRlp,
  encodeRlp,
  encodeUint,
  MAX_RLP_DEPTH,
  type RlpItem,
  RlpLeadingZero,
  RlpLengthMismatch,
  RlpNonCanonical,
  RlpOverflow,
  RlpReader,
  RlpTooDeep,
  RlpTruncated,
  RlpUnexpectedLength,
  RlpUnexpectedType,
} from '../../../src/tempo/rlp.ts';
import { TestRng } from '../../support/rng.ts';

const h = (s: string) => hexToBytes(s);
const enc = (item: RlpItem) => bytesToHex(encodeRlp(item));

test('encodes the yellow-paper examples', () => {
  const ascii = (s: string) => new TextEncoder().encode(s);
  assert.equal(enc(ascii('dog')), '83646f67');
  assert.equal(enc([ascii('cat'), ascii('dog')]), 'c88363617483646f67');
  assert.equal(enc(new Uint8Array()), '80');
  assert.equal(enc([]), 'c0');
  assert.equal(bytesToHex(encodeUint(0n)), '80');
  assert.equal(bytesToHex(encodeUint(15n)), '0f');
  assert.equal(bytesToHex(encodeUint(1024n)), '820400');
  assert.equal(enc([[], [[]], [[], [[]]]]), 'c7c0c1c0c3c0c1c0');
  const lorem = ascii('Lorem ipsum dolor sit amet, consectetur adipisicing elit');
  assert.equal(enc(lorem), 'b838' + bytesToHex(lorem));
  assert.equal(enc(Uint8Array.of(0x7f)), '7f');
  assert.equal(enc(Uint8Array.of(0x80)), '8180');
});

test('decoding rejects non-canonical forms like alloy-rlp', () => {
  assert.throws(() => decodeRlp(h('8105')), RlpNonCanonical, 'single byte < 0x80 wrapped');
  assert.throws(() => decodeRlp(h('b801' + '00')), RlpNonCanonical, 'long form for a short string');
  assert.throws(() => decodeRlp(h('b90038' + '00'.repeat(56))), RlpNonCanonical, 'length with leading zero');
  assert.throws(() => decodeRlp(h('f801c0')), RlpNonCanonical, 'long form for a short list');
  assert.throws(() => decodeRlp(h('83646f')), RlpTruncated);
  assert.throws(() => decodeRlp(h('')), RlpTruncated);
  assert.throws(() => decodeRlp(h('b8')), RlpTruncated);
  assert.throws(() => decodeRlp(h('c3646f')), RlpTruncated);
  assert.throws(() => decodeRlp(h('80' + '80')), RlpLengthMismatch, 'trailing bytes after the item');
});

test('integer reads reject leading zeros, overflow and lists; fixed reads check the size', () => {
  assert.throws(() => new RlpReader(h('00')).u64(), RlpLeadingZero);
  assert.throws(() => new RlpReader(h('820001')).u64(), RlpLeadingZero);
  assert.throws(() => new RlpReader(h('89010000000000000000')).u64(), RlpOverflow);
  assert.equal(new RlpReader(h('88ffffffffffffffff')).u64(), (1n << 64n) - 1n);
  assert.equal(new RlpReader(h('80')).u64(), 0n);
  assert.throws(() => new RlpReader(h('c0')).u64(), RlpUnexpectedType);
  assert.throws(() => new RlpReader(h('80')).list(), RlpUnexpectedType);
  assert.throws(() => new RlpReader(h('820102')).fixed(3), RlpUnexpectedLength);
  const sub = new RlpReader(h('c28080')).list();
  sub.u64();
  assert.throws(() => sub.finish(), RlpLengthMismatch);
});

function randomItem(rng: TestRng, depth: number): RlpItem {
  if (depth > 3 || rng.int(3) > 0) {
    const kind = rng.int(4);
    const len = kind === 0 ? 0 : kind === 1 ? 1 : kind === 2 ? rng.int(56) : 50 + rng.int(300);
    return rng.bytes(len);
  }
  const n = rng.int(6);
  return Array.from({ length: n }, () => randomItem(rng, depth + 1));
}

test('property: decode(encode(x)) = x and encode(decode(b)) = b (seeded)', () => {
  const rng = new TestRng(0x5eed_0001);
  for (let i = 0; i < 500; i++) {
    const item = randomItem(rng, 0);
    const bytes = encodeRlp(item);
    const back = decodeRlp(bytes);
    assert.deepEqual(back, item);
    assert.deepEqual(encodeRlp(back), bytes);
  }
});

test('property: every strict prefix of an encoding fails to decode (seeded)', () => {
  const rng = new TestRng(0x5eed_0002);
  for (let i = 0; i < 100; i++) {
    const bytes = encodeRlp(randomItem(rng, 0));
    const cut = rng.int(bytes.length);
    assert.throws(() => decodeRlp(bytes.subarray(0, cut)), RlpTruncated);
  }
});

test('nesting is bounded: deep lists fail with RlpTooDeep, not a stack overflow', () => {
  // Nested single-item lists, innermost empty: c0, then each level wraps the one inside.
  const nested = (depth: number): Uint8Array => {
    let item: RlpItem = [];
    for (let i = 0; i < depth; i++) item = [item];
    return encodeRlp(item);
  };
  assert.doesNotThrow(() => decodeRlp(nested(MAX_RLP_DEPTH - 1))); // MAX_RLP_DEPTH lists in all
  assert.throws(() => decodeRlp(nested(MAX_RLP_DEPTH)), RlpTooDeep);
  // The input: ~60 KB of nesting (built by hand: the encoder itself recurses).
  const depth = 25_000;
  const bytes: number[] = [];
  let len = 0;
  const heads: number[][] = [];
  for (let i = 0; i < depth; i++) {
    const head = len < 56 ? [0xc0 + len] : len < 256 ? [0xf8, len] : len < 65536 ? [0xf9, len >> 8, len & 0xff] : [0xfa, len >> 16, (len >> 8) & 0xff, len & 0xff];
    heads.push(head);
    len += head.length;
  }
  for (let i = heads.length - 1; i >= 0; i--) bytes.push(...heads[i]!);
  assert.ok(bytes.length > 60_000);
  assert.throws(() => decodeRlp(Uint8Array.from(bytes)), RlpTooDeep);
});
