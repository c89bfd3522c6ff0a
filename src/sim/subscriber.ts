/**
 * A downstream subscriber, as another service would write one: it reads the follower's public
 * outputs only — the compacted `epochs` topic and `finalizations.verified` — learns each
 * epoch's scheme from `SchemeRegistered`, and **independently re-verifies** every verified
 * finalization with it (keccak(header RLP) = certificate payload, epoch = ⌊height / L⌋, both
 * threshold signatures under the learned identity, identity = the one the follower used). It
 * prints one line per epoch once every height of the epoch has been re-verified.
 *
 * It also counts what "exactly once" means downstream: SchemeRegistered / EpochAdvanced per
 * epoch and verified records per height (read_committed, so aborted transactions of a killed
 * follower never show).
 */
import { equalBytes } from '../codec/bytes.ts';
import type { KafkaPort, ReadHandle } from '../runtime/kafka/port.ts';
import { FixedEpocher } from '../tempo/epocher.ts';
import { decodeFinalization } from '../tempo/finalization.ts';
import { decodeTempoHeader, tempoHeaderHash } from '../tempo/header.ts';
import { bytesToHex } from '../tempo/hex.ts';
import { type PreparedIdentity, prepareIdentity, verifyFinalization } from '../tempo/verify.ts';
import type { TopicCodecs } from '../topics/codecs.ts';
import type { EpochEvent, Observation } from '../topics/epochs.ts';
import type { VerifiedRecord } from '../topics/finalizations-verified.ts';

export interface SubscriberOptions {
  port: KafkaPort;
  codec: TopicCodecs;
  epochsTopic: string;
  verifiedTopic: string;
  epochLength: bigint;
  /** A line per completed epoch (and per problem). */
  onLine?: (line: string) => void;
}

export interface SubscriberEpoch {
  epoch: bigint;
  /** SchemeRegistered records seen for this epoch (1 = exactly once). */
  schemes: number;
  identity: Uint8Array | null;
  outcome: Uint8Array | null;
  schemeSource: string | null;
  /** EpochAdvanced records into this epoch. */
  advances: number;
  isFullDkg: boolean | null;
  players: number | null;
  /** The follower's observation (dealer logs on chain → observe vs the boundary outcome) of the advance into this epoch. */
  observation: Observation | null;
  /** Verified records of this epoch, distinct heights, duplicates. */
  verified: number;
  heights: Set<bigint>;
  duplicates: number;
  reverified: number;
  failures: string[];
  complete: boolean;
}

const short = (b: Uint8Array | null) => (b ? bytesToHex(b).slice(0, 12) : '-');

export class Subscriber {
  readonly epochs = new Map<bigint, SubscriberEpoch>();
  private readonly epocher: FixedEpocher;
  private readonly waiting = new Map<bigint, VerifiedRecord[]>();
  private readonly prepared = new Map<bigint, PreparedIdentity>();
  private readonly handles: ReadHandle[] = [];
  private readonly listeners = new Set<() => void>();
  problems: string[] = [];

  constructor(private readonly opts: SubscriberOptions) {
    this.epocher = new FixedEpocher(opts.epochLength);
  }

  epoch(e: bigint): SubscriberEpoch {
    let v = this.epochs.get(e);
    if (!v) {
      v = {
        epoch: e,
        schemes: 0,
        identity: null,
        outcome: null,
        schemeSource: null,
        advances: 0,
        isFullDkg: null,
        players: null,
        observation: null,
        verified: 0,
        heights: new Set(),
        duplicates: 0,
        reverified: 0,
        failures: [],
        complete: false,
      };
      this.epochs.set(e, v);
    }
    return v;
  }

