/**
 * A DKG participant node in its own process, for the journal fault test: node W_NODE of an
 * n-node ceremony (the shared {@link CeremonyParticipant}: participant runtime + Storage) with its
 * own `dkg-journal` StreamRuntime (application id W_APP, RocksDB in W_DATA_DIR) and a
 * KafkaJournalBackend (transactional id stable across restarts, so a restart fences its zombie).
 *
 * Protocol: one JSON request per stdin line `{id, cmd, args}` (cmd = a WireNode method, or
 * `sync` / `dump`); one JSON line per reply on stdout `{id, ok, result}` | `{id, error}`; events
 * `{event: "ready"}` once every input partition is assigned and restored, and
 * `{event: "dealing-committed"}` right before a self-kill (W_KILL_AFTER_DEALING=k: SIGKILL itself
 * right after the k-th dealing of this life committed and was folded, before the ack is returned).
 *
 * Environment: DKG_STREAM_BROKERS, DKG_STREAM_REGISTRY_URL, W_PREFIX (topic prefix), W_APP,
 * W_DATA_DIR, W_KEY (hex AES key), W_NODE, W_N, W_MAX_READ, W_TXN_ID.
 */
import { createInterface } from 'node:readline';
import { KafkaJournalBackend } from '../../src/edges/participant/kafka-backend.ts';
import type { JournalBackend, JournalRecord } from '../../src/edges/participant/participant.ts';
import { dkgJournalProcessor } from '../../src/processors/dkg-journal/processor.ts';
import { KafkajsPort } from '../../src/runtime/kafka/kafkajs.ts';
import type { ProducedRange } from '../../src/runtime/kafka/port.ts';
import { StreamRuntime } from '../../src/runtime/runtime.ts';
import { AvroSerde, loadSchemas, registryClient } from '../../src/runtime/schemas.ts';
import { loadTopology } from '../../src/runtime/topology.ts';
import { Keyring } from '../../src/state/seal.ts';
import { STORES } from '../../src/topics/names.ts';
import { CeremonyParticipant } from '../unit/journal/ceremony.ts';
import { BROKERS, CLIENT_CONFIG, KAFKA_CLIENT, REGISTRY_URL, SCHEMAS_DIR, TOPOLOGY_FILE } from './stack.ts';
import { runWorker, say } from './worker.ts';

const env = (k: string): string => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`journal-worker: ${k} is not set`);
  return v;
};

const topology = loadTopology(TOPOLOGY_FILE, { prefix: env('W_PREFIX'), schemasDir: SCHEMAS_DIR });
const events = topology.topics.get('dkg.events')!;
const states = topology.topics.get('dkg.states')!;
const dlq = topology.topics.get('dlq')!;
const serde = new AvroSerde(registryClient(REGISTRY_URL, CLIENT_CONFIG), loadSchemas(SCHEMAS_DIR));
const keyring = new Keyring([Buffer.from(env('W_KEY'), 'hex')]);
const maxReadSize = Number(env('W_MAX_READ'));
const port = new KafkajsPort({ ...KAFKA_CLIENT, brokers: BROKERS, clientId: 'journal-worker' });
const rt = new StreamRuntime({
  port,
  processor: dkgJournalProcessor({ serde, keyring, maxReadSize, eventsTopic: events.name, statesTopic: states.name }),
  applicationId: env('W_APP'),
  dataDir: env('W_DATA_DIR'),
  dlqTopic: dlq.name,
  sessionTimeoutMs: 6000,
});
const kafka = new KafkaJournalBackend({ port, serde, events, states, runtime: rt, transactionalId: env('W_TXN_ID'), keyring, maxReadSize });

const killAfter = Number(process.env.W_KILL_AFTER_DEALING ?? 0);
let dealings = 0;
/** The Kafka backend, with the self-kill hook between a dealing's commit and its ack. */
const backend: JournalBackend = {
  queries: kafka.queries,
  async append(records: JournalRecord[]) {
    await kafka.append(records);
    if (killAfter > 0 && records.some((r) => r.kind === 'event' && r.event.kind === 'dealing') && ++dealings === killAfter) {
      say({ event: 'dealing-committed' });
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => {});
    }
  },
};
const node = new CeremonyParticipant(Number(env('W_NODE')), Number(env('W_N')), backend, keyring, maxReadSize);

const entries = async (store: string, p: number) => {
  const out: Array<[string, string]> = [];
  for await (const [k, v] of rt.localStore(store, p)!.range()) out.push([k.toString('hex'), v.toString('hex')]);
  return out;
};
const commands: Record<string, (...args: never[]) => Promise<unknown>> = {
  genesis: () => node.genesis(),
  boot: () => node.boot(),
  shares: () => node.shares(),
  dealing: (e: string, d: string, pub: string, priv: string) => node.dealing(e, d, pub, priv),
  ack: (e: string, p: string, a: string) => node.ack(e, p, a),
  finalizeLog: () => node.finalizeLog(),
  log: (e: string, l: string) => node.log(e, l),
  finish: (e: string) => node.finish(e),
  heldAcks: () => node.heldAcks(),
  final: () => node.final(),
  /** Waits until the local stores folded the given ranges (everything committed so far). */
  sync: (ranges: ProducedRange[]) => kafka.waitFolded(ranges),
  dump: async () => {
    const out: Record<string, Array<Array<[string, string]>>> = {};
    for (const store of [STORES.journal, STORES.states]) {
      out[store] = [];
      for (let p = 0; p < events.partitions; p++) out[store].push(await entries(store, p));
    }
    return out;
  },
};

// SIGTERM stops the runtime, then the journal backend and the port.
await runWorker(rt, async () => {
  await kafka.close();
  await port.close();
});
for (;;) {
  if (rt.ready() && rt.assignedPartitions().length === events.partitions) break;
  await new Promise((r) => setTimeout(r, 50));
}
say({ event: 'ready' });

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, cmd, args } = JSON.parse(line) as { id: number; cmd: string; args: never[] };
  const f = commands[cmd];
  if (!f) return say({ id, error: `unknown command ${cmd}` });
  f(...args).then(
    (result) => say({ id, ok: true, result: result ?? null }),
    (err: unknown) => say({ id, error: String((err as Error).stack ?? err) }),
  );
});
