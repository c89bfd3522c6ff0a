/**
 * commonware's threshold-BLS DKG / reshare (Joint-Feldman with Desmedt-style resharing) as of
 * commonware-cryptography v0.0.64, byte-compatible with upstream: `Info` defines a round,
 * `Dealer` deals and collects acks into a `SignedDealerLog`, `Player` verifies dealings and
 * derives its share, `observe` derives the public `Output` from the agreed logs.
 */
export { DkgError, DkgFailed, MissingDealerShare, NumDealers, NumPlayers, UnknownDealer, UnknownPlayer, type DkgErrorKind } from './errors.ts';
export {
  DealerLog,
  DealerPrivMsg,
  DealerPubMsg,
  Output,
  PlayerAck,
  SignedDealerLog,
  checkMax,
  decodeDkgMessage,
  encodeDkgMessage,
  readDkgMessage,
  writeDkgMessage,
  type DkgMessage,
  encodeKeySet,
  encodeOptionalOutput,
  keySet,
  readAckOrReveal,
  readDealerResult,
  readOptionalOutput,
  writeAckOrReveal,
  writeDealerResult,
  type AckOrReveal,
  type DealerResult,
  type DkgVariant,
  type KeySet,
} from './types.ts';
export { Info, type InfoParams } from './info.ts';
export { Dealer, type DealerStart } from './dealer.ts';
export { Player } from './player.ts';
export { combineShares, observe, reckon, select, type DealerLogs, type Reckoning, type Selection } from './observe.ts';
export { deal } from './deal.ts';
export { DEALER_RNG_LABEL, DKG_NAMESPACE, SIG_ACK, SIG_LOG, ackDigest, dealerRng, logDigest, roundSummary, signDigest, verifyDigest } from './transcripts.ts';
