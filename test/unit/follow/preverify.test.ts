/**
 * Pre-verification on the verifier's threads changes nothing but where the work runs: the same
 * chain (with a forged certificate and a wrong-digest block in the chunks) folded with and without
 * a VerifierPool gives the same verified records, epoch events and rejections, and with the pool
 * most certificates' verification came from its threads.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { bootstrapFromOutcome } from '../../../src/processors/follow/bootstrap.ts';
import { FOLLOW_METRICS } from '../../../src/processors/follow/config.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import { encodeFinalization } from '../../../src/tempo/finalization.ts';
import { encodeTempoHeader, tempoHeaderHash } from '../../../src/tempo/header.ts';
import { VerifierPool } from '../../../src/tempo/verify-pool.ts';
import { epochKey } from '../../../src/topics/epoch-key.ts';
import { buildChain, type ChainBlock, fixtureCommittee, signFinalization } from '../../support/tempo-chain.ts';
import { codec, harness, TOPICS } from './harness.ts';

const L = 8n;
const chain = buildChain({ epochLength: L, epochs: 3 });
const wrong = fixtureCommittee('wrong_committee');
const pool = new VerifierPool(2, 2);
after(() => pool.close());

/** Block `b` signed by another committee (VerificationFailed) or with a changed header (BlockDigestMismatch). */
function forged(b: ChainBlock, how: 'signer' | 'digest') {
  const header = structuredClone(b.header);
  if (how === 'digest') header.inner.gasUsed += 1n;
  const payload = tempoHeaderHash(how === 'digest' ? b.header : header);
  const fin = signFinalization({ epoch: b.epoch, view: b.view, parent: b.view - 1n, payload }, how === 'signer' ? wrong : b.signer);
  return { height: b.height, epoch: b.epoch, certificate: encodeFinalization(fin), headerRlp: encodeTempoHeader(header) };
}

async function run(verifier?: VerifierPool) {
  const metrics = new Metrics();
  const h = harness({ epochLength: L, bootstrap: bootstrapFromOutcome(chain.genesis.outcomeBytes), metrics, ...(verifier ? { verifier } : {}) }, 1);
  const c = codec();
  // One chunk per epoch (all on partition 0), each with bad records among the good ones.
  for (let e = 0n; e < 3n; e++) {
    const blocks = chain.blocks.filter((b) => b.epoch === e);
    const items = [...blocks.slice(0, 3), forged(blocks[3]!, 'signer'), ...blocks.slice(3, 5), forged(blocks[5]!, 'digest'), ...blocks.slice(5)];
    const inputs = [];
    for (const it of items) {
      const value = await c.encodeFinalization({
        height: it.height,
        certificate: it.certificate,
        header: { rlp: 'signer' in it ? encodeTempoHeader((it as ChainBlock).header) : (it as { headerRlp: Uint8Array }).headerRlp },
        source: 'test',
        receivedAtMs: 0,
      });
      inputs.push({ key: epochKey(it.epoch), value, partition: 0 });
    }
    await h.driver.pipe(TOPICS.input, inputs);
    await h.sync();
  }
  return { verified: await h.verified(), events: await h.epochEvents(), rejects: h.rejects(), preverified: metrics.get(FOLLOW_METRICS.preverified) ?? 0 };
}

test('with a verifier pool the follower emits exactly what inline verification emits', async () => {
  const inline = await run();
  const pooled = await run(pool);
  assert.deepEqual(pooled.verified, inline.verified);
  assert.deepEqual(pooled.events, inline.events);
  assert.deepEqual(pooled.rejects, inline.rejects);
  assert.deepEqual(inline.rejects.map((r) => r.errorClass).sort(), [
    'BlockDigestMismatch',
    'BlockDigestMismatch',
    'BlockDigestMismatch',
    'VerificationFailed',
    'VerificationFailed',
    'VerificationFailed',
  ]);
  assert.equal(inline.verified.length, chain.blocks.length);
  assert.equal(inline.preverified, 0);
  // Every good certificate of an epoch whose identity the task knew before its chunk (all three:
  // the genesis outcome, then the previous boundary) came from the pool.
  assert.equal(pooled.preverified, chain.blocks.length);
});

test('epochs the task has not verified yet are pre-verified under the network identity (one chunk across epochs)', async () => {
  const fold = async (verifier?: VerifierPool) => {
    const metrics = new Metrics();
    const networkIdentity = { identity: fixtureCommittee().identity, fromEpoch: 0n };
    const h = harness({ epochLength: L, networkIdentity, metrics, ...(verifier ? { verifier } : {}) }, 1);
    const c = codec();
    const inputs = [];
    for (const b of chain.blocks) {
      const value = await c.encodeFinalization({ height: b.height, certificate: b.certificate, header: { rlp: encodeTempoHeader(b.header) }, source: 'test', receivedAtMs: 0 });
      inputs.push({ key: epochKey(b.epoch), value, partition: 0 });
    }
    // A catch-up's first fetch: every epoch in one chunk, before any of them was verified here.
    await h.driver.pipe(TOPICS.input, inputs);
    await h.sync();
    return { verified: await h.verified(), events: await h.epochEvents(), rejects: h.rejects(), preverified: metrics.get(FOLLOW_METRICS.preverified) ?? 0 };
  };
  const inline = await fold();
  const pooled = await fold(pool);
  assert.deepEqual(pooled.verified, inline.verified);
  assert.deepEqual(pooled.events, inline.events);
  assert.deepEqual(pooled.rejects, []);
  assert.equal(inline.verified.length, chain.blocks.length);
  assert.equal(pooled.preverified, chain.blocks.length);
});
