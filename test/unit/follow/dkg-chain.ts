/**
 * A chain whose DKG is real (for the follower's dealer logs and observation): n validators
 * (ed25519 keys from seeds), a genesis output from a fresh DKG, and in every epoch e the round
 * tempo runs (`Info(TEMPO, e, previous = outcome_e.output unless full DKG, dealers =
 * outcome_e.players, players = outcome_e.next_players)`): every dealer deals, every player acks,
 * every dealer signs its log; the (i+1)-th block of the epoch (genesis excluded) carries dealer i's `SignedDealerLog`, the boundary
 * carries `OnchainDkgOutcome{e + 1, observe(logs), next players, is_next_full_dkg}`. Certificates
 * of epoch e are threshold-signed with the shares of outcome_e's output (so a full DKG rotates the
 * identity one epoch later, as on Tempo).
 */

import { compareBytes, toHex } from '../../../src/codec/index.ts';
import { type G2Point, MinSig, type Share } from '../../../src/crypto/bls12381/index.ts';
import { Dealer, dealerRng, Info, type Output, Player, type SignedDealerLog } from '../../../src/crypto/dkg/index.ts';
import { ed25519FromSeed, ed25519PublicKey } from '../../../src/crypto/ed25519.ts';
import { Transcript } from '../../../src/crypto/transcript.ts';
import { TEMPO_DKG_NAMESPACE } from '../../../src/processors/follow/observer.ts';
import { encodeFinalization } from '../../../src/tempo/finalization.ts';
import { encodeTempoHeader, tempoHeaderHash } from '../../../src/tempo/header.ts';
import { type DkgOutput, encodeOnchainDkgOutcome, type OnchainDkgOutcome } from '../../../src/tempo/outcome.ts';
import { type Committee, makeHeader, signFinalization } from '../../support/tempo-chain.ts';
import type { Feed } from './harness.ts';

export interface DkgBlock extends Feed {
  headerRlp: Uint8Array;
  extraData: Uint8Array;
  isBoundary: boolean;
}

export interface DkgEpoch {
  epoch: bigint;
  info: Info<G2Point>;
  /** Honest signed logs of the round, by dealer index. */
  logs: SignedDealerLog<G2Point>[];
  /** The output the logs give (what the honest boundary carries). */
  output: Output<G2Point>;
}

export interface DkgChain {
  n: number;
  epochLength: bigint;
  keys: Uint8Array[];
  pks: Uint8Array[];
  genesisOutcome: Uint8Array;
  epochs: DkgEpoch[];
  blocks: DkgBlock[];
  block(height: bigint): DkgBlock;
}

export interface DkgChainOptions {
  n: number;
  epochLength: bigint;
  epochs: number;
  /** The round that runs during this epoch is a full DKG (new identity from the next epoch). */
  fullDkgAt?: number;
  /** extraData of non-boundary block `height` (default: block first + i carries log i). */
  extraData?: (height: bigint, e: DkgEpoch, index: number) => Uint8Array | undefined;
  /** Replaces the output a boundary carries (a dishonest outcome). */
  tamper?: (epoch: number, output: DkgOutput) => DkgOutput;
}

const dkgOutput = (o: Output<G2Point>): DkgOutput => ({ summary: o.summary, sharing: o.public, dealers: [...o.dealers.items], players: [...o.players.items], revealed: [...o.revealed.items] });

function ceremony(info: Info<G2Point>, keys: Map<string, Uint8Array>, shares: Map<string, Share> | null, tag: string) {
  const players = info.players.items.map((p) => Player.new(info, keys.get(toHex(p))!));
  const dealings = info.dealers.items.map((d, i) => {
    const seed = Transcript.new(new TextEncoder().encode('dkg-chain'))
      .commit(new TextEncoder().encode(`${tag}/${i}`))
      .summarize();
    return Dealer.start(dealerRng(seed), info, keys.get(toHex(d))!, shares === null ? null : shares.get(toHex(d))!);
  });
  for (const [di, { dealer, pubMsg, privMsgs }] of dealings.entries()) {
    for (const [j, [ppk, m]] of privMsgs.entries()) {
      const ack = players[j]!.dealerMessage(info.dealers.items[di]!, pubMsg, m);
      if (ack === null || !dealer.receivePlayerAck(ppk, ack)) throw new Error('honest dealing refused');
    }
  }
  const logs = dealings.map((d) => d.dealer.finalize());
  const checked = logs.map((l) => {
    const c = l.check(info)!;
    return [c.dealer, c.log] as const;
  });
  let output: Output<G2Point> | null = null;
  const out = new Map<string, Share>();
  for (const p of players) {
    const r = p.finalize(checked);
    out.set(toHex(p.publicKey), r.share);
    output = r.output;
  }
  return { logs, output: output!, shares: out };
}

