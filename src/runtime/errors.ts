/**
 * Error classification: the one place that decides whether a failure is the record's fault
 * (deterministic: the same bytes fail the same way every time → dead letter) or a dependency's
 * (transient: registry, broker or disk → pause, back off, retry the same record; never dead-letter
 * or skip it).
 *
 * Invariant: {@link transientCause} is conservative towards retrying. An error is dead-lettered
 * only when nothing in its cause chain looks like an outage, because dead-lettering a valid record
 * loses it, while retrying a bad one only delays the partition (and is visible: back-off metric,
 * /readyz).
 */
import { StoreError } from '../state/kv.ts';

export type Dependency = 'registry' | 'broker' | 'disk' | 'network';

/**
 * A dependency failed; the record is not at fault. The runtime stops the partition before this
 * record (nothing of it is committed) and retries it after a back-off.
 */
export class TransientError extends Error {
  override name = 'TransientError';
  constructor(
    readonly dependency: Dependency,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The schema registry did not answer, answered 5xx/other non-404 errors, or timed out. */
export class RegistryUnavailable extends TransientError {
  override name = 'RegistryUnavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super('registry', message, options);
  }
}

/** Node socket error codes that mean "the other side is not (yet) reachable", never "bad input". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** kafkajs error names that are outages whatever their `retriable` flag says (retries exhausted, timeouts, lost connections). */
const KAFKA_OUTAGE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNotImplemented',
  'BrokerUnreachable',
]);

/**
 * Broker answers to a produce request that are caused by the records themselves: the same
 * records fail the same way on every attempt, so the transaction must be split until the
 * offending record is isolated (see StreamRuntime). Anything else from the broker is an outage or
 * a transactional state error, retried by restarting the task.
 */
const RECORD_FAULT_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP', 'UNSUPPORTED_FOR_MESSAGE_FORMAT']);

type Chained = { name?: unknown; code?: unknown; type?: unknown; retriable?: unknown; message?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };

/** The error and everything it wraps (cause, kafkajs originalError, AggregateError members), bounded. */
function* chain(err: unknown): Generator<Chained> {
  const todo: unknown[] = [err];
  const seen = new Set<unknown>();
  while (todo.length > 0 && seen.size < 16) {
    const e = todo.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const c = e as Chained;
    yield c;
    todo.push(c.cause, c.originalError);
    if (Array.isArray(c.errors)) todo.push(...c.errors);
  }
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The transient failure behind `err`, or null when `err` is the record's fault. Recognises: a
 * {@link TransientError} anywhere in the chain; a {@link StoreError} (RocksDB I/O); Node network
 * error codes; kafkajs connection/timeout/retries-exhausted errors and any kafkajs error flagged
 * `retriable`.
 */
export function transientCause(err: unknown): TransientError | null {
  for (const e of chain(err)) {
    if (e instanceof TransientError) return e;
    if (e instanceof StoreError) return new TransientError('disk', `state store I/O failed: ${msg(e)}`, { cause: err });
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return new TransientError('network', `${e.code}: ${msg(e)}`, { cause: err });
    if (typeof e.name === 'string' && KAFKA_OUTAGE_NAMES.has(e.name)) return new TransientError('broker', msg(e), { cause: err });
    if (typeof e.name === 'string' && e.name.startsWith('KafkaJS') && e.retriable === true) return new TransientError('broker', msg(e), { cause: err });
  }
  return null;
}

/** True when `err` is a dependency failure (see {@link transientCause}). */
export const isTransient = (err: unknown): boolean => transientCause(err) !== null;

/**
 * The broker rejected produced records for what they are (too large, invalid): the error type
 * (e.g. MESSAGE_TOO_LARGE), or null for every other failure. Checked before {@link isTransient}
 * by the commit path, since kafkajs wraps such answers in retry errors.
 */
export function recordFault(err: unknown): string | null {
  for (const e of chain(err)) if (typeof e.type === 'string' && RECORD_FAULT_TYPES.has(e.type)) return e.type;
  return null;
}

/** A produce failure caused by the records of one unit (see {@link recordFault}), dead-lettered when isolated to one record. */
export class RecordRejected extends Error {
  override name = 'RecordRejected';
}
