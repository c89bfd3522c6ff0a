/**
 * The `mcl` backend of {@link MinSigBackend}: herumi's mcl (BLS12-381) compiled to WebAssembly,
 * from the `mcl-wasm` npm package (loaded dynamically, so the project type-checks and runs
 * without it). Configured for the IETF/ZCash world blst lives in: ETH serialization (compressed,
 * big-endian, flag bits, c1 limb first), RFC 9380 hash-to-curve (`MAP_TO_MODE_HASH_TO_CURVE`),
 * subgroup checks on deserialization.
 *
 * Decoding keeps upstream's rules exactly: the flag and x < p checks run here (as in
 * `group.ts`), mcl then checks on-curve and subgroup membership; whenever mcl refuses a point the
 * noble decoder re-decodes it, so the error (and its upstream message) is the reference
 * implementation's, and a disagreement can never turn a reject into an accept.
 */
import { decode as decodeWith, type Reader } from '../../codec/index.ts';
import type { MinSigBackend } from './backend.ts';
import { createMclG2Accelerator, type MclG2Module, precheck } from './g2-mcl.ts';
import { type G1Point, type G2Accelerator, type G2Point, G1 as NobleG1, NOBLE_G2 as NobleG2 } from './group.ts';

// ---- the part of mcl-wasm's API used here (kept local: the package is optional) ----
interface McPoint {
  deserialize(b: Uint8Array): void;
  serialize(): Uint8Array;
  isZero(): boolean;
  setStr(s: string, base?: number): void;
}
interface McFr {
  setStr(s: string, base?: number): void;
}
interface McGT {
  isOne(): boolean;
}
interface McPrecomputedG2 {
  destroy(): void;
}
interface McModule extends MclG2Module {
  _mclBnG1_hashAndMapToWithDst(out: number, msg: number, msgLen: number, dst: number, dstLen: number): number;
}
interface Mcl {
  init(curve: number): Promise<void>;
  BLS12_381: number;
  IRTF: number;
  mod: McModule;
  setETHserialization(on: boolean): void;
  setMapToMode(mode: number): void;
  verifyOrderG1(on: boolean): void;
  verifyOrderG2(on: boolean): void;
  G1: new () => McPoint & { _save(pos: number): void };
  G2: new () => McPoint;
  Fr: new () => McFr;
  PrecomputedG2: new (q: McPoint) => McPrecomputedG2;
  neg<T>(x: T): T;
  mulVec<T>(points: T[], scalars: McFr[]): T;
  mul(p: McPoint, s: McFr): McPoint;
  add<T>(a: T, b: T): T;
  precomputedMillerLoop(p: McPoint, q: McPrecomputedG2): McGT;
  precomputedMillerLoop2(p1: McPoint, q1: McPrecomputedG2, p2: McPoint, q2: McPrecomputedG2): McGT;
  finalExp(x: McGT): McGT;
}

/** Points per `mulVec` call (each slice is copied to the WebAssembly stack: 2,048 × 144 B + scalars). */
const MSM_SLICE = 2048;

/** A decoded G2 public key with its Miller-loop precomputation (freed with the handle). */
export interface MclPublic {
  readonly point: McPoint;
  readonly prepared: McPrecomputedG2;
}

