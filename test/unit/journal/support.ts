/**
 * Shared helpers of the journal's unit tests: an in-memory schema registry behind the real
 * AvroSerde (so records are in the Confluent wire format, as on the broker), a keyring, the
 * processor on the broker-less TestDriver, and journal events taken from the conformance
 * ceremonies in test/fixtures/dkg/.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { REPO_ROOT } from '../../../src/paths.ts';
import { dkgJournalProcessor, type JournalInput } from '../../../src/processors/dkg-journal/processor.ts';
import { JournalQueries } from '../../../src/processors/dkg-journal/queries.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import { AvroSerde, type AvroType, loadSchemas } from '../../../src/runtime/schemas.ts';
import { TestDriver } from '../../../src/runtime/test-driver.ts';
import type { TopicSpec } from '../../../src/runtime/topology.ts';
import { Keyring } from '../../../src/state/seal.ts';
import { eventToAvro, type JournalEvent, privMsgContext } from '../../../src/topics/dkg-events.ts';
import { type EpochStateRecord, stateToAvro } from '../../../src/topics/dkg-states.ts';
import { epochKey } from '../../../src/topics/epoch-key.ts';
import { TOPICS } from '../../../src/topics/names.ts';

export const SCHEMAS = loadSchemas(join(REPO_ROOT, 'schemas'));

/** The two registry calls AvroSerde makes, in memory. */
export function memoryRegistry(): SchemaRegistry {
  const byId = new Map<number, AvroType>();
  const bySubject = new Map<string, number>();
  let next = 1;
  for (const [topic, schema] of [
    [TOPICS.dkgEvents, 'dkg-event'],
    [TOPICS.dkgStates, 'epoch-state'],
  ] as const) {
    const id = next++;
    byId.set(id, SCHEMAS.get(schema)!.type);
    bySubject.set(`${topic}-value`, id);
  }
  return {
    getLatestSchemaId: async (subject: string) => {
      const id = bySubject.get(subject);
      if (id === undefined) throw Object.assign(new Error(`no subject ${subject}`), { status: 404 });
      return id;
    },
    getSchema: async (id: number) => {
      const t = byId.get(id);
      if (!t) throw Object.assign(new Error(`no schema ${id}`), { status: 404 });
      return t;
    },
  } as unknown as SchemaRegistry;
}

const spec = (name: string, value: string) => ({ name, logical: name, value }) as TopicSpec;
export const EVENTS_SPEC = spec(TOPICS.dkgEvents, 'dkg-event');
export const STATES_SPEC = spec(TOPICS.dkgStates, 'epoch-state');

export interface Harness {
  keyring: Keyring;
  serde: AvroSerde;
  metrics: Metrics;
  driver: TestDriver<JournalInput>;
  queries: JournalQueries;
  maxReadSize: number;
  event(e: JournalEvent, opts?: { key?: Buffer; partition?: number }): Promise<{ key: Buffer; value: Buffer; partition: number }>;
  state(s: EpochStateRecord, opts?: { key?: Buffer }): Promise<{ key: Buffer; value: Buffer; partition: number }>;
  /** Every entry of both stores of every partition, hex (for equality checks). */
  dump(): Promise<Record<string, string>>;
}

export const PARTITIONS = 2;
/** Deterministic epoch → partition for the driver (the broker hashes keys; the driver takes explicit partitions). */
export const partitionOf = (epoch: bigint): number => Number(epoch % BigInt(PARTITIONS));

export function harness(opts: { keyring?: Keyring; maxReadSize?: number; metrics?: Metrics } = {}): Harness {
  const keyring = opts.keyring ?? new Keyring([randomBytes(32)]);
  const serde = new AvroSerde(memoryRegistry(), SCHEMAS);
  const metrics = opts.metrics ?? new Metrics();
  const maxReadSize = opts.maxReadSize ?? 4;
  const def = dkgJournalProcessor({ serde, keyring, maxReadSize });
  const driver = new TestDriver(def, { partitions: PARTITIONS, now: () => 0, metrics });
  const storesOf = (name: string) =>
    Array.from({ length: PARTITIONS }, (_, p) => ({
      get: (k: Buffer) => driver.get(name, k, p),
      async *range(r = {}) {
        for (const e of await driver.entries(name, p, r)) yield e;
      },
    }));
  const queries = new JournalQueries({ journal: storesOf('journal'), states: storesOf('states') }, { keyring, maxReadSize });
  return {
    keyring,
    serde,
    metrics,
    driver,
    queries,
    maxReadSize,
    async event(e, o = {}) {
      return { key: o.key ?? epochKey(e.epoch), value: await serde.encode(EVENTS_SPEC, eventToAvro(e)), partition: o.partition ?? partitionOf(e.epoch) };
    },
    async state(s, o = {}) {
      return { key: o.key ?? epochKey(s.epoch), value: await serde.encode(STATES_SPEC, stateToAvro(s)), partition: partitionOf(s.epoch) };
    },
    async dump() {
      const out: Record<string, string> = {};
      for (const name of ['journal', 'states']) for (let p = 0; p < PARTITIONS; p++) for (const [k, v] of await driver.entries(name, p)) out[`${name}/${p}/${k.toString('hex')}`] = v.toString('hex');
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

export interface FixtureDealer {
  dealer: string;
  pub_msg: string;
  priv_msgs: Array<{ player: string; hex: string }>;
  acks_received: Array<{ player: string; hex: string }>;
  ack_digest: string;
  log: string;
  signed_log: string;
  rng_seed: string;
  seed: number;
  share: string | null;
}
export interface FixtureRound {
  round: number;
  info: { namespace: string; round: number; previous: string | null; dealers: string[]; players: string[]; max_read: number };
  dealers: FixtureDealer[];
  players: Array<{ player: string; seed: number; index: number; dealings: Array<{ dealer: string; delivered: boolean; ack: string | null }>; output: string | null; share: { hex: string } | null }>;
  logs: Array<{ dealer: string; log: string }>;
  observe: { ok: boolean; output?: { hex: string } };
}
export interface Fixture {
  scenario: { name: string; keys: Array<{ seed: number; private: string; public: string }>; rounds: FixtureRound[] };
}

export function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'dkg', `${name}.json`), 'utf8')) as Fixture;
}

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/**
 * The journal events one node (`owner`) would append in a fixture round, in the order the
 * ceremony produced them: dealings it accepted as player, acks it received as dealer (with the
 * digest), and every dealer log.
 */
export function roundEvents(keyring: Keyring, round: FixtureRound, epoch: bigint, owner: string): JournalEvent[] {
  const o = hex(owner);
  const out: JournalEvent[] = [];
  const me = round.players.find((p) => p.player === owner);
  for (const d of me?.dealings ?? []) {
    if (d.ack === null) continue;
    const dealer = round.dealers.find((x) => x.dealer === d.dealer)!;
    const priv = dealer.priv_msgs.find((p) => p.player === owner)!;
    out.push({ kind: 'dealing', epoch, owner: o, dealer: hex(d.dealer), pubMsg: hex(dealer.pub_msg), privMsg: keyring.seal(hex(priv.hex), privMsgContext(epoch, o)) });
  }
  const mine = round.dealers.find((x) => x.dealer === owner);
  for (const a of mine?.acks_received ?? []) out.push({ kind: 'ack', epoch, owner: o, player: hex(a.player), ack: hex(a.hex), digest: hex(mine!.ack_digest) });
  for (const l of round.logs) out.push({ kind: 'log', epoch, owner: o, dealer: hex(l.dealer), log: hex(l.log), source: 'participant' });
  return out;
}
