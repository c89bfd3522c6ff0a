/**
 * The verifier pool answers exactly as one thread does, in request order: on the upstream batch
 * fixture (20 valid certificates; the same with certificate 7's seed signature swapped) the
 * per-certificate answers equal upstream's `per_certificate` and `verifyFinalization` one by one,
 * undecodable bytes are false without spoiling the rest, and a pool stops its threads on close.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '../../../src/paths.ts';
import { decodeFinalization } from '../../../src/tempo/finalization.ts';
import { hexToBytes } from '../../../src/tempo/hex.ts';
import { verifyFinalization } from '../../../src/tempo/verify.ts';
import { VerifierPool, VerifierPoolError } from '../../../src/tempo/verify-pool.ts';

const batch = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'tempo', 'batch.json'), 'utf8')) as {
  identity: string;
  valid: { certificates: Array<{ hex: string }> };
  one_bad: { certificates: Array<{ hex: string }>; per_certificate: boolean[]; bad_index: number };
};
const identity = hexToBytes(batch.identity);
const certs = (set: { certificates: Array<{ hex: string }> }) => set.certificates.map((c) => hexToBytes(c.hex));

const pool = new VerifierPool(2, 4);
after(() => pool.close());

test('same answers as one thread, in request order, across two threads', async () => {
  const valid = certs(batch.valid);
  const bad = certs(batch.one_bad);
  assert.deepEqual(
    await pool.verifyEach(valid, identity),
    valid.map(() => true),
  );
  const answers = await pool.verifyEach(bad, identity);
  assert.deepEqual(answers, batch.one_bad.per_certificate);
  assert.equal(answers.indexOf(false), batch.one_bad.bad_index);
  assert.deepEqual(
    answers,
    bad.map((c) => verifyFinalization(decodeFinalization(c), identity).valid),
  );
  // Interleaved requests keep their own order.
  const [a, b] = await Promise.all([pool.verifyEach(bad.slice(5, 15), identity), pool.verifyEach(valid.slice(0, 9), identity)]);
  assert.deepEqual(a, batch.one_bad.per_certificate.slice(5, 15));
  assert.deepEqual(
    b,
    valid.slice(0, 9).map(() => true),
  );
  assert.deepEqual(await pool.verifyEach([], identity), []);
});

test('undecodable bytes and a wrong identity are false, never an exception', async () => {
  const valid = certs(batch.valid).slice(0, 6);
  const mixed = [valid[0]!, Uint8Array.of(1, 2, 3), valid[1]!, new Uint8Array(0), valid[2]!];
  assert.deepEqual(await pool.verifyEach(mixed, identity), [true, false, true, false, true]);
  const other = hexToBytes(batch.identity);
  other[other.length - 1]! ^= 0x01; // another (possibly invalid) key: a clear per-request error or all false
  const r = await pool.verifyEach(valid, other).catch((e: unknown) => e);
  if (r instanceof Error) assert.ok(r instanceof VerifierPoolError, String(r));
  else
    assert.deepEqual(
      r,
      valid.map(() => false),
    );
});

test('a closed pool refuses work and leaves no thread behind', async () => {
  const p = new VerifierPool(1);
  assert.deepEqual(await p.verifyEach(certs(batch.valid).slice(0, 2), identity), [true, true]);
  await p.close();
  await assert.rejects(p.verifyEach(certs(batch.valid).slice(0, 2), identity), VerifierPoolError);
  assert.throws(() => new VerifierPool(0), /positive integer/);
});
