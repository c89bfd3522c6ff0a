/**
 * The `dkg-journal` processor: folds every node's DKG journal (`dkg.events`) and epoch states
 * (`dkg.states`) into the `journal` and `states` stores with upstream `Storage` semantics
 * (commonware `examples/reshare/src/dkg/state.rs`, v0.0.64):
 *
 * - **first writer wins** per (owner, epoch, kind, participant): a later Dealing/Ack/Log for the
 *   same slot is not re-applied; it is counted as a duplicate (`dkg_stream_journal_events_total{outcome=
 *   "duplicate"}`) and logged — upstream's `append_*` returning false;
 * - results come back in participant byte order (the store keys sort like upstream's BTreeMaps);
 * - a state per (owner, epoch); the current epoch is the owner's highest (upstream: the last one
 *   appended — the participant appends them in epoch order);
 * - **Prune** (upstream `prune(min)`, min = the record's epoch) deletes the owner's entries of
 *   older epochs from both stores; the deletes are changelog tombstones, so compaction removes
 *   them from the changelogs too. It raises the owner's floor; later events or states below the
 *   floor are ignored (upstream cannot append to a pruned section). Because deletion happens
 *   whichever of prune and event comes first, the stores end the same for any interleaving of
 *   the two input topics — the fold is replay-deterministic.
 *
 * Bad input (item 5): every record is validated before it can touch the stores.
 *   → DLQ (error class in `dlq.error.class`, counted in `dkg_stream_journal_rejected_total{reason}`):
 *     undecodable Avro (`WireFormatError`, `UnknownSchemaId`, `AvroDecodeError`, `OversizePayload`),
 *     a key that is not the value's 8-byte epoch (`EpochKeyMismatch`), bad structure or key sizes
 *     (`MalformedEvent`), commonware bytes that do not decode (`MalformedPayload`), messages beyond
 *     `max_read_size` (`OversizeMessage`), secrets that fail AES-GCM authentication
 *     (`AuthenticationFailed`, `UnknownKeyId`).
 *   → ignored with a metric (`dkg_stream_journal_ignored_total{reason}`), as upstream would not store
 *     them: events/states of pruned epochs (`pruned-epoch`), acks whose signature does not verify
 *     over their digest (`bad-ack-signature`) or whose digest is not the epoch's first one
 *     (`ack-digest-mismatch`).
 * Secrets are opened only to authenticate and validate them, then the plaintext is zeroed; the
 * stores keep the sealed form.
 */
import { CodecError, InvalidLength } from '../../codec/errors.ts';
import { quorum, Reader } from '../../codec/index.ts';
import { MinSig } from '../../crypto/bls12381/index.ts';
import { decodeShare } from '../../crypto/bls12381/share.ts';
import { checkMax, DealerLog, DealerPrivMsg, DealerPubMsg, type DkgVariant, Output, PlayerAck, verifyDigest } from '../../crypto/dkg/index.ts';
import { decodeEd25519PublicKey } from '../../crypto/ed25519.ts';
import { logger } from '../../runtime/log.ts';
import type { CountContext, InRecord, KeyValueStore, ProcessorContext, ProcessorDef } from '../../runtime/processor.ts';
import type { Keyring, SealContext, Sealed } from '../../state/seal.ts';
import { EpochKeyMismatch, eventFromAvro, type JournalEvent, MalformedEvent, privMsgContext } from '../../topics/dkg-events.ts';
import { type EpochStateRecord, rngSeedContext, shareContext, stateFromAvro } from '../../topics/dkg-states.ts';
import { epochOfKey } from '../../topics/epoch-key.ts';
import { PROCESSOR_NAMES, STORES, TOPICS } from '../../topics/names.ts';
import { belowRange, decodeFloor, digestKey, encodeAck, encodeDealing, encodeFloor, encodeLog, encodeState, floorKey, journalKey, stateKey } from './stores.ts';

const log = logger('dkg-journal');

