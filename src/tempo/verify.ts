/**
 * Verification of Tempo finalization certificates (commonware 2026.7.1
 * `bls12381_threshold::vrf::Scheme::certificate_verifier("TEMPO", identity)`, MinSig):
 *
 * - vote:  e(H(union_unique("TEMPO_FINALIZE", Proposal bytes)), identity) == e(vote, G2)
 * - seed:  e(H(union_unique("TEMPO_SEED", Round bytes)), identity) == e(seed, G2)
 *
 * with H = hash-to-G1 under `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_`. Both must hold. As
 * upstream, both are checked with ONE pairing check per certificate (random 128-bit weights,
 * `verifySameSigner`), and many certificates of one epoch are checked together in one combined
 * check ({@link verifyFinalizations}), with seeds of the same round included once and required
 * to be identical. Signature bytes are parsed here, not when decoding (upstream `Lazy`): a bad
 * encoding, the point at infinity or a point outside G1 makes verification *fail*; it is not a
 * decoding error.
 *
 * Verification depends only on the certificate and the identity; it never throws for bad input.
 */
import { CodecError } from '../codec/index.ts';
import { G1, G2, MinSig, prepareG2Point, verifySameSigner, verifySameSignerHashed, type G1Point, type G2Point } from '../crypto/bls12381/index.ts';
import { messagePayloadOf } from '../crypto/bls12381/payload.ts';
import type { RngCore } from '../crypto/rng.ts';
import { FINALIZE_NAMESPACE, SEED_NAMESPACE, encodeProposal, encodeRound, type Finalization } from './finalization.ts';
import { bytesToHex } from './hex.ts';

export type VerifyResult = { valid: true; reason: null } | { valid: false; reason: string };

const ok: VerifyResult = { valid: true, reason: null };
const fail = (reason: string): VerifyResult => ({ valid: false, reason });

/** An identity that is not a valid compressed G2 point (not infinity, in the subgroup). */
export class InvalidIdentity extends Error {
  override name = 'InvalidIdentity';
}

/**
 * A decoded identity, ready for repeated use: the point with its pairing precomputation pinned
 * (one per epoch; cache it next to the epoch's registration).
 */
export interface PreparedIdentity {
  readonly bytes: Uint8Array;
  readonly point: G2Point;
}

/** Decodes and prepares an identity; throws {@link InvalidIdentity}. */
export function prepareIdentity(identity: Uint8Array | PreparedIdentity): PreparedIdentity {
  if (!(identity instanceof Uint8Array)) return identity;
  let point: G2Point;
  try {
    point = G2.decode(identity);
  } catch (err) {
    if (err instanceof CodecError) throw new InvalidIdentity(`identity is not a valid G2 point: ${err.message}`, { cause: err });
    throw err;
  }
  prepareG2Point(point);
  return { bytes: identity, point };
}

function parseSignature(bytes: Uint8Array, which: string): G1Point | string {
  try {
    return G1.decode(bytes);
  } catch (err) {
    if (err instanceof CodecError) return `${which} signature is not a valid G1 point (${err.message})`;
    throw err;
  }
}

/** The (namespace, message) pairs a finalization's two signatures sign. */
export function signedMessages(fin: Finalization): { finalize: Uint8Array; seed: Uint8Array } {
  return {
    finalize: messagePayloadOf(FINALIZE_NAMESPACE, encodeProposal(fin.proposal)),
    seed: messagePayloadOf(SEED_NAMESPACE, encodeRound(fin.proposal)),
  };
}

/**
 * Verifies one certificate under an epoch identity (one batched pairing check). On failure the
 * reason says which signature is wrong (two extra pairing checks, only on the failure path).
 */
