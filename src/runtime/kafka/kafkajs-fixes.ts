/**
 * Corrections to kafkajs 2.2.4 behaviour (not speed: see ./kafkajs-patches.ts for those). They
 * are installed whatever `DKG_STREAM_KAFKAJS_PATCHES` says: turning them off would lose records.
 *
 * - `producer/sendMessages` (behind every `send`/`sendBatch`, transactional or not). kafkajs
 *   keeps an attempt's responses per broker and, on a retry, sends only to brokers without a
 *   response. When a produce to one broker fails (it died, or lost leadership) and the retry's
 *   fresh metadata names as the new leader a broker that already answered for other partitions,
 *   the moved partitions are never sent and the call resolves as if they were: their records are
 *   silently gone. In a transaction the partition was already added (AddPartitionsToTxn), so the
 *   commit writes a commit marker with no records before it and the consumer offsets move past
 *   the inputs: a torn transaction. Found by the chaos soak (seed 1919: a unit's five journal
 *   changelog records missing behind a lone commit marker after a broker-leader kill; the live
 *   store had them, a restore would not). Same family as tulios/kafkajs#1798 (open).
 *
 *   The replacement keeps the responses per topic-partition: every attempt sends each partition
 *   not acknowledged yet to its current leader, and waits for all of its requests to settle
 *   before retrying (kafkajs retried while sibling requests were still in flight). Records are
 *   assigned to partitions once per call, not per attempt (kafkajs re-ran the partitioner, so a
 *   keyless record could land on another partition on the retry: twice or never); a partition
 *   the metadata has no leader for fails the attempt (metadata refreshed, retried) instead of
 *   being left out; of several failed requests, a non-retriable error is the one handed on.
 *   The result is the same list of per-partition responses kafkajs returned. test/unit/runtime/kafkajs-fixes
 *   drives the original and the replacement through the same leader moves;
 *   test/fault/produce-leader-move.test.ts does it on a real 3-node cluster.
 *
 * How: like the patches, by seeding `require.cache` under kafkajs' own file name before kafkajs
 * is first loaded (./kafkajs-patches.ts imports this module first). Modules this one builds on
 * are resolved when a producer is created, so that the patched ones (groupMessagesPerPartition)
 * are the ones used.
 */
import { createRequire, Module } from 'node:module';
import { logger } from '../log.ts';

// kafkajs has no types for its internals.
type Any = any;

const require = createRequire(import.meta.url);
const log = logger('runtime.kafkajs-fixes');
const kafkajsFile = (rel: string): string => require.resolve(`kafkajs/src/${rel}`);
const SEND_MESSAGES = 'producer/sendMessages';

