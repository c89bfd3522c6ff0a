import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { REPO_ROOT } from '../../../src/paths.ts';
import { AvroCheckError, AvroChecker, MAX_ZERO_WIDTH_ITEMS } from '../../../src/runtime/avro-check.ts';
import { AVRO_FIELD_LIMITS, MAX_PLAYERS_FIELD } from '../../../src/runtime/avro-limits.ts';
import { AvroDecodeError, AvroLimitExceeded, AvroNonCanonical, AvroSerde, type AvroType, loadSchemas } from '../../../src/runtime/schemas.ts';
import { MAX_VALIDATORS } from '../../../src/tempo/outcome.ts';

// The serde's pre-pass is pure logic over bytes: a registry that hands out the loaded schemas by
// id is enough here (the real registry path is covered by test/integration/foundation.test.ts).
const SCHEMAS = loadSchemas(join(REPO_ROOT, 'schemas'));
const NAMES = [...SCHEMAS.keys()];
const idOf = (name: string) => NAMES.indexOf(name) + 1;
const registry = {
  getSchema: async (id: number) => {
    const s = SCHEMAS.get(NAMES[id - 1]!);
    if (!s) throw Object.assign(new Error(`no schema ${id}`), { status: 404 });
    return s.type;
  },
} as unknown as SchemaRegistry;
const serde = new AvroSerde(registry, SCHEMAS);
const wire = (name: string, body: Uint8Array | number[]) => {
  const out = Buffer.alloc(5 + body.length);
  out.writeInt32BE(idOf(name), 1);
  Buffer.from(body).copy(out, 5);
  return out;
};
const typeOf = (name: string): AvroType => SCHEMAS.get(name)!.type;

/** Zig-zag varint as Avro writes it (minimal). */
function zz(n: number): number[] {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const advanced = (players: Buffer[]) => ({
  epoch: 5,
  event: { 'xyz.dkgstream.epochs.EpochAdvanced': { from: 4, boundaryHeight: 99, boundaryHash: Buffer.alloc(32, 7), isFullDkg: false, players, observation: null, outcomeTrailingBytes: 0 } },
});

test("the issue's 16-byte EpochAdvanced claiming 2^31 players is rejected at once, not decoded", async () => {
  // epoch 5, branch 1 (EpochAdvanced), from 4, height 99, empty hash, false, players: 2^31 items …
  const body = [...zz(5), ...zz(1), ...zz(4), ...zz(99), ...zz(0), 0, ...zz(2 ** 31)];
  const payload = wire('epoch-event', body);
  assert.ok(payload.length <= 16 + 5);
  const t0 = performance.now();
  await assert.rejects(serde.decode(payload, 'epoch-event'), (err: Error) => err instanceof AvroDecodeError && /players/.test(err.message));
  assert.ok(performance.now() - t0 < 100, 'rejected without walking the claimed items');
  // Same with bytes claiming more than is present, and a map/array in the writer-only path.
  await assert.rejects(serde.decode(wire('epoch-event', [...zz(5), ...zz(0), ...zz(2 ** 40)])), AvroDecodeError);
});

test('valid records of every shape still decode, and the pre-pass agrees with avsc', async () => {
  const players = [Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3)];
  const body = typeOf('epoch-event').toBuffer(advanced(players));
  const { value } = await serde.decode(wire('epoch-event', body), 'epoch-event');
  assert.equal(typeOf('epoch-event').compare(value, advanced(players)), 0);
  assert.deepEqual(new AvroChecker(typeOf('epoch-event'), AVRO_FIELD_LIMITS).run(body), { singleBlock: true });
});

test('per-field protocol limits: more players than MAX_VALIDATORS, a 33-byte key', async () => {
  assert.equal(MAX_PLAYERS_FIELD, MAX_VALIDATORS, 'the Avro limit is tempo’s validator-set bound');
  const many = Array.from({ length: MAX_PLAYERS_FIELD + 1 }, () => Buffer.alloc(0));
  await assert.rejects(serde.decode(wire('epoch-event', typeOf('epoch-event').toBuffer(advanced(many)))), AvroLimitExceeded);
  const exact = Array.from({ length: 3 }, () => Buffer.alloc(33));
  await assert.rejects(serde.decode(wire('epoch-event', typeOf('epoch-event').toBuffer(advanced(exact)))), AvroLimitExceeded);
});

