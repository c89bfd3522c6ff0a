import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config.ts';
import { REPO_ROOT } from '../../../src/paths.ts';

test('defaults point at the local stack and the repo topology', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(c.brokers, ['127.0.0.1:19092']);
  assert.equal(c.registryUrl, 'http://127.0.0.1:18081/apis/ccompat/v7');
  assert.equal(c.topology, join(REPO_ROOT, 'topology.yaml'));
  assert.equal(c.secretKeyFile, null);
  assert.equal(c.httpPort, 8088);
});

test('a file overrides defaults and the environment overrides the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'brokers: [a:1, b:2]\ntopicPrefix: from-file.\nhttpPort: 9000\n');
  const c = loadConfig({ file, env: { DKG_STREAM_TOPIC_PREFIX: 'from-env.' } });
  assert.deepEqual(c.brokers, ['a:1', 'b:2']);
  assert.equal(c.topicPrefix, 'from-env.');
  assert.equal(c.httpPort, 9000);
});

test('every invalid setting is reported with its origin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ httpPort: 70000, colour: 'red' }));
  assert.throws(
    () => loadConfig({ file, env: { DKG_STREAM_BROKERS: 'no-port', DKG_STREAM_LOG_LEVEL: 'loud', DKG_STREAM_SECRET_KEY_FILE: '/nonexistent/key' } }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join('\n');
      assert.match(text, /unknown setting "colour"/);
      assert.match(text, /httpPort \(from .*c\.json\) must be 0\.\.65535/);
      assert.match(text, /broker 'no-port' \(from \$DKG_STREAM_BROKERS\) is not host:port/);
      assert.match(text, /logLevel \(from \$DKG_STREAM_LOG_LEVEL\)/);
      assert.match(text, /secretKeyFile \/nonexistent\/key .* does not exist/);
      return true;
    },
  );
  assert.throws(() => loadConfig({ file: '/nonexistent.yaml', env: {} }), /does not exist/);
});

test('the ops server binds to httpHost and advertises advertisedUrl (default http://<httpHost>:<port>)', async () => {
  const { advertisedUrlOf } = await import('../../../src/config.ts');
  const { hostname } = await import('node:os');
  const d = loadConfig({ env: {} });
  assert.equal(d.httpHost, '127.0.0.1');
  assert.equal(advertisedUrlOf(d, 8088), 'http://127.0.0.1:8088');
  const pod = loadConfig({ env: { DKG_STREAM_HTTP_HOST: '0.0.0.0' } });
  assert.equal(advertisedUrlOf(pod, 8088), `http://${hostname()}:8088`, 'a wildcard bind is advertised by host name');
  const set = loadConfig({ env: { DKG_STREAM_HTTP_HOST: '0.0.0.0', DKG_STREAM_ADVERTISED_URL: 'http://dkg-0.dkg.svc:8088/' } });
  assert.equal(advertisedUrlOf(set, 8088), 'http://dkg-0.dkg.svc:8088');
  assert.throws(() => loadConfig({ env: { DKG_STREAM_ADVERTISED_URL: 'dkg-0:8088' } }), /advertisedUrl 'dkg-0:8088' \(from \$DKG_STREAM_ADVERTISED_URL\) is not an http\(s\) URL/);
  assert.throws(() => loadConfig({ env: { DKG_STREAM_KAFKA_CONNECTION_TIMEOUT_MS: '5s' } }), /kafkaConnectionTimeoutMs \(from \$DKG_STREAM_KAFKA_CONNECTION_TIMEOUT_MS\) must be an integer/);
});
