/**
 * The simulated committee (issue 9): n validators run real commonware DKG/reshare ceremonies
 * over the DKG journal on Kafka, build a Tempo-format chain, threshold-sign every block with
 * their current shares, and feed `consensus.finalizations`; the follower (a `dkg-stream follow`
 * process) verifies and advances epochs; a downstream {@link Subscriber} re-verifies everything
 * from `epochs` + `finalizations.verified`.
 *
 * Per epoch E (committee C(E) = validators E .. E+n−1, so one leaves and one joins per epoch):
 *  1. every participant builds the round's `Info` (round E, previous = output of E unless the
 *     ceremony is a full DKG, dealers C(E), players C(E+1)) and its Dealer/Player through the
 *     participant runtime (`Storage.createDealer` / `createPlayer`, from the journal);
 *  2. dealers send dealings; a player persists the dealing (Kafka transaction, folded by
 *     dkg-journal) before it returns the ack; the dealer persists the ack;
 *  3. dealers finalize their logs; each log goes into the `extraData` of a block proposed by
 *     that dealer; on each finalized block every participant checks the log and appends it;
 *  4. the boundary block last(E): players `finalize` (observers `observe`) over the journal's
 *     logs, append Epoch E+1 {output, share}, and the block carries the `OnchainDkgOutcome` of
 *     E+1 (next players C(E+2), isNextFullDkg);
 *  5. every block of E is finalized by partial signatures of a quorum of C(E), each with its own
 *     epoch-E share from its journal, recovered to the group signature.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '../codec/bytes.ts';
import { compareBytes, toHex } from '../codec/index.ts';
import { encodeShare, G2, type G2Point, MinSig, randomScalar, type Share } from '../crypto/bls12381/index.ts';
import { DealerPrivMsg, DkgFailed, deal, dealerRng, Info, type Output, observe, type SignedDealerLog } from '../crypto/dkg/index.ts';
import { type Ed25519PrivateKey, type Ed25519PublicKey, ed25519FromSeed, ed25519PublicKey } from '../crypto/ed25519.ts';
import { KafkaJournalBackend } from '../edges/participant/kafka-backend.ts';
import { type Dealer, type Player, Storage } from '../edges/participant/participant.ts';
import { REPO_ROOT } from '../paths.ts';
import { dkgJournalProcessor } from '../processors/dkg-journal/processor.ts';
import { applyTopology } from '../runtime/apply.ts';
import { ChangelogView } from '../runtime/changelog-view.ts';
import { DLQ_HEADERS } from '../runtime/dlq.ts';
import { connectAdmin, KafkajsPort } from '../runtime/kafka/kafkajs.ts';
import type { Producer } from '../runtime/kafka/port.ts';
import { type KafkaClientConfig, kafkaClientOptions } from '../runtime/kafka/security.ts';
import { StreamRuntime } from '../runtime/runtime.ts';
import { AvroSerde, loadSchemas, type RegistrySecurity, registryClient } from '../runtime/schemas.ts';
import { loadTopology, type Topology } from '../runtime/topology.ts';
import { Keyring } from '../state/seal.ts';
import { FixedEpocher } from '../tempo/epocher.ts';
import { encodeFinalization, type Finalization, type Proposal } from '../tempo/finalization.ts';
import { encodeTempoHeader, type TempoHeader, tempoHeaderHash } from '../tempo/header.ts';
import { bytesToHex } from '../tempo/hex.ts';
import { type DkgOutput, encodeOnchainDkgOutcome, type OnchainDkgOutcome } from '../tempo/outcome.ts';
import { avroTopicCodecs, type TopicCodecs } from '../topics/codecs.ts';
import { epochKey } from '../topics/epoch-key.ts';
import { PROCESSOR_NAMES, TOPICS, type TopicName, topicSpec } from '../topics/names.ts';
import { makeHeader, partialSignFinalization, recoverFinalization } from './chain.ts';
import { xorshift } from './random.ts';
import { Subscriber } from './subscriber.ts';

export const FAULTS = ['bad-share', 'no-ack', 'too-many-reveals', 'forged-cert', 'bad-digest'] as const;
export type Fault = (typeof FAULTS)[number];

export interface SimOptions {
  n: number;
  epochs: number;
  /** Blocks per epoch (default n + 4: room for one dealer log per block). */
  epochLength?: number;
  /** The epoch whose ceremony is a full DKG (new identity from the next epoch); −1 = none. */
  fullDkgAt?: number;
  faults?: Fault[];
  crashTest?: boolean;
  seed?: number;
  brokers: string[];
  registryUrl: string;
  /** Client security and replication (from the configuration); absent = plaintext. */
  client?: Omit<KafkaClientConfig, 'brokers'> & RegistrySecurity;
  /** Configuration file the follower process reads too (`DKG_STREAM_CONFIG`); its settings under the env the sim sets. */
  configFile?: string;
  topologyFile: string;
  schemasDir: string;
  /** Topic prefix (default a fresh `sim-<hex>.`, so every run has its own topics). */
  prefix?: string;
  /** Where the journal's and the follower's RocksDB live and the follower's log goes. */
  workDir?: string;
  /** Lines of the simulation's own report (stdout). */
  out?: (line: string) => void;
  /** Progress and diagnostics (stderr). */
  progress?: (line: string) => void;
  /** Bound of the final wait for the pipeline (default 180 s). */
  drainTimeoutMs?: number;
  /** How long a validator waits for the journal to fold its append (default 60 s; the soak rides out outages longer). */
  foldTimeoutMs?: number;
  /**
   * The processors run elsewhere (the soak: `dkg-stream run` instances in other processes): the
   * simulation starts neither the journal runtime nor the follower; it calls `start` once the
   * topics exist and the genesis outcome is known (before the first journal append), and the
   * validators read the journal through a {@link ChangelogView} of the instances' changelogs.
   */
  external?: { start(pipeline: ExternalPipeline): Promise<void> };
  /** Asked before each epoch after the first: false ends the run there (`epochs` is then the upper bound). */
  keepGoing?: (epoch: number) => boolean;
  /** Called after each epoch's blocks are published (the soak's progress and fault timing). */
  onEpoch?: (epoch: number) => void;
}