export async function createMclBackend(): Promise<MinSigBackend<MclPublic, McPoint> & { g2: G2Accelerator }> {
  const specifier = 'mcl-wasm';
  const imported = (await import(specifier)) as { default?: Mcl } & Mcl;
  const mcl: Mcl = imported.default ?? imported;
  await mcl.init(mcl.BLS12_381);
  mcl.setETHserialization(true);
  mcl.setMapToMode(mcl.IRTF);
  mcl.verifyOrderG1(true);
  mcl.verifyOrderG2(true);
  const mod = mcl.mod;

  const freePrepared = new FinalizationRegistry<McPrecomputedG2>((p) => p.destroy());
  const fromNobleG1 = (p: G1Point): McPoint => {
    const a = p.toAffine();
    const q = new mcl.G1();
    q.setStr(`1 ${a.x.toString(16)} ${a.y.toString(16)}`, 16);
    return q;
  };
  const fromNobleG2 = (p: G2Point) => {
    const a = p.toAffine();
    const q = new mcl.G2();
    q.setStr(`1 ${a.x.c0.toString(16)} ${a.x.c1.toString(16)} ${a.y.c0.toString(16)} ${a.y.c1.toString(16)}`, 16);
    return q;
  };
  const prepare = (point: McPoint): MclPublic => {
    const prepared = new mcl.PrecomputedG2(point);
    const handle = { point, prepared };
    freePrepared.register(handle, prepared);
    return handle;
  };

  // e(·, −G2) is needed by every check: keep its precomputation for the life of the process.
  const g2 = new mcl.G2();
  g2.deserialize(NobleG2.encode(NobleG2.GENERATOR));
  const negG2 = new mcl.PrecomputedG2(mcl.neg(g2));

  const hashToG1 = (dst: Uint8Array, msg: Uint8Array): McPoint => {
    const out = new mcl.G1();
    const pos = mod._malloc(144 + msg.length + dst.length);
    try {
      mod.HEAP8.set(msg, pos + 144);
      mod.HEAP8.set(dst, pos + 144 + msg.length);
      if (mod._mclBnG1_hashAndMapToWithDst(pos, pos + 144, msg.length, pos + 144 + msg.length, dst.length) !== 0) {
        throw new Error('mcl: hashAndMapToWithDst failed');
      }
      out._save(pos);
    } finally {
      mod._free(pos);
    }
    return out;
  };

  // Same framing as group.ts (`Reader.borrow`), so truncation / trailing bytes are the same
  // codec errors as with noble.
  const readSignature = (r: Reader): McPoint => {
    const bytes = r.borrow(48);
    precheck(bytes, 'G1', 48);
    const p = new mcl.G1();
    try {
      p.deserialize(bytes);
    } catch {
      // mcl refused (not on curve / not in G1): the reference decoder names the reason.
      return fromNobleG1(NobleG1.decode(bytes));
    }
    return p;
  };
  const readPublic = (r: Reader): MclPublic => {
    const bytes = r.borrow(96);
    precheck(bytes, 'G2', 96);
    const p = new mcl.G2();
    try {
      p.deserialize(bytes);
    } catch {
      return prepare(fromNobleG2(NobleG2.decode(bytes)));
    }
    return prepare(p);
  };

  const fr = (s: bigint) => {
    const x = new mcl.Fr();
    x.setStr(s.toString(16), 16);
    return x;
  };

  return {
    name: 'mcl',
    decodePublic: (bytes) => decodeWith(bytes, readPublic),
    decodeSignature: (bytes) => decodeWith(bytes, readSignature),
    hashToG1,
    msmG1(points, scalars) {
      if (points.length !== scalars.length) throw new RangeError('msm: points and scalars differ in length');
      if (points.length === 0) return new mcl.G1();
      if (points.length === 1) return mcl.mul(points[0]!, fr(scalars[0]!));
      // mcl-wasm's mulVec copies its arguments to the WebAssembly stack, which refuses ~10,000
      // G1 points ("stackAlloc: bad size"): a batch of 5,000 certificates. Sum bounded slices.
      let sum: McPoint | undefined;
      for (let i = 0; i < points.length; i += MSM_SLICE) {
        const part = mcl.mulVec(points.slice(i, i + MSM_SLICE), scalars.slice(i, i + MSM_SLICE).map(fr));
        sum = sum === undefined ? part : mcl.add(sum, part);
      }
      return sum!;
    },
    verify(pub, hm, sig) {
      const hz = hm.isZero();
      const sz = sig.isZero();
      if (hz && sz) return true;
      const ml = hz ? mcl.precomputedMillerLoop(sig, negG2) : sz ? mcl.precomputedMillerLoop(hm, pub.prepared) : mcl.precomputedMillerLoop2(hm, pub.prepared, sig, negG2);
      return mcl.finalExp(ml).isOne();
    },
    encodeSignature: (sig) => sig.serialize(),
    encodePublic: (pub) => pub.point.serialize(),
    g2: createMclG2Accelerator(mod),
  };
}
