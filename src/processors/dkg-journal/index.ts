/**
 * The DKG journal (issue 7): upstream commonware `examples/reshare/src/dkg/state.rs` Storage as a
 * Kafka processor. See docs/journal.md.
 */
export * from './records.ts';
export { dkgJournalProcessor, JOURNAL_METRICS, MalformedPayload, OversizeMessage, type JournalInput, type JournalProcessorOptions, type ValueDecoder } from './processor.ts';
export { JournalQueries, OwnerJournal, type Dealing, type EpochState, type JournalStores, type PublicEpochView, type QueryOptions } from './queries.ts';
export { Dealer, Player, Storage, type EpochInput, type JournalBackend, type JournalRecord, type StorageOptions } from './participant.ts';
export { FoldTimeout, KafkaJournalBackend, type KafkaJournalBackendOptions } from './kafka-backend.ts';
export { journalRoute } from './http.ts';
