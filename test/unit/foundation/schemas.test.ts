import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../../src/paths.ts';
import { loadSchemas, SchemaFileError } from '../../../src/runtime/schemas.ts';
import { loadTopology } from '../../../src/runtime/topology.ts';

const schemasDir = join(REPO_ROOT, 'schemas');

test('every schema loads and is registered self-contained (shared named types inlined)', () => {
  const schemas = loadSchemas(schemasDir);
  const state = schemas.get('epoch-state');
  assert.ok(state);
  const json = JSON.parse(state.json);
  const rng = json.fields.find((f: { name: string }) => f.name === 'rngSeed');
  assert.equal(rng.type.name, 'xyz.dkgstream.secret.Sealed', 'Sealed must be inlined at first use');
  const topology = loadTopology(join(REPO_ROOT, 'topology.yaml'), { schemasDir });
  for (const t of topology.topics.values()) if (t.value) assert.ok(schemas.has(t.value), `no schema ${t.value}`);
});

test('secrets are only ever typed as Sealed, never plain bytes', () => {
  const schemas = loadSchemas(schemasDir);
  const dealing = (schemas.get('dkg-event')!.type as any).getField('event').getType().getTypes()[0];
  assert.equal(dealing.getField('privMsg').getType().name, 'xyz.dkgstream.secret.Sealed');
  const st = schemas.get('epoch-state')!.type as any;
  assert.equal(st.getField('share').getType().getTypes()[1].name, 'xyz.dkgstream.secret.Sealed');
});

test('a record round-trips through its Avro type and trailing bytes are rejected', () => {
  const schemas = loadSchemas(schemasDir);
  const t = schemas.get('dkg-event')!.type;
  const value = { epoch: 3, owner: Buffer.alloc(32, 1), event: { 'xyz.dkgstream.dkg.Ack': { player: Buffer.alloc(32, 2), ack: Buffer.alloc(64, 3), digest: null } } };
  const buf = t.toBuffer(value);
  assert.equal(t.compare(t.fromBuffer(buf), value), 0);
  assert.notEqual(t.compare(t.fromBuffer(buf), { ...value, epoch: 4 }), 0);
  assert.throws(() => t.fromBuffer(Buffer.concat([buf, Buffer.from([0])])), /trailing/);
});

test('an unresolvable or malformed schema file is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
  writeFileSync(join(dir, 'a.avsc'), JSON.stringify({ type: 'record', name: 'A', fields: [{ name: 'x', type: 'NoSuchType' }] }));
  assert.throws(
    () => loadSchemas(dir),
    (err: unknown) => err instanceof SchemaFileError && /a\.avsc/.test(err.message),
  );
  writeFileSync(join(dir, 'a.avsc'), '{ not json');
  assert.throws(
    () => loadSchemas(dir),
    (err: unknown) => err instanceof SchemaFileError && /not valid JSON/.test(err.message),
  );
});
