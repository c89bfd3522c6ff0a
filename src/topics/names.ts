/**
 * The names topology.yaml gives the topics, processors and stores: the one place the code names
 * them. These are the *logical* names; the broker names add the configured topicPrefix (look them
 * up in the loaded {@link Topology}). A unit test (test/unit/topics/names.test.ts) checks that
 * they equal topology.yaml's, and every processor is checked against the topology at start
 * (`checkProcessorAgainstTopology`), so the two cannot drift apart.
 */
import { DLQ_TOPIC } from '../runtime/dlq.ts';
import type { TopicSpec, Topology } from '../runtime/topology.ts';

export const TOPICS = {
  /** Participants' journal events (Dealing / Ack / Log / Prune) and the follower's Log events. */
  dkgEvents: 'dkg.events',
  /** Participants' per-epoch DKG states. */
  dkgStates: 'dkg.states',
  /** Unverified finalizations (ingest, simulator). */
  finalizations: 'consensus.finalizations',
  /** Scheme registrations and epoch advances (compacted, a global table). */
  epochs: 'epochs',
  /** Finalizations the follower verified. */
  verified: 'finalizations.verified',
  /** Records a processor could not handle. */
  dlq: DLQ_TOPIC,
} as const;

export const PROCESSOR_NAMES = {
  dkgJournal: 'dkg-journal',
  follow: 'follow',
} as const;

export const STORES = {
  /** dkg-journal: (owner, epoch, kind, participant) → event payload. */
  journal: 'journal',
  /** dkg-journal: (owner, epoch) → epoch state. */
  states: 'states',
  /** follow: certificates parked until their epoch's scheme is known. */
  pending: 'pending',
  /** follow: verified heights, schemes, kept dealer logs, the pruned horizon. */
  followState: 'follow-state',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** The topology's spec (broker name, partitions, value schema) of a logical topic. */
export function topicSpec(topology: Topology, logical: TopicName): TopicSpec {
  const t = topology.topics.get(logical);
  if (!t) throw new Error(`topology has no topic '${logical}'`);
  return t;
}
