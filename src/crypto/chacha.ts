import type { RngCore } from './rng.ts';

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0;
}

/**
 * rand_chacha 0.3's `ChaCha20Rng`: ChaCha20 keystream with a 256-bit key (the seed), stream id 0 and
 * a 64-bit block counter from 0, read sequentially as bytes. Not a security primitive here: it
 * exists to reproduce upstream's deterministic test identities (`Signer::from_seed(u64)`), so a
 * Rust fixture that names keys by seed can be matched from TypeScript.
 */
export class ChaCha20Rng implements RngCore {
  private readonly key: Uint32Array;
  private counter = 0n;
  private block = new Uint8Array(64);
  private pos = 64;

  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new RangeError('ChaCha20Rng: seed must be 32 bytes');
    const dv = new DataView(seed.buffer, seed.byteOffset, 32);
    this.key = new Uint32Array(8);
    for (let i = 0; i < 8; i++) this.key[i] = dv.getUint32(i * 4, true);
  }

  /** rand_core 0.6 `SeedableRng::seed_from_u64`: the 32-byte seed is 8 PCG32 outputs, little-endian. */
  static seedFromU64(state: number | bigint): ChaCha20Rng {
    let s = BigInt.asUintN(64, BigInt(state));
    const MUL = 6364136223846793005n;
    const INC = 11634580027462260723n;
    const seed = new Uint8Array(32);
    const dv = new DataView(seed.buffer);
    for (let i = 0; i < 8; i++) {
      s = BigInt.asUintN(64, s * MUL + INC);
      const xorshifted = Number(BigInt.asUintN(32, ((s >> 18n) ^ s) >> 27n));
      const rot = Number(s >> 59n);
      const x = ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
      dv.setUint32(i * 4, x, true);
    }
    return new ChaCha20Rng(seed);
  }

  private refill(): void {
    const st = new Uint32Array(16);
    st.set(SIGMA, 0);
    st.set(this.key, 4);
    st[12] = Number(this.counter & 0xffffffffn);
    st[13] = Number(this.counter >> 32n);
    st[14] = 0;
    st[15] = 0;
    const x = Uint32Array.from(st);
    const qr = (a: number, b: number, c: number, d: number): void => {
      x[a] = (x[a]! + x[b]!) >>> 0;
      x[d] = rotl(x[d]! ^ x[a]!, 16);
      x[c] = (x[c]! + x[d]!) >>> 0;
      x[b] = rotl(x[b]! ^ x[c]!, 12);
      x[a] = (x[a]! + x[b]!) >>> 0;
      x[d] = rotl(x[d]! ^ x[a]!, 8);
      x[c] = (x[c]! + x[d]!) >>> 0;
      x[b] = rotl(x[b]! ^ x[c]!, 7);
    };
    for (let i = 0; i < 10; i++) {
      qr(0, 4, 8, 12);
      qr(1, 5, 9, 13);
      qr(2, 6, 10, 14);
      qr(3, 7, 11, 15);
      qr(0, 5, 10, 15);
      qr(1, 6, 11, 12);
      qr(2, 7, 8, 13);
      qr(3, 4, 9, 14);
    }
    const dv = new DataView(this.block.buffer);
    for (let i = 0; i < 16; i++) dv.setUint32(i * 4, (x[i]! + st[i]!) >>> 0, true);
    this.counter = BigInt.asUintN(64, this.counter + 1n);
    this.pos = 0;
  }

  fillBytes(dest: Uint8Array): void {
    let off = 0;
    while (off < dest.length) {
      if (this.pos === 64) this.refill();
      const n = Math.min(64 - this.pos, dest.length - off);
      dest.set(this.block.subarray(this.pos, this.pos + n), off);
      this.pos += n;
      off += n;
    }
  }
}
