/**
 * BLS12-381 as commonware-cryptography v0.0.64 uses it, on @noble/curves: upstream encodings and
 * decode rules, `_POP_` hashing, MinSig/MinPk, polynomials and sharings, threshold recovery and
 * random-linear-combination batch verification.
 */
export * from './scalar.ts';
export { G1, G2, ScalarSpace, NEG_G1, NEG_G2, pairingProductIsOne, prepareG2Point, type G1Point, type G2Point, type Group, type Space } from './group.ts';
export { msm } from './msm.ts';
export * from './variant.ts';
export * from './ops.ts';
export * from './batch.ts';
export { Poly, Interpolator, commit, indexInterpolator, randomPoly, randomPolyWithConstant, sumPolys } from './poly.ts';
export { Mode, Sharing, modeScalar, subsetInterpolator } from './sharing.ts';
export { decodeShare, encodeShare, readShare, sharePublic, writeShare, type Share } from './share.ts';
export { BlsError, type BlsErrorCode } from './errors.ts';
export { availableBlsBackends, blsBackend, setBlsBackend, type BlsBackendName, type MinSigBackend } from './backend.ts';
