/**
 * Why the follower rejects a record: the reason is the error's `name`, so it is the DLQ's
 * `errorClass` (`dlq.error.class`). The processor's doc comment (processor.ts) gives the order
 * of the checks, hence which reason a record that fails several of them gets.
 */
import type { LogRejectReason } from './observer.ts';

export type RejectReason =
  | 'MalformedCertificate'
  | 'MalformedHeader'
  | 'BlockDigestMismatch'
  | 'EpochMismatch'
  | 'IdentityUnavailable'
  | 'VerificationFailed'
  | 'MalformedOutcome'
  | 'ConflictingFinalization'
  | LogRejectReason;

/** A record the follower rejects; `name` is the reason (the DLQ's `errorClass`). */
export class FollowRejection extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
    this.name = reason;
  }
}
