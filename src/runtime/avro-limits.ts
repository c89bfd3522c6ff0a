/**
 * Per-field limits of the project's Avro schemas (schemas/*.avsc), checked by the pre-pass
 * (avro-check.ts) before avsc decodes a record. Each comes from the protocol the field carries,
 * so a record beyond one cannot be valid; everything without an entry is still bounded by the
 * bytes actually present and by the serde's `maxPayloadBytes`.
 *
 * Keyed by `<record full name>.<field>`; the writer schema's names are the ones registered from
 * schemas/, so the keys match whatever schema version wrote the record.
 */
import type { AvroFieldLimit, AvroLimits } from './avro-check.ts';

/** ed25519 public key (owner, dealer, player; the chain follower's owner is empty). */
const KEY = { maxBytes: 32 };
/** keccak256 / transcript digests. */
const HASH = { maxBytes: 32 };
/** A G2 group public key (MinSig; 48 B for MinPk). */
const IDENTITY = { maxBytes: 96 };
/** Free-text provenance strings (`participant`, `follower:<height>`, a node URL, `boundary:<h>`). */
const LABEL = { maxBytes: 4096 };
/** A commonware Finalization certificate (tempo's frame bound, finalization.ts MAX_FRAME_BYTES). */
const CERTIFICATE = { maxBytes: 1024 };
/**
 * tempo's bound on every validator set (`MAX_VALIDATORS` = u16::MAX, tempo/outcome.ts; kept as a
 * literal so the runtime does not load the crypto modules — a unit test pins it to the source).
 */
export const MAX_PLAYERS_FIELD = 65_535;

export const AVRO_FIELD_LIMITS: AvroLimits = new Map<string, AvroFieldLimit>([
  // dkg-event.avsc
  ['xyz.dkgstream.dkg.DkgEvent.owner', KEY],
  ['xyz.dkgstream.dkg.Dealing.dealer', KEY],
  ['xyz.dkgstream.dkg.Ack.player', KEY],
  ['xyz.dkgstream.dkg.Ack.ack', { maxBytes: 64 }], // ed25519 signature
  ['xyz.dkgstream.dkg.Ack.digest', HASH],
  ['xyz.dkgstream.dkg.Log.dealer', KEY],
  ['xyz.dkgstream.dkg.Log.source', LABEL],
  // epoch-state.avsc, sealed.avsc
  ['xyz.dkgstream.dkg.EpochState.owner', KEY],
  ['xyz.dkgstream.secret.Sealed.keyId', { maxBytes: 256 }],
  // epoch-event.avsc
  ['xyz.dkgstream.epochs.SchemeRegistered.identity', IDENTITY],
  ['xyz.dkgstream.epochs.SchemeRegistered.source', LABEL],
  ['xyz.dkgstream.epochs.EpochAdvanced.boundaryHash', HASH],
  ['xyz.dkgstream.epochs.EpochAdvanced.players', { maxItems: MAX_PLAYERS_FIELD, maxBytes: 32 }],
  ['xyz.dkgstream.epochs.Observation.reason', LABEL],
  // finalization.avsc, verified-finalization.avsc
  ['xyz.dkgstream.consensus.Finalization.certificate', CERTIFICATE],
  ['xyz.dkgstream.consensus.Finalization.source', LABEL],
  ['xyz.dkgstream.consensus.VerifiedFinalization.certificate', CERTIFICATE],
  ['xyz.dkgstream.consensus.VerifiedFinalization.identity', IDENTITY],
]);
