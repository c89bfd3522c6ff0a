/**
 * A signing thread of the bench chain generator (chain.ts): for each proposal, the threshold
 * signatures of the finalize vote and the seed, on the current BLS backend (mcl when installed).
 * Returns encoded certificates.
 *
 * A BLS threshold signature is unique: the quorum's partials sᵢ·H(m), recovered by Lagrange
 * interpolation at 0, are s·H(m) with s = Σ wᵢ·sᵢ the group secret. So the thread multiplies
 * H(m) once by the secret interpolated from the quorum's shares (one multiplication instead of
 * one per validator plus the recovery); chain.ts checks samples byte for byte against the
 * reference path that signs partials and recovers them (`signFinalization`).
 */
import { parentPort } from 'node:worker_threads';
import { blsBackend } from '../../src/crypto/bls12381/backend.ts';
import { messagePayload } from '../../src/crypto/bls12381/ops.ts';
import { scalarAdd, scalarMul } from '../../src/crypto/bls12381/scalar.ts';
import { MinSig } from '../../src/crypto/bls12381/variant.ts';
import { encodeFinalization, encodeProposal, encodeRound, FINALIZE_NAMESPACE, SEED_NAMESPACE } from '../../src/tempo/finalization.ts';
import type { SignJob } from './chain.ts';

const b = blsBackend();

/** The threshold signature of one message under the secret the quorum's shares interpolate to. */
function thresholdSign(secret: bigint, namespace: Uint8Array, message: Uint8Array): Uint8Array {
  return b.encodeSignature(b.msmG1([b.hashToG1(MinSig.MESSAGE, messagePayload(namespace, message))], [secret]));
}

parentPort!.on('message', (job: SignJob) => {
  let secret = 0n;
  job.shares.forEach((s, i) => {
    secret = scalarAdd(secret, scalarMul(s, job.weights[i]!));
  });
  const certificates = job.proposals.map((p) =>
    encodeFinalization({
      proposal: p,
      voteSignature: thresholdSign(secret, FINALIZE_NAMESPACE, encodeProposal(p)),
      seedSignature: thresholdSign(secret, SEED_NAMESPACE, encodeRound(p)),
    }),
  );
  parentPort!.postMessage({ id: job.id, certificates });
});
