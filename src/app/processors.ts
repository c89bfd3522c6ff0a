/**
 * The processor registry: processor names of topology.yaml → their {@link ProcessorDef}
 * factories, wired from the topology (prefixed topic names, changelogs, DLQ with Avro values in
 * the registry wire format) onto the exactly-once runtime. `dkg-stream run`, `replay` and
 * `follow` start processors through it.
 *
 * A topology processor without an implementation here is reported as such rather than silently
 * skipped. (The DKG observer runs inside `follow`; there is no separate dkg-observer processor.)
 */

import type { Config } from '../config.ts';
import { journalRoute } from '../processors/dkg-journal/http.ts';
import { dkgJournalProcessor } from '../processors/dkg-journal/processor.ts';
import { JournalQueries } from '../processors/dkg-journal/queries.ts';
import { journalPartitionKey } from '../processors/dkg-journal/stores.ts';
import type { FollowConfig } from '../processors/follow/config.ts';
import { followProcessor } from '../processors/follow/processor.ts';
import type { QueryRoute } from '../runtime/http.ts';
import type { Metrics } from '../runtime/metrics.ts';
import type { ProcessorDef } from '../runtime/processor.ts';
import { type RuntimeOptions, StreamRuntime } from '../runtime/runtime.ts';
import { checkProcessorAgainstTopology } from '../runtime/topology.ts';
import { showValue } from '../show.ts';
import { Keyring } from '../state/seal.ts';
import { PROCESSOR_NAMES, STORES, TOPICS, type TopicName } from '../topics/names.ts';
import type { FollowEnv } from './env.ts';

/** Upstream `max_read_size` of the reshare example's journal (the simulator uses the same). */
export const DEFAULT_MAX_READ_SIZE = 1024;

/** Processor-specific settings (command-line flags and configuration). */
export interface ProcessorSettings {
  /** follow: epoch length, trust root and retention (metrics default to {@link metrics}). */
  follow?: Omit<FollowConfig, 'topics' | 'codec'>;
  /** dkg-journal: the keyring that opens sealed secrets (default: from config.secretKeyFile). */
  keyring?: Keyring;
  /** dkg-journal: upstream max_read_size (default {@link DEFAULT_MAX_READ_SIZE}). */
  maxReadSize?: number;
  metrics?: Metrics;
}

/** Runtime options the caller chooses (the registry fills in port, topics, DLQ and changelogs). */
export type RuntimeParams = Pick<RuntimeOptions, 'dataDir'> & Partial<Omit<RuntimeOptions, 'port' | 'processor' | 'applicationId' | 'dlqTopic' | 'changelogTopic' | 'dlqEncode'>>;

export interface StartedProcessor {
  runtime: StreamRuntime;
  /** HTTP query routes (first path segment → handler) served next to /stores. */
  routes: Map<string, QueryRoute>;
}

export interface RegisteredProcessor {
  name: string;
  /** What the processor needs that the configuration alone does not give (for error messages). */
  needs?: string;
  def(env: FollowEnv, config: Pick<Config, 'secretKeyFile'>, settings: ProcessorSettings): ProcessorDef<any>;
  routes?(runtime: StreamRuntime, config: Pick<Config, 'secretKeyFile'>, settings: ProcessorSettings): Map<string, QueryRoute>;
}

/** A processor name that the topology or the registry does not know, or that needs settings. */
export class ProcessorSetupError extends Error {
  override name = 'ProcessorSetupError';
}

const topicName = (env: FollowEnv, logical: TopicName): string => {
  const t = env.topology.topics.get(logical);
  if (!t) throw new ProcessorSetupError(`topology has no topic '${logical}'`);
  return t.name;
};

function keyringOf(config: Pick<Config, 'secretKeyFile'>, settings: ProcessorSettings): Keyring {
  if (settings.keyring) return settings.keyring;
  if (!config.secretKeyFile) throw new ProcessorSetupError('dkg-journal needs the key that seals secrets: set secretKeyFile (DKG_STREAM_SECRET_KEY_FILE)');
  return Keyring.fromFile(config.secretKeyFile);
}

