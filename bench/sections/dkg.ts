/**
 * DKG ceremony time vs native commonware 0.0.64 `bls12381::dkg` (MinSig, dealers = players = n,
 * one thread on both sides), the same phases as the anchor: deal (every dealer), verify + ack
 * (every player checks every dealing, every dealer takes every ack), log (every dealer signs its
 * log, every log is checked), finalize (every player: select + reckon + share).
 */
import { toHex } from '../../src/codec/index.ts';
import type { G2Point } from '../../src/crypto/bls12381/index.ts';
import { blsBackend, MinSig } from '../../src/crypto/bls12381/index.ts';
import { Dealer, type DealerLog, dealerRng, Info, Player } from '../../src/crypto/dkg/index.ts';
import { type Ed25519PublicKey, ed25519FromSeed, ed25519PublicKey } from '../../src/crypto/ed25519.ts';
import { Transcript } from '../../src/crypto/transcript.ts';
import type { BenchSection, Metric } from '../harness.ts';

interface Phases {
  deal: number;
  verify_and_ack: number;
  log: number;
  finalize: number;
  total: number;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** One full ceremony; phase times in seconds. */
export function ceremony(n: number, seed: number, log: (m: string) => void = () => {}): Phases {
  const keys = Array.from({ length: n }, (_, i) => ed25519FromSeed(i));
  const pks = keys.map((k) => ed25519PublicKey(k));
  const sk = new Map(pks.map((p, i) => [toHex(p), keys[i]!]));
  const info = Info.new({ variant: MinSig, namespace: utf8('dkg-stream-bench'), round: 0, previous: null, dealers: pks, players: pks });
  const now = () => performance.now() / 1000;
  const ph: Phases = { deal: 0, verify_and_ack: 0, log: 0, finalize: 0, total: 0 };

  let t = now();
  const dealings = info.dealers.items.map((d, i) => {
    const s = Transcript.new(utf8('dkg-stream-bench'))
      .commit(Uint8Array.of(seed, n, i))
      .summarize();
    return Dealer.start(dealerRng(s), info, sk.get(toHex(d))!, null);
  });
  ph.deal = now() - t;

  t = now();
  const players = info.players.items.map((p) => Player.new(info, sk.get(toHex(p))!));
  for (const [di, { dealer, pubMsg, privMsgs }] of dealings.entries()) {
    for (const [j, [ppk, m]] of privMsgs.entries()) {
      const ack = players[j]!.dealerMessage(info.dealers.items[di]!, pubMsg, m);
      if (ack === null || !dealer.receivePlayerAck(ppk, ack)) throw new Error('honest dealing refused');
    }
  }
  ph.verify_and_ack = now() - t;
  log(`n=${n}: dealt and acked (${(ph.deal + ph.verify_and_ack).toFixed(1)} s)`);

  t = now();
  const logs: Array<readonly [Ed25519PublicKey, DealerLog<G2Point>]> = dealings.map((d) => {
    const c = d.dealer.finalize().check(info);
    if (c === null) throw new Error('log does not check');
    return [c.dealer, c.log] as const;
  });
  ph.log = now() - t;

  t = now();
  let group: string | null = null;
  for (const [i, p] of players.entries()) {
    const r = p.finalize(logs);
    const g = toHex(MinSig.Public.encode(r.output.public.public()));
    if (group !== null && g !== group) throw new Error('players disagree');
    group = g;
    if (n >= 16 && i % 8 === 7) log(`n=${n}: finalized ${i + 1}/${players.length} players`);
  }
  ph.finalize = now() - t;
  ph.total = ph.deal + ph.verify_and_ack + ph.log + ph.finalize;
  return ph;
}

export const dkg: BenchSection = {
  name: 'dkg',
  title: 'DKG ceremony (commonware 0.0.64 bls12381::dkg, MinSig) vs native',
  async run(ctx) {
    const sizes = ctx.quick ? [4, 10] : [4, 10, 32];
    const minMs = ctx.quick ? 500 : 3000;
    const native = (await ctx.native(['--skip-certs', '--dkg', sizes.join(','), '--min-ms', String(minMs)])).dkg as Array<{ n: number; best_seconds: number; best_phases: Record<string, number> }>;
    const metrics: Metric[] = [];
    const ours: Record<number, Phases> = {};
    ceremony(4, 255); // warm-up (JIT, precomputation tables); not counted
    for (const n of sizes) {
      const runs: Phases[] = [];
      const start = performance.now();
      while (runs.length < (n >= 32 ? 1 : 2) || (n < 32 && performance.now() - start < minMs)) runs.push(ceremony(n, runs.length, ctx.log));
      const best = runs.reduce((a, b) => (b.total < a.total ? b : a));
      ours[n] = best;
      const nat = native.find((x) => x.n === n)!;
      ctx.log(`n=${n}: ${best.total.toFixed(3)} s (native ${nat.best_seconds.toFixed(3)} s), ${runs.length} ceremonies`);
      metrics.push({ name: `ceremony n=${n}`, unit: 's', higherIsBetter: false, ours: best.total, anchor: nat.best_seconds, anchorName: 'native commonware 0.0.64, 1 thread' });
      for (const phase of ['deal', 'verify_and_ack', 'log', 'finalize'] as const) {
        metrics.push({ name: `n=${n} ${phase}`, unit: 's', higherIsBetter: false, ours: best[phase], anchor: nat.best_phases[phase] ?? null, chart: false });
      }
    }
    return {
      metrics,
      data: { native, ours },
      notes: [
        `best of the ceremonies run per size (n=32: one); BLS backend ${blsBackend().name} (mcl runs the G2 work of the DKG: commitments, Feldman checks, sums, MSM, encode/decode; scalars, Ed25519 and transcripts are noble/OpenSSL/JS)`,
      ],
    };
  },
};
