/** The Kafka fold benchmark's processor (bench/kafka/workload.ts) computes what FoldBench.java does. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMITTEE, foldProcessor, nextState, PER_EPOCH, STORE, workloadRecord } from '../../../bench/kafka/workload.ts';
import { TestDriver } from '../../../src/runtime/test-driver.ts';

/** The reference fold with BigInt: state = count u64 ‖ last seq u64. */
function reference(records: Buffer[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const v of records) {
    const k = v.subarray(0, 13).toString('hex');
    const prev = m.get(k);
    const next = Buffer.alloc(16);
    next.writeBigUInt64BE((prev ? prev.readBigUInt64BE(0) : 0n) + 1n, 0);
    v.copy(next, 8, 13, 21);
    m.set(k, next);
  }
  return m;
}

test('fold workload: the store after 3 epochs equals the BigInt reference fold, with and without read-ahead', async () => {
  const n = 3 * PER_EPOCH;
  const records = Array.from({ length: n }, (_, i) => workloadRecord(i, 1));
  const want = reference(records.map((r) => r.value as Buffer));
  assert.equal(want.size, 3 * 3 * COMMITTEE); // epoch × kind × participant
  for (const prefetch of [true, false]) {
    const saved = process.env.BENCH_NO_PREFETCH;
    if (prefetch) delete process.env.BENCH_NO_PREFETCH;
    else process.env.BENCH_NO_PREFETCH = '1';
    const d = new TestDriver<Buffer>(foldProcessor('in'));
    if (saved === undefined) delete process.env.BENCH_NO_PREFETCH;
    else process.env.BENCH_NO_PREFETCH = saved;
    // Uneven chunks, so keys cross units (read from the applied store, not the unit's writes).
    for (let i = 0; i < n; i += 97)
      await d.pipe(
        'in',
        records.slice(i, i + 97).map((r) => ({ key: r.key, value: r.value })),
      );
    const got = new Map((await d.entries(STORE)).map(([k, v]) => [k.toString('hex'), v.toString('hex')]));
    assert.deepEqual(got, new Map([...want].map(([k, v]) => [k, v.toString('hex')])), `prefetch ${prefetch}`);
    // An ack key of epoch 1: dealer 3 acked by all 10 players.
    const ack = Buffer.concat([Buffer.from('0000000000000001', 'hex'), Buffer.from([1]), Buffer.from('00000003', 'hex')]);
    assert.equal((await d.get(STORE, ack))!.readBigUInt64BE(0), 10n);
  }
});

test('fold workload: the count carries from the low into the high 32 bits', () => {
  const v = workloadRecord(5, 1).value as Buffer;
  const prev = Buffer.alloc(16);
  prev.writeBigUInt64BE(0xffffffffn, 0);
  const next = nextState(prev, v, Buffer.alloc(16));
  assert.equal(next.readBigUInt64BE(0), 0x100000000n);
  assert.equal(next.readBigUInt64BE(8), 5n);
  prev.writeBigUInt64BE(0x1_0000_0005n, 0);
  assert.equal(nextState(prev, v, Buffer.alloc(16)).readBigUInt64BE(0), 0x1_0000_0006n);
  assert.equal(nextState(null, v, Buffer.alloc(16)).readBigUInt64BE(0), 1n);
});
