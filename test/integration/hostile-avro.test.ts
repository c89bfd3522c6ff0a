/**
 * Issue 16 on the real registry: hostile Avro bodies under a writer schema fetched from the
 * schema registry are rejected by the bounded pre-pass with typed errors, quickly, and valid
 * records still decode (the pure cases are in test/unit/runtime/avro-bounds.test.ts).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AvroDecodeError, AvroLimitExceeded, AvroNonCanonical, AvroSerde, loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { loadTopology } from '../../src/runtime/topology.ts';
import { REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';

const schemas = loadSchemas(SCHEMAS_DIR);
const registry = registryClient(REGISTRY_URL);

test('hostile epochs records through the real registry: 2^31 players, non-canonical, over limits', { timeout: 60_000 }, async () => {
  const topology = loadTopology(TOPOLOGY_FILE, { prefix: uniquePrefix('hostile'), schemasDir: SCHEMAS_DIR });
  const epochs = topology.topics.get('epochs')!;
  await registry.register({ type: 'AVRO' as never, schema: schemas.get('epoch-event')!.json }, { subject: `${epochs.name}-value` });
  const serde = new AvroSerde(registry, schemas);
  const value = (players: Buffer[], isFullDkg = false) => ({
    epoch: 5,
    event: { 'xyz.dkgstream.epochs.EpochAdvanced': { from: 4, boundaryHeight: 99, boundaryHash: Buffer.alloc(32, 7), isFullDkg, players, observation: null } },
  });
  const good = await serde.encode(epochs, value([Buffer.alloc(32, 1)]));
  const decoded = (await serde.decode(good, 'epoch-event')).value as { event: Record<string, { players: Buffer[] }> };
  assert.deepEqual(decoded.event['xyz.dkgstream.epochs.EpochAdvanced']!.players, [Buffer.alloc(32, 1)]);

  // The record: header + epoch 5, branch 1, from 4, height 99, empty hash, false, then
  // a players block claiming 2^31 items (zig-zag 2^32: 80 80 80 80 10) — 12 bytes of body.
  const hostile = Buffer.concat([good.subarray(0, 5), Buffer.from([0x0a, 0x02, 0x08, 0xc6, 0x01, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10])]);
  const t0 = performance.now();
  await assert.rejects(serde.decode(hostile, 'epoch-event'), (e: Error) => e instanceof AvroDecodeError && /players/.test(e.message) && e.message.length < 300);
  assert.ok(performance.now() - t0 < 2000, 'rejected at once');

  const nonCanonical = Buffer.concat([good.subarray(0, 5), Buffer.from([0x8a, 0x00]), good.subarray(6)]);
  await assert.rejects(serde.decode(nonCanonical, 'epoch-event'), AvroNonCanonical);
  const tooMany = await serde.encode(epochs, value(Array.from({ length: 65_536 }, () => Buffer.alloc(0))));
  await assert.rejects(serde.decode(tooMany, 'epoch-event'), AvroLimitExceeded);
});
