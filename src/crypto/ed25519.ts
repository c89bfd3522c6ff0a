import { createPrivateKey, createPublicKey, type KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { compareBytes, decode as decodeWith, type Reader, unionUnique, Wrapped, type Writer } from '../codec/index.ts';
import { ChaCha20Rng } from './chacha.ts';
import { cryptoRng, drawBytes, type RngCore } from './rng.ts';

/**
 * Ed25519 as commonware v0.0.64 uses it (`ed25519::scheme`, backed by ed25519-consensus 2.1):
 * raw 32-byte seeds, 32-byte compressed public keys, 64-byte R‖s signatures, RFC 8032 signing
 * and ZIP-215 verification (cofactored; non-canonical R and A encodings accepted; s < ℓ). ZIP-215
 * matters because verification must give the same answer on every node for adversarial inputs —
 * these signatures gate DKG acks and logs that all parties replay.
 *
 * Keys are kept as their raw bytes: the wire encoding is the identity, ordering of public keys
 * (player/dealer sets) is lexicographic on those bytes, and decoding a public key validates that
 * it decompresses.
 */

export const ED25519_PRIVATE_KEY_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** 32-byte RFC 8032 seed. Secret. */
export type Ed25519PrivateKey = Uint8Array;
/** 32-byte compressed Edwards point (as encoded; may be non-canonical if decoded from the wire). */
export type Ed25519PublicKey = Uint8Array;
/** 64 bytes R‖s. */
export type Ed25519Signature = Uint8Array;

/** Derived public keys, per private-key buffer (as {@link nativeSigningKey}: checked against the current bytes). */
const publicKeys = new WeakMap<Uint8Array, { seed: string; pk: Ed25519PublicKey }>();

/**
 * The public key of a seed. Memoised per key buffer: a node derives its own public key at every
 * `Dealer.start` / `Player.new` (~0.3 ms each with noble, which is faster here than building
 * native key objects).
 */
export function ed25519PublicKey(privateKey: Ed25519PrivateKey): Ed25519PublicKey {
  const seed = checkLen(privateKey, ED25519_PRIVATE_KEY_BYTES, 'private key');
  const fingerprint = Buffer.from(seed).toString('base64');
  const hit = publicKeys.get(seed);
  if (hit !== undefined && hit.seed === fingerprint) return hit.pk.slice();
  const pk = ed25519.getPublicKey(seed);
  publicKeys.set(seed, { seed: fingerprint, pk });
  return pk.slice();
}

/** `SigningKey::new(rng)`: 32 bytes from the RNG are the seed. */
export function ed25519RandomPrivateKey(rng: RngCore = cryptoRng): Ed25519PrivateKey {
  return drawBytes(rng, ED25519_PRIVATE_KEY_BYTES);
}

/**
 * Upstream's test identity `PrivateKey::from_seed(u64)` (= `random(ChaCha20Rng::seed_from_u64(seed))`).
 * Deterministic and public — for tests and fixtures only, never for real keys.
 */
export function ed25519FromSeed(seed: number | bigint): Ed25519PrivateKey {
  return ed25519RandomPrivateKey(ChaCha20Rng.seedFromU64(seed));
}

/** Signs `union_unique(namespace, message)` (upstream `Signer::sign`; the namespace is mandatory). */
export function ed25519Sign(privateKey: Ed25519PrivateKey, namespace: Uint8Array, message: Uint8Array): Ed25519Signature {
  return ed25519SignRaw(privateKey, unionUnique(namespace, message));
}

/** Signs `payload` as is (no namespace framing). */
export function ed25519SignRaw(privateKey: Ed25519PrivateKey, payload: Uint8Array): Ed25519Signature {
  const seed = checkLen(privateKey, ED25519_PRIVATE_KEY_BYTES, 'private key');
  // RFC 8032 signing is deterministic: Node's native Ed25519 gives the same 64 bytes as noble,
  // ~10× faster (noble re-derives the expanded key on every call). noble when Node cannot.
  const key = nativeSigningKey(seed);
  if (key !== null) {
    try {
      return new Uint8Array(nodeSign(null, payload, key));
    } catch {
      // fall through to noble
    }
  }
  return ed25519.sign(payload, seed);
}

/** PKCS#8 prefix of a raw Ed25519 seed (RFC 8410). */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
/** Native signing keys, per private-key buffer (freed with it; never keyed by the secret bytes). */
const signingKeys = new WeakMap<Uint8Array, { seed: string; key: KeyObject | null }>();

function nativeSigningKey(seed: Uint8Array): KeyObject | null {
  const fingerprint = Buffer.from(seed).toString('base64');
  const hit = signingKeys.get(seed);
  // a caller may reuse (mutate) its buffer: only a cache hit for the same bytes counts
  if (hit !== undefined && hit.seed === fingerprint) return hit.key;
  let key: KeyObject | null;
  try {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  } catch {
    key = null;
  }
  signingKeys.set(seed, { seed: fingerprint, key });
  return key;
}

/**
 * ZIP-215 verification of a signature over `union_unique(namespace, message)`. Returns false (never
 * throws) for malformed keys or signatures, like upstream's `Verifier::verify`.
 */
export function ed25519Verify(publicKey: Ed25519PublicKey, namespace: Uint8Array, message: Uint8Array, signature: Ed25519Signature): boolean {
  return ed25519VerifyRaw(publicKey, unionUnique(namespace, message), signature);
}

export function ed25519VerifyRaw(publicKey: Ed25519PublicKey, payload: Uint8Array, signature: Ed25519Signature): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  if (nativeAccepts(publicKey, payload, signature)) return true;
  try {
    return ed25519.verify(signature, payload, publicKey, { zip215: true });
  } catch {
    return false;
  }
}