export function verifyFinalization(fin: Finalization, identity: Uint8Array | PreparedIdentity, rng?: RngCore): VerifyResult {
  let id: PreparedIdentity;
  try {
    id = prepareIdentity(identity);
  } catch (err) {
    if (err instanceof InvalidIdentity) return fail(err.message);
    throw err;
  }
  const vote = parseSignature(fin.voteSignature, 'vote');
  if (typeof vote === 'string') return fail(vote);
  const seed = parseSignature(fin.seedSignature, 'seed');
  if (typeof seed === 'string') return fail(seed);
  const proposal = encodeProposal(fin.proposal);
  const round = encodeRound(fin.proposal);
  const entries = [
    { namespace: FINALIZE_NAMESPACE, message: proposal, signature: vote },
    { namespace: SEED_NAMESPACE, message: round, signature: seed },
  ];
  if (verifySameSigner(MinSig, id.point, entries, rng)) return ok;
  const voteOk = verifySameSigner(MinSig, id.point, [entries[0]!], rng);
  const seedOk = verifySameSigner(MinSig, id.point, [entries[1]!], rng);
  if (!voteOk && !seedOk) return fail('neither the vote (TEMPO_FINALIZE) nor the seed (TEMPO_SEED) signature verifies under this identity');
  if (!voteOk) return fail('vote signature (TEMPO_FINALIZE over the proposal) does not verify under this identity');
  if (!seedOk) return fail('seed signature (TEMPO_SEED over the round) does not verify under this identity');
  return fail('the combined check failed although each signature verifies alone (retry)');
}

interface Parsed {
  voteHash: G1Point;
  vote: G1Point;
  seedKey: string;
  seedHash: G1Point;
  seed: G1Point;
  seedBytes: string;
}

function parseAll(fins: readonly Finalization[]): Array<Parsed | null> {
  const seedHashes = new Map<string, G1Point>();
  return fins.map((fin) => {
    const vote = parseSignature(fin.voteSignature, 'vote');
    const seed = parseSignature(fin.seedSignature, 'seed');
    if (typeof vote === 'string' || typeof seed === 'string') return null;
    const { finalize, seed: seedMsg } = signedMessages(fin);
    const seedKey = bytesToHex(seedMsg);
    let seedHash = seedHashes.get(seedKey);
    if (seedHash === undefined) {
      seedHash = G1.hash(MinSig.MESSAGE, seedMsg);
      seedHashes.set(seedKey, seedHash);
    }
    return { voteHash: G1.hash(MinSig.MESSAGE, finalize), vote, seedKey, seedHash, seed, seedBytes: bytesToHex(fin.seedSignature) };
  });
}

/** upstream `verify_certificates` over a subset of pre-parsed certificates. */
function combined(id: PreparedIdentity, items: ReadonlyArray<Parsed | null>, rng: RngCore | undefined): boolean {
  const hms: G1Point[] = [];
  const sigs: G1Point[] = [];
  const seeds = new Map<string, string>();
  for (const p of items) {
    if (p === null) return false;
    hms.push(p.voteHash);
    sigs.push(p.vote);
    const previous = seeds.get(p.seedKey);
    if (previous !== undefined) {
      if (previous !== p.seedBytes) return false;
    } else {
      seeds.set(p.seedKey, p.seedBytes);
      hms.push(p.seedHash);
      sigs.push(p.seed);
    }
  }
  return verifySameSignerHashed(MinSig, id.point, hms, sigs, rng);
}

/**
 * Upstream `Verifier::verify_certificates`: all certificates (of one epoch, one identity) in ONE
 * combined check. True iff every certificate is valid. Two certificates of the same round must
 * carry the same seed signature (it is included once). Empty input is true. Throws
 * {@link InvalidIdentity} for an invalid identity.
 */
export function verifyFinalizations(fins: readonly Finalization[], identity: Uint8Array | PreparedIdentity, rng?: RngCore): boolean {
  const id = prepareIdentity(identity);
  if (fins.length === 0) return true;
  return combined(id, parseAll(fins), rng);
}

/**
 * Upstream `simplex::types::verify_certificates` (bisection): which certificates are valid.
 * One combined check when all are valid; on failure the range is split in halves until the
 * invalid ones are isolated. Messages are hashed once, not per split.
 */
export function verifyFinalizationsEach(fins: readonly Finalization[], identity: Uint8Array | PreparedIdentity, rng?: RngCore): boolean[] {
  const id = prepareIdentity(identity);
  const parsed = parseAll(fins);
  const verified = new Array<boolean>(fins.length).fill(false);
  const stack: Array<[number, number]> = fins.length > 0 ? [[0, fins.length]] : [];
  while (stack.length > 0) {
    const [start, end] = stack.pop()!;
    if (combined(id, parsed.slice(start, end), rng)) {
      verified.fill(true, start, end);
    } else if (end - start > 1) {
      const mid = start + Math.floor((end - start) / 2);
      stack.push([mid, end], [start, mid]);
    }
  }
  return verified;
}
