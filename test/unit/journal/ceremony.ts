/**
 * A multi-epoch DKG/reshare ceremony among n in-process nodes, each with its own participant
 * {@link Storage} on one shared journal (the TestDriver running dkg-journal), and a crash plan
 * for node 0: at chosen journal appends it "dies" before the commit, after the commit, or after
 * the commit but before the stores were written; it then restarts from the journal alone (new
 * Storage, dealer and player rebuilt by createDealer/createPlayer) and the ceremony resumes.
 *
 * Messaging is simulated: in phase A dealers send every unsent dealing and feed acks back; phase
 * B finalizes dealer logs, which a "chain" (first log per dealer wins, as a block would) delivers
 * to every node's journal; phase C: players finalize and append the next epoch's state, then
 * prune. Each phase is idempotent, so after a crash it is simply run again.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../../../src/codec/index.ts';
import { encodeShare, MinSig } from '../../../src/crypto/bls12381/index.ts';
import { DealerPrivMsg, DealerPubMsg, Info, PlayerAck, SignedDealerLog } from '../../../src/crypto/dkg/index.ts';
import { type Ed25519PrivateKey, type Ed25519PublicKey, ed25519FromSeed, ed25519PublicKey } from '../../../src/crypto/ed25519.ts';
import { type Dealer, type JournalBackend, type JournalRecord, type Player, Storage } from '../../../src/edges/participant/participant.ts';
import { decodeDealing, decodeLog, decodeState } from '../../../src/processors/dkg-journal/stores.ts';
import type { Metrics } from '../../../src/runtime/metrics.ts';
import { decodeTuple } from '../../../src/state/keys.ts';
import type { Keyring } from '../../../src/state/seal.ts';
import { privMsgContext } from '../../../src/topics/dkg-events.ts';
import { type EpochStateRecord, rngSeedContext, shareContext } from '../../../src/topics/dkg-states.ts';
import { type Harness, PARTITIONS } from './support.ts';

export class Crashed extends Error {
  override name = 'Crashed';
}

export type CrashMode = 'before-commit' | 'after-commit' | 'after-commit-before-apply';
/** Decides, for node 0's n-th append (1-based), whether and how it crashes. */
export type CrashPlan = (n: number, record: JournalRecord) => CrashMode | null;

export class DriverBackend implements JournalBackend {
  appends = 0;
  constructor(
    private readonly h: Harness,
    private readonly plan: CrashPlan | null = null,
  ) {}

  get queries() {
    return this.h.queries;
  }

  async append(records: JournalRecord[]): Promise<void> {
    for (const r of records) {
      const mode = this.plan?.(++this.appends, r) ?? null;
      if (mode === 'before-commit') throw new Crashed(`before commit of append ${this.appends}`);
      if (r.kind === 'state') await this.h.driver.pipe('dkg.states', await this.h.state(r.state), { crashBeforeApply: mode === 'after-commit-before-apply' });
      else if (r.event.kind === 'prune') for (let p = 0; p < PARTITIONS; p++) await this.h.driver.pipe('dkg.events', await this.h.event(r.event, { partition: p }));
      else await this.h.driver.pipe('dkg.events', await this.h.event(r.event), { crashBeforeApply: mode === 'after-commit-before-apply' });
      if (mode) throw new Crashed(`${mode} of append ${this.appends} (${r.kind === 'state' ? 'state' : r.event.kind})`);
    }
  }
}

const NAMESPACE = new TextEncoder().encode('_COMMONWARE_EXAMPLES_RESHARE');
export const seedFor = (pk: Uint8Array, epoch: bigint): Uint8Array => new Uint8Array(createHash('sha256').update('dkg-stream-test/rng-seed').update(pk).update(String(epoch)).digest());

interface Node {
  sk: Ed25519PrivateKey;
  pk: Ed25519PublicKey;
  backend: JournalBackend;
  storage: Storage;
  epoch: bigint;
  info: Info<unknown> | null;
  dealer: Dealer | null;
  player: Player | null;
}

export interface CeremonyResult {
  /** Per node (hex): final epoch, output bytes, share bytes. */
  finals: Record<string, { epoch: string; output: string | null; share: string | null }>;
  /** Acks node 0 returned as a player, and those its restarted player regenerated, per "epoch/dealer". */
  acksSent: Map<string, string[]>;
  crashes: string[];
}

