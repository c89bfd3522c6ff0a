/**
 * `dkg-stream run` and `dkg-stream replay` as processes against the real stack: the processor
 * registry wires dkg-journal from the topology (prefixed topics), the ops server answers health,
 * readiness, metrics and the journal route, bad records land in the DLQ as Avro in the registry
 * wire format with the dlq.* headers, SIGTERM stops cleanly, and a replay from the beginning
 * refolds the input (its summary counts the records and dead letters).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { journalKey } from '../../src/processors/dkg-journal/stores.ts';
import { applyTopology } from '../../src/runtime/apply.ts';
import { type DeadLetter, DLQ_HEADERS } from '../../src/runtime/dlq.ts';
import { connectAdmin } from '../../src/runtime/kafka/kafkajs.ts';
import { AvroSerde, loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { loadTopology } from '../../src/runtime/topology.ts';
import { epochKey } from '../../src/topics/epoch-key.ts';
import { readTopic } from '../support/count-check.ts';
import { newPort, waitFor } from '../support/runtime.ts';
import { BROKERS, CLI, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE, uniquePrefix } from '../support/stack.ts';

const port = newPort('dkg-test-run');
const dir = mkdtempSync(join(tmpdir(), 'dkg-run-'));
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await port.close();
  rmSync(dir, { recursive: true, force: true });
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

test('run: registry-wired dkg-journal with the ops server, Avro DLQ records with headers, clean stop; replay from the beginning', { timeout: 180_000 }, async () => {
  const prefix = uniquePrefix('run');
  const topology = loadTopology(TOPOLOGY_FILE, { prefix, applicationId: `${prefix}app`, schemasDir: SCHEMAS_DIR });
  const schemas = loadSchemas(SCHEMAS_DIR);
  const registry = registryClient(REGISTRY_URL);
  const admin = await connectAdmin({ brokers: BROKERS });
  await applyTopology(admin, topology, { client: registry, schemas }).finally(() => admin.close());
  const events = topology.topics.get('dkg.events')!;
  const dlq = topology.topics.get('dlq')!;

  // Two records that are not in the registry wire format.
  const prod = await port.producer();
  const key = Buffer.alloc(8);
  key.writeBigUInt64BE(3n);
  await prod.send([
    { topic: events.name, key, value: Buffer.from('not avro') },
    { topic: events.name, key, value: Buffer.from([1, 2, 3, 4, 5, 6]) },
  ]);
  await prod.close();

  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, 'ab'.repeat(32) + '\n');
  const http = await freePort();
  const env = {
    ...process.env,
    DKG_STREAM_BROKERS: BROKERS.join(','),
    DKG_STREAM_REGISTRY_URL: REGISTRY_URL,
    DKG_STREAM_TOPIC_PREFIX: prefix,
    DKG_STREAM_APPLICATION_ID: `${prefix}app`,
    DKG_STREAM_DATA_DIR: join(dir, 'data'),
    DKG_STREAM_SECRET_KEY_FILE: keyFile,
    DKG_STREAM_HTTP_PORT: String(http),
    DKG_STREAM_LOG_LEVEL: 'warn',
  };

  // Names are checked before anything starts.
  const bad = spawnSync(process.execPath, [CLI, 'run', '--processor', 'nope'], { env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown processor "nope" \(topology: dkg-journal, follow/);
  const usage = spawnSync(process.execPath, [CLI, 'replay', '--processor', 'dkg-journal'], { env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /exactly one of --from-beginning/);

  const child = spawn(process.execPath, [CLI, 'run', '--processor', 'dkg-journal'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor('run started', () => (stdout.includes('"event":"running"') ? true : undefined), 60_000).catch((e) => {
    throw new Error(`${(e as Error).message}\nstderr: ${stderr}`);
  });
  assert.match(stdout, new RegExp(`"groups":\\["${prefix.replace(/\./g, '\\.')}app-dkg-journal"\\]`));
  const base = `http://127.0.0.1:${http}`;
  await waitFor('ready', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 60_000);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const journal = await fetch(`${base}/journal/${'00'.repeat(32)}/epoch`);
  assert.equal(journal.status, 404);
  assert.match(((await journal.json()) as { error: string }).error, /no epoch state/);
  // A store key is looked up in the partition of its epoch (the record key it was folded from).
  for (const epoch of [3n, 4n, 5n, 6n]) {
    const storeKey = journalKey(Buffer.alloc(32, 0), epoch, 'dealing', Buffer.alloc(32, 7));
    const miss = (await (await fetch(`${base}/stores/journal/${storeKey.toString('hex')}`)).json()) as { error: string; partition: number };
    assert.equal(miss.error, 'key not found');
    assert.equal(miss.partition, port.partitionFor(epochKey(epoch), events.partitions), `epoch ${epoch}`);
  }

  const serde = new AvroSerde(registry, schemas);
  const dead = await waitFor(
    '2 dead letters',
    async () => {
      const rs = await readTopic(port, dlq.name);
      return rs.length >= 2 ? rs : undefined;
    },
    60_000,
  );
  assert.equal(dead.length, 2);
  for (const r of dead) {
    assert.equal(r.value![0], 0, 'Confluent wire format magic byte');
    const { value } = await serde.decode(r.value, 'dlq');
    const dl = value as DeadLetter;
    assert.equal(dl.sourceTopic, events.name);
    assert.equal(dl.processor, 'dkg-journal');
    assert.equal(dl.errorClass, 'WireFormatError');
    assert.deepEqual(dl.key, key);
    assert.equal(r.headers[DLQ_HEADERS.errorClass]!.toString(), 'WireFormatError');
    assert.equal(r.headers[DLQ_HEADERS.sourceTopic]!.toString(), events.name);
    assert.equal(r.headers[DLQ_HEADERS.sourceOffset]!.toString(), String(dl.sourceOffset));
  }
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /dkg_stream_dlq_records_total\{processor="dkg-journal"\} 2/);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  assert.match(stdout, /"event":"stopped"/);

  // Replay from the beginning (the instance is stopped): both records folded again.
  const rp = spawnSync(process.execPath, [CLI, 'replay', '--processor', 'dkg-journal', '--from-beginning', '--json'], { env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(rp.status, 0, rp.stderr);
  const report = JSON.parse(rp.stdout) as { records: number; dlq: number; partitions: unknown[] };
  assert.equal(report.records, 2);
  assert.equal(report.dlq, 2);
  assert.equal(report.partitions.length, 2 * events.partitions, 'both inputs, every partition');
  assert.equal((await readTopic(port, dlq.name)).length, 4, 'a replay dead-letters its bad records again');
});