/** `producer/sendMessages`: what kafkajs' does, with acknowledgements kept per topic-partition. */
export function createSendMessages({ logger: kLog, cluster, partitioner, eosManager, retrier }: Any): Any {
  const { KafkaJSMetadataNotLoaded } = require('kafkajs/src/errors.js');
  const { staleMetadata } = require('kafkajs/src/protocol/error.js');
  const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js');
  const createTopicData = require('kafkajs/src/producer/createTopicData.js');
  const responseSerializer = require('kafkajs/src/producer/responseSerializer.js');

  return async ({ acks, timeout, compression, topicMessages }: Any) => {
    /** `topic\0partition` → its response (null under acks=0: sent, nothing to report). */
    const acked = new Map<string, Any>();
    const tpKey = (topic: string, partition: number | string) => `${topic}\0${partition}`;

    /**
     * Each topic's records are assigned to partitions once, by the first attempt that has the
     * topic's metadata, and keep that assignment on every retry: kafkajs re-ran the partitioner
     * per attempt, and a keyless record (round-robin) or a changed partition count could then put
     * a record on another partition than the one acknowledged for it (sent twice, or never).
     */
    const grouped = new Map<string, Record<string, Any[]>>();

    /** One produce request per current leader, for the partitions not acknowledged yet. */
    const attempt = async (): Promise<void> => {
      await cluster.refreshMetadataIfNecessary();
      const perLeader = new Map<string, Any[]>();
      let leaderless = 0;
      for (const { topic, messages } of topicMessages) {
        let messagesPerPartition = grouped.get(topic);
        if (!messagesPerPartition) {
          const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
          if (partitionMetadata.length === 0) {
            kLog.debug('Producing to topic without metadata', { topic, targetTopics: Array.from(cluster.targetTopics) });
            throw new KafkaJSMetadataNotLoaded('Producing to topic without metadata');
          }
          messagesPerPartition = groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }) as Record<string, Any[]>;
          grouped.set(topic, messagesPerPartition);
        }
        const open = Object.keys(messagesPerPartition).filter((p) => !acked.has(tpKey(topic, p)));
        if (open.length === 0) continue;
        const partitionsPerLeader = cluster.findLeaderForPartitions(topic, open);
        // kafkajs leaves out a partition its metadata has no leader for: counted, and retried below.
        leaderless += open.length - Object.values(partitionsPerLeader).reduce((n: number, ps: Any) => n + ps.length, 0);
        for (const nodeId of Object.keys(partitionsPerLeader)) {
          let l = perLeader.get(nodeId);
          if (!l) perLeader.set(nodeId, (l = []));
          l.push({ topic, partitions: partitionsPerLeader[nodeId], messagesPerPartition });
        }
      }
      const requests = [...perLeader].map(async ([nodeId, entries]) => {
        const broker = await cluster.findBroker({ nodeId });
        const topicData = createTopicData(entries);
        await eosManager.acquireBrokerLock(broker);
        try {
          if (eosManager.isTransactional()) await eosManager.addPartitionsToTransaction(topicData);
          for (const { topic, partitions } of topicData) {
            for (const entry of partitions) {
              entry.firstSequence = eosManager.getSequence(topic, entry.partition);
              eosManager.updateSequence(topic, entry.partition, entry.messages.length);
            }
          }
          let response: Any;
          try {
            response = await broker.produce({
              transactionalId: eosManager.isTransactional() ? eosManager.getTransactionalId() : undefined,
              producerId: eosManager.getProducerId(),
              producerEpoch: eosManager.getProducerEpoch(),
              acks,
              timeout,
              compression,
              topicData,
            });
          } catch (e) {
            for (const { topic, partitions } of topicData) for (const entry of partitions) eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
            throw e;
          }
          if (acks === 0) {
            for (const { topic, partitions } of topicData) for (const entry of partitions) acked.set(tpKey(topic, entry.partition), null);
          } else {
            for (const r of responseSerializer(response)) acked.set(tpKey(r.topicName, r.partition), r);
          }
        } finally {
          await eosManager.releaseBrokerLock(broker);
        }
      });
      // Every request of the attempt settles before the next one: a retry must not race a
      // sibling request that may still succeed (or roll its sequence numbers back).
      const settled = await Promise.allSettled(requests);
      const errors = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as Any);
      if (errors.length > 0) {
        // Every closed connection is forgotten (kafkajs saw only the first failure); the error
        // handed on is a non-retriable one if any (it ends the send), else the first.
        const handedOn = errors.find((e) => e?.retriable === false) ?? errors[0];
        for (const e of errors) if (e !== handedOn && e?.name === 'KafkaJSConnectionClosedError') cluster.removeBroker({ host: e.host, port: e.port });
        throw handedOn;
      }
      if (leaderless > 0) throw new KafkaJSMetadataNotLoaded(`${leaderless} partition(s) without a known leader`);
    };

    return retrier(async (bail: (e: Error) => void, retryCount: number, retryTime: number) => {
      await cluster.addMultipleTargetTopics(topicMessages.map(({ topic }: Any) => topic));
      try {
        await attempt();
        return [...acked.values()].filter((r) => r !== null);
      } catch (caught) {
        const e = caught as Any;
        if (e.name === 'KafkaJSConnectionClosedError') cluster.removeBroker({ host: e.host, port: e.port });
        if (!cluster.isConnected()) {
          kLog.debug(`Cluster has disconnected, reconnecting: ${e.message}`, { retryCount, retryTime });
          await cluster.connect();
          await cluster.refreshMetadata();
          throw e;
        }
        if (
          staleMetadata(e) ||
          e.name === 'KafkaJSMetadataNotLoaded' ||
          e.name === 'KafkaJSConnectionError' ||
          e.name === 'KafkaJSConnectionClosedError' ||
          (e.name === 'KafkaJSProtocolError' && e.retriable)
        ) {
          kLog.error(`Failed to send messages: ${e.message}`, { retryCount, retryTime });
          await cluster.refreshMetadata();
          throw e;
        }
        kLog.error(`${e.message}`, { retryCount, retryTime });
        if (e.retriable) throw e;
        bail(e);
      }
    });
  };
}

/**
 * Makes `require(file)` (kafkajs' own requires included) return `exports`: a loaded CommonJS
 * module under kafkajs' file name. Shared with ./kafkajs-patches.ts.
 */
export function seedRequireCache(file: string, exports: unknown): void {
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as Any)._nodeModulePaths(file.slice(0, file.lastIndexOf('/')));
  mod.exports = exports;
  mod.loaded = true;
  require.cache[file] = mod;
}

const installed: string[] = [];

/** The kafkajs modules replaced by a correction (names under kafkajs/src). */
export function kafkajsFixesActive(): readonly string[] {
  return installed;
}

/** The kafkajs release the corrections replace modules of (its internals are what they build on). */
const FIXED_KAFKAJS_VERSION = '2.2.4';

{
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== FIXED_KAFKAJS_VERSION) {
    // Another release may have fixed it or changed the internals this builds on; the adapter's
    // acknowledgement check (UnacknowledgedProduce) still refuses to commit a send that lost a partition.
    log.warn({ installed: version, fixedFor: FIXED_KAFKAJS_VERSION }, 'kafkajs-fixes.ts replaces nothing: it was written for another kafkajs release');
  } else if (require.cache[kafkajsFile(SEND_MESSAGES)] !== undefined) {
    // Loaded before this module: kafkajs holds the original, and records can be lost on a leader move.
    log.warn(
      { module: SEND_MESSAGES },
      'kafkajs was loaded before src/runtime/kafka/kafkajs-fixes.ts: its producer keeps the original sendMessages, which can drop records when a partition leader moves; import the kafkajs adapter first',
    );
  } else {
    seedRequireCache(kafkajsFile(SEND_MESSAGES), createSendMessages);
    installed.push(SEND_MESSAGES);
  }
}