/** Where the nodes' journals live: the driver harness, or any backend (the Kafka one). */
export interface CeremonyEnv {
  keyring: Keyring;
  metrics?: Metrics;
  backend(node: number): JournalBackend;
  /** Called when node 0 crashed (the driver drops its tasks, as a killed process would). */
  onCrash?(): void;
}

export const driverEnv = (h: Harness, plan: CrashPlan | null = null): CeremonyEnv => ({
  keyring: h.keyring,
  metrics: h.metrics,
  backend: (i) => new DriverBackend(h, i === 0 ? plan : null),
  onCrash: () => h.driver.crash(),
});

export async function runCeremony(h: Harness | CeremonyEnv, opts: { n: number; epochs: number; plan?: CrashPlan }): Promise<CeremonyResult> {
  const env: CeremonyEnv = 'driver' in h ? driverEnv(h, opts.plan ?? null) : h;
  const keys = Array.from({ length: opts.n }, (_, i) => ed25519FromSeed(i));
  const pks = keys.map((k) => ed25519PublicKey(k));
  const nodes: Node[] = keys.map((sk, i) => {
    const backend = env.backend(i);
    return { sk, pk: pks[i]!, backend, storage: new Storage({ backend, keyring: env.keyring, owner: pks[i]!, metrics: env.metrics }), epoch: -1n, info: null, dealer: null, player: null };
  });
  const byPk = new Map(nodes.map((n) => [toHex(n.pk), n]));
  const crashes: string[] = [];
  const acksSent = new Map<string, string[]>();
  const chain = new Map<string, SignedDealerLog<unknown>>();

  /** Rebuilds a node's protocol state for its current epoch from its journal (boot / restart). */
  const boot = async (node: Node) => {
    const st = await node.storage.epoch();
    if (!st) throw new Error('node has no epoch state');
    node.epoch = st.epoch;
    node.info = Info.new({ variant: MinSig, namespace: NAMESPACE, round: st.round, previous: st.output, dealers: pks, players: pks });
    node.dealer = await node.storage.createDealer(st.epoch, node.sk, node.info, st.share, st.rngSeed);
    node.player = await node.storage.createPlayer(st.epoch, node.sk, node.info);
  };
  const restart = async (err: Crashed) => {
    crashes.push(err.message);
    env.onCrash?.();
    const n0 = nodes[0]!;
    n0.storage = new Storage({ backend: n0.backend, keyring: env.keyring, owner: n0.pk, metrics: env.metrics });
    n0.dealer = null;
    n0.player = null;
    n0.info = null;
    await boot(n0);
    // What the restarted player would send again: acks regenerated from the stored dealings.
    const player = n0.player as Player | null; // set by boot (TS keeps the narrowing from `= null`)
    for (const d of nodes) {
      const ack = player?.ackFor(d.pk);
      if (ack) {
        const k = `${n0.epoch}/${toHex(d.pk)}`;
        acksSent.set(k, [...(acksSent.get(k) ?? []), toHex(ack.sig)]);
      }
    }
  };
  /** Runs a phase, restarting node 0 and re-running the phase after each crash. */
  const phase = async (run: () => Promise<void>) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof Crashed)) throw err;
        await restart(err);
      }
    }
    throw new Error('too many crashes in one phase');
  };

  // Genesis: epoch 0 state for every node (upstream: the first Epoch appended at init).
  for (const node of nodes)
    await phase(async () => {
      if (!(await node.storage.epoch())) await node.storage.appendEpoch(0n, { round: 0n, rngSeed: seedFor(node.pk, 0n), output: null, share: null });
    });

  for (let e = 0n; e < BigInt(opts.epochs); e++) {
    await phase(async () => {
      for (const node of nodes) if (node.epoch !== e || !node.info) await boot(node);
    });
    // Phase A: deal until every dealer has every ack.
    await phase(async () => {
      for (let round = 0; round < 5; round++) {
        let pending = 0;
        for (const d of nodes) {
          for (const s of d.dealer?.sharesToDistribute() ?? []) {
            pending++;
            const p = byPk.get(toHex(s.player))!;
            const ack = await p.player!.handle(p.storage, e, d.pk, s.pubMsg, s.privMsg);
            if (p === nodes[0] && ack) {
              const k = `${e}/${toHex(d.pk)}`;
              acksSent.set(k, [...(acksSent.get(k) ?? []), toHex(ack.sig)]);
            }
            if (ack) await d.dealer!.handle(d.storage, e, p.pk, ack);
          }
        }
        if (pending === 0) return;
      }
      throw new Error('dealings not all acked');
    });
    // Phase B: dealer logs, included "on chain" once, appended by every node.
    await phase(async () => {
      for (const d of nodes) {
        d.dealer?.finalize();
        const l = d.dealer?.finalized();
        if (l && !chain.has(`${e}/${toHex(d.pk)}`)) chain.set(`${e}/${toHex(d.pk)}`, l);
      }
      for (const d of nodes) {
        const signed = chain.get(`${e}/${toHex(d.pk)}`);
        if (!signed) continue;
        for (const node of nodes) {
          const checked = signed.check(node.info!);
          if (checked) await node.storage.appendLog(e, checked.dealer, checked.log);
        }
      }
    });
    // Phase C: finalize, next epoch's state, prune what is no longer needed.
    await phase(async () => {
      for (const node of nodes) {
        const st = await node.storage.epoch();
        if (st!.epoch === e) {
          const { output, share } = node.player!.finalize(await node.storage.logs(e));
          await node.storage.appendEpoch(e + 1n, { round: st!.round + 1n, rngSeed: seedFor(node.pk, e + 1n), output, share });
        }
        if (e > 0n) await node.storage.prune(e);
      }
    });
  }

  const finals: CeremonyResult['finals'] = {};
  for (const node of nodes) {
    const st = (await node.storage.epoch())!;
    finals[toHex(node.pk)] = { epoch: String(st.epoch), output: st.output ? toHex(st.output.bytes()) : null, share: st.share ? toHex(encodeShare(st.share)) : null };
  }
  return { finals, acksSent, crashes };
}

