/** Error classification (pure logic; the outage itself is tested on the real registry in test/integration/outage.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import kafkajs from 'kafkajs';
import { isTransient, RegistryUnavailable, recordFault, TransientError, transientCause } from '../../../src/runtime/errors.ts';
import { DecodeError } from '../../../src/runtime/processor.ts';
import { AvroSerde, loadSchemas, UnknownSchemaId } from '../../../src/runtime/schemas.ts';
import { StoreError } from '../../../src/state/kv.ts';
import { SCHEMAS_DIR } from '../../support/stack.ts';

test('dependency failures are transient, wherever they sit in the cause chain', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  assert.equal(transientCause(refused)?.dependency, 'network');
  assert.equal(transientCause(new DecodeError('wrapped', { cause: refused }))?.dependency, 'network');
  assert.equal(transientCause(new StoreError('IO error: No space left on device'))?.dependency, 'disk');
  assert.equal(transientCause(new RegistryUnavailable('down'))?.dependency, 'registry');
  assert.equal(transientCause(new kafkajs.KafkaJSConnectionError('Connection error'))?.dependency, 'broker');
  assert.equal(transientCause(new kafkajs.KafkaJSNumberOfRetriesExceeded(new Error('x'), { retryCount: 5, retryTime: 1 }))?.dependency, 'broker');
  assert.ok(isTransient(new kafkajs.KafkaJSError('leader not available', { retriable: true })));
});

test('bad input is not transient; record faults are recognised through kafkajs wrappers', () => {
  for (const e of [new DecodeError('bad varint'), new RangeError('x'), new UnknownSchemaId('id 9'), new Error('ECONNREFUSED in a message is not a code'), 'a string', null])
    assert.equal(isTransient(e), false, String(e));
  const tooLarge = new kafkajs.KafkaJSProtocolError(Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false }) as never);
  assert.equal(recordFault(tooLarge), 'MESSAGE_TOO_LARGE');
  assert.equal(recordFault(new (kafkajs.KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(tooLarge, { cause: tooLarge })), 'MESSAGE_TOO_LARGE');
  assert.equal(recordFault(new kafkajs.KafkaJSConnectionError('gone')), null);
  assert.ok(new RegistryUnavailable('x') instanceof TransientError);
});

test('the serde: a registry that cannot be asked is RegistryUnavailable (also when it hangs), only a 404 condemns the record', async () => {
  const schemas = loadSchemas(SCHEMAS_DIR);
  const wire = (id: number) => Buffer.concat([Buffer.of(0, 0, 0, 0, id), Buffer.of(2)]);
  const failing = (err: unknown) => ({ getSchema: async () => Promise.reject(err), getLatestSchemaId: async () => Promise.reject(err) }) as unknown as SchemaRegistry;
  // The client reports a refused connection as status 400.
  const refused = Object.assign(new Error('Error, status 400: connect ECONNREFUSED'), { status: 400 });
  await assert.rejects(new AvroSerde(failing(refused), schemas).decode(wire(1)), RegistryUnavailable);
  await assert.rejects(new AvroSerde(failing(Object.assign(new Error('boom'), { status: 503 })), schemas).decode(wire(1)), RegistryUnavailable);
  await assert.rejects(new AvroSerde(failing(Object.assign(new Error('no such id'), { status: 404 })), schemas).decode(wire(1)), UnknownSchemaId);
  const hanging = { getSchema: () => new Promise(() => {}) } as unknown as SchemaRegistry;
  await assert.rejects(new AvroSerde(hanging, schemas, undefined, undefined, 50).decode(wire(1)), /did not answer schema id 1 within 50 ms/);
  const topic = { name: 'x', value: 'dlq' } as never;
  await assert.rejects(new AvroSerde(failing(Object.assign(new Error('subject not found'), { status: 404 })), schemas).encode(topic, {}), /does not match|RegistryUnavailable/);
});
