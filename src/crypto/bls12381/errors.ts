/** Failure modes of the BLS threshold operations (upstream `bls12381::primitives::Error`). */
export type BlsErrorCode = 'NotEnoughPartialSignatures' | 'InvalidSignature' | 'InvalidRecovery' | 'NoInverse' | 'DuplicateEval' | 'InvalidIndex';

export class BlsError extends Error {
  override name = 'BlsError';
  constructor(
    readonly code: BlsErrorCode,
    message: string = code,
  ) {
    super(message);
  }
}