/** Raw store contents of a journal runtime: every (key, value) of a store's partition, in key order. */
export interface StoreEntries {
  partitions: number;
  entries(store: 'journal' | 'states', partition: number): Promise<Array<[Buffer, Buffer]>>;
}

/**
 * The stores' logical contents: every key with its value, sealed secrets replaced by their
 * plaintext (ciphertexts differ between runs only by their random nonces).
 */
export async function logicalDump(h: Harness | StoreEntries, keyring: Keyring): Promise<Record<string, string>> {
  const src: StoreEntries = 'driver' in h ? { partitions: PARTITIONS, entries: (s, p) => h.driver.entries(s, p) } : h;
  const out: Record<string, string> = {};
  for (let p = 0; p < src.partitions; p++) {
    for (const [k, v] of await src.entries('journal', p)) {
      const t = decodeTuple(k);
      let value = v.toString('hex');
      if (t[0] !== 'floor' && t[2] === 'dealing') {
        const d = decodeDealing(v);
        value = `${d.pubMsg.toString('hex')}/${keyring.open(d.privMsg, privMsgContext(t[1] as bigint, t[0] as Buffer)).toString('hex')}`;
      } else if (t[2] === 'log') value = decodeLog(v).log.toString('hex');
      out[`journal/${p}/${k.toString('hex')}`] = value;
    }
    for (const [k, v] of await src.entries('states', p)) {
      const [owner, epoch] = decodeTuple(k) as [Buffer, bigint];
      const s = decodeState(v);
      const plain: Omit<EpochStateRecord, 'epoch' | 'owner' | 'rngSeed' | 'share'> & { rngSeed: string; share: string | null } = {
        round: s.round,
        rngSeed: keyring.open(s.rngSeed, rngSeedContext(epoch, owner)).toString('hex'),
        output: s.output,
        share: s.share ? keyring.open(s.share, shareContext(epoch, owner)).toString('hex') : null,
      };
      out[`states/${p}/${k.toString('hex')}`] = JSON.stringify({ ...plain, round: String(plain.round), output: plain.output?.toString('hex') ?? null });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The same ceremony with every message in wire form (hex), so a node can live in another process
// (test/support/journal-worker.ts) and be SIGKILLed there.

/** One ceremony node behind a message interface; every argument and result is JSON (hex strings). */
export interface WireNode {
  /** Appends the epoch 0 state unless the journal has one. */
  genesis(): Promise<void>;
  /** Rebuilds dealer and player for the journal's current epoch (boot / restart); returns it. */
  boot(): Promise<string>;
  shares(): Promise<Array<{ player: string; pubMsg: string; privMsg: string }>>;
  /** As player: the ack (hex) for a dealing, committed to the journal before it is returned. */
  dealing(epoch: string, dealer: string, pubMsg: string, privMsg: string): Promise<string | null>;
  /** As dealer: a player's ack. */
  ack(epoch: string, player: string, ack: string): Promise<void>;
  /** As dealer: finalizes and returns the signed log (null once the log is stored). */
  finalizeLog(): Promise<string | null>;
  /** A signed dealer log "from the chain": checked against the round and appended. */
  log(epoch: string, signedLog: string): Promise<void>;
  /** Finalizes the epoch (Output, Share → next epoch state) unless done, then prunes. */
  finish(epoch: string): Promise<void>;
  /** The acks the player holds (regenerated from stored dealings after a restart), per dealer. */
  heldAcks(): Promise<Record<string, string>>;
  final(): Promise<{ epoch: string; output: string | null; share: string | null }>;
}

export const ceremonyKeys = (n: number) => {
  const sks = Array.from({ length: n }, (_, i) => ed25519FromSeed(i));
  return { sks, pks: sks.map((k) => ed25519PublicKey(k)) };
};

/** A ceremony node (same protocol steps as {@link runCeremony}) on its own journal backend. */
export class CeremonyParticipant implements WireNode {
  private readonly sk: Ed25519PrivateKey;
  private readonly pks: Ed25519PublicKey[];
  readonly storage: Storage;
  private info: Info<unknown> | null = null;
  private dealer: Dealer | null = null;
  private player: Player | null = null;
  private epoch = -1n;

  constructor(
    index: number,
    n: number,
    backend: JournalBackend,
    keyring: Keyring,
    private readonly maxRead: number,
    metrics?: Metrics,
  ) {
    const { sks, pks } = ceremonyKeys(n);
    this.sk = sks[index]!;
    this.pks = pks;
    this.storage = new Storage({ backend, keyring, owner: pks[index]!, metrics });
  }

  get pk(): Ed25519PublicKey {
    return ed25519PublicKey(this.sk);
  }

  private round(epoch: string): { e: bigint; info: Info<unknown> } {
    const e = BigInt(epoch);
    if (e !== this.epoch || !this.info) throw new Error(`node is at epoch ${this.epoch}, not ${epoch}`);
    return { e, info: this.info };
  }

  async genesis(): Promise<void> {
    if (!(await this.storage.epoch())) await this.storage.appendEpoch(0n, { round: 0n, rngSeed: seedFor(this.pk, 0n), output: null, share: null });
  }

  async boot(): Promise<string> {
    const st = await this.storage.epoch();
    if (!st) throw new Error('node has no epoch state');
    this.epoch = st.epoch;
    this.info = Info.new({ variant: MinSig, namespace: NAMESPACE, round: st.round, previous: st.output, dealers: this.pks, players: this.pks });
    this.dealer = await this.storage.createDealer(st.epoch, this.sk, this.info, st.share, st.rngSeed);
    this.player = await this.storage.createPlayer(st.epoch, this.sk, this.info);
    return String(st.epoch);
  }

  async shares() {
    return (this.dealer?.sharesToDistribute() ?? []).map((s) => ({ player: toHex(s.player), pubMsg: toHex(s.pubMsg.bytes()), privMsg: toHex(s.privMsg.encode()) }));
  }

  async dealing(epoch: string, dealer: string, pubMsg: string, privMsg: string): Promise<string | null> {
    const { e } = this.round(epoch);
    const pub = DealerPubMsg.decode(Buffer.from(pubMsg, 'hex'), MinSig, this.maxRead);
    const ack = await this.player!.handle(this.storage, e, Buffer.from(dealer, 'hex'), pub, DealerPrivMsg.decode(Buffer.from(privMsg, 'hex')));
    return ack ? toHex(ack.encode()) : null;
  }

  async ack(epoch: string, player: string, ack: string): Promise<void> {
    const { e } = this.round(epoch);
    await this.dealer?.handle(this.storage, e, Buffer.from(player, 'hex'), PlayerAck.decode(Buffer.from(ack, 'hex')));
  }

  async finalizeLog(): Promise<string | null> {
    this.dealer?.finalize();
    const l = this.dealer?.finalized();
    return l ? toHex(l.encode()) : null;
  }

  async log(epoch: string, signedLog: string): Promise<void> {
    const { e, info } = this.round(epoch);
    const checked = (SignedDealerLog.decode(Buffer.from(signedLog, 'hex'), MinSig, this.maxRead) as SignedDealerLog<unknown>).check(info);
    if (checked) await this.storage.appendLog(e, checked.dealer, checked.log);
  }

  async finish(epoch: string): Promise<void> {
    const e = BigInt(epoch);
    const st = (await this.storage.epoch())!;
    if (st.epoch === e) {
      this.round(epoch);
      const { output, share } = this.player!.finalize(await this.storage.logs(e));
      await this.storage.appendEpoch(e + 1n, { round: st.round + 1n, rngSeed: seedFor(this.pk, e + 1n), output, share });
    }
    if (e > 0n) await this.storage.prune(e);
  }

  async heldAcks(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const d of this.pks) {
      const a = this.player?.ackFor(d);
      if (a) out[toHex(d)] = toHex(a.encode());
    }
    return out;
  }

  async final() {
    const st = (await this.storage.epoch())!;
    return { epoch: String(st.epoch), output: st.output ? toHex(st.output.bytes()) : null, share: st.share ? toHex(encodeShare(st.share)) : null };
  }
}

export interface WireCeremonyResult {
  finals: CeremonyResult['finals'];
  /** Acks node 0 returned (and held again after each restart), per "epoch/dealer". */
  acksSent: Map<string, string[]>;
  restarts: number;
}

/**
 * {@link runCeremony}'s phases over {@link WireNode}s. A call to node 0 that rejects with
 * {@link Crashed} (its process died) makes `restart` bring up a new node 0 from its journal; the
 * phase then runs again (phases are idempotent).
 */
export async function runWireCeremony(nodes: WireNode[], opts: { epochs: number; restart(): Promise<WireNode> }): Promise<WireCeremonyResult> {
  const { pks } = ceremonyKeys(nodes.length);
  const ids = pks.map((p) => toHex(p));
  const acksSent = new Map<string, string[]>();
  const record = (e: bigint, dealer: string, ack: string) => {
    const k = `${e}/${dealer}`;
    acksSent.set(k, [...(acksSent.get(k) ?? []), ack]);
  };
  const epochOf = new Map<number, bigint>();
  const chain = new Map<string, string>();
  let restarts = 0;
  let cur = 0n;
  /** Restarts node 0 (again if it dies while booting). */
  const recover = async () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      restarts++;
      epochOf.delete(0);
      try {
        nodes[0] = await opts.restart();
        // What the restarted player would send again: acks regenerated from the stored dealings.
        const e = BigInt(await nodes[0].boot());
        epochOf.set(0, e);
        if (e === cur) for (const [d, a] of Object.entries(await nodes[0].heldAcks())) record(e, d, a);
        return;
      } catch (err) {
        if (!(err instanceof Crashed)) throw err;
      }
    }
    throw new Error('node 0 keeps crashing on restart');
  };
  const phase = async (run: () => Promise<void>) => {
    for (let attempt = 0; attempt < 30; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof Crashed)) throw err;
        await recover();
      }
    }
    throw new Error('too many crashes in one phase');
  };

  for (let i = 0; i < nodes.length; i++) await phase(() => nodes[i]!.genesis());
  for (let e = 0n; e < BigInt(opts.epochs); e++) {
    cur = e;
    await phase(async () => {
      for (let i = 0; i < nodes.length; i++) if (epochOf.get(i) !== e) epochOf.set(i, BigInt(await nodes[i]!.boot()));
    });
    await phase(async () => {
      for (let round = 0; round < 5; round++) {
        let pending = 0;
        for (let d = 0; d < nodes.length; d++) {
          for (const s of await nodes[d]!.shares()) {
            pending++;
            const p = ids.indexOf(s.player);
            const ack = await nodes[p]!.dealing(String(e), ids[d]!, s.pubMsg, s.privMsg);
            if (p === 0 && ack) record(e, ids[d]!, ack);
            if (ack) await nodes[d]!.ack(String(e), s.player, ack);
          }
        }
        if (pending === 0) return;
      }
      throw new Error('dealings not all acked');
    });
    await phase(async () => {
      for (let d = 0; d < nodes.length; d++) {
        const l = await nodes[d]!.finalizeLog();
        if (l && !chain.has(`${e}/${d}`)) chain.set(`${e}/${d}`, l);
      }
      for (let d = 0; d < nodes.length; d++) {
        const signed = chain.get(`${e}/${d}`);
        if (signed) for (const node of nodes) await node.log(String(e), signed);
      }
    });
    await phase(async () => {
      for (const node of nodes) await node.finish(String(e));
    });
  }
  const finals: CeremonyResult['finals'] = {};
  for (let i = 0; i < nodes.length; i++) finals[ids[i]!] = await nodes[i]!.final();
  return { finals, acksSent, restarts };
}
