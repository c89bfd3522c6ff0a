import { compareNumbers, OrderedMap, unionUnique } from '../../codec/index.ts';
import { cryptoRng, type RngCore } from '../rng.ts';
import { verifySameMessage } from './batch.ts';
import { BlsError } from './errors.ts';
import { messagePayloadOf } from './payload.ts';
import { randomScalar, type Scalar } from './scalar.ts';
import type { Share } from './share.ts';
import type { Sharing } from './sharing.ts';
import type { PartialSignature, Variant } from './variant.ts';

/**
 * BLS signatures as commonware v0.0.64 defines them (`primitives::ops`). Every function takes the
 * {@link Variant} first; `namespace` follows v0.0.64's `Option<&[u8]>`: `null` signs the message
 * raw, a byte string (even empty) signs `union_unique(namespace, message)` — `null` and an empty
 * namespace are different payloads. (Upstream made the namespace mandatory after v0.0.64; the
 * Tempo certificate format always passes one.)
 */

/** Signed payload for a namespace/message pair (`null` = raw message). */
export const messagePayload = messagePayloadOf;

export function computePublic<P, S>(v: Variant<P, S>, sk: Scalar): P {
  return v.Public.mul(v.Public.GENERATOR, sk);
}

/** A fresh key pair from `rng` (64 bytes through KeyGen, as upstream `keypair`). */
export function keypair<P, S>(v: Variant<P, S>, rng: RngCore = cryptoRng): { private: Scalar; public: P } {
  const sk = randomScalar(rng);
  return { private: sk, public: computePublic(v, sk) };
}

export function hashMessage<P, S>(v: Variant<P, S>, dst: Uint8Array, message: Uint8Array): S {
  return v.Signature.hash(dst, message);
}

export function hashMessageNamespace<P, S>(v: Variant<P, S>, dst: Uint8Array, namespace: Uint8Array, message: Uint8Array): S {
  return v.Signature.hash(dst, unionUnique(namespace, message));
}

/** H(dst, message)·sk. */
export function sign<P, S>(v: Variant<P, S>, sk: Scalar, dst: Uint8Array, message: Uint8Array): S {
  return v.Signature.mul(v.Signature.hash(dst, message), sk);
}

export function verify<P, S>(v: Variant<P, S>, pub: P, dst: Uint8Array, message: Uint8Array, sig: S): boolean {
  return v.verify(pub, v.Signature.hash(dst, message), sig);
}

/** Signature over the encoded public key with the PoP DST (defends aggregation against rogue keys). */
export function signProofOfPossession<P, S>(v: Variant<P, S>, sk: Scalar): S {
  return sign(v, sk, v.PROOF_OF_POSSESSION, v.Public.encode(computePublic(v, sk)));
}

export function verifyProofOfPossession<P, S>(v: Variant<P, S>, pub: P, sig: S): boolean {
  return verify(v, pub, v.PROOF_OF_POSSESSION, v.Public.encode(pub), sig);
}

export function signMessage<P, S>(v: Variant<P, S>, sk: Scalar, namespace: Uint8Array | null, message: Uint8Array): S {
  return sign(v, sk, v.MESSAGE, messagePayload(namespace, message));
}

export function verifyMessage<P, S>(v: Variant<P, S>, pub: P, namespace: Uint8Array | null, message: Uint8Array, sig: S): boolean {
  return verify(v, pub, v.MESSAGE, messagePayload(namespace, message), sig);
}

// ---- threshold ----

export function partialSignMessage<P, S>(v: Variant<P, S>, share: Share, namespace: Uint8Array | null, message: Uint8Array): PartialSignature<S> {
  return { index: share.index, value: signMessage(v, share.private, namespace, message) };
}

/** Verifies a partial signature against the sharing's partial public key for its index. */
export function partialVerifyMessage<P, S>(v: Variant<P, S>, sharing: Sharing<P>, namespace: Uint8Array | null, message: Uint8Array, partial: PartialSignature<S>): boolean {
  if (sharing.scalar(partial.index) === null) return false;
  return verifyMessage(v, sharing.partialPublic(partial.index), namespace, message, partial.value);
}

/** Partial signature over the encoded *group* key with the PoP DST. */
export function partialSignProofOfPossession<P, S>(v: Variant<P, S>, sharing: Sharing<P>, share: Share): PartialSignature<S> {
  return { index: share.index, value: sign(v, share.private, v.PROOF_OF_POSSESSION, v.Public.encode(sharing.public())) };
}

export function partialVerifyProofOfPossession<P, S>(v: Variant<P, S>, sharing: Sharing<P>, partial: PartialSignature<S>): boolean {
  if (sharing.scalar(partial.index) === null) return false;
  return verify(v, sharing.partialPublic(partial.index), v.PROOF_OF_POSSESSION, v.Public.encode(sharing.public()), partial.value);
}

/**
 * Upstream `prepare_evaluations`: sort by index, keep the first partial of each index, keep the
 * `threshold` lowest indices. Keeping the *lowest* (not any) makes the recovered signature's
 * inputs deterministic for a given set of partials.
 */
