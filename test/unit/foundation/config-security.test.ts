/**
 * Client security settings: file and environment, passwords from files wrapped so they never
 * print, every misconfiguration reported (never with the password in it), and the kafkajs
 * options built from them in one place.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { ConfigError, loadConfig, Secret } from '../../../src/config.ts';
import { kafkaClientOptions, kafkaSecurity, securityFailure } from '../../../src/runtime/kafka/security.ts';

const dir = mkdtempSync(join(tmpdir(), 'cfg-sec-'));
const PASSWORD = 'pa55-w0rd-that-must-not-print';
const pwFile = join(dir, 'kafka.password');
writeFileSync(pwFile, PASSWORD + '\n');
const ca = join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n');

test('defaults: plaintext, no SASL, replication from the cluster', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.kafkaTls, false);
  assert.equal(c.kafkaSaslMechanism, null);
  assert.equal(c.replicationFactor, null);
  assert.deepEqual(kafkaSecurity(c), {});
  assert.deepEqual(kafkaClientOptions(c).replication, {});
});

test('a file with CA, SCRAM user and password file gives kafkajs ssl + sasl; the password never prints', () => {
  const file = join(dir, 'c.yaml');
  writeFileSync(file, `kafkaCaFile: ${ca}\nkafkaSaslMechanism: scram-sha-512\nkafkaSaslUsername: app\nkafkaSaslPasswordFile: ${pwFile}\nreplicationFactor: 3\nminInsyncReplicas: 2\n`);
  const c = loadConfig({ file, env: {} });
  assert.equal(c.kafkaTls, true, 'a CA implies TLS');
  assert.ok(c.kafkaSaslPassword instanceof Secret);
  assert.equal(c.kafkaSaslPassword.reveal(), PASSWORD, 'one trailing newline is not part of the password');
  for (const shown of [JSON.stringify(c), inspect(c, { depth: 5 }), String(c.kafkaSaslPassword), `${c.kafkaSaslPassword}`]) {
    assert.ok(!shown.includes(PASSWORD), shown);
  }
  const o = kafkaClientOptions(c);
  assert.deepEqual(o.security.sasl, { mechanism: 'scram-sha-512', username: 'app', password: PASSWORD });
  assert.ok(typeof o.security.ssl === 'object' && Array.isArray(o.security.ssl.ca));
  assert.deepEqual(o.replication, { replicationFactor: 3, minInsyncReplicas: 2 });
});

test('the environment sets the same settings (password given directly)', () => {
  const c = loadConfig({
    env: { DKG_STREAM_KAFKA_TLS: 'true', DKG_STREAM_KAFKA_SASL_MECHANISM: 'plain', DKG_STREAM_KAFKA_SASL_USERNAME: 'u', DKG_STREAM_KAFKA_SASL_PASSWORD: PASSWORD },
  });
  assert.deepEqual(kafkaSecurity(c), { ssl: true, sasl: { mechanism: 'plain', username: 'u', password: PASSWORD } });
});

test('misconfigurations are all reported, without the password', () => {
  const err = (() => {
    try {
      loadConfig({
        env: {
          DKG_STREAM_KAFKA_CERT_FILE: ca,
          DKG_STREAM_KAFKA_SASL_MECHANISM: 'gssapi',
          DKG_STREAM_KAFKA_SASL_PASSWORD: PASSWORD,
          DKG_STREAM_KAFKA_SASL_PASSWORD_FILE: pwFile,
          DKG_STREAM_REGISTRY_USERNAME: 'r',
          DKG_STREAM_KAFKA_CA_FILE: join(dir, 'missing.pem'),
          DKG_STREAM_REPLICATION_FACTOR: '2',
          DKG_STREAM_MIN_INSYNC_REPLICAS: '3',
        },
      });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof ConfigError);
  const text = err.problems.join('\n');
  for (const needle of [
    'kafkaCertFile and kafkaKeyFile go together',
    'must be one of plain, scram-sha-256, scram-sha-512, got "gssapi"',
    'not both',
    'registryUsername and a registry password',
    'missing.pem',
    'minInsyncReplicas 3 is larger than replicationFactor 2',
  ]) {
    assert.ok(text.includes(needle), `missing problem '${needle}' in:\n${text}`);
  }
  assert.ok(!err.message.includes(PASSWORD));
});

test('security failures map to one line naming the broker; other errors are not security failures', () => {
  const tls = securityFailure(
    { name: 'KafkaJSConnectionError', message: 'Connection error: unable to verify the first certificate', broker: '10.0.0.1:9093', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    ['a:1'],
  );
  assert.equal(tls?.kind, 'tls');
  assert.match(tls!.message, /^TLS verification of Kafka broker 10\.0\.0\.1:9093 failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  const sasl = securityFailure(
    { name: 'KafkaJSNumberOfRetriesExceeded', originalError: { name: 'KafkaJSSASLAuthenticationError', message: 'SASL SCRAM SHA512 authentication failed:\n invalid credentials' } },
    ['a:1', 'b:2'],
  );
  assert.equal(sasl?.kind, 'authentication');
  assert.match(sasl!.message, /^Kafka SASL authentication failed at a:1,b:2: SASL SCRAM SHA512 authentication failed: invalid credentials/);
  assert.ok(!sasl!.message.includes('\n'));
  const authz = securityFailure({ name: 'KafkaJSProtocolError', type: 'GROUP_AUTHORIZATION_FAILED', message: 'Not authorized to access group' }, ['a:1']);
  assert.equal(authz?.kind, 'authorization');
  assert.equal(securityFailure(new Error('Connection error: connect ECONNREFUSED'), ['a:1']), undefined);
});

test('mutual TLS: client certificate and key files become kafkajs ssl.cert / ssl.key next to the CA', () => {
  const cert = join(dir, 'client.crt');
  const key = join(dir, 'client.key');
  writeFileSync(cert, 'CERT');
  writeFileSync(key, 'KEY');
  const c = loadConfig({ env: { DKG_STREAM_KAFKA_CA_FILE: ca, DKG_STREAM_KAFKA_CERT_FILE: cert, DKG_STREAM_KAFKA_KEY_FILE: key } });
  const ssl = kafkaSecurity(c).ssl;
  assert.ok(typeof ssl === 'object');
  assert.equal(String(ssl.cert), 'CERT');
  assert.equal(String(ssl.key), 'KEY');
  assert.equal((ssl.ca as Buffer[]).length, 1);
});
