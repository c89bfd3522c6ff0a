/**
 * The chain builder now lives in `src/sim/chain.ts` (the simulator grows its chain with it);
 * this module re-exports it and keeps the fixture committees of `test/fixtures/tempo/committee.json`
 * (`committee` and `wrong_committee`, n = 4, quorum 3) that the tests sign with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reader } from '../../src/codec/index.ts';
import { decodeScalar, G2, Sharing } from '../../src/crypto/bls12381/index.ts';
import { REPO_ROOT } from '../../src/paths.ts';
import { buildChain as buildSimChain, type Chain, type ChainOptions, type Committee } from '../../src/sim/chain.ts';
import { hexToBytes } from '../../src/tempo/hex.ts';
import { MAX_VALIDATORS } from '../../src/tempo/outcome.ts';

export * from '../../src/sim/chain.ts';

const committees = new Map<string, Committee>();

/** The fixture committees: `committee` (the default signer) and `wrong_committee`. */
export function fixtureCommittee(which: 'committee' | 'wrong_committee' = 'committee'): Committee {
  const hit = committees.get(which);
  if (hit) return hit;
  const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/tempo/committee.json'), 'utf8'))[which] as {
    participants: string[];
    private_keys: string[];
    sharing: string;
    identity: string;
    shares: Array<{ index: number; private: string }>;
  };
  const c: Committee = {
    name: which,
    participants: doc.participants.map((h) => hexToBytes(h)),
    privateKeys: doc.private_keys.map((h) => hexToBytes(h)),
    sharing: Sharing.read(new Reader(hexToBytes(doc.sharing)), G2, MAX_VALIDATORS),
    shares: doc.shares.map((s) => ({ index: s.index, private: decodeScalar(hexToBytes(s.private)) })),
    identity: hexToBytes(doc.identity),
  };
  committees.set(which, c);
  return c;
}

/** `buildChain` with the fixture `committee` signing every epoch unless `committeeOf` is given. */
export function buildChain(opts: Omit<ChainOptions, 'committeeOf'> & Partial<Pick<ChainOptions, 'committeeOf'>>): Chain {
  return buildSimChain({ ...opts, committeeOf: opts.committeeOf ?? (() => fixtureCommittee()) });
}
