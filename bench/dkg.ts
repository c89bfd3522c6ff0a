/**
 * Time of one full DKG ceremony (commonware v0.0.64 protocol, MinSig like the reshare example),
 * per committee size: every dealer deals, every player verifies every dealing and acks, every
 * dealer collects its acks and signs its log, every log is checked, every player finalizes
 * (select + reckon + share), and an observer runs `observe`. Optionally a reshare ceremony on top.
 *
 *   node --import tsx bench/dkg.ts                 # n = 4, 10, 32 (n = 32 takes a while)
 *   node --import tsx bench/dkg.ts 4 10            # chosen sizes
 *   node --import tsx bench/dkg.ts --reshare 4 10  # also time a reshare of each DKG's output
 *
 * Dealers draw from `Transcript::resume(seed).noise("dealer-rng")`, keys are `from_seed(i)`, so
 * runs are reproducible. Prints a table of milliseconds per phase on stdout, progress on stderr.
 * Timings are never asserted.
 */

import { toHex } from '../src/codec/index.ts';
import { type G2Point, MinSig, type Share } from '../src/crypto/bls12381/index.ts';
import { Dealer, type DealerLog, dealerRng, Info, type Output, observe, Player } from '../src/crypto/dkg/index.ts';
import { type Ed25519PublicKey, ed25519FromSeed, ed25519PublicKey } from '../src/crypto/ed25519.ts';
import { Transcript } from '../src/crypto/transcript.ts';

const args = process.argv.slice(2);
const reshare = args.includes('--reshare');
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
if (sizes.length === 0) sizes.push(4, 10, 32);

interface Phases {
  deal: number;
  verifyAck: number;
  log: number;
  check: number;
  finalize: number;
  perPlayer: number;
  observe: number;
  total: number;
}

const now = () => performance.now();
const progress = (msg: string) => process.stderr.write(`${msg}\n`);

function ceremony(kind: string, n: number, keys: Uint8Array[], previous: Output<G2Point> | null, shares: Map<string, Share> | null) {
  const pks = keys.map((k) => ed25519PublicKey(k));
  const sk = new Map(pks.map((p, i) => [toHex(p), keys[i]!]));
  const info = Info.new({
    variant: MinSig,
    namespace: new TextEncoder().encode('_COMMONWARE_EXAMPLES_RESHARE'),
    round: previous === null ? 0 : 1,
    previous,
    dealers: previous === null ? pks : previous.players,
    players: pks,
  });
  const t: Phases = { deal: 0, verifyAck: 0, log: 0, check: 0, finalize: 0, perPlayer: 0, observe: 0, total: 0 };
  const t0 = now();

  let s = now();
  const players = info.players.items.map((p) => Player.new(info, sk.get(toHex(p))!));
  const dealings = info.dealers.items.map((d, i) => {
    const seed = Transcript.new(new TextEncoder().encode('bench')).commit(Uint8Array.of(n, i)).summarize();
    return Dealer.start(dealerRng(seed), info, sk.get(toHex(d))!, shares === null ? null : shares.get(toHex(d))!);
  });
  t.deal = now() - s;
  progress(`  ${kind} n=${n}: dealt (${t.deal.toFixed(0)} ms)`);

  s = now();
  for (const [di, { dealer, pubMsg, privMsgs }] of dealings.entries()) {
    for (const [j, [ppk, m]] of privMsgs.entries()) {
      const ack = players[j]!.dealerMessage(info.dealers.items[di]!, pubMsg, m);
      if (ack === null || !dealer.receivePlayerAck(ppk, ack)) throw new Error('honest dealing refused');
    }
  }
  t.verifyAck = now() - s;
  progress(`  ${kind} n=${n}: verified and acked ${n * info.dealers.size} dealings (${t.verifyAck.toFixed(0)} ms)`);

  s = now();
  const signed = dealings.map((d) => d.dealer.finalize());
  t.log = now() - s;

  s = now();
  const logs: Array<readonly [Ed25519PublicKey, DealerLog<G2Point>]> = signed.map((l) => {
    const c = l.check(info);
    if (c === null) throw new Error('log does not check');
    return [c.dealer, c.log] as const;
  });
  t.check = now() - s;

  s = now();
  const out = new Map<string, Share>();
  let output: Output<G2Point> | null = null;
  for (const [i, p] of players.entries()) {
    const r = p.finalize(logs);
    out.set(toHex(p.publicKey), r.share);
    output = r.output;
    if (i % 8 === 7) progress(`  ${kind} n=${n}: finalized ${i + 1}/${players.length} players`);
  }
  t.finalize = now() - s;
  t.perPlayer = t.finalize / players.length;

  s = now();
  const observed = observe(info, logs);
  t.observe = now() - s;
  if (!observed.equals(output!)) throw new Error('observer disagrees');
  t.total = now() - t0;
  return { phases: t, output: observed, shares: out };
}

const rows: Array<{ kind: string; n: number; t: Phases }> = [];
for (const n of sizes) {
  const keys = Array.from({ length: n }, (_, i) => ed25519FromSeed(i));
  progress(`dkg n=${n} …`);
  const dkg = ceremony('dkg', n, keys, null, null);
  rows.push({ kind: 'dkg', n, t: dkg.phases });
  if (reshare) {
    progress(`reshare n=${n} …`);
    const r = ceremony('reshare', n, keys, dkg.output, dkg.shares);
    rows.push({ kind: 'reshare', n, t: r.phases });
  }
}

const cols: Array<keyof Phases> = ['deal', 'verifyAck', 'log', 'check', 'finalize', 'perPlayer', 'observe', 'total'];
const header = ['ceremony', 'n', ...cols.map((c) => `${c} ms`)];
const table = rows.map((r) => [r.kind, String(r.n), ...cols.map((c) => r.t[c].toFixed(0))]);
const width = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(width[i]!)).join('  ');
console.log(line(header));
for (const row of table) console.log(line(row));
console.log('(MinSig, one process, no parallelism. deal = all dealers; verifyAck = every player checks every dealing and acks,');
console.log(' every dealer verifies the ack; log = all dealers sign; check = every signed log checked once; finalize = all players,');
console.log(' each doing select (ed25519 ack checks dominate) + reckon + share; perPlayer = what one node spends to finalize)');
