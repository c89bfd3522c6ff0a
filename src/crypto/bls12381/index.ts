/**
 * BLS12-381 as commonware-cryptography v0.0.64 uses it, on @noble/curves: upstream encodings and
 * decode rules, `_POP_` hashing, MinSig/MinPk, polynomials and sharings, threshold recovery and
 * random-linear-combination batch verification.
 */

export { availableBlsBackends, type BlsBackendName, blsBackend, type MinSigBackend, setBlsBackend } from './backend.ts';
export * from './batch.ts';
export { BlsError, type BlsErrorCode } from './errors.ts';
export { G1, type G1Point, G2, type G2Point, type Group, NEG_G1, NEG_G2, pairingProductIsOne, prepareG2Point, ScalarSpace, type Space } from './group.ts';
export { msm } from './msm.ts';
export * from './ops.ts';
export { commit, Interpolator, indexInterpolator, Poly, randomPoly, randomPolyWithConstant, sumPolys } from './poly.ts';
export * from './scalar.ts';
export { decodeShare, encodeShare, readShare, type Share, sharePublic, writeShare } from './share.ts';
export { Mode, modeScalar, Sharing, subsetInterpolator } from './sharing.ts';
export * from './variant.ts';