test('canonical only: non-minimal varints, boolean bytes other than 0/1, invalid UTF-8', async () => {
  const good = typeOf('epoch-event').toBuffer(advanced([]));
  // epoch 5 written as 0x8a 0x00 instead of 0x0a
  const nonMinimal = Buffer.concat([Buffer.from([0x8a, 0x00]), good.subarray(1)]);
  assert.equal((typeOf('epoch-event').fromBuffer(nonMinimal) as { epoch: number }).epoch, 5, 'avsc alone accepts it');
  await assert.rejects(serde.decode(wire('epoch-event', nonMinimal)), AvroNonCanonical);
  // isFullDkg is the byte after the 32-byte hash: make it 2 (avsc alone reads true)
  const boolAt = good.indexOf(Buffer.alloc(32, 7)) + 32;
  const badBool = Buffer.from(good);
  badBool[boolAt] = 2;
  await assert.rejects(serde.decode(wire('epoch-event', badBool)), AvroNonCanonical);
  // SchemeRegistered.source with an invalid UTF-8 byte
  const scheme = { epoch: 1, event: { 'xyz.dkgstream.epochs.SchemeRegistered': { identity: Buffer.alloc(96, 1), outcome: null, source: 'bootstrap' } } };
  const sb = Buffer.from(typeOf('epoch-event').toBuffer(scheme));
  sb[sb.length - 1] = 0xff;
  assert.match((typeOf('epoch-event').fromBuffer(sb) as any).event['xyz.dkgstream.epochs.SchemeRegistered'].source, /\uFFFD/, 'avsc alone substitutes U+FFFD');
  await assert.rejects(serde.decode(wire('epoch-event', sb)), AvroNonCanonical);
  // an int beyond 32 bits (Observation.logs), a long beyond 2^53
  const c = new AvroChecker(avro.Type.forSchema('int'));
  assert.throws(() => c.run(Uint8Array.from(zz(2 ** 31))), AvroCheckError);
  assert.throws(() => new AvroChecker(avro.Type.forSchema('long')).run(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), AvroCheckError);
});

test('block framing is spec-legal: several blocks and negative counts with a size decode; a wrong size does not', async () => {
  const p = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
  const good = Buffer.from(typeOf('epoch-event').toBuffer(advanced(p)));
  // Locate the players array: count 2 (0x04) then two 32-byte items (length 0x40 each), then 0.
  const item = (b: Buffer) => [0x40, ...b];
  const start = good.indexOf(Buffer.from([0x04, ...item(p[0]!)]));
  const end = start + 1 + 2 * 33 + 1;
  const splice = (arr: number[]) => wire('epoch-event', Buffer.concat([good.subarray(0, start), Buffer.from(arr), good.subarray(end)]));
  const twoBlocks = splice([...zz(1), ...item(p[0]!), ...zz(1), ...item(p[1]!), 0]);
  const negative = splice([...zz(-2), ...zz(66), ...item(p[0]!), ...item(p[1]!), 0]);
  for (const payload of [twoBlocks, negative]) {
    const { value } = await serde.decode(payload, 'epoch-event');
    assert.equal(typeOf('epoch-event').compare(value, advanced(p)), 0);
  }
  const body = (payload: Buffer) => payload.subarray(5);
  assert.equal(new AvroChecker(typeOf('epoch-event')).run(body(twoBlocks)).singleBlock, false);
  await assert.rejects(serde.decode(splice([...zz(-2), ...zz(65), ...item(p[0]!), ...item(p[1]!), 0])), AvroDecodeError);
});

test('zero-width items and recursive writer schemas are bounded too', () => {
  const nulls = new AvroChecker(avro.Type.forSchema({ type: 'array', items: 'null' }));
  assert.doesNotThrow(() => nulls.run(Uint8Array.from([...zz(1000), 0])));
  assert.throws(
    () => nulls.run(Uint8Array.from([...zz(MAX_ZERO_WIDTH_ITEMS + 1), 0])),
    (e: AvroCheckError) => e.kind === 'limit',
  );
  const list = avro.Type.forSchema({ type: 'record', name: 'L', fields: [{ name: 'next', type: ['null', 'L'] }] });
  const deep = new Uint8Array(10_000).fill(2); // union branch 1 (L) again and again, never ending
  assert.throws(() => new AvroChecker(list).run(deep), AvroCheckError);
  assert.doesNotThrow(() => new AvroChecker(list).run(list.toBuffer({ next: { next: null } })));
});