/** What the processors of an {@link SimOptions.external} pipeline need to run. */
export interface ExternalPipeline {
  prefix: string;
  applicationId: string;
  epochLength: bigint;
  genesisOutcomeHex: string;
  /** The key that seals the journal's secrets (the instances' secretKeyFile holds these bytes). */
  journalKey: Uint8Array;
}

export interface EpochRow {
  epoch: number;
  committee: string[];
  joined: string | null;
  left: string | null;
  kind: 'genesis' | 'reshare' | 'full DKG' | 'failed (kept previous)';
  dealings: number;
  acks: number;
  logs: number;
  reveals: number;
  excluded: string[];
  revealed: string[];
  identity: string;
  blocks: number;
  /** From the subscriber: records of this epoch on the downstream topics. */
  verified: number;
  reverified: number;
  schemes: number;
  advances: number;
  outcomeMatches: boolean;
  faults: string[];
}

export interface SimResult {
  ok: boolean;
  prefix: string;
  rows: EpochRow[];
  dlq: Array<{ reason: string; message: string }>;
  followerStarts: number;
  kills: number;
  validatorRestarts: number;
  problems: string[];
  ms: number;
  /**
   * What the ceremonies produced, for comparing runs of the same seed: per epoch before the last the
   * on-chain outcome (hex),
   * per validator and epoch a SHA-256 of its share from the journal ('' = none).
   */
  outputs: Record<number, string>;
  shares: Record<string, Record<number, string>>;
}

// Tempo's DKG namespace: the follower checks the dealer logs in blocks against Tempo's round.
const NAMESPACE = new TextEncoder().encode('TEMPO');
const MAX_READ = 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Serializes a validator's journal appends (one transactional producer each). */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const r = this.tail.then(f, f);
    this.tail = r.catch(() => {});
    return r;
  }
}

interface Validator {
  id: number;
  name: string;
  sk: Ed25519PrivateKey;
  pk: Ed25519PublicKey;
  backend: KafkaJournalBackend;
  storage: Storage;
  lock: Mutex;
  /** Share per epoch, read back from the journal's Epoch state. */
  shares: Map<number, Share | null>;
}

export const toDkgOutput = (o: Output<unknown>): DkgOutput => ({
  summary: o.summary,
  sharing: o.public as DkgOutput['sharing'],
  dealers: [...o.dealers.items],
  players: [...o.players.items],
  revealed: [...o.revealed.items],
});

/** Runs the whole simulation; the stack (broker + registry) must be up. */
export async function runSimulation(o: SimOptions): Promise<SimResult> {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  try {
    return await simulate(o, cleanups);
  } finally {
    for (const c of cleanups.reverse())
      await Promise.resolve()
        .then(c)
        .catch(() => {});
  }
}

