/**
 * Micro-benchmark of the primitives that bound certificate-verification and DKG throughput.
 *
 *   node --import tsx bench/primitives.ts            # full run (~1–2 min on a shared 2-core box)
 *   node --import tsx bench/primitives.ts --quick    # fewer iterations, for a smoke run
 *
 * Prints one row per operation: iterations, mean time per op, ops/s, and for the batch rows the
 * effective signatures/s. Each row runs until both a minimum iteration count and a minimum time
 * are reached (after one warm-up call), so slow rows (batch of 1024) run only a few times.
 * Inputs are deterministic; the batch weights come from a fixed RNG so runs are comparable.
 * Timing is measured here, never asserted in tests.
 */
import {
  commit,
  computePublic,
  G1,
  G2,
  hashMessage,
  MinSig,
  Mode,
  randomPoly,
  randomScalar,
  Sharing,
  type SignedMessage,
  signMessage,
  verifyMessage,
  verifySameSigner,
} from '../src/crypto/bls12381/index.ts';
import { ChaCha20Rng } from '../src/crypto/chacha.ts';
import type { RngCore } from '../src/crypto/rng.ts';

const quick = process.argv.includes('--quick');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Row {
  name: string;
  iterations: number;
  msPerOp: number;
  opsPerSec: number;
  note: string;
}

function bench(name: string, minIters: number, minMs: number, fn: (i: number) => unknown, perOp = 1, unit = ''): Row {
  fn(-1); // warm-up (JIT, lazy precomputation tables)
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (iterations < minIters || elapsed < minMs) {
    fn(iterations++);
    elapsed = performance.now() - start;
    if (quick && iterations >= Math.max(1, Math.ceil(minIters / 4))) break;
  }
  const msPerOp = elapsed / iterations;
  const row = {
    name,
    iterations,
    msPerOp,
    opsPerSec: 1000 / msPerOp,
    note: perOp > 1 ? `${((1000 / msPerOp) * perOp).toFixed(0)} ${unit}/s` : '',
  };
  process.stderr.write(`  ${name}: ${row.opsPerSec.toFixed(2)} ops/s\n`);
  return row;
}

const rng: RngCore = ChaCha20Rng.seedFromU64(2026);
const sk = randomScalar(rng);
const pk = computePublic(MinSig, sk);
const ns = utf8('TEMPO_FINALIZE');

function signedBatch(n: number): SignedMessage<ReturnType<typeof G1.hash>>[] {
  return Array.from({ length: n }, (_, i) => {
    const message = utf8(`proposal ${i}`);
    return { namespace: ns, message, signature: signMessage(MinSig, sk, ns, message) };
  });
}

process.stderr.write('preparing inputs…\n');
const batch64 = signedBatch(64);
const batch1024 = signedBatch(1024);
const single = batch64[0]!;
// A 100-validator sharing: commitment of degree quorum(100) − 1 = 66 in G2 (MinSig).
const sharing = new Sharing(Mode.NonZeroCounter, 100, commit(G2, randomPoly(rng, 66)));
const g2Scalars = Array.from({ length: 16 }, () => randomScalar(rng));
const weightRng = ChaCha20Rng.seedFromU64(7);

const rows: Row[] = [];
process.stderr.write('running…\n');
rows.push(bench('hash-to-G1 (_POP_ DST, 32 B msg)', 50, 2000, (i) => hashMessage(MinSig, MinSig.MESSAGE, utf8(`message number ${i}`.padEnd(32, '.')))));
rows.push(bench('MinSig verify (hash + 2-pairing check)', 20, 2000, () => verifyMessage(MinSig, pk, single.namespace, single.message, single.signature)));
rows.push(
  bench(
    'MinSig batch verify, 64 sigs, 1 key',
    3,
    3000,
    () => {
      if (!verifySameSigner(MinSig, pk, batch64, weightRng)) throw new Error('batch 64 rejected');
    },
    64,
    'sigs',
  ),
);
rows.push(
  bench(
    'MinSig batch verify, 1024 sigs, 1 key',
    2,
    0,
    () => {
      if (!verifySameSigner(MinSig, pk, batch1024, weightRng)) throw new Error('batch 1024 rejected');
    },
    1024,
    'sigs',
  ),
);
const sigBytes = G1.encode(single.signature);
const pkBytes = G2.encode(pk);
rows.push(bench('G1 decode (48 B, curve + subgroup checks)', 50, 1500, () => G1.decode(sigBytes)));
rows.push(bench('G2 decode (96 B, curve + subgroup checks)', 30, 1500, () => G2.decode(pkBytes)));
rows.push(bench('G2 scalar mult (secret scalar, constant-time)', 20, 2000, (i) => G2.mul(pk, g2Scalars[(i + 16) % 16]!)));
rows.push(bench('poly commitment eval (G2, 67 coeffs, x in 51..100)', 10, 2000, (i) => sharing.poly.eval(BigInt(51 + ((i + 50) % 50)))));
rows.push(bench('poly commitment eval, MSM form (same x)', 5, 2000, (i) => sharing.poly.evalMsm(BigInt(51 + ((i + 50) % 50)))));

const w = [52, 8, 10, 10, 16];
const pad = (s: string, n: number, left = false): string => (left ? s.padStart(n) : s.padEnd(n));
console.log(`\n${pad('operation', w[0]!)}${pad('iters', w[1]!, true)}${pad('ms/op', w[2]!, true)}${pad('ops/s', w[3]!, true)}  ${pad('throughput', w[4]!)}`);
console.log('-'.repeat(w.reduce((a, b) => a + b) + 2));
for (const r of rows) {
  console.log(`${pad(r.name, w[0]!)}${pad(String(r.iterations), w[1]!, true)}${pad(r.msPerOp.toFixed(2), w[2]!, true)}${pad(r.opsPerSec.toFixed(2), w[3]!, true)}  ${r.note}`);
}
console.log(`\nnode ${process.version}, @noble/curves 2.4.0${quick ? ', --quick' : ''}`);