/** commonware bytes in a journal record that do not decode (codec error kind in the message). */
export class MalformedPayload extends Error {
  override name = 'MalformedPayload';
}
/** A message whose element counts exceed `max_read_size` (upstream `InvalidLength`). */
export class OversizeMessage extends Error {
  override name = 'OversizeMessage';
}

/** The part of {@link AvroSerde} the processor needs (decode with a reader schema). */
export interface ValueDecoder {
  decode(payload: Uint8Array | null, reader?: string): Promise<{ value: unknown }>;
}

export interface JournalProcessorOptions {
  /** Broker names of the inputs (prefixed); default the logical names. */
  eventsTopic?: string;
  statesTopic?: string;
  serde: ValueDecoder;
  keyring: Keyring;
  /** Upstream `max_read_size` (NonZeroU32): bound of every count in the commonware decoders. */
  maxReadSize: number;
  /** BLS variant of commitments and outputs (default MinSig, as the reshare example). */
  variant?: DkgVariant<unknown>;
  name?: string;
}

export type JournalInput = { topic: 'events'; event: JournalEvent } | { topic: 'states'; state: EpochStateRecord };

export const JOURNAL_METRICS = {
  events: 'dkg_stream_journal_events_total',
  ignored: 'dkg_stream_journal_ignored_total',
  rejected: 'dkg_stream_journal_rejected_total',
  pruned: 'dkg_stream_journal_pruned_entries_total',
} as const;

