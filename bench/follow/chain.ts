/**
 * The chain of the `follow` bench: a Tempo-style chain with real threshold signatures, long
 * enough to measure a follower's catch-up (100,000 finalizations in the full run).
 *
 * Shape (deterministic for a {@link ChainSpec}):
 * - epoch e spans heights [e·L, (e+1)·L − 1]; height 0 is the genesis (the outcome of epoch 0, no
 *   certificate); heights 1 … count are certified, so the chain has ⌈(count+1)/L⌉ epochs;
 * - the committee changes every epoch: committee(e) = validators e … e+n−1 (one leaves, one
 *   joins), each with its own sharing (a fresh polynomial, so new shares and a new public
 *   polynomial) of the same group secret: a reshare, as Tempo's committees change between full
 *   DKGs, so the identity stays the network identity (what `--chain presto` configures);
 * - the boundary of e (height last(e)) carries the outcome of e + 1 (sharing of committee(e+1),
 *   dealers = committee(e), players = committee(e+1), next players = committee(e+2));
 * - every certificate is threshold-signed by its epoch's committee (finalize vote and seed): the
 *   unique threshold signature s·H(m), computed on the mcl backend from the secret the quorum's
 *   shares interpolate to (sign-worker.ts says why that is the same bytes). Samples (first, last
 *   and every 997th height, every boundary) are re-signed by the reference path — quorum partial
 *   signatures recovered by Lagrange interpolation (`signFinalization`) — and must be byte-equal,
 *   and they verify with the follower's verifier, before the chain is cached.
 *
 * Signing 100,000 certificates takes minutes, so the chain is generated on worker threads and
 * cached under `bench/.cache/` (git-ignored), keyed by its parameters and seed, as one binary file
 * of (header RLP, certificate) pairs plus a JSON description.
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sha256 } from '@noble/hashes/sha2.js';
import { compareBytes } from '../../src/codec/index.ts';
import { commit, G2, type G2Point, Mode, randomPolyWithConstant, randomScalar, type Scalar, Sharing } from '../../src/crypto/bls12381/index.ts';
import { ChaCha20Rng } from '../../src/crypto/chacha.ts';
import { ed25519FromSeed, ed25519PublicKey } from '../../src/crypto/ed25519.ts';
import { type Committee, makeHeader, signFinalization } from '../../src/sim/chain.ts';
import { FixedEpocher } from '../../src/tempo/epocher.ts';
import { decodeFinalization, encodeFinalization } from '../../src/tempo/finalization.ts';
import { encodeTempoHeader, tempoHeaderHash } from '../../src/tempo/header.ts';
import { bytesToHex } from '../../src/tempo/hex.ts';
import { encodeOnchainDkgOutcome, type OnchainDkgOutcome } from '../../src/tempo/outcome.ts';
import { prepareIdentity, verifyFinalization } from '../../src/tempo/verify.ts';

export const CACHE_DIR = fileURLToPath(new URL('../.cache/', import.meta.url));

export interface ChainSpec {
  /** Certified heights 1 … count. */
  count: number;
  epochLength: bigint;
  /** Validators per committee. */
  committee: number;
  seed: number;
}

/** What the bench needs besides the records: trust root and identity. */
export interface ChainInfo {
  spec: { count: number; epochLength: string; committee: number; seed: number };
  epochs: number;
  /** The genesis extraData: the outcome of epoch 0 (the follower's `--genesis-outcome`). */
  genesisOutcome: string;
  /** The group identity (constant: committees change by resharing). */
  identity: string;
  /** Seconds it took to generate (on the machine that generated it). */
  generatedSeconds: number;
  threads: number;
}

export interface ChainRecord {
  height: bigint;
  epoch: bigint;
  headerRlp: Uint8Array;
  certificate: Uint8Array;
}

const key = (s: ChainSpec) => `follow-chain-n${s.count}-L${s.epochLength}-c${s.committee}-s${s.seed}-v1`;

/** Validator i's ed25519 key (deterministic test keys, public). */
const validatorKey = (seed: number, i: number) => ed25519FromSeed(BigInt(seed) * 1_000_000n + BigInt(i));

/** The group secret every committee holds a sharing of. */
function groupSecret(seed: number): Scalar {
  return randomScalar(ChaCha20Rng.seedFromU64(BigInt(seed) * 7919n + 1n));
}

