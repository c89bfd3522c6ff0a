import { cryptoRng, type RngCore } from '../rng.ts';
import { messagePayloadOf } from './payload.ts';
import type { Variant } from './variant.ts';

/**
 * Batch verification by random linear combination. Summing signatures and checking the sum is not
 * enough — an attacker can submit two invalid signatures whose errors cancel. Weighting each
 * signature with an unpredictable 128-bit scalar rᵢ makes the errors cancel only if
 * Σ rᵢ·errᵢ = 0, i.e. with probability ≈ 2⁻¹²⁸ per attempt, while the cost stays at two MSMs and
 * one pairing check (2 Miller loops, 1 final exponentiation) instead of n pairing checks.
 *
 * The weights must come from an RNG the signers cannot predict: the default is OS randomness.
 * Inputs must already be subgroup-checked points (the decoders guarantee it).
 */

/** Bits per weight; the same soundness upstream settled on (`SmallScalar`). */
export const WEIGHT_BITS = 128;

/** n non-zero random weights of {@link WEIGHT_BITS} bits each (big-endian draws from `rng`). */
export function randomWeights(rng: RngCore, n: number): bigint[] {
  const out: bigint[] = [];
  const buf = new Uint8Array(WEIGHT_BITS / 8);
  while (out.length < n) {
    rng.fillBytes(buf);
    let x = 0n;
    for (const b of buf) x = (x << 8n) | BigInt(b);
    // A zero weight would drop its signature from the check entirely.
    if (x !== 0n) out.push(x);
  }
  return out;
}

/** One signed message for {@link verifySameSigner}. `namespace: null` signs the message raw. */
export interface SignedMessage<S> {
  readonly namespace: Uint8Array | null;
  readonly message: Uint8Array;
  readonly signature: S;
}

/**
 * Many signatures by ONE key over (possibly) different messages, each checked individually:
 * e(pk, Σ rᵢ·H(mᵢ)) == e(G, Σ rᵢ·sᵢ). Returns true iff (with overwhelming probability) every
 * signature is valid. Duplicate messages are fine: each pair gets its own weight.
 * Hashing the n messages dominates the cost; the pairing part is constant.
 */
export function verifySameSigner<P, S>(v: Variant<P, S>, pub: P, entries: ReadonlyArray<SignedMessage<S>>, rng: RngCore = cryptoRng): boolean {
  if (entries.length === 0) return true;
  const hms = entries.map((e) => v.Signature.hash(v.MESSAGE, messagePayloadOf(e.namespace, e.message)));
  return verifySameSignerHashed(
    v,
    pub,
    hms,
    entries.map((e) => e.signature),
    rng,
  );
}

/**
 * {@link verifySameSigner} over already-hashed messages (`hms[i]` = H(dst, payloadᵢ) in the
 * signature group), for callers that hash with their own DSTs or reuse hashes.
 */
export function verifySameSignerHashed<P, S>(v: Variant<P, S>, pub: P, hms: readonly S[], sigs: readonly S[], rng: RngCore = cryptoRng): boolean {
  if (hms.length !== sigs.length) throw new RangeError('verifySameSigner: hashes and signatures differ in length');
  if (hms.length === 0) return true;
  if (hms.length === 1) return v.verify(pub, hms[0]!, sigs[0]!);
  const r = randomWeights(rng, hms.length);
  return v.verify(pub, v.Signature.msm(hms, r), v.Signature.msm(sigs, r));
}

/**
 * Many signatures by DIFFERENT keys over ONE message (e.g. partial signatures of one vote):
 * e(Σ rᵢ·pkᵢ, H(m)) == e(G, Σ rᵢ·sᵢ). Returns the indices of invalid entries, ascending (empty
 * when all are valid). When the combined check fails, the weighted entries are bisected to find
 * the culprits: ~2·k·log₂(n/k) extra pairing checks for k bad entries.
 */
export function verifySameMessage<P, S>(v: Variant<P, S>, namespace: Uint8Array | null, message: Uint8Array, entries: ReadonlyArray<readonly [P, S]>, rng: RngCore = cryptoRng): number[] {
  if (entries.length === 0) return [];
  const hm = v.Signature.hash(v.MESSAGE, messagePayloadOf(namespace, message));
  if (entries.length === 1) return v.verify(entries[0]![0], hm, entries[0]![1]) ? [] : [0];
  const r = randomWeights(rng, entries.length);
  const pks = entries.map((e) => e[0]);
  const sigs = entries.map((e) => e[1]);
  if (v.verify(v.Public.msm(pks, r), hm, v.Signature.msm(sigs, r))) return [];
  const weighted = entries.map(([pk, sig], i) => [v.Public.scale(pk, r[i]!), v.Signature.scale(sig, r[i]!)] as const);
  const invalid: number[] = [];
  // The whole range is known bad: descend into halves, verifying each subtree's weighted sums.
  const visit = (lo: number, hi: number, knownBad: boolean): void => {
    if (!knownBad) {
      let pk = v.Public.ZERO;
      let sig = v.Signature.ZERO;
      for (let i = lo; i < hi; i++) {
        pk = v.Public.add(pk, weighted[i]![0]);
        sig = v.Signature.add(sig, weighted[i]![1]);
      }
      if (v.verify(pk, hm, sig)) return;
    }
    if (hi - lo === 1) {
      invalid.push(lo);
      return;
    }
    const mid = lo + Math.floor((hi - lo) / 2);
    visit(lo, mid, false);
    visit(mid, hi, false);
  };
  visit(0, entries.length, true);
  return invalid;
}

/**
 * Upstream `Variant::batch_verify`: n (key, hashed message, signature) triples with arbitrary keys
 * and messages, Π e(rᵢ·pkᵢ, hmᵢ) == e(G, Σ rᵢ·sᵢ) — n+1 Miller loops sharing one final
 * exponentiation. Prefer the same-signer / same-message forms when they apply (2 Miller loops).
 */
export function batchVerify<P, S>(v: Variant<P, S>, publics: readonly P[], hms: readonly S[], sigs: readonly S[], rng: RngCore = cryptoRng): boolean {
  if (publics.length !== hms.length || publics.length !== sigs.length) throw new RangeError('batchVerify: length mismatch');
  if (publics.length === 0) return true;
  const r = randomWeights(rng, publics.length);
  return v.verifyProduct(
    publics.map((pk, i) => [v.Public.scale(pk, r[i]!), hms[i]!] as const),
    v.Signature.msm(sigs, r),
  );
}
