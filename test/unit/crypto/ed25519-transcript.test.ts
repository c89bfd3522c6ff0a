import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { decode, EndOfBuffer, OrderedSet, Reader, Wrapped, Writer } from '../../../src/codec/index.ts';
import { ChaCha20Rng } from '../../../src/crypto/chacha.ts';
import {
  compareEd25519PublicKeys,
  decodeEd25519PublicKey,
  ed25519FromSeed,
  ed25519PublicKey,
  ed25519Sign,
  ed25519SignRaw,
  ed25519Verify,
  ed25519VerifyRaw,
  readEd25519Signature,
} from '../../../src/crypto/ed25519.ts';
import { randomSummary, readSummary, Transcript, writeSummary } from '../../../src/crypto/transcript.ts';
import { hex, TestRng, unhex } from '../../support/rng.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

describe('ChaCha20Rng (rand_chacha 0.3)', () => {
  it('all-zero key, nonce 0: the RFC 8439 A.1 keystream', () => {
    const out = new Uint8Array(64);
    new ChaCha20Rng(new Uint8Array(32)).fillBytes(out);
    assert.equal(hex(out), '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586');
  });

  it('reads sequentially across blocks regardless of chunking', () => {
    const whole = new Uint8Array(150);
    new ChaCha20Rng(new Uint8Array(32).fill(7)).fillBytes(whole);
    const rng = new ChaCha20Rng(new Uint8Array(32).fill(7));
    const parts = [1, 63, 64, 22].map((n) => {
      const b = new Uint8Array(n);
      rng.fillBytes(b);
      return hex(b);
    });
    assert.equal(parts.join(''), hex(whole));
  });
});