/** Committee of epoch e: validators e … e+n−1 (sorted by key), a fresh sharing of the group secret. */
export function committeeOf(spec: Pick<ChainSpec, 'committee' | 'seed'>, epoch: bigint, secret = groupSecret(spec.seed)): Committee {
  const n = spec.committee;
  const keys = Array.from({ length: n }, (_, i) => validatorKey(spec.seed, Number(epoch) + i))
    .map((sk) => ({ sk, pk: ed25519PublicKey(sk) }))
    .sort((a, b) => compareBytes(a.pk, b.pk));
  const quorum = n - Math.floor((n - 1) / 3);
  const poly = randomPolyWithConstant(ChaCha20Rng.seedFromU64(BigInt(spec.seed) * 1_000_003n + epoch), quorum - 1, secret);
  const sharing = new Sharing<G2Point>(Mode.NonZeroCounter, n, commit(G2, poly));
  return {
    name: `committee-${epoch}`,
    participants: keys.map((k) => k.pk),
    privateKeys: keys.map((k) => k.sk),
    sharing,
    shares: keys.map((_, i) => ({ index: i, private: poly.eval(BigInt(i) + 1n) })),
    identity: G2.encode(sharing.public()),
  };
}

function outcomeOf(epoch: bigint, committee: (e: bigint) => Committee): OnchainDkgOutcome {
  const players = committee(epoch);
  return {
    epoch,
    output: {
      summary: sha256(new TextEncoder().encode(`bench-summary-${epoch}`)),
      sharing: players.sharing,
      dealers: (epoch === 0n ? players : committee(epoch - 1n)).participants,
      players: players.participants,
      revealed: [],
    },
    nextPlayers: committee(epoch + 1n).participants,
    isNextFullDkg: false,
  };
}

/** A signing job for a worker: proposals of one committee. */
export interface SignJob {
  id: number;
  /** Share scalars and Lagrange weights at 0 of the quorum that signs (lowest indices). */
  shares: bigint[];
  weights: bigint[];
  proposals: Array<{ epoch: bigint; view: bigint; parent: bigint; payload: Uint8Array }>;
}

class SignPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, (certs: Uint8Array[]) => void>();
  private next = 0;
  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./sign-worker-entry.mjs', import.meta.url));
      w.on('message', (m: { id: number; certificates: Uint8Array[] }) => {
        this.pending.get(m.id)?.(m.certificates);
        this.pending.delete(m.id);
      });
      w.on('error', (e) => {
        throw e;
      });
      this.workers.push(w);
    }
  }
  sign(job: Omit<SignJob, 'id'>): Promise<Uint8Array[]> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.workers[id % this.workers.length]!.postMessage({ ...job, id });
    });
  }
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Generates the chain (or loads it from the cache). Progress through `log`. */
export async function ensureChain(spec: ChainSpec, log: (m: string) => void): Promise<{ info: ChainInfo; file: string }> {
  const dir = join(CACHE_DIR, key(spec));
  const file = join(dir, 'records.bin');
  const infoFile = join(dir, 'chain.json');
  if (existsSync(infoFile) && existsSync(file)) {
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as ChainInfo;
    log(`chain: cached ${dir} (${info.spec.count} finalizations, ${info.epochs} epochs, ${(statSync(file).size / 1e6).toFixed(1)} MB; generated in ${info.generatedSeconds.toFixed(0)} s)`);
    return { info, file };
  }
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const L = spec.epochLength;
  const epocher = new FixedEpocher(L);
  const secret = groupSecret(spec.seed);
  const committees = new Map<bigint, Committee>();
  const committee = (e: bigint) => committees.get(e) ?? committees.set(e, committeeOf(spec, e, secret)).get(e)!;
  const genesisOutcome = encodeOnchainDkgOutcome(outcomeOf(0n, committee));
  const genesis = makeHeader(new Uint8Array(32), 0n, genesisOutcome);
  const threads = Math.max(1, availableParallelism());
  const pool = new SignPool(threads);
  log(`chain: generating ${spec.count} finalizations (L = ${L}, committee of ${spec.committee}, seed ${spec.seed}) on ${threads} threads into ${dir}`);
  const out: Buffer[] = [];
  let parent = tempoHeaderHash(genesis);
  const batch = 500;
  const inFlight: Array<Promise<{ bytes: Buffer; n: number }>> = [];
  let done = 0;
  let lastLog = performance.now();
  const flush = async (n: number) => {
    while (inFlight.length > n) {
      const job = await inFlight.shift()!;
      out.push(job.bytes);
      done += job.n;
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        const s = (performance.now() - t0) / 1000;
        log(`chain: signed ${Math.min(done, spec.count)}/${spec.count} (${(done / s).toFixed(0)}/s, ~${(((spec.count - done) / done) * s).toFixed(0)} s left)`);
      }
    }
  };
  let from = 1;
  while (from <= spec.count) {
    const headers: Uint8Array[] = [];
    const proposals: SignJob['proposals'] = [];
    const to = Math.min(spec.count, from + batch - 1);
    // A job never spans two committees: cut at the epoch boundary.
    const epoch = epocher.containing(BigInt(from))!.epoch;
    let h = BigInt(from);
    for (; h <= BigInt(to) && epocher.containing(h)!.epoch === epoch; h++) {
      const info = epocher.containing(h)!;
      const view = h - info.first + 1n;
      const signer = committee(epoch);
      const extra = info.last === h ? encodeOnchainDkgOutcome(outcomeOf(epoch + 1n, committee)) : new Uint8Array(0);
      const hd = makeHeader(parent, h, extra, { epoch, view, parentView: view - 1n, proposer: signer.participants[Number(h % BigInt(signer.participants.length))]! });
      const hash = tempoHeaderHash(hd);
      headers.push(encodeTempoHeader(hd));
      proposals.push({ epoch, view, parent: view - 1n, payload: hash });
      parent = hash;
    }
    from = Number(h);
    const c = committee(epoch);
    const quorum = c.sharing.required();
    const weights = c.sharing.interpolator(Array.from({ length: quorum }, (_, i) => i)).weights.values;
    const signed = pool.sign({ shares: c.shares.slice(0, quorum).map((s) => s.private), weights: [...weights], proposals });
    inFlight.push(
      signed.then((certs) => {
        const parts: Buffer[] = [];
        certs.forEach((cert, i) => {
          const head = Buffer.alloc(8);
          head.writeUInt32BE(headers[i]!.length, 0);
          head.writeUInt32BE(cert.length, 4);
          parts.push(head, Buffer.from(headers[i]!), Buffer.from(cert));
        });
        return { bytes: Buffer.concat(parts), n: certs.length };
      }),
    );
    await flush(threads * 4);
  }
  await flush(0);
  await pool.close();
  writeFileSync(`${file}.tmp`, Buffer.concat(out));
  renameSync(`${file}.tmp`, file);
  const info: ChainInfo = {
    spec: { count: spec.count, epochLength: L.toString(), committee: spec.committee, seed: spec.seed },
    epochs: Number(epocher.containing(BigInt(spec.count))!.epoch) + 1,
    genesisOutcome: bytesToHex(genesisOutcome),
    identity: bytesToHex(committee(0n).identity),
    generatedSeconds: (performance.now() - t0) / 1000,
    threads,
  };
  await checkSamples(spec, info, file, committee, log);
  writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  log(`chain: ${spec.count} finalizations in ${info.generatedSeconds.toFixed(1)} s, ${info.epochs} epochs`);
  return { info, file };
}

