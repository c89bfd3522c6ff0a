import assert from 'node:assert/strict';
import { it } from 'node:test';
import { commit, G1, G2, type Group, Poly, randomScalar, ScalarSpace } from '../../../src/crypto/bls12381/index.ts';
import { evalCommitment } from '../../../src/crypto/dkg/feldman.ts';
import { testRngCore } from './plan.ts';

function check<P>(group: Group<P>, seed: number): void {
  const rng = testRngCore(seed);
  for (const len of [1, 2, 5]) {
    const c = commit(
      group,
      new Poly(
        ScalarSpace,
        Array.from({ length: len }, () => randomScalar(rng)),
      ),
    );
    for (const x of [1n, 2n, 3n, 7n, 32n, 255n, (1n << 32n) - 1n, 1n << 32n, 0n]) {
      assert.ok(group.equals(evalCommitment(group, c, x), c.eval(x)), `${group.name} len ${len} x ${x}`);
    }
  }
}

it('evalCommitment equals Poly.eval (G1 and G2, small and fallback points)', () => {
  check(G1, 1);
  check(G2, 2);
});
