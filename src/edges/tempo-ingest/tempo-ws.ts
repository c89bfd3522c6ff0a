/**
 * Ingest from a Tempo node: WebSocket JSON-RPC `consensus_subscribe` → finalization records for
 * `consensus.finalizations`.
 *
 * Invariants:
 * - Records reach the sink in ascending height order, each height at most once per ingest
 *   instance (`resumeAfterHeight` carries this across restarts: the runner passes the last
 *   height already in the topic).
 * - No boundary is lost: when the stream jumps past one or more epoch boundaries this instance
 *   has not seen (reconnect, lag, restart), each missing boundary `last(e)` is fetched with
 *   `consensus_getFinalization({"height": last(e)})` and handed to the sink before the event
 *   that revealed the gap. The follower needs every boundary for the chain of trust; ordinary
 *   blocks in between are optional.
 * - The node's `epoch`, `view` and `digest` fields are not trusted; the header is re-encoded
 *   (RLP) and the certificate kept as bytes, so the follower verifies everything itself.
 * - Malformed events are reported to `sink.reject` with the raw text and the reason and never
 *   stop the stream. Reconnects back off exponentially (with jitter) up to `maxBackoffMs`,
 *   resetting after a successful subscription.
 */
import WebSocket from 'ws';
import { logger } from '../../runtime/log.ts';
import type { FixedEpocher } from '../../tempo/epocher.ts';
import { encodeTempoHeader } from '../../tempo/header.ts';
import { type CertifiedBlock, finalizationQueryParams, parseCertifiedBlock, parseConsensusEvent, RPC_EVENT_NOTIFICATION, RPC_GET_FINALIZATION, RPC_SUBSCRIBE, RpcShapeError } from '../../tempo/rpc.ts';

/** A finalization ready for `consensus.finalizations` (Avro `Finalization`, header as RLP). */
export interface IngestedFinalization {
  height: bigint;
  /** floor(height / L): the record key (partition by epoch). */
  epoch: bigint;
  certificate: Uint8Array;
  headerRlp: Uint8Array;
  source: string;
  receivedAtMs: number;
  /** How it arrived: live subscription or boundary backfill. */
  via: 'subscribe' | 'backfill';
}

export interface IngestSink {
  /** Must be durable (e.g. produced and acknowledged) before it resolves. */
  append(record: IngestedFinalization): Promise<void>;
  /** An event that cannot be used; goes to the DLQ with its reason. */
  reject(raw: string, reason: string, errorClass: string): Promise<void>;
}

export interface TempoWsIngestOptions {
  url: string;
  epocher: FixedEpocher;
  sink: IngestSink;
  /** Heights up to and including this one are already ingested (undefined: nothing yet). */
  resumeAfterHeight?: bigint;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
}

export interface IngestStats {
  connects: number;
  appended: number;
  backfilled: number;
  duplicates: number;
  skipped: number;
  rejected: number;
}

/** Largest RPC message accepted from the node (docs/decoding.md). */
export const MAX_RPC_MESSAGE_BYTES = 16 * 1024 * 1024;

const log = logger('ingest.tempo-ws');

