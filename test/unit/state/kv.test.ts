/** The KV port contract, run against real RocksDB (temp dir) and the in-memory implementation. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { u64 } from '../../../src/state/keys.ts';
import { collect, type KVStore } from '../../../src/state/kv.ts';
import { MemoryKV } from '../../../src/state/memory.ts';
import { RocksKV } from '../../../src/state/rocksdb.ts';
import { dataKey, StateStore } from '../../../src/state/store.ts';

const tmp = mkdtempSync(join(tmpdir(), 'dkg-kv-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const impls: Array<[string, () => Promise<KVStore>]> = [
  ['rocksdb', () => RocksKV.open(join(tmp, `db${n++}`), { cacheSize: 1 << 20, writeBufferSize: 1 << 20 })],
  ['memory', async () => new MemoryKV()],
];
const b = (s: string) => Buffer.from(s);
const keysOf = (es: Array<[Buffer, Buffer]>) => es.map(([k]) => k.toString());

for (const [name, open] of impls) {
  describe(`KVStore contract: ${name}`, { timeout: 30_000 }, () => {
    test('get/put/del and missing keys', async () => {
      const kv = await open();
      assert.equal(await kv.get(b('a')), undefined);
      await kv.put(b('a'), b('1'));
      assert.deepEqual(await kv.get(b('a')), b('1'));
      await kv.put(b('a'), b('2'));
      assert.deepEqual(await kv.get(b('a')), b('2'));
      await kv.del(b('a'));
      assert.equal(await kv.get(b('a')), undefined);
      await kv.del(b('never'));
      await kv.close();
    });

    test('getMany (when implemented) answers like get, in key order of the request', async () => {
      const kv = await open();
      await kv.batch([
        { type: 'put', key: b('x'), value: b('1') },
        { type: 'put', key: b('z'), value: b('3') },
      ]);
      if (kv.getMany) assert.deepEqual(await kv.getMany([b('z'), b('y'), b('x'), b('z')]), [b('3'), undefined, b('1'), b('3')]);
      if (kv.getMany) assert.deepEqual(await kv.getMany([]), []);
      await kv.close();
    });

    test('batch applies puts and deletes in order', async () => {
      const kv = await open();
      await kv.batch([
        { type: 'put', key: b('x'), value: b('1') },
        { type: 'put', key: b('y'), value: b('2') },
        { type: 'del', key: b('x') },
        { type: 'put', key: b('z'), value: b('3') },
        { type: 'put', key: b('z'), value: b('4') },
      ]);
      assert.equal(await kv.get(b('x')), undefined);
      assert.deepEqual(await kv.get(b('y')), b('2'));
      assert.deepEqual(await kv.get(b('z')), b('4'));
      await kv.close();
    });

    test('range scans honour bounds, reverse and limit in byte order (epoch keys in numeric order)', async () => {
      const kv = await open();
      const epochs = [0, 1, 2, 255, 256, 1000, 65536, 2 ** 40];
      await kv.batch([...epochs].reverse().map((e) => ({ type: 'put' as const, key: u64(e), value: b(String(e)) })));
      const all = await collect(kv.range());
      assert.deepEqual(
        all.map(([, v]) => Number(v.toString())),
        epochs,
      );
      const mid = await collect(kv.range({ gte: u64(2), lt: u64(65536) }));
      assert.deepEqual(
        mid.map(([, v]) => Number(v.toString())),
        [2, 255, 256, 1000],
      );
      const excl = await collect(kv.range({ gt: u64(2), lte: u64(1000) }));
      assert.deepEqual(
        excl.map(([, v]) => Number(v.toString())),
        [255, 256, 1000],
      );
      const rev = await collect(kv.range({ reverse: true, limit: 3 }));
      assert.deepEqual(
        rev.map(([, v]) => Number(v.toString())),
        [2 ** 40, 65536, 1000],
      );
      const revBounded = await collect(kv.range({ lt: u64(256), reverse: true, limit: 2 }));
      assert.deepEqual(
        revBounded.map(([, v]) => Number(v.toString())),
        [255, 2],
      );
      await kv.close();
    });

    test('an iterator sees a snapshot: writes during iteration do not appear', async () => {
      const kv = await open();
      await kv.batch(['a', 'b', 'c'].map((k) => ({ type: 'put' as const, key: b(k), value: b(k) })));
      const seen: string[] = [];
      for await (const [k] of kv.range()) {
        seen.push(k.toString());
        if (k.toString() === 'a') await kv.put(b('bb'), b('new'));
      }
      assert.deepEqual(seen, ['a', 'b', 'c']);
      assert.deepEqual(keysOf(await collect(kv.range())), ['a', 'b', 'bb', 'c']);
      await kv.close();
    });

    test('StateStore: commit writes data and offsets together; range hides meta keys; restore applies internal keys', async () => {
      const kv = await open();
      const s = new StateStore('s', kv);
      assert.deepEqual(await s.meta(), { changelogOffset: 0, inputOffsets: null });
      await s.commit(
        [
          { key: b('k1'), value: b('v1') },
          { key: b('k2'), value: b('v2') },
        ],
        { 'in/0': 10 },
        3,
      );
      assert.deepEqual(await s.meta(), { changelogOffset: 3, inputOffsets: { 'in/0': 10 } });
      assert.deepEqual(keysOf(await collect(s.range())), ['k1', 'k2']);
      await s.commit([{ key: b('k1'), value: null }], { 'in/0': 12 }, null);
      assert.deepEqual(await s.meta(), { changelogOffset: 3, inputOffsets: { 'in/0': 12 } });
      assert.equal(await s.get(b('k1')), undefined);
      await s.applyChangelog(
        [
          { key: dataKey(b('k3')), value: b('v3') },
          { key: dataKey(b('k2')), value: null },
          { key: Buffer.from('\u0000input-offsets'), value: Buffer.from('{"in/0":20}') },
          { key: Buffer.from('\u0000changelog-offset'), value: u64(999) },
        ],
        8,
      );
      assert.deepEqual(keysOf(await collect(s.range())), ['k3']);
      assert.deepEqual(await s.meta(), { changelogOffset: 8, inputOffsets: { 'in/0': 20 } });
      assert.equal(await s.count(), 1);
      await s.wipe();
      assert.deepEqual(await s.meta(), { changelogOffset: 0, inputOffsets: null });
      assert.equal(await s.count(), 0);
      await s.close();
    });
  });
}

test('rocksdb: data and offsets survive close/reopen; bounded options are accepted; size is reported', { timeout: 30_000 }, async () => {
  const dir = join(tmp, 'persist');
  let s = new StateStore('s', await RocksKV.open(dir, { cacheSize: 1 << 20, writeBufferSize: 256 << 10 }));
  const changes = Array.from({ length: 2000 }, (_, i) => ({ key: u64(i), value: Buffer.alloc(100, i & 0xff) }));
  await s.commit(changes, { 'in/3': 2000 }, 2001);
  await s.close();
  const kv = await RocksKV.open(dir);
  s = new StateStore('s', kv);
  assert.deepEqual(await s.meta(), { changelogOffset: 2001, inputOffsets: { 'in/3': 2000 } });
  assert.equal(await s.count(), 2000);
  assert.deepEqual(await s.get(u64(1999)), Buffer.alloc(100, 1999 & 0xff));
  assert.ok((await kv.approximateSize()) > 0);
  await s.close();
  await RocksKV.destroy(dir);
});

test('rocksdb and memory agree on a random workload', { timeout: 30_000 }, async () => {
  const r = await RocksKV.open(join(tmp, 'agree'));
  const m = new MemoryKV();
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
  for (let round = 0; round < 50; round++) {
    const ops = Array.from({ length: 20 }, () => {
      const key = Buffer.from([rnd() % 4, rnd() % 256, 0, rnd() % 3].slice(0, 1 + (rnd() % 4)));
      return rnd() % 4 === 0 ? { type: 'del' as const, key } : { type: 'put' as const, key, value: Buffer.from(String(rnd())) };
    });
    await r.batch(ops);
    await m.batch(ops);
  }
  const lo = Buffer.of(1);
  const hi = Buffer.of(3, 0);
  for (const opts of [{}, { gte: lo, lt: hi }, { gt: lo, lte: hi, reverse: true }, { limit: 7 }]) {
    assert.deepEqual(await collect(r.range(opts)), await collect(m.range(opts)));
  }
  await r.close();
});