function prepareEvaluations<S>(threshold: number, partials: Iterable<PartialSignature<S>>): OrderedMap<number, S> {
  const m = OrderedMap.fromDedup(
    [...partials].map((p) => [p.index, p.value] as const),
    compareNumbers,
  ).truncate(threshold);
  if (m.size < threshold) {
    throw new BlsError('NotEnoughPartialSignatures', `not enough partial signatures: ${threshold}/${m.size}`);
  }
  return m;
}

/**
 * Recovers the threshold signature from at least `sharing.required()` partials by Lagrange
 * interpolation at 0. Partials are NOT verified here (as upstream): verify them first, or verify
 * the result — a single bad partial yields a bad signature, never an exception.
 * Throws BlsError `NotEnoughPartialSignatures` or `InvalidIndex` (index ≥ total).
 */
export function thresholdSignatureRecover<P, S>(v: Variant<P, S>, sharing: Sharing<P>, partials: Iterable<PartialSignature<S>>): S {
  const evals = prepareEvaluations(sharing.required(), partials);
  const out = sharing.interpolator(evals.keys).interpolate(v.Signature, evals);
  if (out === null) throw new BlsError('InvalidRecovery');
  return out;
}

/**
 * Recovers several signatures that were partially signed by the same index set (e.g. the vote and
 * seed signatures of a certificate), reusing one interpolator. Throws InvalidIndex if the index
 * sets differ after preparation.
 */
export function thresholdSignatureRecoverMultiple<P, S>(v: Variant<P, S>, sharing: Sharing<P>, many: ReadonlyArray<Iterable<PartialSignature<S>>>): S[] {
  const prepared = many.map((ps) => prepareEvaluations(sharing.required(), ps));
  const first = prepared[0];
  if (!first) return [];
  for (const other of prepared.slice(1)) {
    if (!other.keys.equals(first.keys)) throw new BlsError('InvalidIndex', 'partial signature index sets differ');
  }
  const interp = sharing.interpolator(first.keys);
  return prepared.map((e) => {
    const out = interp.interpolate(v.Signature, e);
    if (out === null) throw new BlsError('InvalidRecovery');
    return out;
  });
}

// ---- aggregation ----

export function aggregatePublicKeys<P, S>(v: Variant<P, S>, pubs: Iterable<P>): P {
  let acc = v.Public.ZERO;
  for (const p of pubs) acc = v.Public.add(acc, p);
  return acc;
}

export function aggregateSignatures<P, S>(v: Variant<P, S>, sigs: Iterable<S>): S {
  let acc = v.Signature.ZERO;
  for (const s of sigs) acc = v.Signature.add(acc, s);
  return acc;
}

/**
 * One aggregate signature by distinct keys over one message. Only sound when every key's proof of
 * possession has been checked (otherwise rogue-key attacks apply).
 */
export function aggregateVerifyMultiplePublicKeys<P, S>(v: Variant<P, S>, pubs: Iterable<P>, namespace: Uint8Array | null, message: Uint8Array, sig: S): boolean {
  return verifyMessage(v, aggregatePublicKeys(v, pubs), namespace, message, sig);
}

/**
 * One aggregate signature by one key over several messages: e(pk, Σ H(mᵢ)) == e(G, sig).
 * Proves only the aggregate; use {@link verifySameSigner} to check each signature individually.
 */
export function aggregateVerifyMultipleMessages<P, S>(v: Variant<P, S>, pub: P, messages: ReadonlyArray<readonly [Uint8Array | null, Uint8Array]>, sig: S): boolean {
  let hm = v.Signature.ZERO;
  for (const [ns, msg] of messages) hm = v.Signature.add(hm, v.Signature.hash(v.MESSAGE, messagePayload(ns, msg)));
  return v.verify(pub, hm, sig);
}

/**
 * Verifies many partial signatures over one message and returns the invalid ones (empty = all
 * valid). Upstream v0.0.64 aggregates without weights and bisects; here the check is the
 * random-linear-combination batch of {@link verifySameMessage} (same answer for honest inputs,
 * but two colluding signers cannot cancel each other's errors). Partials with an index ≥ total
 * are reported invalid without being checked.
 */
export function partialVerifyMultiplePublicKeys<P, S>(
  v: Variant<P, S>,
  sharing: Sharing<P>,
  namespace: Uint8Array | null,
  message: Uint8Array,
  partials: ReadonlyArray<PartialSignature<S>>,
  rng: RngCore = cryptoRng,
): PartialSignature<S>[] {
  const invalid: PartialSignature<S>[] = [];
  const pending: PartialSignature<S>[] = [];
  for (const p of partials) (sharing.scalar(p.index) === null ? invalid : pending).push(p);
  const bad = verifySameMessage(
    v,
    namespace,
    message,
    pending.map((p) => [sharing.partialPublic(p.index), p.value] as const),
    rng,
  );
  for (const i of bad) invalid.push(pending[i]!);
  return invalid;
}