/**
 * Before a generated chain is cached: a sample of certificates (the first and last of every
 * epoch and every 997th) equals the reference signer's bytes and verifies under the identity.
 */
async function checkSamples(spec: ChainSpec, info: ChainInfo, file: string, committee: (e: bigint) => Committee, log: (m: string) => void): Promise<void> {
  const L = spec.epochLength;
  const identity = prepareIdentity(committee(0n).identity);
  let checked = 0;
  for await (const r of readChain(file, L)) {
    const h = r.height;
    if (h % L !== 0n && h % L !== L - 1n && h % 997n !== 0n && h !== 1n && h !== BigInt(spec.count)) continue;
    const fin = decodeFinalization(r.certificate);
    const reference = encodeFinalization(signFinalization(fin.proposal, committee(r.epoch)));
    if (Buffer.compare(Buffer.from(reference), Buffer.from(r.certificate)) !== 0) throw new Error(`chain: certificate at height ${h} differs from the reference threshold signer`);
    const v = verifyFinalization(fin, identity);
    if (!v.valid) throw new Error(`chain: certificate at height ${h} does not verify: ${v.reason}`);
    checked++;
  }
  log(`chain: ${checked} sampled certificates equal the reference signer's and verify under identity ${info.identity.slice(0, 16)}…`);
}

/** The records of a cached chain, in height order. */
export async function* readChain(file: string, epochLength: bigint): AsyncGenerator<ChainRecord> {
  let pending: Buffer = Buffer.alloc(0);
  let height = 1n;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let at = 0;
    while (pending.length - at >= 8) {
      const hl = pending.readUInt32BE(at);
      const cl = pending.readUInt32BE(at + 4);
      if (pending.length - at < 8 + hl + cl) break;
      const headerRlp = pending.subarray(at + 8, at + 8 + hl);
      const certificate = pending.subarray(at + 8 + hl, at + 8 + hl + cl);
      yield { height, epoch: height / epochLength, headerRlp, certificate };
      height++;
      at += 8 + hl + cl;
    }
    pending = pending.subarray(at);
  }
}
