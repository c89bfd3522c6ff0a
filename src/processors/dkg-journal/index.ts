/**
 * The DKG journal (issue 7): upstream commonware `examples/reshare/src/dkg/state.rs` Storage as a
 * Kafka processor. See docs/journal.md.
 */
export * from './records.ts';
export { dkgJournalProcessor, JOURNAL_METRICS, MalformedPayload, OversizeMessage, type JournalInput, type JournalProcessorOptions, type ValueDecoder } from './processor.ts';
export { JournalQueries, OwnerJournal, type Dealing, type EpochState, type JournalStores, type PublicEpochView, type QueryOptions } from './queries.ts';
