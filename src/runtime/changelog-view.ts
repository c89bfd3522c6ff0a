/**
 * A processor's state read from another process. {@link ChangelogView} tails the store changelogs
 * of a processor (read_committed) into in-memory read-only stores, one per (store, partition),
 * and {@link ChangelogView.waitForFold} resolves once a record written to an input partition has
 * been folded by whichever instance of the group owns that partition and the view holds the
 * resulting state. This is what a writer needs when the instances that fold its writes run in
 * other processes (the DKG participant with `dkg-stream run` instances elsewhere): the
 * in-process {@link StreamRuntime.waitForFold} only sees its own tasks.
 *
 * It asks only Kafka, never an instance, so it keeps working while instances die, restore and
 * rebalance:
 *  1. the group's committed offset of the input partition passes the record's offset;
 *  2. on every changelog, the view has read (read_committed) an input-position record of the
 *     partition that is past the record's offset. Each unit of work appends its store changes and
 *     then its input position ({@link INPUT_OFFSETS_KEY}) to every changelog of its task in the
 *     transaction that commits its input offsets, so once the view has applied that position
 *     record it has applied the unit's changes before it.
 * Step 2 does not compare the view's position with the changelog's end offset: kafkajs reports
 * the last stable offset there, and the transaction's markers are written after the commit
 * returns, so right after step 1 that offset can still lie before the unit's records (the view
 * then answered from the state before the fold; the short soak found it).
 * A transaction still open on the changelog before the unit's records (a killed instance's) holds
 * read_committed readers back, and so delays step 2, until it is fenced or times out.
 */
import { EventEmitter } from 'node:events';
import type { Bytes, RangeOptions } from '../state/kv.ts';
import { MemoryKV } from '../state/memory.ts';
import { decodeInputOffsets, INPUT_OFFSETS_KEY, type InputOffsets, isDataKey, tpKey, userKeyOf } from '../state/store.ts';
import type { KafkaPort, ReadHandle } from './kafka/port.ts';
import { logger } from './log.ts';
import type { ReadOnlyStore } from './processor.ts';
import { FoldTimeout } from './runtime.ts';

const log = logger('runtime.changelog-view');

export interface ChangelogViewOptions {
  port: KafkaPort;
  /** The processor's consumer group (`<applicationId>-<processor>`). */
  groupId: string;
  /** Store name → its changelog topic. */
  changelogs: ReadonlyMap<string, string>;
  /** How often step 1 asks for the group's committed offsets (default 50 ms). */
  pollMs?: number;
}

