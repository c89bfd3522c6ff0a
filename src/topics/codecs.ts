/**
 * The topic contracts over the registry serde: each value ↔ domain type mapping of src/topics/
 * (one file per topic) bound to its topic's spec in the loaded (prefixed) topology, so producers
 * and consumers encode and decode a topic the same way. Record keys are built with the topic's
 * own key helpers (epoch-key.ts, epochs.ts).
 */
import type { AvroSerde } from '../runtime/schemas.ts';
import type { Topology } from '../runtime/topology.ts';
import { type FinalizationRecord, finalizationFromAvro, finalizationToAvro } from './consensus-finalizations.ts';
import { eventToAvro, type JournalEvent } from './dkg-events.ts';
import { type EpochEvent, epochEventFromAvro, epochEventToAvro } from './epochs.ts';
import { type VerifiedRecord, verifiedFromAvro, verifiedToAvro } from './finalizations-verified.ts';
import { TOPICS, topicSpec } from './names.ts';

export interface TopicCodecs {
  decodeFinalization(value: Buffer | null): Promise<FinalizationRecord>;
  encodeFinalization(r: FinalizationRecord): Promise<Buffer>;
  encodeVerified(r: VerifiedRecord): Promise<Buffer>;
  decodeVerified(value: Buffer | null): Promise<VerifiedRecord>;
  encodeEpochEvent(e: EpochEvent): Promise<Buffer>;
  decodeEpochEvent(value: Buffer | null): Promise<EpochEvent>;
  encodeDkgEvent(e: JournalEvent): Promise<Buffer>;
}

/** The codecs over the registry serde; topic names come from the (prefixed) topology. */
export function avroTopicCodecs(serde: AvroSerde, topology: Topology): TopicCodecs {
  const fin = topicSpec(topology, TOPICS.finalizations);
  const verified = topicSpec(topology, TOPICS.verified);
  const epochs = topicSpec(topology, TOPICS.epochs);
  const dkg = topicSpec(topology, TOPICS.dkgEvents);
  const decode = async (value: Buffer | null, spec: typeof fin) => (await serde.decode(value, spec.value!)).value;
  return {
    decodeFinalization: async (value) => finalizationFromAvro(await decode(value, fin)),
    encodeFinalization: (r) => serde.encode(fin, finalizationToAvro(r)),
    encodeVerified: (r) => serde.encode(verified, verifiedToAvro(r)),
    decodeVerified: async (value) => verifiedFromAvro(await decode(value, verified)),
    encodeEpochEvent: (e) => serde.encode(epochs, epochEventToAvro(e)),
    decodeEpochEvent: async (value) => epochEventFromAvro(await decode(value, epochs)),
    encodeDkgEvent: (e) => serde.encode(dkg, eventToAvro(e)),
  };
}
