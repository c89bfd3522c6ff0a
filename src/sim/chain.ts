/**
 * A real Tempo-style chain (moved here from `test/support/tempo-chain.ts`, which keeps the
 * fixture committees and re-exports this module): hash-linked headers (RLP + keccak digests),
 * boundary blocks carrying an `OnchainDkgOutcome` in `extraData`, and finalization certificates
 * threshold-signed (partial signatures + Lagrange recovery) by the committee of each epoch.
 * `buildChain` makes a whole chain from given committees (tests); the simulator grows one block
 * at a time with {@link sealBlock} and signatures collected from its validators
 * ({@link partialSignFinalization} / {@link recoverFinalization}).
 *
 * Epoch rules (tempo-follow.md §4, §1.3): epoch e spans heights [e·L, (e+1)·L − 1]; block 0 is
 * the genesis (outcome of epoch 0, no certificate); the boundary of e (height last(e)) carries
 * the outcome of epoch e + 1: the sharing of `committeeOf(e + 1)`, dealers = committee of e,
 * players = committee of e + 1, next players = committee of e + 2, and `isNextFullDkg` when the
 * committee of e + 2 differs (a new identity). Certificates of epoch e are signed by
 * `committeeOf(e)`, so a change of committee is an identity rotation.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { G1, type G1Point, type G2Point, MinSig, type PartialSignature, partialSignMessage, type Share, type Sharing, thresholdSignatureRecover } from '../crypto/bls12381/index.ts';
import { FixedEpocher } from '../tempo/epocher.ts';
import { encodeFinalization, encodeProposal, encodeRound, FINALIZE_NAMESPACE, type Finalization, type Proposal, SEED_NAMESPACE } from '../tempo/finalization.ts';
import { EMPTY_OMMERS_HASH, EMPTY_ROOT_HASH, encodeTempoHeader, type TempoHeader, tempoHeaderHash } from '../tempo/header.ts';
import { encodeOnchainDkgOutcome, type OnchainDkgOutcome } from '../tempo/outcome.ts';

export interface Committee {
  name: string;
  /** ed25519 public keys, ascending. */
  participants: Uint8Array[];
  privateKeys: Uint8Array[];
  sharing: Sharing<G2Point>;
  shares: Share[];
  /** Group public key (96 B), coefficient 0 of the sharing. */
  identity: Uint8Array;
}

/** One validator's partial signatures of a proposal: the finalize vote and the seed. */
export interface PartialFinalization {
  vote: PartialSignature<G1Point>;
  seed: PartialSignature<G1Point>;
}

/** A validator's partial signatures (MinSig) over a proposal, with its own share. */
export function partialSignFinalization(proposal: Proposal, share: Share): PartialFinalization {
  return {
    vote: partialSignMessage(MinSig, share, FINALIZE_NAMESPACE, encodeProposal(proposal)),
    seed: partialSignMessage(MinSig, share, SEED_NAMESPACE, encodeRound(proposal)),
  };
}

/** Recovers the group signatures from at least `sharing.required()` partials (Lagrange at 0). */
export function recoverFinalization(proposal: Proposal, sharing: Sharing<G2Point>, partials: readonly PartialFinalization[]): Finalization {
  const vote = thresholdSignatureRecover(
    MinSig,
    sharing,
    partials.map((p) => p.vote),
  );
  const seed = thresholdSignatureRecover(
    MinSig,
    sharing,
    partials.map((p) => p.seed),
  );
  return { proposal, voteSignature: G1.encode(vote), seedSignature: G1.encode(seed) };
}

/** Threshold-signs a proposal's finalization with the first `quorum` shares of a committee. */
export function signFinalization(proposal: Proposal, committee: Committee): Finalization {
  const shares = committee.shares.slice(0, committee.sharing.required());
  return recoverFinalization(
    proposal,
    committee.sharing,
    shares.map((s) => partialSignFinalization(proposal, s)),
  );
}

export interface ChainBlock {
  height: bigint;
  epoch: bigint;
  view: bigint;
  header: TempoHeader;
  headerRlp: Uint8Array;
  /** keccak256(headerRlp) = the certificate payload. */
  hash: Uint8Array;
  finalization: Finalization;
  /** Encoded finalization (what `consensus.finalizations` carries). */
  certificate: Uint8Array;
  isBoundary: boolean;
  /** The outcome in extraData (boundary blocks). */
  outcome?: OnchainDkgOutcome;
  signer: Committee;
}

export interface ChainOptions {
  epochLength: bigint;
  /** Build every height of epochs 0 .. epochs − 1 (height 0 is the genesis, not certified). */
  epochs: number;
  /** Signer committee of each epoch. */
  committeeOf: (epoch: bigint) => Committee;
  /** extraData of a non-boundary block (e.g. a SignedDealerLog); default empty. */
  extraData?: (height: bigint, epoch: bigint) => Uint8Array | undefined;
}