export function buildDkgChain(opts: DkgChainOptions): DkgChain {
  const L = opts.epochLength;
  const keys = Array.from({ length: opts.n }, (_, i) => ed25519FromSeed(1000 + i));
  const byPk = new Map(keys.map((k) => [toHex(ed25519PublicKey(k)), k]));
  const pks = keys.map((k) => ed25519PublicKey(k)).sort(compareBytes);
  const genesisInfo = Info.new({ variant: MinSig, namespace: new TextEncoder().encode('genesis'), round: 0, previous: null, dealers: pks, players: pks });
  const g = ceremony(genesisInfo, byPk, null, 'genesis');
  let output = g.output;
  let shares = g.shares;
  const outcomeOf = (epoch: number, o: DkgOutput): OnchainDkgOutcome => ({ epoch: BigInt(epoch), output: o, nextPlayers: pks, isNextFullDkg: epoch === opts.fullDkgAt });
  const genesisOutcome = encodeOnchainDkgOutcome(outcomeOf(0, dkgOutput(output)));
  const committee = (o: Output<G2Point>, s: Map<string, Share>): Committee => ({
    name: 'dkg',
    participants: [...o.players.items],
    privateKeys: o.players.items.map((p) => byPk.get(toHex(p))!),
    sharing: o.public,
    shares: o.players.items.map((p) => s.get(toHex(p))!),
    identity: MinSig.Public.encode(o.groupKey()),
  });
  const epochs: DkgEpoch[] = [];
  const blocks: DkgBlock[] = [];
  let parent = tempoHeaderHash(makeHeader(new Uint8Array(32), 0n, genesisOutcome));
  for (let e = 0; e < opts.epochs; e++) {
    const E = BigInt(e);
    const full = e === opts.fullDkgAt;
    const info = Info.new({ variant: MinSig, namespace: TEMPO_DKG_NAMESPACE, round: E, previous: full ? null : output, dealers: output.players, players: pks });
    const c = ceremony(info, byPk, full ? null : shares, `epoch-${e}`);
    const ep: DkgEpoch = { epoch: E, info, logs: c.logs, output: c.output };
    epochs.push(ep);
    const signer = committee(output, shares);
    const first = E * L;
    const last = first + L - 1n;
    const start = first === 0n ? 1n : first;
    for (let h = start; h <= last; h++) {
      const isBoundary = h === last;
      const i = Number(h - start);
      let extra: Uint8Array;
      if (isBoundary) {
        const o = dkgOutput(c.output);
        extra = encodeOnchainDkgOutcome(outcomeOf(e + 1, opts.tamper ? opts.tamper(e, o) : o));
      } else if (opts.extraData) {
        extra = opts.extraData(h, ep, i) ?? new Uint8Array(0);
      } else {
        extra = c.logs[i]?.encode() ?? new Uint8Array(0);
      }
      const view = h - first + 1n;
      const header = makeHeader(parent, h, extra, { epoch: E, view, parentView: view - 1n, proposer: pks[i % pks.length]! });
      const hash = tempoHeaderHash(header);
      const fin = signFinalization({ epoch: E, view, parent: view - 1n, payload: hash }, signer);
      blocks.push({ height: h, epoch: E, certificate: encodeFinalization(fin), headerRlp: encodeTempoHeader(header), extraData: extra, isBoundary });
      parent = hash;
    }
    output = c.output;
    shares = c.shares;
  }
  return {
    n: opts.n,
    epochLength: L,
    keys,
    pks,
    genesisOutcome,
    epochs,
    blocks,
    block: (h) => {
      const b = blocks.find((x) => x.height === h);
      if (!b) throw new Error(`no block ${h}`);
      return b;
    },
  };
}
