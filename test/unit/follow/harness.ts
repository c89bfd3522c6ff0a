/** Drives the follow processor through the broker-less test driver with real Avro values. */

import type { FollowConfig } from '../../../src/processors/follow/config.ts';
import { followProcessor } from '../../../src/processors/follow/processor.ts';
import { TestDriver, type TestDriverOptions } from '../../../src/runtime/test-driver.ts';
import { avroTopicCodecs, type TopicCodecs } from '../../../src/topics/codecs.ts';
import type { FinalizationRecord } from '../../../src/topics/consensus-finalizations.ts';
import { epochKey } from '../../../src/topics/epoch-key.ts';
import { decodeEpochEventKey, type EpochEvent } from '../../../src/topics/epochs.ts';
import type { VerifiedRecord } from '../../../src/topics/finalizations-verified.ts';
import { memorySerde } from '../../support/avro.ts';
import type { ChainBlock } from '../../support/tempo-chain.ts';

export const TOPICS = { input: 'consensus.finalizations', verified: 'finalizations.verified', epochs: 'epochs', dkgEvents: 'dkg.events' };

let shared: TopicCodecs | undefined;
export function codec(): TopicCodecs {
  if (!shared) {
    const { serde, topology } = memorySerde();
    shared = avroTopicCodecs(serde, topology);
  }
  return shared;
}

export interface Harness {
  driver: TestDriver<FinalizationRecord>;
  /** Appends records (partition = epoch mod P, as a stand-in for the key hash). */
  feed(items: Array<ChainBlock | Feed>, opts?: { crashBeforeApply?: boolean }): Promise<void>;
  /** Delivers new `epochs` outputs to the global table (as its tail would), until quiet. */
  sync(): Promise<void>;
  verified(): Promise<VerifiedRecord[]>;
  epochEvents(): Promise<Array<EpochEvent & { key: string }>>;
  rejects(): Array<{ errorClass: string; errorMessage: string; offset: number }>;
}

export interface Feed {
  height: bigint;
  epoch: bigint;
  certificate: Uint8Array;
  headerRlp?: Uint8Array;
  headerJson?: string;
  key?: Buffer;
}

export function harness(cfg: Omit<FollowConfig, 'topics' | 'codec'>, partitions = 2, driverOpts: Omit<TestDriverOptions, 'partitions'> = {}): Harness {
  const c = codec();
  // The processor's counters reach the driver's metrics (at commit), its horizon gauge cfg.metrics: one registry for both.
  const driver = new TestDriver(followProcessor({ ...cfg, topics: TOPICS, codec: c }), { ...driverOpts, partitions, ...(cfg.metrics ? { metrics: cfg.metrics } : {}) });
  let synced = 0;
  const h: Harness = {
    driver,
    async feed(items, opts = {}) {
      for (const it of items) {
        const header = 'headerJson' in it && it.headerJson !== undefined ? { json: it.headerJson } : { rlp: it.headerRlp! };
        const value = await c.encodeFinalization({ height: it.height, certificate: it.certificate, header, source: 'test', receivedAtMs: 0 });
        await driver.pipe(TOPICS.input, { key: ('key' in it && it.key) || epochKey(it.epoch), value, partition: Number(it.epoch % BigInt(partitions)) }, opts);
      }
    },
    async sync() {
      for (;;) {
        const all = driver.outputs(TOPICS.epochs);
        if (synced >= all.length) return;
        const r = all[synced++]!;
        await driver.pipeGlobal(TOPICS.epochs, r.key!, r.value);
      }
    },
    async verified() {
      return Promise.all(driver.outputs(TOPICS.verified).map((r) => c.decodeVerified(r.value)));
    },
    async epochEvents() {
      return Promise.all(
        driver.outputs(TOPICS.epochs).map(async (r) => {
          const k = decodeEpochEventKey(r.key!);
          return { ...(await c.decodeEpochEvent(r.value)), key: `${k.epoch}/${k.kind}` };
        }),
      );
    },
    rejects() {
      return driver.deadLetters().map((d) => ({ errorClass: d.errorClass, errorMessage: d.errorMessage, offset: d.sourceOffset }));
    },
  };
  return h;
}