export const PROCESSORS: ReadonlyMap<string, RegisteredProcessor> = new Map<string, RegisteredProcessor>([
  [
    PROCESSOR_NAMES.dkgJournal,
    {
      name: PROCESSOR_NAMES.dkgJournal,
      needs: 'secretKeyFile (DKG_STREAM_SECRET_KEY_FILE)',
      def: (env, config, s) =>
        dkgJournalProcessor({
          serde: env.serde,
          keyring: keyringOf(config, s),
          maxReadSize: s.maxReadSize ?? DEFAULT_MAX_READ_SIZE,
          eventsTopic: topicName(env, TOPICS.dkgEvents),
          statesTopic: topicName(env, TOPICS.dkgStates),
        }),
      routes: (rt, config, s) => {
        const local = (store: string) => rt.assignedPartitions().flatMap((p) => rt.localStore(store, p) ?? []);
        const queries = new JournalQueries(() => ({ journal: local(STORES.journal), states: local(STORES.states) }), {
          keyring: keyringOf(config, s),
          maxReadSize: s.maxReadSize ?? DEFAULT_MAX_READ_SIZE,
        });
        return new Map([['journal', journalRoute(queries)]]);
      },
    },
  ],
  [
    PROCESSOR_NAMES.follow,
    {
      name: PROCESSOR_NAMES.follow,
      needs: '--epoch-length and a trust root (--genesis-outcome, --bootstrap-header, --network-identity or --chain)',
      def: (env, _config, s) => {
        if (!s.follow) throw new ProcessorSetupError('follow needs --epoch-length and a trust root (--genesis-outcome, --bootstrap-header, --network-identity or --chain)');
        return followProcessor({
          ...s.follow,
          ...(s.metrics && !s.follow.metrics ? { metrics: s.metrics } : {}),
          topics: { input: topicName(env, TOPICS.finalizations), verified: topicName(env, TOPICS.verified), epochs: topicName(env, TOPICS.epochs), dkgEvents: topicName(env, TOPICS.dkgEvents) },
          codec: env.codec,
        });
      },
    },
  ],
]);

/**
 * The record key a queryable store's key was partitioned by (for routing `/stores/<query>/<key>`
 * to the partition that holds it); undefined: the store key itself.
 */
export function queryPartitionKey(processor: string, store: string): ((storeKey: Buffer) => Buffer) | undefined {
  if (processor === PROCESSOR_NAMES.dkgJournal && (store === STORES.journal || store === STORES.states)) return journalPartitionKey;
  // follow's parked records start with their epoch, the record key they were partitioned by.
  if (processor === PROCESSOR_NAMES.follow && store === STORES.pending) return (k) => k.subarray(0, 8);
  return undefined;
}

/** Checks a processor name against the topology and the registry. */
export function registered(env: FollowEnv, name: string): RegisteredProcessor {
  const inTopology = env.topology.processors.has(name);
  const entry = PROCESSORS.get(name);
  if (entry && inTopology) return entry;
  if (inTopology) throw new ProcessorSetupError(`processor '${name}' is declared in the topology but not implemented yet (implemented: ${[...PROCESSORS.keys()].join(', ')})`);
  throw new ProcessorSetupError(`unknown processor ${showValue(name)} (topology: ${[...env.topology.processors.keys()].join(', ')})`);
}

/** The processors that run by default: every implemented processor of the topology. */
export function defaultProcessors(env: FollowEnv): string[] {
  return [...env.topology.processors.keys()].filter((n) => PROCESSORS.has(n));
}

/**
 * Puts a processor definition on the runtime with the topology's names: consumer group
 * `<applicationId>-<processor>`, changelogs as the topology names them, and DLQ values in Avro
 * (subject `<dlq>-value`, schema dlq.avsc) in the registry wire format.
 */
export function wiredRuntime(env: FollowEnv, def: ProcessorDef<any>, params: RuntimeParams): StreamRuntime {
  checkProcessorAgainstTopology(env.topology, def, "topology.yaml (checked against the processors' code)");
  const spec = env.topology.processors.get(def.name);
  const dlq = env.topology.topics.get(TOPICS.dlq);
  if (!dlq) throw new ProcessorSetupError('topology has no dlq topic');
  const changelogs = new Map((spec?.stores ?? []).map((s) => [s.name, s.changelog]));
  return new StreamRuntime({
    ...params,
    port: env.port,
    processor: def,
    applicationId: env.topology.applicationId,
    dlqTopic: dlq.name,
    changelogTopic: (store) => changelogs.get(store) ?? `${env.topology.applicationId}-${def.name}-${store}-changelog`,
    dlqEncode: (dl) => env.serde.encode(dlq, dl),
  });
}

/** Builds a registered processor on the runtime, with its HTTP routes. */
export function startableProcessor(env: FollowEnv, config: Pick<Config, 'secretKeyFile'>, name: string, settings: ProcessorSettings, params: RuntimeParams): StartedProcessor {
  const entry = registered(env, name);
  const runtime = wiredRuntime(env, entry.def(env, config, settings), { ...(settings.metrics ? { metrics: settings.metrics } : {}), ...params });
  return { runtime, routes: entry.routes?.(runtime, config, settings) ?? new Map() };
}
