/**
 * `dkg.states`: the per-epoch DKG state of participant nodes (upstream `Epoch{round, rng_seed,
 * output, share}`). Key: the epoch ({@link epochKey}, 8 bytes BE). Value: Avro
 * `schemas/epoch-state.avsc`; the rng seed and the share are sealed (AES-256-GCM) under
 * {@link rngSeedContext} / {@link shareContext}, which name the *logical* topic.
 */
import type { SealContext, Sealed } from '../state/seal.ts';
import { avroLong, bytesField, epochField, isObj, MalformedEvent, sealedField } from './avro-fields.ts';
import { TOPICS } from './names.ts';

/** Upstream `Epoch{round, rng_seed, output, share}` of one node, with its epoch number. */
export interface EpochStateRecord {
  epoch: bigint;
  owner: Buffer;
  round: bigint;
  rngSeed: Sealed;
  /** `Output` encoding, or null. */
  output: Buffer | null;
  /** Sealed `Share` encoding, or null. */
  share: Sealed | null;
}

export const rngSeedContext = (epoch: bigint, owner: Uint8Array): SealContext => ({ purpose: 'rng-seed', topic: TOPICS.dkgStates, epoch, owner });
export const shareContext = (epoch: bigint, owner: Uint8Array): SealContext => ({ purpose: 'share', topic: TOPICS.dkgStates, epoch, owner });

export function stateToAvro(s: EpochStateRecord): unknown {
  return { epoch: avroLong(s.epoch, 'epoch'), owner: s.owner, round: avroLong(s.round, 'round'), rngSeed: s.rngSeed, output: s.output, share: s.share };
}

export function stateFromAvro(v: unknown): EpochStateRecord {
  if (!isObj(v)) throw new MalformedEvent('not an EpochState');
  const epoch = epochField(v);
  const owner = bytesField(v, 'owner', 32);
  const round = v.round;
  if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 0) throw new MalformedEvent('round must be a non-negative integer');
  const output = v.output === null || v.output === undefined ? null : bytesField(v, 'output');
  const share = v.share === null || v.share === undefined ? null : sealedField(v.share, 'share');
  return { epoch, owner, round: BigInt(round), rngSeed: sealedField(v.rngSeed, 'rngSeed'), output, share };
}
