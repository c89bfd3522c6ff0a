import { decode as decodeWith, type Reader, Writer } from '../../codec/index.ts';
import { G1, type G1Point, G2, type G2Point, type Group, NEG_G1, NEG_G2, pairingProductIsOne } from './group.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** DSTs of the `_POP_` ciphersuites (upstream `G1_MESSAGE` etc.). noble's defaults are `_NUL_`. */
export const G1_MESSAGE = ascii('BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_');
export const G1_PROOF_OF_POSSESSION = ascii('BLS_POP_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_');
export const G2_MESSAGE = ascii('BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_');
export const G2_PROOF_OF_POSSESSION = ascii('BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_');

/**
 * Which group holds keys and which holds signatures (upstream `Variant`). `Pub` is also the type
 * of polynomial commitments and group keys; `Sig` the type of (partial) signatures and hashed
 * messages.
 */
export interface Variant<Pub, Sig> {
  readonly name: 'MinSig' | 'MinPk';
  readonly Public: Group<Pub>;
  readonly Signature: Group<Sig>;
  /** DST for messages. */
  readonly MESSAGE: Uint8Array;
  /** DST for proofs of possession (signatures over the encoded public key). */
  readonly PROOF_OF_POSSESSION: Uint8Array;
  /**
   * e(pub, hm) == e(G, sig), checked as e(hm, pub)·e(sig, −G) == 1 with one final exponentiation.
   * `hm` is the already-hashed message. Inputs are assumed subgroup-checked (decoders do that).
   */
  verify(pub: Pub, hm: Sig, sig: Sig): boolean;
  /**
   * Π e(pubᵢ, hmᵢ) == e(G, sig): one Miller loop over n+1 pairs and one final exponentiation.
   * The building block of aggregate and random-linear-combination batch checks.
   */
  verifyProduct(terms: ReadonlyArray<readonly [Pub, Sig]>, sig: Sig): boolean;
}

export type MinSigVariant = Variant<G2Point, G1Point>;
export type MinPkVariant = Variant<G1Point, G2Point>;
export type AnyVariant = MinSigVariant | MinPkVariant;
/** Public-key / signature point types of a variant. */
export type PublicOf<V> = V extends Variant<infer P, unknown> ? P : never;
export type SignatureOf<V> = V extends Variant<unknown, infer S> ? S : never;

/**
 * MinSig: public keys in G2 (96 B), signatures in G1 (48 B). Used by the reshare example and by
 * Tempo's finalization certificates. Public keys are typically few and long-lived (an epoch's
 * group key), so their pairing precomputation is memoised on the point.
 */
export const MinSig: MinSigVariant = {
  name: 'MinSig',
  Public: G2,
  Signature: G1,
  MESSAGE: G1_MESSAGE,
  PROOF_OF_POSSESSION: G1_PROOF_OF_POSSESSION,
  verify: (pub, hm, sig) =>
    pairingProductIsOne([
      [hm, pub, true],
      [sig, NEG_G2, true],
    ]),
  verifyProduct: (terms, sig) => pairingProductIsOne([...terms.map(([pub, hm]) => [hm, pub, false] as const), [sig, NEG_G2, true] as const]),
};

/** MinPk: public keys in G1 (48 B), signatures in G2 (96 B). Used by upstream's DKG unit tests. */
export const MinPk: MinPkVariant = {
  name: 'MinPk',
  Public: G1,
  Signature: G2,
  MESSAGE: G2_MESSAGE,
  PROOF_OF_POSSESSION: G2_PROOF_OF_POSSESSION,
  verify: (pub, hm, sig) =>
    pairingProductIsOne([
      [pub, hm],
      [NEG_G1, sig],
    ]),
  verifyProduct: (terms, sig) => pairingProductIsOne([...terms.map(([pub, hm]) => [pub, hm] as const), [NEG_G1, sig] as const]),
};

export function variantByName(name: string): AnyVariant {
  if (name === 'MinSig') return MinSig;
  if (name === 'MinPk') return MinPk;
  throw new RangeError(`unknown BLS variant ${name}`);
}

/**
 * A signature share (upstream `PartialSignature<V>`): `index` is the signer's 0-based share index
 * (evaluation point index + 1). Wire form: `varint(index) ‖ signature`.
 */
export interface PartialSignature<Sig> {
  readonly index: number;
  readonly value: Sig;
}

export function writePartialSignature<P, S>(v: Variant<P, S>, w: Writer, p: PartialSignature<S>): void {
  w.varU32(p.index);
  v.Signature.write(w, p.value);
}

export function readPartialSignature<P, S>(v: Variant<P, S>, r: Reader): PartialSignature<S> {
  const index = r.varU32();
  const value = v.Signature.read(r);
  return { index, value };
}

export function encodePartialSignature<P, S>(v: Variant<P, S>, p: PartialSignature<S>): Uint8Array {
  const w = new Writer(5 + v.Signature.SIZE);
  writePartialSignature(v, w, p);
  return w.finish();
}

export function decodePartialSignature<P, S>(v: Variant<P, S>, bytes: Uint8Array): PartialSignature<S> {
  return decodeWith(bytes, (r) => readPartialSignature(v, r));
}