// ---- fast path: Node's native (OpenSSL) Ed25519, only ever used to ACCEPT ----
//
// OpenSSL verifies RFC 8032 style: s < ℓ, and the encoding of [s]B − [k]A must equal R's bytes
// (cofactorless), with k = SHA-512(R ‖ A ‖ M) over the given bytes. Whenever that holds, the
// cofactored ZIP-215 equation [8]([s]B − R − [k]A) = 0 holds too, for the same decoded points and
// the same k; so an OpenSSL accept is a ZIP-215 accept. Every other case (OpenSSL refuses the key
// or the signature) is decided by noble's ZIP-215 verification above, the reference. Net effect:
// identical decisions, ~10× faster for the honest signatures that dominate DKG ack/log checks
// (n³ of them per ceremony). s < ℓ is checked here as well, not left to the OpenSSL version.
const L_LE = Uint8Array.from(Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex'));
const nativeKeys = new Map<string, KeyObject | null>();

function sBelowL(signature: Ed25519Signature): boolean {
  for (let i = 31; i >= 0; i--) {
    const a = signature[32 + i]!;
    const b = L_LE[i]!;
    if (a !== b) return a < b;
  }
  return false;
}

function nativeKey(publicKey: Ed25519PublicKey): KeyObject | null {
  const id = Buffer.from(publicKey).toString('base64url');
  let key = nativeKeys.get(id);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: id }, format: 'jwk' });
    } catch {
      key = null;
    }
    if (nativeKeys.size >= 4096) nativeKeys.clear();
    nativeKeys.set(id, key);
  }
  return key;
}

function nativeAccepts(publicKey: Ed25519PublicKey, payload: Uint8Array, signature: Ed25519Signature): boolean {
  if (!sBelowL(signature)) return false;
  const key = nativeKey(publicKey);
  if (key === null) return false;
  try {
    return nodeVerify(null, payload, key, signature);
  } catch {
    return false;
  }
}

/**
 * Answers of {@link ed25519IsValidPublicKey}, the 256 most recently added: a pure function of
 * the 32 bytes, and the follower checks the same few proposer keys twice per block header (the
 * decompression was ~19 % of its main thread's busy time in the 1-core catch-up).
 */
const validKeys = new Map<string, boolean>();
const VALID_KEYS_KEPT = 256;

/** Whether 32 bytes decompress to a curve point under ZIP-215 rules (`VerificationKey::try_from`). */
export function ed25519IsValidPublicKey(bytes: Uint8Array): boolean {
  if (bytes.length !== ED25519_PUBLIC_KEY_BYTES) return false;
  const k = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  let valid = validKeys.get(k);
  if (valid === undefined) {
    try {
      ed25519.Point.fromBytes(bytes, true);
      valid = true;
    } catch {
      valid = false;
    }
    if (validKeys.size >= VALID_KEYS_KEPT) validKeys.delete(validKeys.keys().next().value!);
    validKeys.set(k, valid);
  }
  return valid;
}

/** Public-key order of every `Set<PublicKey>` / `Map<PublicKey, _>`: lexicographic on the raw bytes. */
export const compareEd25519PublicKeys = compareBytes;

// ---- codec ----

/**
 * Reads a public key and checks it decompresses, failing like upstream with
 * `Wrapped("ed25519", …)` (cause message "Malformed public key encoding."). Small-order and
 * non-canonical encodings are accepted, as ed25519-consensus accepts them.
 */
export function readEd25519PublicKey(r: Reader): Ed25519PublicKey {
  const raw = r.bytes(ED25519_PUBLIC_KEY_BYTES);
  if (!ed25519IsValidPublicKey(raw)) throw new Wrapped('ed25519', new Error('Malformed public key encoding.'));
  return raw;
}

/** Reads 64 signature bytes; like upstream, nothing is validated until verification. */
export function readEd25519Signature(r: Reader): Ed25519Signature {
  return r.bytes(ED25519_SIGNATURE_BYTES);
}

export function readEd25519PrivateKey(r: Reader): Ed25519PrivateKey {
  return r.bytes(ED25519_PRIVATE_KEY_BYTES);
}

export function writeEd25519PublicKey(w: Writer, pk: Ed25519PublicKey): void {
  w.bytes(checkLen(pk, ED25519_PUBLIC_KEY_BYTES, 'public key'));
}

export function writeEd25519Signature(w: Writer, sig: Ed25519Signature): void {
  w.bytes(checkLen(sig, ED25519_SIGNATURE_BYTES, 'signature'));
}

export function writeEd25519PrivateKey(w: Writer, sk: Ed25519PrivateKey): void {
  w.bytes(checkLen(sk, ED25519_PRIVATE_KEY_BYTES, 'private key'));
}

export function decodeEd25519PublicKey(bytes: Uint8Array): Ed25519PublicKey {
  return decodeWith(bytes, readEd25519PublicKey);
}

function checkLen(b: Uint8Array, n: number, what: string): Uint8Array {
  if (b.length !== n) throw new RangeError(`ed25519 ${what}: expected ${n} bytes, got ${b.length}`);
  return b;
}
