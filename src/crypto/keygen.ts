import { hkdfSync } from 'node:crypto';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** Order of the BLS12-381 scalar field (r). */
export const BLS_R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

const SALT0 = new TextEncoder().encode('BLS-SIG-KEYGEN-SALT-');
const L = 48;

/**
 * BLS KeyGen as blst's `blst_keygen(IKM, key_info)` computes it (IETF draft-irtf-cfrg-bls-signature
 * v4+ / EIP-2333 `HKDF_mod_r`): salt = SHA-256(salt) each round, PRK = HKDF-Extract(salt,
 * IKM ‖ 0x00), OKM = HKDF-Expand(PRK, key_info ‖ I2OSP(48, 2), 48), SK = OS2IP(OKM) mod r,
 * repeated while SK = 0.
 *
 * This is how upstream turns randomness into scalars (`Scalar::random` feeds it 64 RNG bytes), so
 * matching it bit for bit is what lets a dealer regenerate the identical polynomial from a stored
 * seed after a crash. blst returns a zero key for IKM shorter than 32 bytes; we refuse instead.
 */
export function blsKeygen(ikm: Uint8Array, keyInfo: Uint8Array = new Uint8Array(0)): bigint {
  if (ikm.length < 32) throw new RangeError('blsKeygen: IKM must be at least 32 bytes');
  const ikmPrime = new Uint8Array(ikm.length + 1);
  ikmPrime.set(ikm);
  const info = new Uint8Array(keyInfo.length + 2);
  info.set(keyInfo);
  info[keyInfo.length] = L >> 8;
  info[keyInfo.length + 1] = L & 0xff;
  let salt: Uint8Array = SALT1;
  for (let round = 0; ; round++) {
    if (round > 0) salt = sha256(salt);
    const sk = BigInt(`0x${Buffer.from(hkdf(ikmPrime, salt, info)).toString('hex')}`) % BLS_R;
    if (sk !== 0n) return sk;
  }
}

/** The first round's salt, SHA-256("BLS-SIG-KEYGEN-SALT-"). */
const SALT1 = sha256(SALT0);

/**
 * HKDF-SHA256 (RFC 5869) Extract then Expand to L bytes: Node's native implementation (~2× faster
 * than @noble/hashes for the 64-byte IKM of `Scalar::random`), noble when Node refuses.
 */
function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(hkdfSync('sha256', ikm, salt, info, L));
  } catch {
    return expand(sha256, extract(sha256, ikm, salt), info, L);
  }
}
