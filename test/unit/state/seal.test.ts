import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuthenticationFailed, KeyFileError, Keyring, keyIdOf, type SealContext, UnknownKeyId } from '../../../src/state/seal.ts';

const ctx: SealContext = { purpose: 'share', topic: 'dkg.states', epoch: 5n, owner: Buffer.alloc(32, 7) };
const secret = Buffer.from('the private share bytes');

test('seal then open gives the plaintext back, and the ciphertext does not contain it', () => {
  const ring = new Keyring([randomBytes(32)]);
  const sealed = ring.seal(secret, ctx);
  assert.equal(sealed.ciphertext.length, secret.length + 16);
  assert.equal(sealed.ciphertext.includes(secret), false);
  assert.deepEqual(ring.open(sealed, ctx), secret);
  assert.notDeepEqual(ring.seal(secret, ctx).nonce, sealed.nonce, 'every seal uses a fresh nonce');
});

test('a ciphertext moved to another epoch, owner, topic or purpose fails authentication', () => {
  const ring = new Keyring([randomBytes(32)]);
  const sealed = ring.seal(secret, ctx);
  for (const other of [
    { ...ctx, epoch: 6n },
    { ...ctx, owner: Buffer.alloc(32, 8) },
    { ...ctx, topic: 'dkg.events' },
    { ...ctx, purpose: 'dealer-priv-msg' },
  ]) {
    assert.throws(() => ring.open(sealed, other), AuthenticationFailed);
  }
});

test('tampered ciphertext, tag or nonce fail authentication', () => {
  const ring = new Keyring([randomBytes(32)]);
  const sealed = ring.seal(secret, ctx);
  const flip = (b: Buffer, i: number) => {
    const c = Buffer.from(b);
    c[i] = c[i]! ^ 1;
    return c;
  };
  assert.throws(() => ring.open({ ...sealed, ciphertext: flip(sealed.ciphertext, 0) }, ctx), AuthenticationFailed);
  assert.throws(() => ring.open({ ...sealed, ciphertext: flip(sealed.ciphertext, sealed.ciphertext.length - 1) }, ctx), AuthenticationFailed);
  assert.throws(() => ring.open({ ...sealed, nonce: flip(sealed.nonce, 3) }, ctx), AuthenticationFailed);
  assert.throws(() => ring.open({ ...sealed, ciphertext: sealed.ciphertext.subarray(0, 10) }, ctx), AuthenticationFailed);
});

test('rotation: the new key seals, the old key still opens, an unknown key is named', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const before = new Keyring([oldKey]).seal(secret, ctx);
  const rotated = new Keyring([newKey, oldKey]);
  assert.deepEqual(rotated.open(before, ctx), secret);
  assert.equal(rotated.seal(secret, ctx).keyId, keyIdOf(newKey));
  assert.throws(() => new Keyring([newKey]).open(before, ctx), UnknownKeyId);
});

test('key files: hex lines with comments, or 32 raw bytes; anything else is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'));
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  writeFileSync(join(dir, 'hex'), `# current\n${k1.toString('hex')}\n\n${k2.toString('hex')}\n`);
  const ring = Keyring.fromFile(join(dir, 'hex'));
  assert.equal(ring.current, keyIdOf(k1));
  writeFileSync(join(dir, 'raw'), k2);
  assert.equal(Keyring.fromFile(join(dir, 'raw')).current, keyIdOf(k2));
  writeFileSync(join(dir, 'short'), 'abcd\n');
  assert.throws(() => Keyring.fromFile(join(dir, 'short')), KeyFileError);
  assert.throws(() => Keyring.fromFile(join(dir, 'missing')), KeyFileError);
  assert.throws(() => new Keyring([randomBytes(16)]), KeyFileError);
});
