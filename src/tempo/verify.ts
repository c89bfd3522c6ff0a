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
 *
 * The arithmetic runs on the selected BLS backend (`crypto/bls12381/backend.ts`: mcl-wasm when
 * installed, @noble/curves otherwise or with `DKG_STREAM_BLS_BACKEND=noble`); both give the same
 * bytes and decisions.
 */
import { CodecError } from '../codec/index.ts';
import { type AnyMinSigBackend, blsBackend, nobleBackend } from '../crypto/bls12381/backend.ts';
import { type G2Point, MinSig, randomWeights } from '../crypto/bls12381/index.ts';
import { messagePayloadOf } from '../crypto/bls12381/payload.ts';
import { cryptoRng, type RngCore } from '../crypto/rng.ts';
import { encodeProposal, encodeRound, FINALIZE_NAMESPACE, type Finalization, SEED_NAMESPACE } from './finalization.ts';
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
 * (one per epoch; cache it next to the epoch's registration). `point` is the @noble/curves point
 * (decoded on first access when another backend is in use).
 */
export interface PreparedIdentity {
  readonly bytes: Uint8Array;
  readonly point: G2Point;
}

/** A {@link PreparedIdentity} holding one decoded key per backend it has been used with. */
class Prepared implements PreparedIdentity {
  readonly #keys = new Map<string, unknown>();
  constructor(
    readonly bytes: Uint8Array,
    backend: AnyMinSigBackend,
    key: unknown,
  ) {
    this.#keys.set(backend.name, key);
  }
  get point(): G2Point {
    return this.keyFor(nobleBackend) as G2Point;
  }
  keyFor(backend: AnyMinSigBackend): unknown {
    let key = this.#keys.get(backend.name);
    if (key === undefined) {
      key = backend.decodePublic(this.bytes);
      this.#keys.set(backend.name, key);
    }
    return key;
  }
}

function decodeIdentity(bytes: Uint8Array, backend: AnyMinSigBackend): unknown {
  try {
    return backend.decodePublic(bytes);
  } catch (err) {
    if (err instanceof CodecError) throw new InvalidIdentity(`identity is not a valid G2 point: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Decodes and prepares an identity; throws {@link InvalidIdentity}. */
export function prepareIdentity(identity: Uint8Array | PreparedIdentity): PreparedIdentity {
  if (!(identity instanceof Uint8Array)) return identity;
  const backend = blsBackend();
  return new Prepared(identity, backend, decodeIdentity(identity, backend));
}

/** The identity's key for `backend` (a caller-built {@link PreparedIdentity} is re-decoded). */
function keyOf(id: PreparedIdentity, backend: AnyMinSigBackend): unknown {
  if (id instanceof Prepared) return id.keyFor(backend);
  return backend === nobleBackend ? id.point : decodeIdentity(id.bytes, backend);
}

/**
 * `verifySameSigner` of `crypto/bls12381/batch.ts` on a backend: e(pk, Σ rᵢ·hmᵢ) == e(G, Σ rᵢ·sᵢ),
 * one plain check for a single pair. Same weights, drawn from `rng` in the same order.
 */
function sameSigner(b: AnyMinSigBackend, pub: unknown, hms: readonly unknown[], sigs: readonly unknown[], rng: RngCore = cryptoRng): boolean {
  if (hms.length === 0) return true;
  if (hms.length === 1) return b.verify(pub, hms[0], sigs[0]);
  const r = randomWeights(rng, hms.length);
  return b.verify(pub, b.msmG1(hms, r), b.msmG1(sigs, r));
}

/** A parsed signature, or why it is not a valid G1 point. */
type ParsedSignature = { ok: true; point: unknown } | { ok: false; reason: string };

function parseSignature(b: AnyMinSigBackend, bytes: Uint8Array, which: string): ParsedSignature {
  try {
    return { ok: true, point: b.decodeSignature(bytes) };
  } catch (err) {
    if (err instanceof CodecError) return { ok: false, reason: `${which} signature is not a valid G1 point (${err.message})` };
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
  const b = blsBackend();
  let id: PreparedIdentity;
  let pub: unknown;
  try {
    id = prepareIdentity(identity);
    pub = keyOf(id, b);
  } catch (err) {
    if (err instanceof InvalidIdentity) return fail(err.message);
    throw err;
  }
  const vote = parseSignature(b, fin.voteSignature, 'vote');
  if (!vote.ok) return fail(vote.reason);
  const seed = parseSignature(b, fin.seedSignature, 'seed');
  if (!seed.ok) return fail(seed.reason);
  const { finalize, seed: seedMsg } = signedMessages(fin);
  const hms = [b.hashToG1(MinSig.MESSAGE, finalize), b.hashToG1(MinSig.MESSAGE, seedMsg)];
  const sigs = [vote.point, seed.point];
  if (sameSigner(b, pub, hms, sigs, rng)) return ok;
  const voteOk = sameSigner(b, pub, [hms[0]], [sigs[0]], rng);
  const seedOk = sameSigner(b, pub, [hms[1]], [sigs[1]], rng);
  if (!voteOk && !seedOk) return fail('neither the vote (TEMPO_FINALIZE) nor the seed (TEMPO_SEED) signature verifies under this identity');
  if (!voteOk) return fail('vote signature (TEMPO_FINALIZE over the proposal) does not verify under this identity');
  if (!seedOk) return fail('seed signature (TEMPO_SEED over the round) does not verify under this identity');
  return fail('the combined check failed although each signature verifies alone (retry)');
}

interface Parsed {
  voteHash: unknown;
  vote: unknown;
  seedKey: string;
  seedHash: unknown;
  seed: unknown;
  seedBytes: string;
}

function parseAll(b: AnyMinSigBackend, fins: readonly Finalization[]): Array<Parsed | null> {
  const seedHashes = new Map<string, unknown>();
  return fins.map((fin) => {
    const vote = parseSignature(b, fin.voteSignature, 'vote');
    const seed = parseSignature(b, fin.seedSignature, 'seed');
    if (!vote.ok || !seed.ok) return null;
    const { finalize, seed: seedMsg } = signedMessages(fin);
    const seedKey = bytesToHex(seedMsg);
    let seedHash = seedHashes.get(seedKey);
    if (seedHash === undefined) {
      seedHash = b.hashToG1(MinSig.MESSAGE, seedMsg);
      seedHashes.set(seedKey, seedHash);
    }
    return { voteHash: b.hashToG1(MinSig.MESSAGE, finalize), vote: vote.point, seedKey, seedHash, seed: seed.point, seedBytes: bytesToHex(fin.seedSignature) };
  });
}

/** upstream `verify_certificates` over a subset of pre-parsed certificates. */
function combined(b: AnyMinSigBackend, pub: unknown, items: ReadonlyArray<Parsed | null>, rng: RngCore | undefined): boolean {
  const hms: unknown[] = [];
  const sigs: unknown[] = [];
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
  return sameSigner(b, pub, hms, sigs, rng);
}

/**
 * Upstream `Verifier::verify_certificates`: all certificates (of one epoch, one identity) in ONE
 * combined check. True iff every certificate is valid. Two certificates of the same round must
 * carry the same seed signature (it is included once). Empty input is true. Throws
 * {@link InvalidIdentity} for an invalid identity.
 */
export function verifyFinalizations(fins: readonly Finalization[], identity: Uint8Array | PreparedIdentity, rng?: RngCore): boolean {
  const b = blsBackend();
  const id = prepareIdentity(identity);
  const pub = keyOf(id, b);
  if (fins.length === 0) return true;
  return combined(b, pub, parseAll(b, fins), rng);
}

/**
 * Upstream `simplex::types::verify_certificates` (bisection): which certificates are valid.
 * One combined check when all are valid; on failure the range is split in halves until the
 * invalid ones are isolated. Messages are hashed once, not per split.
 */
export function verifyFinalizationsEach(fins: readonly Finalization[], identity: Uint8Array | PreparedIdentity, rng?: RngCore): boolean[] {
  const b = blsBackend();
  const id = prepareIdentity(identity);
  const pub = keyOf(id, b);
  const parsed = parseAll(b, fins);
  const verified = new Array<boolean>(fins.length).fill(false);
  const stack: Array<[number, number]> = fins.length > 0 ? [[0, fins.length]] : [];
  while (stack.length > 0) {
    const [start, end] = stack.pop()!;
    if (combined(b, pub, parsed.slice(start, end), rng)) {
      verified.fill(true, start, end);
    } else if (end - start > 1) {
      const mid = start + Math.floor((end - start) / 2);
      stack.push([mid, end], [start, mid]);
    }
  }
  return verified;
}
