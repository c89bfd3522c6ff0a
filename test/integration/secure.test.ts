/**
 * The project against a production-shaped cluster: three KRaft brokers, SASL_SSL with SCRAM,
 * a CA of its own and ACLs (`stack up --brokers 3 --secure`, started here and stopped again).
 * The simulation runs end to end as the application user; a wrong password, an untrusted CA and
 * a principal without ACLs each end in one clear line and exit 1 within 15 s; no output holds a
 * password.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import '../../src/runtime/kafka/kafkajs-patches.ts'; // before kafkajs, so its hot paths are the patched ones
import kafkajs from 'kafkajs';
import { loadConfig } from '../../src/config.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { kafkaClientOptions, kafkaSecurity } from '../../src/runtime/kafka/security.ts';
import { cli, SECURE_CLIENT_YAML, SECURE_SECRETS, SECURE_STACK_ENV, secureClusterUp } from '../support/secure-stack.ts';

let stop: (() => Promise<void>) | undefined;
const work = mkdtempSync(join(tmpdir(), 'dkg-secure-'));
before(
  async () => {
    stop = await secureClusterUp();
  },
  { timeout: 320_000 },
);
after(
  async () => {
    await stop?.();
    rmSync(work, { recursive: true, force: true });
  },
  { timeout: 130_000 },
);

const password = (user: string) => readFileSync(join(SECURE_SECRETS, `${user}.password`), 'utf8').trim();
const appYaml = () => readFileSync(SECURE_CLIENT_YAML, 'utf8');
/** The stack's client.yaml with some lines replaced, as a file of its own. */
const variant = (name: string, replace: Array<[RegExp, string]>): string => {
  let text = appYaml();
  for (const [re, line] of replace) {
    assert.match(text, re);
    text = text.replace(re, line);
  }
  const f = join(work, `${name}.yaml`);
  writeFileSync(f, text);
  return f;
};
const noSecrets = (output: string) => {
  for (const user of ['admin', 'dkg-stream', 'outsider']) assert.ok(!output.includes(password(user)), `the ${user} password appears in the output`);
};
const childEnv = { ...process.env, DKG_STREAM_CONFIG: '', DKG_STREAM_BROKERS: '', DKG_STREAM_REGISTRY_URL: '', DKG_STREAM_LOG_LEVEL: 'info' };

test('secure cluster: this stack directory reports three ready brokers and writes client.yaml', async () => {
  const s = await cli(['stack', 'status'], { env: SECURE_STACK_ENV });
  assert.equal(s.code, 0, s.stderr);
  const j = JSON.parse(s.stdout);
  assert.deepEqual(j.layout, { brokers: 3, secure: true });
  assert.equal(j.brokers.filter((b: { ready: boolean; pid?: number }) => b.ready && b.pid).length, 3);
  assert.equal(j.clientConfig, SECURE_CLIENT_YAML);
  noSecrets(s.stdout + s.stderr);
  // Another (empty) stack directory on the same ports does not claim these processes.
  const other = await cli(['stack', 'status'], { env: { ...SECURE_STACK_ENV, DKG_STREAM_STACK_DIR: join(work, 'empty-stack') } });
  assert.equal(other.code, 1);
  assert.equal(JSON.parse(other.stdout).broker.ready, false);
});

