/**
 * Deterministic test randomness (SplitMix64). Property tests take a fixed seed so a failure
 * reproduces exactly; print the seed and the case index in assertion messages.
 * Not cryptographic — only for choosing test inputs.
 */
export class TestRng {
  private state: bigint;

  constructor(seed: number | bigint) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }

  /** Next 64-bit output. */
  nextU64(): bigint {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }

  /** Uniform integer in [0, n) for n ≤ 2^32 (modulo bias is irrelevant for test inputs). */
  int(n: number): number {
    return Number(this.nextU64() % BigInt(n));
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  bool(): boolean {
    return (this.nextU64() & 1n) === 1n;
  }

  /** Uniform bigint with `bits` random bits. */
  bigBits(bits: number): bigint {
    let out = 0n;
    let have = 0;
    while (have < bits) {
      out = (out << 64n) | this.nextU64();
      have += 64;
    }
    return out >> BigInt(have - bits);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 8) {
      let v = this.nextU64();
      for (let j = i; j < Math.min(n, i + 8); j++) {
        out[j] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
    return out;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** rand_core-style fill, so a TestRng can stand in for an `RngCore` (deterministic tests only). */
  fillBytes(dest: Uint8Array): void {
    dest.set(this.bytes(dest.length));
  }
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