  /** Reads both topics from their beginning and keeps tailing until stop(). */
  async start(): Promise<void> {
    const admin = await this.opts.port.admin();
    const from = async (topic: string) => new Map((await admin.offsets(topic)).map((m) => [m.partition, m.low]));
    const epochsFrom = await from(this.opts.epochsTopic);
    const verifiedFrom = await from(this.opts.verifiedTopic);
    this.handles.push(
      await this.opts.port.read({
        topic: this.opts.epochsTopic,
        from: epochsFrom,
        onRecords: async (_p, records) => {
          for (const r of records) this.onEpochEvent(await this.opts.codec.decodeEpochEvent(r.value));
          this.notify();
        },
      }),
    );
    this.handles.push(
      await this.opts.port.read({
        topic: this.opts.verifiedTopic,
        from: verifiedFrom,
        onRecords: async (_p, records) => {
          for (const r of records) this.onVerified(await this.opts.codec.decodeVerified(r.value));
          this.notify();
        },
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.handles.splice(0).map((h) => h.stop()));
  }

  /** Resolves when `pred()` holds (checked after every batch), or rejects after `timeoutMs`. */
  waitUntil(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`subscriber: timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!pred()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
    });
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private onEpochEvent(ev: EpochEvent): void {
    const v = this.epoch(ev.epoch);
    if (ev.type === 'SchemeRegistered') {
      v.schemes++;
      if (v.identity && !equalBytes(v.identity, ev.identity)) this.problem(`epoch ${ev.epoch}: a second SchemeRegistered with a different identity`);
      v.identity ??= new Uint8Array(ev.identity);
      v.outcome ??= ev.outcome ? new Uint8Array(ev.outcome) : null;
      v.schemeSource ??= ev.source;
      if (!this.prepared.has(ev.epoch)) this.prepared.set(ev.epoch, prepareIdentity(v.identity));
      const parked = this.waiting.get(ev.epoch) ?? [];
      this.waiting.delete(ev.epoch);
      for (const r of parked) this.reverify(r);
    } else {
      v.advances++;
      v.isFullDkg = ev.isFullDkg;
      v.players = ev.players.length;
      v.observation = ev.observation;
    }
    this.maybeComplete(ev.epoch);
    if (ev.epoch > 0n) this.maybeComplete(ev.epoch - 1n);
  }

  private onVerified(r: VerifiedRecord): void {
    const v = this.epoch(r.epoch);
    v.verified++;
    if (v.heights.has(r.height)) {
      v.duplicates++;
      this.problem(`height ${r.height} delivered twice on finalizations.verified`);
      return;
    }
    v.heights.add(r.height);
    if (!this.prepared.has(r.epoch)) {
      const w = this.waiting.get(r.epoch) ?? [];
      w.push(r);
      this.waiting.set(r.epoch, w);
      return;
    }
    this.reverify(r);
    this.maybeComplete(r.epoch);
  }

  /** The independent check: digest, epoch, identity, both signatures. */
  private reverify(r: VerifiedRecord): void {
    const v = this.epoch(r.epoch);
    const fail = (why: string) => {
      v.failures.push(`height ${r.height}: ${why}`);
      this.problem(`epoch ${r.epoch} height ${r.height}: re-verification failed: ${why}`);
    };
    try {
      const fin = decodeFinalization(r.certificate);
      const header = decodeTempoHeader(r.headerRlp);
      if (header.inner.number !== r.height) return fail('header number differs from the record height');
      if (!equalBytes(tempoHeaderHash(header), fin.proposal.payload)) return fail('payload is not keccak(header RLP)');
      if (this.epocher.containing(r.height)?.epoch !== fin.proposal.epoch || fin.proposal.epoch !== r.epoch) return fail('epoch does not match the height');
      if (!equalBytes(v.identity!, r.identity)) return fail('the follower verified it under another identity');
      const res = verifyFinalization(fin, this.prepared.get(r.epoch)!);
      if (!res.valid) return fail(res.reason);
      v.reverified++;
    } catch (err) {
      fail((err as Error).message);
    }
  }

  /** Heights of an epoch that carry a certificate (the genesis, height 0, has none). */
  expectedHeights(e: bigint): number {
    const first = this.epocher.first(e)!;
    const last = this.epocher.last(e)!;
    return Number(last - (first === 0n ? 1n : first) + 1n);
  }

  private maybeComplete(e: bigint): void {
    const v = this.epoch(e);
    if (v.complete || v.reverified + v.failures.length < this.expectedHeights(e) || v.identity === null) return;
    const next = this.epochs.get(e + 1n);
    if (!next || next.advances === 0 || next.identity === null) return;
    v.complete = true;
    const kind = equalBytes(next.identity, v.identity) ? 'reshare, same identity' : 'full DKG, new identity';
    this.opts.onLine?.(
      `subscriber: epoch ${e} scheme ${short(v.identity)} (${v.schemeSource}) — ${v.reverified}/${this.expectedHeights(e)} finalizations re-verified` +
        `${v.failures.length ? `, ${v.failures.length} FAILED` : ''} → epoch ${e + 1n} (${kind}, ${next.players} players, scheme ${short(next.identity)})`,
    );
  }

  private problem(p: string): void {
    this.problems.push(p);
    this.opts.onLine?.(`subscriber: PROBLEM ${p}`);
  }
}
