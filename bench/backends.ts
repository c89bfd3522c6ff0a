/**
 * Candidate BLS backends for the certificate-verification hot path, measured on the operations
 * that bound it: hash-to-G1 with the `_POP_` DST, the 2-pairing product check against a prepared
 * G2 key, G1 MSM with 128-bit weights (batch verification), and G1/G2 decoding with subgroup
 * checks. Every backend available in this process is measured (noble always; mcl when
 * `mcl-wasm` is installed).
 *
 *   node --import tsx bench/backends.ts [--quick]
 *
 * Used by `npm run bench` (section `backends`). Timings are never asserted.
 */
import { type AnyMinSigBackend, availableBlsBackends, mclUnavailableReason } from '../src/crypto/bls12381/backend.ts';
import { computePublic, G1, G2, MinSig, randomScalar, signMessage } from '../src/crypto/bls12381/index.ts';
import { ChaCha20Rng } from '../src/crypto/chacha.ts';
import { drawBytes } from '../src/crypto/rng.ts';
import { timeLoop } from './harness.ts';

export interface OpResult {
  op: string;
  backend: string;
  opsPerSec: number;
  msPerOp: number;
  iterations: number;
}

/** Measures every available backend; `minMs` per operation and backend. */
export function measureBackends(minMs: number, log: (s: string) => void = () => {}): OpResult[] {
  const rng = ChaCha20Rng.seedFromU64(0xbac4e9d5n);
  const sk = randomScalar(rng);
  const pkBytes = G2.encode(computePublic(MinSig, sk));
  const msgs = Array.from({ length: 64 }, () => drawBytes(rng, 60));
  const sigBytes = msgs.map((m) => G1.encode(signMessage(MinSig, sk, null, m)));
  const weights = (n: number) => Array.from({ length: n }, () => BigInt(`0x${Buffer.from(drawBytes(rng, 16)).toString('hex')}`) | 1n);
  const w64 = weights(64);
  const w2000 = weights(2000);
  const out: OpResult[] = [];
  for (const b of availableBlsBackends() as AnyMinSigBackend[]) {
    const pub = b.decodePublic(pkBytes);
    const sigs = sigBytes.map((s) => b.decodeSignature(s));
    const hms = msgs.map((m) => b.hashToG1(MinSig.MESSAGE, m));
    const points2000 = Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? hms[i % 64] : sigs[i % 64]));
    const ops: Array<[string, number, (i: number) => unknown]> = [
      ['hash-to-G1 (_POP_ DST, 60-byte message)', 20, (i) => b.hashToG1(MinSig.MESSAGE, msgs[(i + 64) % 64]!)],
      ['2-pairing check e(H,pk)·e(σ,−G2) (prepared pk)', 20, (i) => b.verify(pub, hms[(i + 64) % 64]!, sigs[(i + 64) % 64]!)],
      ['G1 MSM, 64 points × 128-bit', 5, () => b.msmG1(hms, w64)],
      ['G1 MSM, 2000 points × 128-bit', 1, () => b.msmG1(points2000, w2000)],
      ['G1 decode (subgroup check)', 20, (i) => b.decodeSignature(sigBytes[(i + 64) % 64]!)],
      ['G2 decode + pairing precomputation', 5, () => b.decodePublic(pkBytes)],
    ];
    for (const [op, minIters, fn] of ops) {
      const t = timeLoop(minMs, minIters, fn);
      const r = { op, backend: b.name, opsPerSec: 1000 / t.msPerOp, msPerOp: t.msPerOp, iterations: t.iterations };
      log(`backends: ${b.name.padEnd(6)} ${op.padEnd(48)} ${r.opsPerSec.toFixed(1).padStart(10)} ops/s`);
      out.push(r);
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const why = mclUnavailableReason();
  if (why) process.stderr.write(`backends: mcl unavailable (${why})\n`);
  const results = measureBackends(quick ? 200 : 1500, (s) => process.stderr.write(`${s}\n`));
  const ops = [...new Set(results.map((r) => r.op))];
  const names = [...new Set(results.map((r) => r.backend))];
  process.stdout.write(`${'operation'.padEnd(48)} ${names.map((n) => `${n} ops/s`.padStart(14)).join(' ')}  speed-up\n`);
  for (const op of ops) {
    const vals = names.map((n) => results.find((r) => r.op === op && r.backend === n)!.opsPerSec);
    const speedup = vals.length > 1 ? `${(vals[vals.length - 1]! / vals[0]!).toFixed(1)}×` : '';
    process.stdout.write(`${op.padEnd(48)} ${vals.map((v) => v.toFixed(1).padStart(14)).join(' ')}  ${speedup}\n`);
  }
}