test('secure cluster: the simulation end to end over SASL_SSL as the application user, replicated 3 / min ISR 2', { timeout: 400_000 }, async () => {
  const prefix = `dkg-stream.t-sim-${randomBytes(4).toString('hex')}.`;
  const r = await cli(['sim', '--config', SECURE_CLIENT_YAML, '--prefix', prefix, '--n', '4', '--epochs', '2', '--seed', '7', '--fault', 'forged-cert'], {
    env: childEnv,
    timeoutMs: 360_000,
  });
  assert.equal(r.code, 0, `sim failed:\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  assert.match(r.stdout, /^OK: every epoch exactly once/m);
  assert.match(r.stdout, /DLQ: .*VerificationFailed/);
  noSecrets(r.stdout + r.stderr);

  // Every topic it created (inputs, outputs, changelogs) has three replicas and min ISR 2.
  const config = loadConfig({ file: SECURE_CLIENT_YAML, env: {} });
  const admin = new kafkajs.Kafka({ clientId: 'secure-test', brokers: config.brokers, logLevel: kafkajs.logLevel.NOTHING, ...kafkaSecurity(config) }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    assert.ok(topics.some((t) => t.endsWith('-changelog')) && topics.includes(`${prefix}dkg.events`), topics.join(', '));
    const md = await admin.fetchTopicMetadata({ topics });
    for (const t of md.topics) for (const p of t.partitions) assert.equal(p.replicas.length, 3, `${t.name}[${p.partitionId}] replicas`);
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['min.insync.replicas'] })) });
    for (const res of cfg.resources) assert.equal(res.configEntries[0]?.configValue, '2', `${res.resourceName} min.insync.replicas`);
  } finally {
    await admin.disconnect();
  }
});

test('secure cluster: without replication settings topics get what three brokers hold (RF 3, min ISR 2)', async () => {
  const config = loadConfig({ file: SECURE_CLIENT_YAML, env: {} });
  const { brokers, security } = kafkaClientOptions(config);
  const admin = await connectAdmin({ brokers, security, replication: {} });
  const topic = `dkg-stream.t-default-${randomBytes(4).toString('hex')}`;
  try {
    await admin.createTopics([{ topic, partitions: 1 }]);
    assert.deepEqual(await admin.describeConfigs(topic, ['min.insync.replicas']), { 'min.insync.replicas': '2' });
  } finally {
    await admin.deleteTopics([topic]).catch(() => {});
    await admin.close();
  }
});

/** One clear line on stderr, exit 1, within 15 s, no password anywhere. */
async function failsClearly(configFile: string, expected: RegExp): Promise<void> {
  const r = await cli(['topology', 'apply', '--config', configFile], { env: childEnv, timeoutMs: 30_000 });
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(r.code, 1, r.stderr);
  assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, expected);
  noSecrets(r.stdout + r.stderr);
}

test('secure cluster: a wrong password ends in one line naming the brokers and the SASL failure', async () => {
  const wrong = join(work, 'wrong.password');
  writeFileSync(wrong, 'not-the-password\n');
  await failsClearly(
    variant('wrong-password', [[/^kafkaSaslPasswordFile: .*$/m, `kafkaSaslPasswordFile: ${wrong}`]]),
    /^dkg-stream topology: Kafka SASL authentication failed at 127\.0\.0\.1:\d+.*invalid credentials/,
  );
});

test('secure cluster: an untrusted CA ends in one line naming the broker and the TLS failure', async () => {
  const dir = join(work, 'other-ca');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ca = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '1', '-subj', '/CN=not the stack CA'], {
    encoding: 'utf8',
  });
  assert.equal(ca.status, 0, ca.stderr);
  await failsClearly(
    variant('untrusted-ca', [[/^kafkaCaFile: .*$/m, `kafkaCaFile: ${join(dir, 'ca.pem')}`]]),
    /^dkg-stream topology: TLS verification of Kafka broker 127\.0\.0\.1:\d+ failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
  );
});

test('secure cluster: a principal without ACLs ends in one line naming the topic it may not create', async () => {
  const f = variant('outsider', [
    [/^kafkaSaslUsername: .*$/m, 'kafkaSaslUsername: outsider'],
    [/^kafkaSaslPasswordFile: .*$/m, `kafkaSaslPasswordFile: ${join(SECURE_SECRETS, 'outsider.password')}`],
  ]);
  await failsClearly(f, /^dkg-stream topology: creating topic\(s\) dkg-stream\.dkg\.events: not authorized \(TOPIC_AUTHORIZATION_FAILED\)/);
});

test('secure cluster: the stack never prints a password (up, status) and keeps its secrets private', async () => {
  const r = await cli(['stack', 'up'], { env: SECURE_STACK_ENV, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  noSecrets(r.stdout + r.stderr);
  for (const f of ['admin.password', 'dkg-stream.password', 'ca.key', 'broker-keystore.pem']) {
    const mode = spawnSync('stat', ['-c', '%a', join(SECURE_SECRETS, f)], { encoding: 'utf8' }).stdout.trim();
    assert.equal(mode, '600', `${f} mode`);
  }
});