export interface Chain {
  epocher: FixedEpocher;
  genesis: { header: TempoHeader; headerRlp: Uint8Array; hash: Uint8Array; outcome: OnchainDkgOutcome; outcomeBytes: Uint8Array };
  /** Heights 1 .. epochs·L − 1, in order (index = height − 1). */
  blocks: ChainBlock[];
  committeeOf: (epoch: bigint) => Committee;
  block(height: bigint): ChainBlock;
  /** The boundary block of epoch e. */
  boundary(epoch: bigint): ChainBlock;
}

/** The outcome the boundary of `epoch − 1` (or genesis, epoch 0) carries for `epoch`. */
export function outcomeFor(epoch: bigint, committeeOf: (e: bigint) => Committee): OnchainDkgOutcome {
  const players = committeeOf(epoch);
  const dealers = epoch === 0n ? players : committeeOf(epoch - 1n);
  const next = committeeOf(epoch + 1n);
  return {
    epoch,
    output: {
      summary: sha256(new TextEncoder().encode(`summary-${epoch}`)),
      sharing: players.sharing,
      dealers: dealers.participants,
      players: players.participants,
      revealed: [],
    },
    nextPlayers: next.participants,
    isNextFullDkg: next !== players,
  };
}

export function makeHeader(parentHash: Uint8Array, number: bigint, extraData: Uint8Array, context?: TempoHeader['consensusContext']): TempoHeader {
  return {
    generalGasLimit: 225_000_000n,
    sharedGasLimit: 50_000_000n,
    timestampMillisPart: number % 1000n,
    inner: {
      parentHash,
      ommersHash: EMPTY_OMMERS_HASH,
      beneficiary: new Uint8Array(20),
      stateRoot: sha256(new TextEncoder().encode(`state-${number}`)),
      transactionsRoot: EMPTY_ROOT_HASH,
      receiptsRoot: EMPTY_ROOT_HASH,
      logsBloom: new Uint8Array(256),
      difficulty: 0n,
      number,
      gasLimit: 500_000_000n,
      gasUsed: 0n,
      timestamp: 1_760_000_000n + number,
      extraData,
      mixHash: new Uint8Array(32),
      nonce: new Uint8Array(8),
      baseFeePerGas: 10_000_000_000n,
    },
    consensusContext: context,
  };
}

/** Builds (and signs) a chain; deterministic for the same options. */
export function buildChain(opts: ChainOptions): Chain {
  const epocher = new FixedEpocher(opts.epochLength);
  const committeeOf = opts.committeeOf;
  const genesisOutcome = outcomeFor(0n, committeeOf);
  const genesisBytes = encodeOnchainDkgOutcome(genesisOutcome);
  const gh = makeHeader(new Uint8Array(32), 0n, genesisBytes);
  const genesis = { header: gh, headerRlp: encodeTempoHeader(gh), hash: tempoHeaderHash(gh), outcome: genesisOutcome, outcomeBytes: genesisBytes };
  const blocks: ChainBlock[] = [];
  let parent = genesis.hash;
  const end = BigInt(opts.epochs) * opts.epochLength;
  for (let h = 1n; h < end; h++) {
    const info = epocher.containing(h)!;
    const signer = committeeOf(info.epoch);
    const view = h - info.first + 1n;
    const isBoundary = info.last === h;
    const outcome = isBoundary ? outcomeFor(info.epoch + 1n, committeeOf) : undefined;
    const extra = outcome ? encodeOnchainDkgOutcome(outcome) : (opts.extraData?.(h, info.epoch) ?? new Uint8Array(0));
    const hd = makeHeader(parent, h, extra, { epoch: info.epoch, view, parentView: view - 1n, proposer: signer.participants[Number(h % BigInt(signer.participants.length))]! });
    const hash = tempoHeaderHash(hd);
    const finalization = signFinalization({ epoch: info.epoch, view, parent: view - 1n, payload: hash }, signer);
    blocks.push({
      height: h,
      epoch: info.epoch,
      view,
      header: hd,
      headerRlp: encodeTempoHeader(hd),
      hash,
      finalization,
      certificate: encodeFinalization(finalization),
      isBoundary,
      ...(outcome ? { outcome } : {}),
      signer,
    });
    parent = hash;
  }
  const block = (height: bigint) => {
    const b = blocks[Number(height) - 1];
    if (!b || b.height !== height) throw new Error(`no block at height ${height}`);
    return b;
  };
  return { epocher, genesis, blocks, committeeOf, block, boundary: (e) => block(epocher.last(e)!) };
}

/** The same block finalized again in a later view (a re-proposed boundary): new certificate, same digest. */
export function reCertify(b: ChainBlock, view: bigint): { finalization: Finalization; certificate: Uint8Array } {
  const finalization = signFinalization({ epoch: b.epoch, view, parent: b.finalization.proposal.parent, payload: b.hash }, b.signer);
  return { finalization, certificate: encodeFinalization(finalization) };
}
