import { type Ed25519PrivateKey, type Ed25519PublicKey, type Ed25519Signature, ed25519SignRaw, ed25519VerifyRaw } from '../ed25519.ts';
import { type Summary, Transcript } from '../transcript.ts';

/**
 * The transcripts every DKG signature covers (upstream `transcript_for_round/ack/log`, v0.0.64).
 * All domain separation lives here; the ed25519 signatures use the empty namespace, i.e. they
 * sign exactly `0x00 ‖ digest32`.
 */

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Private DKG namespace (37 bytes) that starts every `Info` summary. */
export const DKG_NAMESPACE = utf8('_COMMONWARE_CRYPTOGRAPHY_BLS12381_DKG');
/** Fork label of ack transcripts. */
export const SIG_ACK = utf8('ack');
/** Fork label of log transcripts. */
export const SIG_LOG = utf8('log');
/** Label of the deterministic dealer RNG of the reshare example / tempo. */
export const DEALER_RNG_LABEL = utf8('dealer-rng');

/** `Transcript::resume(info.summary)`: the round transcript every ack/log fork starts from. */
export function roundTranscript(infoSummary: Summary): Transcript {
  return Transcript.resume(infoSummary);
}

/** Summary of the round transcript (`K(summary, 01)`); acks and logs fork from it. */
export function roundSummary(infoSummary: Summary): Summary {
  return roundTranscript(infoSummary).summarize();
}

/**
 * Digest a player's ack signs: `resume(summary).fork("ack").commit(dealer).commit(pub_msg)`.
 * Binds the round (namespace, round number, previous output, dealer and player sets), the
 * dealer's identity and its full commitment — not the private share, and not the player's own
 * key (the verifier supplies that).
 */
export function ackDigest(infoSummary: Summary, dealer: Ed25519PublicKey, pubMsgBytes: Uint8Array): Summary {
  return roundTranscript(infoSummary).fork(SIG_ACK).commit(dealer).commit(pubMsgBytes).summarize();
}

/** Digest a dealer's log signature covers: `resume(summary).fork("log").commit(log)` — the whole encoded log. */
export function logDigest(infoSummary: Summary, logBytes: Uint8Array): Summary {
  return roundTranscript(infoSummary).fork(SIG_LOG).commit(logBytes).summarize();
}

/**
 * The deterministic dealer RNG of upstream's reshare example:
 * `Transcript::resume(rng_seed).noise("dealer-rng")` — the BLAKE3 XOF keyed by `K(rng_seed, 01)`.
 * A dealer restarted with the same seed draws the same polynomial, so acks already collected
 * (which sign the exact commitment bytes) stay valid.
 */
export function dealerRng(rngSeed: Summary) {
  return Transcript.resume(rngSeed).noise(DEALER_RNG_LABEL);
}

function emptyNamespace(digest: Summary): Uint8Array {
  const out = new Uint8Array(1 + digest.length);
  out.set(digest, 1);
  return out;
}

/** `Transcript::sign` for an already computed digest: ed25519 over `0x00 ‖ digest`. */
export function signDigest(sk: Ed25519PrivateKey, digest: Summary): Ed25519Signature {
  return ed25519SignRaw(sk, emptyNamespace(digest));
}

/** `Transcript::verify` for an already computed digest (ZIP-215; false on malformed input). */
export function verifyDigest(pk: Ed25519PublicKey, digest: Summary, sig: Ed25519Signature): boolean {
  return ed25519VerifyRaw(pk, emptyNamespace(digest), sig);
}
