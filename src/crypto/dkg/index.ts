/**
 * commonware's threshold-BLS DKG / reshare (Joint-Feldman with Desmedt-style resharing) as of
 * commonware-cryptography v0.0.64, byte-compatible with upstream: `Info` defines a round,
 * `Dealer` deals and collects acks into a `SignedDealerLog`, `Player` verifies dealings and
 * derives its share, `observe` derives the public `Output` from the agreed logs.
 */

export { deal } from './deal.ts';
export { Dealer, type DealerStart } from './dealer.ts';
export { DkgError, type DkgErrorKind, DkgFailed, MissingDealerShare, NumDealers, NumPlayers, UnknownDealer, UnknownPlayer } from './errors.ts';
export { Info, type InfoParams } from './info.ts';
export { combineShares, type DealerLogs, observe, type Reckoning, reckon, type Selection, select } from './observe.ts';
export { Player } from './player.ts';
export { ackDigest, DEALER_RNG_LABEL, DKG_NAMESPACE, dealerRng, logDigest, roundSummary, SIG_ACK, SIG_LOG, signDigest, verifyDigest } from './transcripts.ts';
export {
  type AckOrReveal,
  checkMax,
  DealerLog,
  DealerPrivMsg,
  DealerPubMsg,
  type DealerResult,
  type DkgMessage,
  type DkgVariant,
  decodeDkgMessage,
  encodeDkgMessage,
  encodeKeySet,
  encodeOptionalOutput,
  type KeySet,
  keySet,
  Output,
  PlayerAck,
  readAckOrReveal,
  readDealerResult,
  readDkgMessage,
  readOptionalOutput,
  SignedDealerLog,
  writeAckOrReveal,
  writeDealerResult,
  writeDkgMessage,
} from './types.ts';