export class TempoWsIngest {
  readonly stats: IngestStats = { connects: 0, appended: 0, backfilled: 0, duplicates: 0, skipped: 0, rejected: 0 };
  private lastHeight: bigint | undefined;
  private socket: WebSocket | undefined;
  private stopped = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  /** Events are handled strictly one after another (backfills are awaited in between). */
  private chain: Promise<void> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: TempoWsIngestOptions) {
    this.lastHeight = opts.resumeAfterHeight;
  }

  /** Highest height handed to the sink so far. */
  get height(): bigint | undefined {
    return this.lastHeight;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Closes the connection and waits until queued events are handled. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.socket?.close();
    await this.loop;
    await this.chain;
  }

  private async run(): Promise<void> {
    const initial = this.opts.initialBackoffMs ?? 200;
    const max = this.opts.maxBackoffMs ?? 30_000;
    let backoff = initial;
    while (!this.stopped) {
      const subscribed = await this.connectOnce().catch((err: Error) => {
        log.warn({ url: this.opts.url, err: err.message }, 'consensus subscription failed');
        return false;
      });
      if (this.stopped) break;
      backoff = subscribed ? initial : Math.min(max, backoff * 2);
      const delay = Math.round(backoff * (0.5 + Math.random() / 2));
      log.info({ url: this.opts.url, delayMs: delay }, 'reconnecting');
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.wake = () => (clearTimeout(t), r());
      });
    }
  }

  /** One connection's life; resolves when it closes. True when it got as far as subscribing. */
  private connectOnce(): Promise<boolean> {
    return new Promise((resolve, reject) => {
      // maxPayload: a frame is parsed whole, so bound it (ws' default is 100 MiB). Nothing larger
      // could become a record: values are bounded by the serde's 4 MiB, hex doubles that.
      const ws = new WebSocket(this.opts.url, { handshakeTimeout: 10_000, maxPayload: MAX_RPC_MESSAGE_BYTES });
      this.socket = ws;
      let subscription: unknown;
      let subscribed = false;
      let subscribeRequest = -1;
      ws.on('open', () => {
        this.stats.connects++;
        subscribeRequest = this.nextId;
        this.request(RPC_SUBSCRIBE, [])
          .then((id) => log.info({ url: this.opts.url, subscription: id, after: this.lastHeight?.toString() }, 'subscribed'))
          .catch((err: Error) => {
            log.warn({ err: err.message }, 'consensus_subscribe refused');
            ws.close();
          });
      });
      ws.on('message', (data) => {
        const text = data.toString();
        let msg: { id?: number; result?: unknown; error?: { message?: string }; method?: string; params?: { subscription?: unknown; result?: unknown } };
        try {
          msg = JSON.parse(text);
        } catch {
          this.enqueue(() => this.reject(text, 'not JSON', 'MalformedEvent'));
          return;
        }
        // The subscription id must be known before the next frame is handled: the node sends
        // notifications right behind the reply, often in the same read.
        if (msg.id === subscribeRequest && !msg.error) {
          subscription = msg.result;
          subscribed = true;
        }
        if (typeof msg.id === 'number' && this.pending.has(msg.id)) {
          const p = this.pending.get(msg.id)!;
          this.pending.delete(msg.id);
          clearTimeout(p.timer);
          if (msg.error) p.reject(new Error(`RPC error: ${msg.error.message ?? JSON.stringify(msg.error)}`));
          else p.resolve(msg.result);
          return;
        }
        if (msg.method === RPC_EVENT_NOTIFICATION && msg.params && msg.params.subscription === subscription) {
          const event = msg.params.result;
          this.enqueue(() => this.onEvent(event, text));
        }
      });
      ws.on('error', (err) => {
        if (!subscribed) reject(err);
      });
      ws.on('close', () => {
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new Error('connection closed'));
          this.pending.delete(id);
        }
        // Let queued events finish before reporting the connection as gone.
        this.chain.then(
          () => resolve(subscribed),
          () => resolve(subscribed),
        );
      });
    });
  }

  private request(method: string, params: unknown[]): Promise<unknown> {
    const ws = this.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, this.opts.requestTimeoutMs ?? 10_000);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((err: Error) => {
      // A sink failure must not be swallowed: drop the connection so we resume from lastHeight.
      log.error({ err: err.message }, 'ingest step failed; reconnecting');
      this.socket?.terminate();
    });
  }

  private async reject(raw: string, reason: string, errorClass: string): Promise<void> {
    this.stats.rejected++;
    await this.opts.sink.reject(raw, reason, errorClass);
  }

  private async onEvent(event: unknown, raw: string): Promise<void> {
    let parsed;
    try {
      parsed = parseConsensusEvent(event);
    } catch (err) {
      const e = err as Error;
      await this.reject(raw, e.message, e instanceof RpcShapeError ? 'MalformedEvent' : e.name);
      return;
    }
    if (parsed.type !== 'finalized') {
      this.stats.skipped++;
      return;
    }
    const height = parsed.block.header.inner.number;
    if (this.lastHeight !== undefined && height <= this.lastHeight) {
      this.stats.duplicates++;
      return;
    }
    await this.backfillBoundariesBefore(height);
    await this.append(parsed, 'subscribe');
  }

  /** Fetches every boundary strictly between the last ingested height and `height`. */
  private async backfillBoundariesBefore(height: bigint): Promise<void> {
    const { epocher } = this.opts;
    const target = epocher.containing(height);
    if (!target) return;
    const fromEpoch = this.lastHeight === undefined ? target.epoch : epocher.containing(this.lastHeight)!.epoch;
    for (let e = fromEpoch; e < target.epoch; e++) {
      const boundary = epocher.last(e)!;
      if (this.lastHeight !== undefined && boundary <= this.lastHeight) continue;
      const result = await this.request(RPC_GET_FINALIZATION, finalizationQueryParams({ height: boundary }));
      let block: CertifiedBlock;
      try {
        block = parseCertifiedBlock(result);
      } catch (err) {
        await this.reject(JSON.stringify(result), `backfill of boundary ${boundary}: ${(err as Error).message}`, 'MalformedEvent');
        continue;
      }
      if (block.block.header.inner.number !== boundary) {
        await this.reject(JSON.stringify(result), `asked for height ${boundary}, node answered height ${block.block.header.inner.number}`, 'BackfillMismatch');
        continue;
      }
      await this.append(block, 'backfill');
    }
  }

  private async append(block: CertifiedBlock, via: IngestedFinalization['via']): Promise<void> {
    const height = block.block.header.inner.number;
    await this.opts.sink.append({
      height,
      epoch: this.opts.epocher.containing(height)!.epoch,
      certificate: block.certificate,
      headerRlp: encodeTempoHeader(block.block.header),
      source: this.opts.url,
      receivedAtMs: Date.now(),
      via,
    });
    this.lastHeight = height;
    if (via === 'backfill') this.stats.backfilled++;
    else this.stats.appended++;
  }
}