async function simulate(o: SimOptions, cleanups: Array<() => Promise<unknown> | unknown>): Promise<SimResult> {
  const t0 = Date.now();
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const progress = o.progress ?? ((l: string) => process.stderr.write(l + '\n'));
  const n = o.n;
  let K = o.epochs;
  const L = BigInt(o.epochLength ?? n + 4);
  const fullDkgAt = o.fullDkgAt ?? (K >= 2 ? 1 : -1);
  const faults = new Set(o.faults ?? []);
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rand = xorshift(seed);
  const prefix =
    o.prefix ??
    `sim-${createHash('sha256')
      .update(String(seed) + Date.now())
      .digest('hex')
      .slice(0, 8)}.`;
  const workDir = o.workDir ?? mkdtempSync(join(tmpdir(), 'dkg-sim-'));
  const ownsWorkDir = o.workDir === undefined;
  if (n < 4) throw new RangeError('--n must be at least 4 (one validator leaves per epoch and a reshare needs quorum(n) dealers)');
  if (K < 1) throw new RangeError('--epochs must be at least 1');
  if (L < BigInt(n + 2)) throw new RangeError(`--epoch-length must be at least n + 2 = ${n + 2} (one block per dealer log plus the boundary)`);
  const epocher = new FixedEpocher(L);
  const problems: string[] = [];
  const problem = (p: string) => {
    problems.push(p);
    progress(`PROBLEM: ${p}`);
  };

  // Faults: one DKG fault per epoch (they would otherwise add up to a failed ceremony), the chain
  // faults in the middle epoch.
  const dkgFaults = (['bad-share', 'no-ack', 'too-many-reveals'] as const).filter((f) => faults.has(f));
  const faultEpoch = new Map<Fault, number>(dkgFaults.map((f, i) => [f, i % K]));
  for (const f of ['forged-cert', 'bad-digest'] as const) if (faults.has(f)) faultEpoch.set(f, Math.min(1, K - 1));
  if (dkgFaults.length > K) progress(`warning: ${dkgFaults.length} DKG faults in ${K} epochs: some share an epoch and the ceremony may fail (it then keeps the previous output)`);

  // ---- topology, registry, journal runtime --------------------------------------------------
  const topology: Topology = loadTopology(o.topologyFile, { prefix, applicationId: `${prefix}app`, schemasDir: o.schemasDir });
  const schemas = loadSchemas(o.schemasDir);
  const registry = registryClient(o.registryUrl, o.client);
  const kafkaOptions = kafkaClientOptions({ ...o.client, brokers: o.brokers });
  const admin = await connectAdmin(kafkaOptions);
  try {
    await applyTopology(admin, topology, { client: registry, schemas });
  } finally {
    await admin.close();
  }
  const topic = (l: TopicName) => topicSpec(topology, l);
  const serde = new AvroSerde(registry, schemas);
  const codec: TopicCodecs = avroTopicCodecs(serde, topology);
  const port = new KafkajsPort({ ...kafkaOptions, clientId: 'dkg-stream-sim', readerGroupPrefix: topology.applicationId });
  cleanups.push(() => port.close());
  const journalKey = sha256(new TextEncoder().encode(`sim-keyring-${seed}`));
  const keyring = new Keyring([journalKey]);
  const journalDef = dkgJournalProcessor({ serde, keyring, maxReadSize: MAX_READ, eventsTopic: topic(TOPICS.dkgEvents).name, statesTopic: topic(TOPICS.dkgStates).name });
  const journalSpec = topology.processors.get(PROCESSOR_NAMES.dkgJournal);
  const changelogs = new Map((journalSpec?.stores ?? []).map((s) => [s.name, s.changelog]));
  const journal = new StreamRuntime({
    port,
    processor: journalDef,
    applicationId: topology.applicationId,
    dataDir: join(workDir, 'journal'),
    dlqTopic: topic(TOPICS.dlq).name,
    dlqEncode: (dl) => serde.encode(topic(TOPICS.dlq), dl),
    sessionTimeoutMs: 6000,
    ...(changelogs.size ? { changelogTopic: (s: string) => changelogs.get(s) ?? `${topology.applicationId}-dkg-journal-${s}-changelog` } : {}),
  });
  await journal.ensureTopics();
  let view: ChangelogView | undefined;
  if (o.external) {
    view = new ChangelogView({ port, groupId: journal.groupId, changelogs: new Map((journalDef.stores ?? []).map((s) => [s, journal.changelogTopic(s)])) });
    cleanups.push(() => view?.stop());
    await view.start();
  } else {
    cleanups.push(() => journal.stop());
    await journal.start();
    const deadline = Date.now() + 60_000;
    while (!(journal.ready() && journal.assignedPartitions().length === topic(TOPICS.dkgEvents).partitions)) {
      if (Date.now() > deadline) throw new Error('dkg-journal did not get its partitions within 60 s');
      await sleep(100);
    }
    progress(`topics ${prefix}* ready; dkg-journal folding ${topic(TOPICS.dkgEvents).partitions} partitions`);
  }

  // ---- validators ---------------------------------------------------------------------------
  const total = n + K;
  const validators: Validator[] = Array.from({ length: total }, (_, id) => {
    const sk = ed25519FromSeed(seed * 1000 + id);
    const pk = ed25519PublicKey(sk);
    const backend = new KafkaJournalBackend({
      port,
      serde,
      events: topic(TOPICS.dkgEvents),
      states: topic(TOPICS.dkgStates),
      ...(view ? { view } : { runtime: journal }),
      transactionalId: `${prefix}validator-${id}`,
      keyring,
      maxReadSize: MAX_READ,
      ...(o.foldTimeoutMs ? { foldTimeoutMs: o.foldTimeoutMs } : {}),
    });
    return { id, name: `v${id}`, sk, pk, backend, storage: new Storage({ backend, keyring, owner: pk }), lock: new Mutex(), shares: new Map() };
  });
  cleanups.push(() => Promise.all(validators.map((v) => v.backend.close())));
  const byPk = new Map(validators.map((v) => [toHex(v.pk), v]));
  const committee = (e: number): Validator[] => validators.slice(e, e + n).sort((a, b) => compareBytes(a.pk, b.pk));
  const names = (vs: readonly Uint8Array[]) => vs.map((pk) => byPk.get(toHex(pk))?.name ?? toHex(pk).slice(0, 8));
  const rngSeed = (v: Validator, e: number) => sha256(new TextEncoder().encode(`sim-rng-${seed}-${v.id}-${e}`));
  let validatorRestarts = 0;
  /** Crash test: a validator "crashes" (loses its memory) and restarts from its journal. */
  const maybeRestart = (v: Validator): boolean => {
    if (!o.crashTest || rand() > 0.08) return false;
    v.storage = new Storage({ backend: v.backend, keyring, owner: v.pk });
    validatorRestarts++;
    progress(`crash-test: ${v.name} restarted from its journal`);
    return true;
  };

  // Genesis: a trusted dealing for C(0) (as a chainspec's genesis outcome), journaled as Epoch 0.
  const c0 = committee(0);
  const genesis = deal(
    dealerRng(sha256(new TextEncoder().encode(`sim-genesis-${seed}`))),
    MinSig,
    c0.map((v) => v.pk),
  );
  const outcomeOf = (epoch: number, output: Output<unknown>): OnchainDkgOutcome => ({
    epoch: BigInt(epoch),
    output: toDkgOutput(output),
    nextPlayers: committee(epoch + 1).map((v) => v.pk),
    isNextFullDkg: epoch === fullDkgAt,
  });
  const genesisOutcomeBytes = encodeOnchainDkgOutcome(outcomeOf(0, genesis.output));
  const genesisHeader = makeHeader(new Uint8Array(32), 0n, genesisOutcomeBytes);
  if (o.external) await o.external.start({ prefix, applicationId: topology.applicationId, epochLength: L, genesisOutcomeHex: bytesToHex(genesisOutcomeBytes), journalKey });
  for (const [pk, share] of genesis.shares) {
    const v = byPk.get(toHex(pk))!;
    await v.lock.run(() => v.storage.appendEpoch(0n, { round: 0n, rngSeed: rngSeed(v, 0), output: genesis.output, share }));
  }

  // ---- follower process (killed and restarted at random under --crash-test) -----------------
  const followerLog: WriteStream = createWriteStream(join(workDir, 'follower.log'));
  let follower: ChildProcess | undefined;
  let followerStarts = 0;
  let kills = 0;
  const startFollower = () => {
    followerStarts++;
    follower = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'dkg-stream.js'), 'follow', '--epoch-length', String(L), '--genesis-outcome', bytesToHex(genesisOutcomeBytes)], {
      env: {
        ...process.env,
        ...(o.configFile ? { DKG_STREAM_CONFIG: o.configFile } : {}),
        DKG_STREAM_BROKERS: o.brokers.join(','),
        DKG_STREAM_REGISTRY_URL: o.registryUrl,
        DKG_STREAM_TOPOLOGY: o.topologyFile,
        DKG_STREAM_SCHEMAS_DIR: o.schemasDir,
        DKG_STREAM_TOPIC_PREFIX: prefix,
        DKG_STREAM_APPLICATION_ID: topology.applicationId,
        DKG_STREAM_DATA_DIR: join(workDir, 'follow'),
        DKG_STREAM_HTTP_PORT: '0',
        DKG_STREAM_LOG_LEVEL: process.env.DKG_STREAM_LOG_LEVEL ?? 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    follower.stdout!.pipe(followerLog, { end: false });
    follower.stderr!.pipe(followerLog, { end: false });
  };
  // Never leave an orphaned follower behind (the CLI turns SIGINT/SIGTERM into process.exit).
  const onExit = () => follower?.kill('SIGKILL');
  process.once('exit', onExit);
  cleanups.push(() => process.off('exit', onExit));
  const killFollower = () => {
    if (!follower || follower.exitCode !== null) return;
    follower.kill('SIGKILL');
    kills++;
    progress(`crash-test: follower process ${follower.pid} SIGKILLed; restarting`);
    startFollower();
  };
  if (!o.external) startFollower();
  cleanups.push(async () => {
    followerLog.end();
    if (!follower || follower.exitCode !== null) return;
    const exited = new Promise<void>((r) => follower!.once('exit', () => r()));
    follower.kill('SIGTERM');
    const t = setTimeout(() => follower?.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(t);
  });

  // ---- subscriber -----------------------------------------------------------------------------
  const subscriber = new Subscriber({ port, codec, epochsTopic: topic(TOPICS.epochs).name, verifiedTopic: topic(TOPICS.verified).name, epochLength: L, onLine: out });
  cleanups.push(() => subscriber.stop());
  await subscriber.start();

  // ---- chain publishing -----------------------------------------------------------------------
  const producer: Producer = await port.producer();
  cleanups.push(() => producer.close());
  const finTopic = topic(TOPICS.finalizations).name;
  const publish = async (height: bigint, epoch: bigint, certificate: Uint8Array, headerRlp: Uint8Array, source = 'sim') => {
    await producer.send([{ topic: finTopic, key: epochKey(epoch), value: await codec.encodeFinalization({ height, certificate, header: { rlp: headerRlp }, source, receivedAtMs: Date.now() }) }]);
  };

  const rows: EpochRow[] = [];
  let output: Output<unknown> = genesis.output;
  let parent = tempoHeaderHash(genesisHeader);
  const identityOf = (x: Output<unknown>): Uint8Array => G2.encode(x.public.public() as G2Point);
  const expectedIdentity = new Map<number, Uint8Array>([[0, identityOf(output)]]);
  const expectedOutcome = new Map<number, Uint8Array>([[0, genesisOutcomeBytes]]);
  const expectedDlq: string[] = [];

  /** Finalizes one block of `epoch` with partials of a random quorum of C(epoch). */
  const finalize = (proposal: Proposal, epoch: number, sharing: Output<unknown>['public']): Finalization => {
    const members = committee(epoch).filter((v) => v.shares.get(epoch));
    const quorum = sharing.required();
    const signers = members
      .map((v) => ({ v, r: rand() }))
      .sort((a, b) => a.r - b.r)
      .slice(0, quorum)
      .map((x) => x.v);
    if (signers.length < quorum) throw new Error(`epoch ${epoch}: only ${signers.length} validators hold a share, quorum is ${quorum}`);
    return recoverFinalization(
      proposal,
      sharing as never,
      signers.map((v) => partialSignFinalization(proposal, v.shares.get(epoch)!)),
    );
  };

  for (let e = 0; e < K; e++) {
    if (e > 0 && o.keepGoing && !o.keepGoing(e)) {
      K = e;
      break;
    }
    const E = BigInt(e);
    const dealers = committee(e);
    const players = committee(e + 1);
    const participants = [...new Map([...dealers, ...players].map((v) => [v.id, v])).values()];
    const full = e === fullDkgAt;
    const info = Info.new({ variant: MinSig, namespace: NAMESPACE, round: E, previous: full ? null : output, dealers: dealers.map((v) => v.pk), players: players.map((v) => v.pk) });
    const epochFaults: string[] = [];
    const faulty = (f: Fault) => faultEpoch.get(f) === e;
    // Roles of the faults, chosen among this epoch's dealers / players.
    const badDealer = faulty('bad-share') ? dealers[0]! : null;
    const silent = faulty('no-ack') ? (players.find((p) => !badDealer || p !== badDealer) ?? null) : null;
    const greedy = faulty('too-many-reveals') ? dealers[dealers.length - 1]! : null;

    // 1. Load each dealer's share of E from its journal; build Dealer / Player from the journal.
    for (const v of dealers) {
      const st = await v.storage.epoch();
      if (!st || st.epoch !== E) throw new Error(`${v.name}: journal has epoch ${st?.epoch ?? 'none'}, expected ${E}`);
      v.shares.set(e, st.share);
    }
    const dealerOf = new Map<number, Dealer | null>();
    const playerOf = new Map<number, Player>();
    const build = async (v: Validator) => {
      if (dealers.includes(v)) {
        const st = (await v.storage.epoch())!;
        dealerOf.set(v.id, await v.storage.createDealer(E, v.sk, info, full ? null : st.share, st.rngSeed));
      }
      if (players.includes(v)) playerOf.set(v.id, await v.storage.createPlayer(E, v.sk, info));
    };
    for (const v of participants) await build(v);

    // 2. Dealings → (persisted) → acks → (persisted), dealers in parallel; a dealer re-sends to
    // players that have not acked (after a restart its dealer is rebuilt from the journal).
    for (let round = 0; round < 4; round++) {
      let progressed = false;
      await Promise.all(
        dealers.map(async (d) => {
          const start = dealerOf.get(d.id);
          if (!start) return;
          const withheld = greedy === d ? players.filter((p) => p !== d).slice(0, info.maxReveals() + 1) : [];
          for (const s of start.sharesToDistribute()) {
            const p = byPk.get(toHex(s.player))!;
            if (withheld.includes(p) || (p === silent && round > 0)) continue;
            let privMsg = s.privMsg;
            if (badDealer === d && p === players.find((x) => x !== d)) {
              if (round > 0) continue;
              privMsg = new DealerPrivMsg(randomScalar(dealerRng(sha256(new TextEncoder().encode(`bad-${seed}-${e}`)))));
            }
            if (maybeRestart(p)) await p.lock.run(() => build(p));
            const ack = await p.lock.run(() => playerOf.get(p.id)!.handle(p.storage, E, d.pk, s.pubMsg, privMsg));
            if (!ack || p === silent) continue;
            await d.lock.run(() => dealerOf.get(d.id)!.handle(d.storage, E, p.pk, ack));
            progressed = true;
          }
        }),
      );
      if (!progressed) break;
    }
    if (badDealer) epochFaults.push(`bad-share: ${badDealer.name} sent a bad share (refused, revealed in its log)`);
    if (silent) epochFaults.push(`no-ack: ${silent.name} never acked (its shares revealed)`);
    if (greedy) epochFaults.push(`too-many-reveals: ${greedy.name} withheld ${info.maxReveals() + 1} dealings (log rejected, dealer excluded)`);

    // 3. Dealer logs into blocks, one per block proposed by its dealer; everyone journals them.
    const logs: Array<{ d: Validator; signed: SignedDealerLog<unknown> }> = [];
    for (const d of dealers) {
      const dealer = dealerOf.get(d.id);
      if (!dealer) continue;
      dealer.finalize();
      const signed = dealer.finalized();
      if (signed) logs.push({ d, signed });
    }
    const allLogs = [...logs];
    const first = epocher.first(E)!;
    const last = epocher.last(E)!;
    const sharing = output.public;
    let blocks = 0;
    let logsInBlocks = 0;
    const forgedAt = faulty('forged-cert') ? first + 1n : -1n;
    const badDigestAt = faulty('bad-digest') ? first + 2n : -1n;
    for (let h = first === 0n ? 1n : first; h <= last; h++) {
      const view = h - first + 1n;
      const isBoundary = h === last;
      let extra = new Uint8Array(0);
      let proposer = dealers[Number(h % BigInt(dealers.length))]!;
      let carried: { d: Validator; signed: SignedDealerLog<unknown> } | undefined;
      if (isBoundary) {
        // 4. The ceremony's result: players finalize, observers observe, over the journal's logs.
        let next: Output<unknown> | null = null;
        for (const v of participants) {
          const vlogs = await v.storage.logs(E);
          let res: { output: Output<unknown>; share: Share | null };
          try {
            const player = playerOf.get(v.id);
            res = player ? player.finalize(vlogs) : { output: observe(info, vlogs), share: null };
          } catch (err) {
            if (!(err instanceof DkgFailed)) throw err;
            res = { output, share: v.shares.get(e) ?? null };
          }
          if (next && !equalBytes(next.bytes(), res.output.bytes())) problem(`epoch ${e}: ${v.name} computed a different output`);
          next ??= res.output;
          await v.lock.run(() => v.storage.appendEpoch(E + 1n, { round: E + 1n, rngSeed: rngSeed(v, e + 1), output: res.output, share: res.share }));
        }
        // What the journal holds (the evidence that dealings and acks were persisted).
        let dealings = 0;
        let acks = 0;
        for (const v of players) dealings += (await v.storage.dealings(E)).length;
        for (const v of dealers) acks += (await v.storage.acks(E)).length;
        const failed = next === output;
        const kind: EpochRow['kind'] = failed ? 'failed (kept previous)' : full ? 'full DKG' : 'reshare';
        const selected = next!.dealers.items;
        const outcome = outcomeOf(e + 1, next!);
        extra = encodeOnchainDkgOutcome(outcome) as Uint8Array<ArrayBuffer>;
        expectedIdentity.set(e + 1, identityOf(next!));
        expectedOutcome.set(e + 1, extra);
        rows.push({
          epoch: e,
          committee: names(dealers.map((v) => v.pk)),
          joined: e === 0 ? null : validators[e + n - 1]!.name,
          left: e === 0 ? null : validators[e - 1]!.name,
          kind: e === 0 && !full ? 'reshare' : kind,
          dealings,
          acks,
          logs: logsInBlocks,
          reveals: allLogs.reduce((a, l) => a + (l.signed.log.results.kind === 'ok' ? [...l.signed.log.results.entries.values].filter((x) => x.kind === 'reveal').length : 0), 0),
          // Dealers whose log could not count: rejected (TooManyReveals) or never logged.
          excluded: names(dealers.map((v) => v.pk).filter((pk) => !selected.some((s) => equalBytes(s, pk)) && !allLogs.some((l) => equalBytes(l.d.pk, pk) && l.signed.log.results.kind === 'ok'))),
          revealed: names(next!.revealed.items),
          identity: bytesToHex(expectedIdentity.get(e)!).slice(0, 12),
          blocks: 0,
          verified: 0,
          reverified: 0,
          schemes: 0,
          advances: 0,
          outcomeMatches: false,
          faults: epochFaults,
        });
        output = next!;
      } else if (logs.length > 0) {
        carried = logs.shift()!;
        proposer = carried.d;
        extra = carried.signed.encode() as Uint8Array<ArrayBuffer>;
      }
      const header: TempoHeader = makeHeader(parent, h, extra, { epoch: E, view, parentView: view - 1n, proposer: proposer.pk });
      const headerRlp = encodeTempoHeader(header);
      const hash = tempoHeaderHash(header);
      const proposal: Proposal = { epoch: E, view, parent: view - 1n, payload: hash };
      const fin = finalize(proposal, e, sharing);
      const certificate = encodeFinalization(fin);
      if (h === forgedAt) {
        // A certificate recovered from shares of another sharing: valid shape, wrong signer.
        const fake = deal(
          dealerRng(sha256(new TextEncoder().encode(`forged-${seed}`))),
          MinSig,
          dealers.map((v) => v.pk),
        );
        const forged = recoverFinalization(
          proposal,
          fake.output.public as never,
          fake.shares.slice(0, sharing.required()).map(([, s]) => partialSignFinalization(proposal, s)),
        );
        await publish(h, E, encodeFinalization(forged), headerRlp, 'sim:forged-cert');
        expectedDlq.push('VerificationFailed');
        epochFaults.push(`forged-cert at height ${h} (→ DLQ VerificationFailed)`);
      }
      if (h === badDigestAt) {
        const tampered = encodeTempoHeader({ ...header, inner: { ...header.inner, gasUsed: header.inner.gasUsed + 1n } });
        await publish(h, E, certificate, tampered, 'sim:bad-digest');
        expectedDlq.push('BlockDigestMismatch');
        epochFaults.push(`bad-digest at height ${h} (→ DLQ BlockDigestMismatch)`);
      }
      await publish(h, E, certificate, headerRlp);
      blocks++;
      parent = hash;
      if (o.crashTest && rand() < 0.12) killFollower();
      // 3 (cont.). The finalized block's dealer log, checked and journaled by every participant.
      if (carried) {
        logsInBlocks++;
        const c = carried;
        await Promise.all(
          participants.map(async (v) => {
            const checked = c.signed.check(info);
            if (checked) await v.lock.run(() => v.storage.appendLog(E, checked.dealer, checked.log, 'block'));
          }),
        );
      }
    }
    const row = rows[rows.length - 1]!;
    row.blocks = blocks;
    out(
      `epoch ${e}  committee ${row.committee.join(' ')}${row.joined ? `  (+${row.joined} −${row.left})` : ''}  ${row.kind}  dealings ${row.dealings} acks ${row.acks} logs ${logsInBlocks}` +
        `  reveals ${row.reveals}${row.excluded.length ? `  excluded ${row.excluded.join(',')}` : ''}${row.revealed.length ? `  revealed ${row.revealed.join(',')}` : ''}` +
        `  → epoch ${e + 1} identity ${bytesToHex(expectedIdentity.get(e + 1)!).slice(0, 12)}  ${blocks} blocks published`,
    );
    for (const f of epochFaults) out(`  fault: ${f}`);
    o.onEpoch?.(e);
  }

  // ---- drain: wait for the subscriber to see every epoch --------------------------------------
  progress('waiting for the follower and the subscriber to catch up…');
  let drained = true;
  try {
    await subscriber.waitUntil(`epoch ${K - 1} complete downstream`, () => [...Array(K).keys()].every((e) => subscriber.epochs.get(BigInt(e))?.complete), o.drainTimeoutMs ?? 180_000);
  } catch (err) {
    drained = false;
    problem((err as Error).message);
  }
  await sleep(500); // late duplicates, if any, would show here
  // DLQ contents.
  const dlq: SimResult['dlq'] = [];
  {
    const a = await port.admin();
    const marks = await a.offsets(topic(TOPICS.dlq).name);
    const h = await port.read({
      topic: topic(TOPICS.dlq).name,
      from: new Map(marks.map((m) => [m.partition, m.low])),
      until: new Map(marks.map((m) => [m.partition, m.high])),
      onRecords: async (_p, records) => {
        for (const r of records) dlq.push({ reason: r.headers[DLQ_HEADERS.errorClass]?.toString() ?? '?', message: (r.headers[DLQ_HEADERS.errorMessage]?.toString() ?? '').slice(0, 120) });
      },
    });
    await h.done;
  }

  // ---- checks -----------------------------------------------------------------------------------
  for (const row of rows) {
    const s = subscriber.epochs.get(BigInt(row.epoch));
    const nx = subscriber.epochs.get(BigInt(row.epoch + 1));
    row.verified = s?.verified ?? 0;
    row.reverified = s?.reverified ?? 0;
    row.schemes = s?.schemes ?? 0;
    row.advances = nx?.advances ?? 0;
    const idOk = !!s?.identity && equalBytes(s.identity, expectedIdentity.get(row.epoch)!);
    const nextOk = !!nx?.identity && equalBytes(nx.identity, expectedIdentity.get(row.epoch + 1)!) && !!nx.outcome && equalBytes(nx.outcome, expectedOutcome.get(row.epoch + 1)!);
    row.outcomeMatches = idOk && nextOk;
    if (row.schemes !== 1) problem(`epoch ${row.epoch}: ${row.schemes} SchemeRegistered records (expected exactly 1)`);
    if (row.advances !== 1) problem(`epoch ${row.epoch} → ${row.epoch + 1}: ${row.advances} EpochAdvanced records (expected exactly 1)`);
    if (row.verified !== row.blocks) problem(`epoch ${row.epoch}: ${row.verified} verified finalizations for ${row.blocks} blocks`);
    if (row.reverified !== row.blocks) problem(`epoch ${row.epoch}: ${row.reverified}/${row.blocks} re-verified by the subscriber`);
    if (!row.outcomeMatches) problem(`epoch ${row.epoch}: identity/outcome downstream differ from the validators' ceremony`);
    const obs = nx?.observation;
    if (!obs?.matches)
      problem(`epoch ${row.epoch} → ${row.epoch + 1}: the follower's observation of the dealer logs on chain ${obs ? `does not match the boundary outcome (${obs.reason})` : 'is missing'}`);
  }
  const got = dlq.map((d) => d.reason).sort();
  const want = [...expectedDlq].sort();
  if (JSON.stringify(got) !== JSON.stringify(want)) problem(`DLQ holds [${got.join(', ')}], expected [${want.join(', ')}]`);
  problems.push(...subscriber.problems.filter((p) => !problems.includes(p)));
  if (ownsWorkDir && problems.length === 0) rmSync(workDir, { recursive: true, force: true });
  else progress(`work directory kept: ${workDir} (follower log: follower.log)`);
  const outputs: SimResult['outputs'] = {};
  // Not the outcome of epoch K: its next players are cut short by the n + epochs validators a run creates.
  for (const [e, outcome] of expectedOutcome) if (e < K) outputs[e] = bytesToHex(outcome);
  const shares: SimResult['shares'] = {};
  for (const v of validators) {
    if (v.shares.size === 0) continue;
    shares[v.name] = Object.fromEntries([...v.shares].map(([e, sh]) => [e, sh ? toHex(sha256(encodeShare(sh))) : '']));
  }
  return { ok: drained && problems.length === 0, prefix, rows, dlq, followerStarts, kills, validatorRestarts, problems, ms: Date.now() - t0, outputs, shares };
}

/** The end-of-run table. */
export function summaryTable(r: SimResult): string {
  const head = ['epoch', 'committee', 'change', 'ceremony', 'dealings', 'acks', 'logs', 'reveals', 'excluded', 'identity', 'blocks', 'verified', 're-verified', 'schemes', '→ advance', 'outcome'];
  const body = r.rows.map((x) => [
    String(x.epoch),
    x.committee.join(' '),
    x.joined ? `+${x.joined} −${x.left}` : '-',
    x.kind,
    String(x.dealings),
    String(x.acks),
    String(x.logs),
    String(x.reveals) + (x.revealed.length ? ` (${x.revealed.join(',')})` : ''),
    x.excluded.join(',') || '-',
    x.identity,
    String(x.blocks),
    String(x.verified),
    String(x.reverified),
    String(x.schemes),
    String(x.advances),
    x.outcomeMatches ? 'match' : 'MISMATCH',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...body.map(line)];
  const dl = new Map<string, number>();
  for (const d of r.dlq) dl.set(d.reason, (dl.get(d.reason) ?? 0) + 1);
  out.push('');
  out.push(`DLQ: ${r.dlq.length ? [...dl].map(([k, v]) => `${k} ×${v}`).join(', ') : 'empty'}`);
  out.push(`follower process starts: ${r.followerStarts} (SIGKILLs: ${r.kills}); validator restarts from the journal: ${r.validatorRestarts}; topics: ${r.prefix}*; ${(r.ms / 1000).toFixed(1)} s`);
  out.push(r.ok ? 'OK: every epoch exactly once, every certificate verified by the follower and re-verified downstream, outcomes match the validators' : `FAILED: ${r.problems.length} problem(s)`);
  for (const p of r.problems) out.push(`  - ${p}`);
  return out.join('\n');
}