export function dkgJournalProcessor(opts: JournalProcessorOptions): ProcessorDef<JournalInput> {
  const eventsTopic = opts.eventsTopic ?? TOPICS.dkgEvents;
  const statesTopic = opts.statesTopic ?? TOPICS.dkgStates;
  const variant = opts.variant ?? (MinSig as DkgVariant<unknown>);
  const max = checkMax(opts.maxReadSize);
  const name = opts.name ?? PROCESSOR_NAMES.dkgJournal;

  // Counters go through the context: counted once, when the record's transaction commits.
  const count = (ctx: CountContext, kind: string, outcome: string) =>
    ctx.count(JOURNAL_METRICS.events, 'Journal events and states folded, by kind and outcome (applied, duplicate, ignored)', { kind, outcome });
  const ignore = (ctx: CountContext, kind: string, reason: string, detail: Record<string, unknown>) => {
    ctx.count(JOURNAL_METRICS.ignored, 'Journal records ignored as upstream would (pruned epoch, bad ack signature, ack digest mismatch)', { reason });
    count(ctx, kind, 'ignored');
    log.info({ kind, reason, ...detail }, 'journal record ignored');
  };

  /** Decodes commonware bytes, mapping codec errors to MalformedPayload / OversizeMessage. */
  const parse = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof InvalidLength) throw new OversizeMessage(`${what}: ${err.message} (max_read_size ${max})`);
      if (err instanceof CodecError) throw new MalformedPayload(`${what}: ${err.kind}: ${err.message}`);
      if (err instanceof RangeError) throw new MalformedPayload(`${what}: ${err.message}`);
      throw err;
    }
  };

  /**
   * Work bound: a commitment (DealerPubMsg, a DealerLog's, an Output's public polynomial) has
   * quorum(n) coefficients for a round of n players (degree = threshold − 1), and n ≤ max, so
   * more than quorum(max) can never be valid. The count prefix is checked before any point is
   * decompressed (~0.6 ms of CPU per G2 point with mcl, ~4 ms with noble): with max 1024 a
   * record costs at most 683 decompressions instead of 1024 (docs/decoding.md).
   */
  const maxCoefficients = quorum(max);
  const checkCoefficients = (what: string, bytes: Uint8Array, offset: number): void => {
    let n: number;
    try {
      n = new Reader(bytes, Math.min(offset, bytes.length)).varU32();
    } catch {
      return; // truncated or not a varint: the decoder itself reports it
    }
    if (n > maxCoefficients) throw new OversizeMessage(`${what}: commitment of ${n} coefficients, more than quorum(max_read_size ${max}) = ${maxCoefficients}`);
  };
  /** Offset of an Output's coefficient count: summary (32), sharing mode (1), total (u32). */
  const OUTPUT_COEFFICIENTS_AT = 32 + 1 + 4;

  /** Authenticates a secret and runs `check` on the plaintext, which is zeroed afterwards. */
  const openAndCheck = (sealed: Sealed, ctx: SealContext, check: (plain: Buffer) => void): void => {
    const plain = opts.keyring.open(sealed, ctx);
    try {
      check(plain);
    } finally {
      plain.fill(0);
    }
  };

  const checkKey = (record: InRecord, epoch: bigint) => {
    const k = epochOfKey(record.key);
    if (k === undefined) throw new EpochKeyMismatch(`record key must be the 8-byte epoch, got ${record.key?.length ?? 'null'} bytes`);
    if (k !== epoch) throw new EpochKeyMismatch(`record key is epoch ${k}, value is epoch ${epoch}`);
  };

  const validateEvent = (e: JournalEvent) => {
    parse('owner', () => decodeEd25519PublicKey(e.owner));
    switch (e.kind) {
      case 'dealing':
        parse('dealer', () => decodeEd25519PublicKey(e.dealer));
        checkCoefficients('DealerPubMsg', e.pubMsg, 0);
        parse('DealerPubMsg', () => DealerPubMsg.decode(e.pubMsg, variant, max));
        openAndCheck(e.privMsg, privMsgContext(e.epoch, e.owner), (p) => void parse('DealerPrivMsg', () => DealerPrivMsg.decode(p)));
        return;
      case 'ack':
        parse('player', () => decodeEd25519PublicKey(e.player));
        parse('PlayerAck', () => PlayerAck.decode(e.ack));
        return;
      case 'log':
        parse('dealer', () => decodeEd25519PublicKey(e.dealer));
        checkCoefficients('DealerLog', e.log, 0);
        parse('DealerLog', () => DealerLog.decode(e.log, variant, max));
        return;
      case 'prune':
        return;
    }
  };

  const validateState = (s: EpochStateRecord) => {
    parse('owner', () => decodeEd25519PublicKey(s.owner));
    openAndCheck(s.rngSeed, rngSeedContext(s.epoch, s.owner), (p) => {
      if (p.length !== 32) throw new MalformedPayload(`rng seed must be a 32-byte Summary, got ${p.length} bytes`);
    });
    if (s.output) {
      checkCoefficients('Output', s.output, OUTPUT_COEFFICIENTS_AT);
      parse('Output', () => Output.decode(s.output!, variant, max));
    }
    if (s.share) openAndCheck(s.share, shareContext(s.epoch, s.owner), (p) => void parse('Share', () => decodeShare(p)));
  };

  const floorOf = async (journal: KeyValueStore, owner: Buffer): Promise<bigint> => {
    const f = await journal.get(floorKey(owner));
    return f ? decodeFloor(f) : 0n;
  };

  /** Deletes the owner's entries below `min` in `store`; returns how many. */
  const pruneStore = async (store: KeyValueStore, owner: Buffer, min: bigint): Promise<number> => {
    const keys: Buffer[] = [];
    for await (const [k] of store.range(belowRange(owner, min))) keys.push(k);
    for (const k of keys) store.delete(k);
    return keys.length;
  };

  const applyEvent = async (ctx: ProcessorContext, e: JournalEvent) => {
    const journal = ctx.store(STORES.journal);
    const floor = await floorOf(journal, e.owner);
    if (e.kind === 'prune') {
      if (e.epoch <= floor) return ignore(ctx, 'prune', 'already-pruned', { epoch: String(e.epoch), floor: String(floor) });
      journal.put(floorKey(e.owner), encodeFloor(e.epoch));
      const n = (await pruneStore(journal, e.owner, e.epoch)) + (await pruneStore(ctx.store(STORES.states), e.owner, e.epoch));
      ctx.count(JOURNAL_METRICS.pruned, 'Store entries deleted by prune (tombstoned in the changelogs)', {}, n);
      count(ctx, 'prune', 'applied');
      return;
    }
    if (e.epoch < floor) return ignore(ctx, e.kind, 'pruned-epoch', { epoch: String(e.epoch), floor: String(floor) });
    const participant = e.kind === 'ack' ? e.player : e.dealer;
    const key = journalKey(e.owner, e.epoch, e.kind, participant);
    if ((await journal.get(key)) !== undefined) {
      count(ctx, e.kind, 'duplicate');
      log.info({ kind: e.kind, epoch: String(e.epoch), owner: e.owner.toString('hex'), participant: participant.toString('hex') }, 'duplicate journal event not re-applied (first writer wins)');
      return;
    }
    switch (e.kind) {
      case 'dealing':
        journal.put(key, encodeDealing({ pubMsg: e.pubMsg, privMsg: e.privMsg }));
        break;
      case 'ack': {
        if (e.digest) {
          if (!verifyDigest(e.player, e.digest, e.ack)) return ignore(ctx, 'ack', 'bad-ack-signature', { epoch: String(e.epoch), player: e.player.toString('hex') });
          const dk = digestKey(e.owner, e.epoch);
          const stored = await journal.get(dk);
          if (stored && !stored.equals(e.digest)) return ignore(ctx, 'ack', 'ack-digest-mismatch', { epoch: String(e.epoch), player: e.player.toString('hex') });
          if (!stored) journal.put(dk, e.digest);
        }
        journal.put(key, encodeAck(e.ack));
        break;
      }
      case 'log':
        journal.put(key, encodeLog({ log: e.log, source: e.source }));
        break;
    }
    count(ctx, e.kind, 'applied');
  };

  const applyState = async (ctx: ProcessorContext, s: EpochStateRecord) => {
    const floor = await floorOf(ctx.store(STORES.journal), s.owner);
    if (s.epoch < floor) return ignore(ctx, 'state', 'pruned-epoch', { epoch: String(s.epoch), floor: String(floor) });
    const states = ctx.store(STORES.states);
    const key = stateKey(s.owner, s.epoch);
    if ((await states.get(key)) !== undefined) {
      count(ctx, 'state', 'duplicate');
      log.info({ epoch: String(s.epoch), owner: s.owner.toString('hex') }, 'duplicate epoch state not re-applied (first writer wins)');
      return;
    }
    states.put(key, encodeState({ round: s.round, rngSeed: s.rngSeed, output: s.output, share: s.share }));
    count(ctx, 'state', 'applied');
  };

  return {
    name,
    inputs: [eventsTopic, statesTopic],
    outputs: [],
    stores: [STORES.journal, STORES.states],
    async decode(record): Promise<JournalInput> {
      if (record.topic === eventsTopic) {
        const { value } = await opts.serde.decode(record.value, 'dkg-event');
        const event = eventFromAvro(value);
        checkKey(record, event.epoch);
        validateEvent(event);
        return { topic: 'events', event };
      }
      if (record.topic === statesTopic) {
        const { value } = await opts.serde.decode(record.value, 'epoch-state');
        const state = stateFromAvro(value);
        checkKey(record, state.epoch);
        validateState(state);
        return { topic: 'states', state };
      }
      throw new MalformedEvent(`unexpected topic ${record.topic}`);
    },
    async process(ctx, input) {
      if (input.topic === 'events') await applyEvent(ctx, input.event);
      else await applyState(ctx, input.state);
    },
    deadLettered(ctx, _record, err) {
      ctx.count(JOURNAL_METRICS.rejected, 'Journal records sent to the DLQ, by error class', { reason: err instanceof Error ? err.name : 'Error' });
    },
  };
}

export { EpochKeyMismatch, MalformedEvent };