describe('ed25519', () => {
  it('RFC 8032 test 1 (empty message, raw payload)', () => {
    const sk = unhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    assert.equal(hex(ed25519PublicKey(sk)), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const sig = ed25519SignRaw(sk, new Uint8Array());
    assert.equal(hex(sig), 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
    assert.ok(ed25519VerifyRaw(ed25519PublicKey(sk), new Uint8Array(), sig));
  });

  it('signs union_unique(namespace, message); namespaces are not interchangeable', () => {
    const sk = ed25519FromSeed(0);
    const pk = ed25519PublicKey(sk);
    const sig = ed25519Sign(sk, utf8('ns'), utf8('msg'));
    assert.equal(hex(sig), hex(ed25519SignRaw(sk, Uint8Array.of(2, ...utf8('ns'), ...utf8('msg')))));
    assert.ok(ed25519Verify(pk, utf8('ns'), utf8('msg'), sig));
    assert.ok(!ed25519Verify(pk, utf8('n'), utf8('smsg'), sig), 'shifting bytes between namespace and message');
    assert.ok(!ed25519Verify(pk, new Uint8Array(), utf8('msg'), sig));
    assert.ok(!ed25519Verify(ed25519PublicKey(ed25519FromSeed(1)), utf8('ns'), utf8('msg'), sig));
    assert.ok(!ed25519Verify(pk.subarray(0, 31), utf8('ns'), utf8('msg'), sig), 'short key → false, no throw');
  });

  it('ZIP-215: small-order key with identity R and s = 0 verifies (RFC 8032 strict mode would not)', () => {
    const identity = unhex('01' + '00'.repeat(31));
    const sig = unhex('01' + '00'.repeat(63));
    assert.ok(ed25519VerifyRaw(identity, utf8('Zcash'), sig));
    assert.ok(!ed25519.verify(sig, utf8('Zcash'), identity, { zip215: false }));
    // Non-canonical encoding of the identity (y = p + 1) as R is accepted as well.
    const nonCanonicalR = unhex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' + '00'.repeat(32));
    assert.ok(ed25519VerifyRaw(identity, utf8('Zcash'), nonCanonicalR));
  });

  it('ZIP-215: s ≥ ℓ is rejected', () => {
    const sk = ed25519FromSeed(3);
    const sig = ed25519SignRaw(sk, utf8('m'));
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    const bumped = s + L;
    const forged = Uint8Array.from(sig);
    for (let i = 32; i < 64; i++) forged[i] = Number((bumped >> BigInt(8 * (i - 32))) & 0xffn);
    assert.ok(ed25519VerifyRaw(ed25519PublicKey(sk), utf8('m'), sig));
    assert.ok(!ed25519VerifyRaw(ed25519PublicKey(sk), utf8('m'), forged));
  });

  it('public key decoding validates decompression only (Wrapped on failure)', () => {
    assert.throws(
      () => decodeEd25519PublicKey(unhex('02' + '00'.repeat(31))),
      (e: unknown) => e instanceof Wrapped && e.ctx === 'ed25519' && (e.cause as Error).message === 'Malformed public key encoding.',
    );
    assert.equal(hex(decodeEd25519PublicKey(unhex('01' + '00'.repeat(31)))), '01' + '00'.repeat(31), 'small order accepted');
    assert.equal(decodeEd25519PublicKey(unhex('ff'.repeat(32))).length, 32, 'non-canonical y accepted');
    assert.throws(() => decodeEd25519PublicKey(new Uint8Array(31)), EndOfBuffer);
    assert.equal(decode(new Uint8Array(64), readEd25519Signature).length, 64, 'signatures are not validated at decode');
  });

  it('key sets order lexicographically by raw bytes', () => {
    const keys = [0, 1, 2, 3, 4].map((i) => ed25519PublicKey(ed25519FromSeed(i)));
    const set = OrderedSet.fromDedup(keys, compareEd25519PublicKeys);
    const sorted = keys.map(hex).sort();
    assert.deepEqual(set.items.map(hex), sorted);
  });
});

describe('Transcript', () => {
  const K = (key: Uint8Array, msg: Uint8Array) => blake3(msg, { key });
  const H = (msg: Uint8Array) => blake3(msg);

  it('matches the closed forms of the spec (length suffix, tags, keyed starts)', () => {
    const ns = utf8('ns');
    const a = utf8('a');
    const b = utf8('bb');
    assert.equal(hex(Transcript.new(ns).commit(a).commit(b).summarize()), hex(H(Uint8Array.of(0, ...ns, 2, ...a, 1, ...b, 2))));
    const S = H(utf8('seed'));
    assert.equal(hex(Transcript.resume(S).summarize()), hex(K(S, Uint8Array.of(1))));
    const L1 = utf8('ack');
    const x = new Uint8Array(300).fill(9);
    assert.equal(hex(Transcript.resume(S).fork(L1).commit(x).summarize()), hex(K(K(S, Uint8Array.of(1)), Uint8Array.of(2, ...L1, 3, ...x, 0xac, 0x02))));
    const noise = new Uint8Array(100);
    Transcript.resume(S).noise(utf8('dealer-rng')).fillBytes(noise);
    const expect = blake3(Uint8Array.of(3, ...utf8('dealer-rng'), 10), { key: K(S, Uint8Array.of(1)), dkLen: 100 });
    assert.equal(hex(noise), hex(expect));
  });

  it('append + commit form one message; commit boundaries matter', () => {
    const one = Transcript.new(new Uint8Array()).append(utf8('A')).commit(utf8('B')).summarize();
    assert.equal(hex(one), hex(Transcript.new(new Uint8Array()).commit(utf8('AB')).summarize()));
    assert.notEqual(hex(one), hex(Transcript.new(new Uint8Array()).commit(utf8('A')).commit(utf8('B')).summarize()));
  });

  it('summarize with uncommitted data throws; fork/noise leave the parent unchanged', () => {
    const t = Transcript.new(utf8('x')).append(utf8('pending'));
    assert.throws(() => t.summarize(), /uncommitted/);
    const p = Transcript.new(utf8('x'));
    const before = hex(p.summarize());
    p.fork(utf8('f'));
    p.noise(utf8('n')).fillBytes(new Uint8Array(10));
    assert.equal(hex(p.summarize()), before);
    assert.notEqual(hex(p.fork(utf8('a')).summarize()), hex(p.fork(utf8('b')).summarize()));
  });

  it('noise stream does not depend on read chunking', () => {
    const whole = new Uint8Array(200);
    Transcript.new(utf8('test')).noise(utf8('NOISE')).fillBytes(whole);
    const rng = new TestRng(41);
    for (let trial = 0; trial < 20; trial++) {
      const n = Transcript.new(utf8('test')).noise(utf8('NOISE'));
      const out: string[] = [];
      let left = 200;
      while (left > 0) {
        const k = Math.min(left, rng.between(0, 70));
        const b = new Uint8Array(k);
        n.fillBytes(b);
        out.push(hex(b));
        left -= k;
      }
      assert.equal(out.join(''), hex(whole), `trial ${trial}`);
    }
    const n = Transcript.new(utf8('test')).noise(utf8('NOISE'));
    assert.equal(n.nextU32(), new DataView(whole.buffer).getUint32(0, true));
    assert.equal(n.nextU64(), new DataView(whole.buffer).getBigUint64(4, true));
  });

  it('resume(summary) differs from new(summary); sign covers 0x00 ‖ summary', () => {
    const s = Transcript.new(utf8('test')).summarize();
    assert.notEqual(hex(Transcript.new(s).summarize()), hex(Transcript.resume(s).summarize()));
    const sk = ed25519FromSeed(5);
    const t = Transcript.resume(s);
    const sig = t.sign(sk);
    assert.equal(hex(sig), hex(ed25519SignRaw(sk, Uint8Array.of(0, ...t.summarize()))));
    assert.ok(t.verify(ed25519PublicKey(sk), sig));
    assert.ok(!Transcript.resume(H(utf8('other'))).verify(ed25519PublicKey(sk), sig));
  });

  it('summary codec is 32 raw bytes; random summaries draw 32 bytes', () => {
    const s = randomSummary(new TestRng(42));
    const w = new Writer();
    writeSummary(w, s);
    assert.equal(hex(decode(w.finish(), readSummary)), hex(s));
    assert.throws(() => readSummary(new Reader(new Uint8Array(31))), EndOfBuffer);
    assert.throws(() => Transcript.resume(new Uint8Array(31)), RangeError);
  });
});
