/**
 * `dkg.events`: the DKG journal events of participant nodes (Dealing / Ack / Log / Prune), and the
 * Log events the follower takes from blocks (owner = the chain). Key: the epoch ({@link epochKey},
 * 8 bytes BE). Value: Avro `schemas/dkg-event.avsc`, commonware bytes inside; secrets (a dealer's
 * private message) are sealed with AES-256-GCM under {@link privMsgContext}.
 *
 * {@link eventToAvro}/{@link eventFromAvro} convert between the avsc object and
 * {@link JournalEvent}; every producer (participant runtime, follower, simulator, tests) and the
 * `dkg-journal` fold go through them. Sealing contexts use the *logical* topic name, not the
 * prefixed broker name, so a journal copied to another prefix or cluster still opens.
 */
import type { SealContext, Sealed } from '../state/seal.ts';
import { avroLong, bytesField, epochField, isObj, MalformedEvent, sealedField } from './avro-fields.ts';
import { TOPICS } from './names.ts';

export { EpochKeyMismatch, MalformedEvent } from './avro-fields.ts';

const NS = 'xyz.dkgstream.dkg';
const AVRO_BRANCH = {
  dealing: `${NS}.Dealing`,
  ack: `${NS}.Ack`,
  log: `${NS}.Log`,
  prune: `${NS}.Prune`,
} as const;

export type EventKind = 'dealing' | 'ack' | 'log';

export type JournalEvent =
  | { kind: 'dealing'; epoch: bigint; owner: Buffer; dealer: Buffer; pubMsg: Buffer; privMsg: Sealed }
  | { kind: 'ack'; epoch: bigint; owner: Buffer; player: Buffer; ack: Buffer; digest: Buffer | null }
  | { kind: 'log'; epoch: bigint; owner: Buffer; dealer: Buffer; log: Buffer; source: string }
  | { kind: 'prune'; epoch: bigint; owner: Buffer };

export const privMsgContext = (epoch: bigint, owner: Uint8Array): SealContext => ({ purpose: 'dealer-priv-msg', topic: TOPICS.dkgEvents, epoch, owner });

export function eventToAvro(e: JournalEvent): unknown {
  const base = { epoch: avroLong(e.epoch, 'epoch'), owner: e.owner };
  switch (e.kind) {
    case 'dealing':
      return { ...base, event: { [AVRO_BRANCH.dealing]: { dealer: e.dealer, pubMsg: e.pubMsg, privMsg: e.privMsg } } };
    case 'ack':
      return { ...base, event: { [AVRO_BRANCH.ack]: { player: e.player, ack: e.ack, digest: e.digest } } };
    case 'log':
      return { ...base, event: { [AVRO_BRANCH.log]: { dealer: e.dealer, log: e.log, source: e.source } } };
    case 'prune':
      return { ...base, event: { [AVRO_BRANCH.prune]: {} } };
  }
}

/** Structural checks only (sizes of keys and signatures); payload codecs run in the processor. */
export function eventFromAvro(v: unknown): JournalEvent {
  if (!isObj(v) || !isObj(v.event)) throw new MalformedEvent('not a DkgEvent');
  const epoch = epochField(v);
  const owner = bytesField(v, 'owner', 32);
  const branches = Object.keys(v.event);
  if (branches.length !== 1) throw new MalformedEvent('event must hold exactly one branch');
  const branch = branches[0]!;
  const b = v.event[branch];
  if (!isObj(b)) throw new MalformedEvent(`${branch} is not a record`);
  switch (branch) {
    case AVRO_BRANCH.dealing:
      return { kind: 'dealing', epoch, owner, dealer: bytesField(b, 'dealer', 32), pubMsg: bytesField(b, 'pubMsg'), privMsg: sealedField(b.privMsg, 'privMsg') };
    case AVRO_BRANCH.ack: {
      const digest = b.digest === null || b.digest === undefined ? null : bytesField(b, 'digest', 32);
      return { kind: 'ack', epoch, owner, player: bytesField(b, 'player', 32), ack: bytesField(b, 'ack'), digest };
    }
    case AVRO_BRANCH.log:
      return { kind: 'log', epoch, owner, dealer: bytesField(b, 'dealer', 32), log: bytesField(b, 'log'), source: typeof b.source === 'string' ? b.source : 'participant' };
    case AVRO_BRANCH.prune:
      return { kind: 'prune', epoch, owner };
    default:
      throw new MalformedEvent(`unknown event branch ${branch}`);
  }
}
