/**
 * Throughput of the Tempo follower's hot path: certificate decoding, header hashing, and
 * finalization verification one certificate at a time vs. batched across one epoch.
 *
 *   node --import tsx bench/tempo.ts            # full run (~1 min on a shared 2-core box)
 *   node --import tsx bench/tempo.ts --quick    # smoke run
 *
 * Certificates are signed with a deterministic single key (a threshold signature recovered from
 * shares is the same group element, so verification cost is identical). Batch weights use OS
 * randomness as in production. Prints certificates/s per row; timings are never asserted.
 */
import { readFileSync } from 'node:fs';
import { computePublic, G1, G2, MinSig, randomScalar, signMessage } from '../src/crypto/bls12381/index.ts';
import { ChaCha20Rng } from '../src/crypto/chacha.ts';
import { drawBytes } from '../src/crypto/rng.ts';
import { decodeFinalization, encodeFinalization, encodeProposal, encodeRound, FINALIZE_NAMESPACE, type Finalization, SEED_NAMESPACE } from '../src/tempo/finalization.ts';
import { tempoHeaderFromJson, tempoHeaderHash } from '../src/tempo/header.ts';
import { bytesToHex } from '../src/tempo/hex.ts';
import { prepareIdentity, verifyFinalization, verifyFinalizations, verifyFinalizationsEach } from '../src/tempo/verify.ts';

const quick = process.argv.includes('--quick');
const minMs = quick ? 300 : 3000;

interface Row {
  name: string;
  iterations: number;
  msPerOp: number;
  certsPerSec: number;
}

function bench(name: string, minIters: number, fn: () => unknown, certsPerOp = 1): Row {
  fn();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (iterations < minIters || elapsed < minMs) {
    fn();
    iterations++;
    elapsed = performance.now() - start;
  }
  const msPerOp = elapsed / iterations;
  return { name, iterations, msPerOp, certsPerSec: (1000 / msPerOp) * certsPerOp };
}

const rng = ChaCha20Rng.seedFromU64(5n);
const sk = randomScalar(rng);
const identity = G2.encode(computePublic(MinSig, sk));
const prepared = prepareIdentity(identity);

function certificate(epoch: bigint, view: bigint): Finalization {
  const payload = drawBytes(rng, 32);
  const proposal = { epoch, view, parent: view - 1n, payload };
  return {
    proposal,
    voteSignature: G1.encode(signMessage(MinSig, sk, FINALIZE_NAMESPACE, encodeProposal(proposal))),
    seedSignature: G1.encode(signMessage(MinSig, sk, SEED_NAMESPACE, encodeRound(proposal))),
  };
}

const N = quick ? 32 : 128;
process.stderr.write(`bench/tempo: signing ${N} certificates…\n`);
const certs = Array.from({ length: N }, (_, i) => certificate(7n, 1000n + BigInt(i)));
const hexes = certs.map((c) => bytesToHex(encodeFinalization(c)));
const oneBad = certs.map((c, i) => (i === Math.floor(N / 3) ? { ...c, seedSignature: certs[0]!.seedSignature } : c));
const header = tempoHeaderFromJson(JSON.parse(readFileSync(new URL('../test/fixtures/tempo-chain/presto-block-1.json', import.meta.url), 'utf8')).header);

if (!verifyFinalizations(certs, prepared) || verifyFinalizations(oneBad, prepared)) throw new Error('bench inputs are wrong');

let k = 0;
const next = () => certs[k++ % N]!;
const rows: Row[] = [
  bench('decode certificate (hex)', 1000, () => decodeFinalization(hexes[k++ % N]!)),
  bench('header keccak(RLP) from parsed header', 1000, () => tempoHeaderHash(header)),
  bench('verify single (identity bytes)', 5, () => verifyFinalization(next(), identity)),
  bench('verify single (prepared identity)', 5, () => verifyFinalization(next(), prepared)),
  bench('verify batch of 20 (one epoch)', 2, () => verifyFinalizations(certs.slice(0, 20), prepared), 20),
  bench(`verify batch of ${N} (one epoch)`, 1, () => verifyFinalizations(certs, prepared), N),
  bench(`bisect ${N} with 1 bad`, 1, () => verifyFinalizationsEach(oneBad, prepared), N),
];

const pad = (s: string, n: number) => s.padEnd(n);
process.stdout.write(`${pad('operation', 40)} ${pad('iters', 7)} ${pad('ms/op', 10)} certificates/s\n`);
for (const r of rows) {
  process.stdout.write(`${pad(r.name, 40)} ${pad(String(r.iterations), 7)} ${pad(r.msPerOp.toFixed(3), 10)} ${r.certsPerSec.toFixed(1)}\n`);
}