export interface FoldTarget {
  topic: string;
  partition: number;
  /** The record's offset: the wait ends once the group's committed position is past it. */
  lastOffset: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ChangelogView {
  /** store → partition → user key → value. */
  private readonly kvs = new Map<string, Map<number, MemoryKV>>();
  /** changelog topic → partition → next offset the view has applied up to (read_committed). */
  private readonly positions = new Map<string, Map<number, number>>();
  /** changelog topic → partition → the input position of the last unit the view has applied. */
  private readonly folded = new Map<string, Map<number, InputOffsets>>();
  private readonly handles = new Map<string, ReadHandle>();
  /** Reads being started again after a failure; {@link stop} waits for them. */
  private readonly restarts = new Set<Promise<void>>();
  private readonly advanced = new EventEmitter();
  private stopped = false;

  constructor(private readonly opts: ChangelogViewOptions) {
    this.advanced.setMaxListeners(0);
  }

  /** Starts tailing every changelog from its beginning. The changelog topics must exist. */
  async start(): Promise<void> {
    const admin = await this.opts.port.admin();
    for (const [store, topic] of this.opts.changelogs) {
      const marks = await admin.offsets(topic);
      this.kvs.set(store, new Map(marks.map((m) => [m.partition, new MemoryKV()])));
      this.positions.set(topic, new Map(marks.map((m) => [m.partition, 0])));
      this.folded.set(topic, new Map());
      await this.tail(store, topic);
    }
  }

  /** One tailing read from the view's positions; a read that fails is started again (broker loss). */
  private async tail(store: string, topic: string): Promise<void> {
    const pos = this.positions.get(topic)!;
    const handle = await this.opts.port.read({
      topic,
      from: new Map(pos),
      onRecords: async (partition, records, next) => {
        const kv = this.kvs.get(store)!.get(partition)!;
        const ops = records
          .filter((r) => r.key && isDataKey(r.key))
          .map((r) => (r.value === null ? { type: 'del' as const, key: userKeyOf(r.key!) } : { type: 'put' as const, key: userKeyOf(r.key!), value: r.value }));
        if (ops.length > 0) await kv.batch(ops);
        // The unit's position record follows its changes: once applied, the unit is in the view.
        for (let i = records.length - 1; i >= 0; i--) {
          const r = records[i]!;
          if (!r.key || !r.value || !r.key.equals(INPUT_OFFSETS_KEY)) continue;
          try {
            this.folded.get(topic)!.set(partition, decodeInputOffsets(r.value));
          } catch (err) {
            log.warn({ topic, partition, offset: r.offset, err: (err as Error).message }, 'unreadable input-position record in a changelog; ignored');
          }
          break;
        }
        if (next > (pos.get(partition) ?? 0)) pos.set(partition, next);
        this.advanced.emit('advance');
      },
    });
    if (this.stopped) {
      // stop() ran while this read was starting: it must not outlive the view.
      await handle.stop().catch(() => {});
      return;
    }
    this.handles.set(topic, handle);
    handle.done.then(
      () => {},
      (err: Error) => {
        if (this.stopped) return;
        log.warn({ topic, err: err.message }, 'changelog read failed; reading on from the last position');
        const restarting: Promise<void> = this.restart(store, topic).finally(() => this.restarts.delete(restarting));
        this.restarts.add(restarting);
      },
    );
  }

  private async restart(store: string, topic: string): Promise<void> {
    await this.handles
      .get(topic)
      ?.stop()
      .catch(() => {});
    while (!this.stopped) {
      try {
        await this.tail(store, topic);
        return;
      } catch (err) {
        log.warn({ topic, err: (err as Error).message }, 'changelog read could not start; retrying');
        await sleep(500);
      }
    }
  }

  /** The view of `store` on every partition (for queries that merge partitions). */
  stores(store: string): ReadOnlyStore[] {
    return [...(this.kvs.get(store)?.values() ?? [])].map((kv) => ({
      get: (key: Bytes) => kv.get(key),
      range: (o?: RangeOptions) => kv.range(o),
    }));
  }

  /** The view of `store` on one partition. */
  store(store: string, partition: number): ReadOnlyStore | undefined {
    const kv = this.kvs.get(store)?.get(partition);
    return kv && { get: (key: Bytes) => kv.get(key), range: (o?: RangeOptions) => kv.range(o) };
  }

  /**
   * Resolves once every target was folded by the group and its state is in this view (see the
   * module comment); rejects with a {@link FoldTimeout} after `timeoutMs`.
   */
  async waitForFold(targets: FoldTarget[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const late = (what: string) => new FoldTimeout(`${this.opts.groupId}: ${what} within ${timeoutMs} ms`);
    const admin = await this.opts.port.admin();
    for (const t of targets) {
      for (;;) {
        const committed = await admin.groupOffsets(this.opts.groupId, t.topic).catch((err: Error) => {
          log.debug({ err: err.message }, 'group offsets not available; asking again');
          return [];
        });
        if ((committed.find((c) => c.partition === t.partition)?.offset ?? -1) > t.lastOffset) break;
        if (Date.now() > deadline) throw late(`the group did not commit ${t.topic}/${t.partition}@${t.lastOffset}`);
        await sleep(this.opts.pollMs ?? 50);
      }
    }
    const caughtUp = () =>
      targets.every((t) => {
        const tp = tpKey(t.topic, t.partition);
        for (const folded of this.folded.values()) if ((folded.get(t.partition)?.[tp] ?? -1) <= t.lastOffset) return false;
        return true;
      });
    if (caughtUp()) return;
    await new Promise<void>((resolve, reject) => {
      const onAdvance = () => {
        if (!caughtUp()) return;
        clearTimeout(timer);
        this.advanced.off('advance', onAdvance);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.advanced.off('advance', onAdvance);
          reject(late(`the changelogs were not read up to the fold of ${targets.map((t) => `${t.topic}/${t.partition}@${t.lastOffset}`).join(', ')}`));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.advanced.on('advance', onAdvance);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.restarts);
    for (const h of this.handles.values()) await h.stop().catch(() => {});
    this.handles.clear();
  }
}
