/**
 * Cryptographic primitives of commonware-cryptography v0.0.64, byte-compatible with upstream:
 * BLS12-381 (bls12381/), ed25519, the BLAKE3 transcript, BLS KeyGen, and RNG plumbing.
 */
export * as bls from './bls12381/index.ts';
export { ChaCha20Rng } from './chacha.ts';
export * from './ed25519.ts';
export { BLS_R, blsKeygen } from './keygen.ts';
export { cryptoRng, drawBytes, fixedRng, type RngCore } from './rng.ts';
export * from './transcript.ts';
